"""Ingest routes and job simulation: stages, progress, ETag/304, cancel, scripted outcomes."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from layers_async.testing import FakeLayers

from .fakehttp import Api, StartFake

pytestmark = pytest.mark.anyio

GITHUB_STAGES = ["cloning", "analyzing", "generating_sdk_patch", "opening_pr", "finalizing"]


@pytest.fixture
async def slow(start_fake: StartFake) -> Api:
    """A fake on the real clock (time_scale 1), so only advance() moves jobs; stages take their
    weights' share of the time (stage_spread=0), so their windows are known."""
    api = await start_fake(time_scale=1, stage_spread=0)
    await api.install()
    return api


async def _project(api: Api) -> str:
    project_id = (await api.project())["id"]
    assert isinstance(project_id, str)
    return project_id


async def test_ingest_github_accepted(slow: Api) -> None:
    """POST ingest/github answers 202 with the job envelope and a Location header."""
    project_id = await _project(slow)
    reply = await slow(
        "POST",
        f"/v1/projects/{project_id}/ingest/github",
        json={
            "repoFullName": "acme/acme-mobile",
            "branch": "main",
            "openPR": True,
            "platforms": ["ios"],
        },
    )
    assert 202 == reply.status
    body = reply.json()
    assert re.fullmatch(r"job_[0-9A-Z]{26}", body["jobId"])
    assert {
        "jobId": body["jobId"],
        "kind": "ingest_github",
        "status": "running",
        "stage": "cloning",
        "projectId": project_id,
        "locationUrl": f"/v1/jobs/{body['jobId']}",
    } == {k: body[k] for k in ("jobId", "kind", "status", "stage", "projectId", "locationUrl")}
    assert body["locationUrl"] == reply.headers["Location"]
    assert "long-running" == reply.headers["X-RateLimit-Endpoint-Class"]
    assert body["startedAt"].endswith("Z")


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, ["repoFullName"]),
        ({"repoFullName": "no-slash"}, ["repoFullName"]),
        ({"repoFullName": "a/b", "openPR": "yes"}, ["openPR"]),
        ({"repoFullName": "a/b", "platforms": ["ios", "windows"]}, ["platforms", 1]),
        (
            {"repoFullName": "a/b", "sdkConfig": {"includePlatforms": ["tv"]}},
            ["sdkConfig", "includePlatforms", 0],
        ),
    ],
)
async def test_ingest_github_validation(slow: Api, body: dict[str, Any], path: list[Any]) -> None:
    """Bad ingest bodies answer 422 VALIDATION naming the field."""
    project_id = await _project(slow)
    reply = await slow("POST", f"/v1/projects/{project_id}/ingest/github", json=body)
    assert 422 == reply.status
    assert path == reply.error["details"]["issues"][0]["path"]


async def test_ingest_github_needs_installation_and_project(start_fake: StartFake) -> None:
    """Without a GitHub installation ingest answers 409; an unknown project 404."""
    api = await start_fake()
    project_id = await _project(api)
    body = {"repoFullName": "a/b"}
    reply = await api("POST", f"/v1/projects/{project_id}/ingest/github", json=body)
    assert 409 == reply.status
    assert "CONFLICT" == reply.error["code"]
    missing = await api("POST", "/v1/projects/prj_nope/ingest/github", json=body)
    assert 404 == missing.status
    assert "Project not found." == missing.error["message"]


async def test_github_job_walks_the_stages(slow: Api) -> None:
    """Stages advance in order with monotonic progress, then the job completes."""
    slow.fake.script_job(duration=100)
    project_id = await _project(slow)
    job_id = await slow.ingest(project_id)
    stages: list[str] = []
    progress: list[float] = []
    for _ in range(12):
        job = await slow.job(job_id)
        if job["status"] != "running":
            break
        if not stages or stages[-1] != job["stage"]:
            stages.append(job["stage"])
        progress.append(job["progress"])
        assert "finishedAt" not in job
        assert "result" not in job
        slow.fake.advance(10)
    assert GITHUB_STAGES == stages
    assert sorted(progress) == progress
    assert all(0 <= p < 1 for p in progress)
    assert "completed" == job["status"]
    assert 1.0 == job["progress"]
    assert "finishedAt" in job


async def test_completed_github_result_and_project_update(slow: Api) -> None:
    """A completed github job carries the documented result and updates the project."""
    slow.fake.script_job(duration=90)
    project_id = await _project(slow)
    job_id = await slow.ingest(project_id, repo="acme/shop")
    slow.fake.advance(91)
    job = await slow.job(job_id)
    result = job["result"]
    assert project_id == result["projectId"]
    assert "acme/shop" == result["repoFullName"]
    assert f"https://github.com/acme/shop/pull/{result['prNumber']}" == result["prUrl"]
    assert result["sdkAppId"].startswith("app_")
    assert "appName" in result["brandContext"]
    project = (await slow("GET", f"/v1/projects/{project_id}")).json()
    assert {"status": "completed", "jobId": job_id, "completedAt": job["finishedAt"]} == project[
        "ingestState"
    ]["github"]
    assert result["brandContext"]["appName"] == project["brandContext"]["appName"]


async def test_open_pr_false_has_no_pr(slow: Api) -> None:
    """With openPR false the result's prUrl and prNumber are null."""
    slow.fake.script_job(duration=1)
    job_id = await slow.ingest(await _project(slow), openPR=False)
    slow.fake.advance(2)
    result = (await slow.job(job_id))["result"]
    assert result["prUrl"] is None
    assert result["prNumber"] is None


async def test_default_duration_is_90_to_240_seconds(slow: Api) -> None:
    """Unscripted github jobs run 90-240 API seconds."""
    job_id = await slow.ingest(await _project(slow))
    slow.fake.advance(89)
    assert "running" == (await slow.job(job_id))["status"]
    slow.fake.advance(152)
    assert "completed" == (await slow.job(job_id))["status"]


async def test_website_ingest(slow: Api) -> None:
    """ingest/website starts a project_ingest_website job (fetching) done within 10 s."""
    project_id = await _project(slow)
    reply = await slow(
        "POST",
        f"/v1/projects/{project_id}/ingest/website",
        json={"url": "https://acmecoffee.com", "followLinks": True, "maxPages": 5},
    )
    assert 202 == reply.status
    accepted = reply.json()
    assert ("project_ingest_website", "fetching") == (accepted["kind"], accepted["stage"])
    slow.fake.advance(10)
    job = await slow.job(accepted["jobId"])
    assert "completed" == job["status"]
    assert {"projectId": project_id, "url": "https://acmecoffee.com"} == {
        k: job["result"][k] for k in ("projectId", "url")
    }
    project = (await slow("GET", f"/v1/projects/{project_id}")).json()
    assert "completed" == project["ingestState"]["website"]["status"]


@pytest.mark.parametrize(
    "body", [{}, {"url": "ftp://a.example"}, {"url": "https://a.example", "maxPages": 26}]
)
async def test_website_validation(slow: Api, body: dict[str, Any]) -> None:
    """url must be http(s) and maxPages 1-25."""
    project_id = await _project(slow)
    assert (
        422 == (await slow("POST", f"/v1/projects/{project_id}/ingest/website", json=body)).status
    )


async def test_appstore_ingest(slow: Api) -> None:
    """ingest/appstore starts a project_ingest_appstore job (scraping) of about 5 s."""
    project_id = await _project(slow)
    reply = await slow(
        "POST",
        f"/v1/projects/{project_id}/ingest/appstore",
        json={"iosBundleId": "com.acme.ios", "androidPackage": "com.acme.android"},
    )
    assert 202 == reply.status
    accepted = reply.json()
    assert ("project_ingest_appstore", "scraping") == (accepted["kind"], accepted["stage"])
    slow.fake.advance(6)
    job = await slow.job(accepted["jobId"])
    assert "completed" == job["status"]
    assert "com.acme.ios" == job["result"]["iosBundleId"]
    project = (await slow("GET", f"/v1/projects/{project_id}")).json()
    assert "com.acme.ios" == project["platformIosBundleId"]
    empty = await slow("POST", f"/v1/projects/{project_id}/ingest/appstore", json={})
    assert 422 == empty.status


async def test_ingest_on_archived_project_conflicts(slow: Api) -> None:
    """Ingesting into an archived project answers 409 CONFLICT (inferred)."""
    project_id = await _project(slow)
    await slow("DELETE", f"/v1/projects/{project_id}")
    reply = await slow(
        "POST", f"/v1/projects/{project_id}/ingest/website", json={"url": "https://a.b"}
    )
    assert 409 == reply.status


async def test_etag_and_304(slow: Api) -> None:
    """Polls carry a strong ETag; If-None-Match with it answers 304 until the state changes."""
    slow.fake.script_job(duration=10_000)
    job_id = await slow.ingest(await _project(slow))
    first = await slow("GET", f"/v1/jobs/{job_id}")
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]+"', etag)
    same = await slow("GET", f"/v1/jobs/{job_id}", headers={"If-None-Match": etag})
    assert 304 == same.status
    assert b"" == same.body
    assert etag == same.headers["ETag"]
    assert "X-Request-Id" in same.headers
    slow.fake.advance(2000)
    changed = await slow("GET", f"/v1/jobs/{job_id}", headers={"If-None-Match": etag})
    assert 200 == changed.status
    assert etag != changed.headers["ETag"]
    assert (
        304
        == (
            await slow(
                "GET",
                f"/v1/jobs/{job_id}",
                headers={"If-None-Match": f'"x", {changed.headers["ETag"]}'},
            )
        ).status
    )


async def test_if_none_match_uses_weak_comparison(slow: Api) -> None:
    """W/-prefixed tags and lists match per RFC 9110 weak comparison; other tags do not."""
    slow.fake.script_job(duration=10_000)
    path = f"/v1/jobs/{await slow.ingest(await _project(slow))}"
    etag = (await slow("GET", path)).headers["ETag"]
    for header in (
        f"W/{etag}",
        f'"a", {etag}',
        f'"a",W/{etag}',
        f'W/"a" , W/{etag} ,"b"',
        "*",
    ):
        reply = await slow("GET", path, headers={"If-None-Match": header})
        assert 304 == reply.status, header
        assert etag == reply.headers["ETag"]
    for header in ('W/"a"', '"a", "b"', etag.strip('"'), f'W/{etag[:-2]}"'):
        assert 200 == (await slow("GET", path, headers={"If-None-Match": header})).status, header


async def test_terminal_etag_is_stable(slow: Api) -> None:
    """A terminal job keeps one ETag however much time passes."""
    slow.fake.script_job(duration=1)
    job_id = await slow.ingest(await _project(slow))
    slow.fake.advance(5)
    etag = (await slow("GET", f"/v1/jobs/{job_id}")).headers["ETag"]
    slow.fake.advance(5000)
    assert 304 == (await slow("GET", f"/v1/jobs/{job_id}", headers={"If-None-Match": etag})).status


async def test_cancel_takes_effect_at_the_next_stage_boundary(slow: Api) -> None:
    """Cancel answers 202; the job turns canceled at the next stage boundary."""
    slow.fake.script_job(duration=100)  # analyzing spans 15-40 s
    job_id = await slow.ingest(await _project(slow))
    slow.fake.advance(20)
    reply = await slow("POST", f"/v1/jobs/{job_id}/cancel")
    assert 202 == reply.status
    assert {"jobId": job_id, "accepted": True} == reply.json()
    running = await slow.job(job_id)
    assert ("running", "analyzing") == (running["status"], running["stage"])
    slow.fake.advance(25)
    job = await slow.job(job_id)
    assert ("canceled", "analyzing") == (job["status"], job["stage"])
    assert "result" not in job
    assert "finishedAt" in job
    again = await slow("POST", f"/v1/jobs/{job_id}/cancel")
    assert 200 == again.status
    assert {"jobId": job_id, "accepted": False, "reason": "ALREADY_CANCELED"} == again.json()


async def test_cancel_refused_while_opening_pr(slow: Api) -> None:
    """Cancel during opening_pr answers 409 CONFLICT JOB_CANCEL_UNAVAILABLE."""
    slow.fake.script_job(duration=100)  # opening_pr spans 70-85 s
    job_id = await slow.ingest(await _project(slow))
    slow.fake.advance(75)
    reply = await slow("POST", f"/v1/jobs/{job_id}/cancel")
    assert 409 == reply.status
    assert "CONFLICT" == reply.error["code"]
    assert {
        "subcode": "JOB_CANCEL_UNAVAILABLE",
        "jobId": job_id,
        "stage": "opening_pr",
    } == reply.error["details"]


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        ("completed", "ALREADY_COMPLETED"),
        ("failed", "ALREADY_FAILED"),
        ("canceled", "ALREADY_CANCELED"),
    ],
)
async def test_cancel_terminal_job(slow: Api, outcome: str, reason: str) -> None:
    """Cancel of a terminal job answers 200 accepted false with the reason."""
    slow.fake.script_job(outcome=outcome, duration=1)
    job_id = await slow.ingest(await _project(slow))
    slow.fake.advance(2)
    reply = await slow("POST", f"/v1/jobs/{job_id}/cancel")
    assert 200 == reply.status
    assert {"jobId": job_id, "accepted": False, "reason": reason} == reply.json()


async def test_scripted_failure(slow: Api) -> None:
    """A scripted failure ends failed with error {code, message} and no result."""
    slow.fake.script_job(
        outcome="failed", duration=30, error_code="REPO_NOT_FOUND", error_message="Gone."
    )
    job_id = await slow.ingest(await _project(slow))
    slow.fake.advance(29)
    assert "running" == (await slow.job(job_id))["status"]
    slow.fake.advance(2)
    job = await slow.job(job_id)
    assert "failed" == job["status"]
    assert {"code": "REPO_NOT_FOUND", "message": "Gone."} == job["error"]
    assert "result" not in job


async def test_scripts_are_fifo_and_repo_bound(slow: Api) -> None:
    """Scripts are consumed in order; a repo-bound one waits for a job of that repo."""
    slow.fake.script_job(outcome="failed", duration=5, repo_full_name="acme/bad")
    slow.fake.script_job(outcome="canceled", duration=5)
    project_id = await _project(slow)
    first = await slow.ingest(project_id, repo="acme/good")
    second = await slow.ingest(project_id, repo="acme/bad")
    third = await slow.ingest(project_id, repo="acme/other")
    slow.fake.advance(6)
    assert "canceled" == (await slow.job(first))["status"]
    assert "failed" == (await slow.job(second))["status"]
    slow.fake.advance(240)
    assert "completed" == (await slow.job(third))["status"]


async def test_scripted_result_is_merged(slow: Api) -> None:
    """A scripted result overrides fields of the default result."""
    slow.fake.script_job(duration=1, result={"prNumber": 247, "extra": True})
    job_id = await slow.ingest(await _project(slow))
    slow.fake.advance(2)
    result = (await slow.job(job_id))["result"]
    assert 247 == result["prNumber"]
    assert result["extra"] is True
    assert "sdkAppId" in result


async def test_unknown_and_foreign_jobs_are_404(slow: Api) -> None:
    """Unknown job ids and other organizations' jobs answer 404."""
    job_id = await slow.ingest(await _project(slow))
    foreign = slow.fake.add_key(organization_id=slow.fake.add_org())
    assert 404 == (await slow("GET", "/v1/jobs/job_nope")).status
    assert 404 == (await slow("GET", f"/v1/jobs/{job_id}", key=foreign)).status
    assert 404 == (await slow("POST", f"/v1/jobs/{job_id}/cancel", key=foreign)).status


async def test_create_job_directly(slow: Api) -> None:
    """create_job starts jobs in state without HTTP; thousands are cheap."""
    fake: FakeLayers = slow.fake
    ids = [fake.create_job(duration=50 + i % 7) for i in range(2000)]
    assert 2000 == len(set(ids))
    assert "running" == (await slow.job(ids[0]))["status"]
    fake.advance(60)
    assert {"completed"} == {fake.job(job_id)["status"] for job_id in ids[:50]}
    assert [] == [entry for entry in fake.journal if entry.path.startswith("/v1/jobs/job_x")]


async def test_create_job_options(slow: Api) -> None:
    """create_job takes kind, project, outcome and error fields."""
    fake = slow.fake
    project_id = await _project(slow)
    job_id = fake.create_job(
        kind="project_ingest_website",
        project_id=project_id,
        duration=5,
        outcome="failed",
        error_code="SCRAPE_FAILED",
        error_message="Blocked.",
    )
    fake.advance(6)
    job = await slow.job(job_id)
    assert ("project_ingest_website", "failed", project_id) == (
        job["kind"],
        job["status"],
        job["projectId"],
    )
    assert {"code": "SCRAPE_FAILED", "message": "Blocked."} == job["error"]
    with pytest.raises(ValueError, match="outcome"):
        fake.create_job(outcome="exploded")
    with pytest.raises(ValueError, match="project"):
        fake.create_job(project_id="prj_missing")
    with pytest.raises(ValueError, match="outcome"):
        fake.script_job(outcome="exploded")


async def test_stages_take_random_shares_while_progress_weights_stay_fixed(
        start_fake: StartFake) -> None:
    """Two 100 s jobs reach 'analyzing' at different times, both at 15 % (its fixed weight);
    within a stage progress moves linearly."""
    api = await start_fake(time_scale=1, seed=3)
    first, second = (api.fake.create_job(duration=100) for _ in range(2))
    reached: dict[str, tuple[int, float]] = {}
    samples: list[float] = []
    for second_ in range(100):
        for job_id in (first, second):
            envelope = api.fake.job(job_id)
            if envelope["stage"] == "analyzing" and job_id not in reached:
                reached[job_id] = (second_, envelope["progress"])
            if job_id == first and envelope["stage"] == "cloning":
                samples.append(envelope["progress"])
        api.fake.advance(1)
    assert reached[first][0] != reached[second][0]
    assert 0.15 == reached[first][1] == reached[second][1]
    steps = {round(b - a, 2) for a, b in itertools.pairwise(samples)}
    assert len(steps) <= 2  # whole-percent floors of a linear fill: one or two step sizes


async def test_stage_spread_zero_keeps_progress_linear_in_time(start_fake: StartFake) -> None:
    """stage_spread=0: at 40 % of the duration a job is 40 % done, entering 'generating'."""
    api = await start_fake(time_scale=1, stage_spread=0)
    job_id = api.fake.create_job(duration=100)
    api.fake.advance(40.5)
    envelope = api.fake.job(job_id)
    assert (0.40, "generating_sdk_patch") == (envelope["progress"], envelope["stage"])
