"""Pure pieces of the fake: job states, buckets, cursors; plus the plugin and standalone."""

from __future__ import annotations

from functools import partial

import aiohttp
import anyio
import pytest

from layers_async import AsyncLayers
from layers_async.models import IngestGithubResult, JobStatus
from layers_async.testing import FakeLayers
from layers_async.testing._jobs import JobRecord, job_view
from layers_async.testing._ratelimit import RateLimiter
from layers_async.testing._standalone import serve


def _job(duration: float = 100.0, cancel_at: float | None = None) -> JobRecord:
    return JobRecord(
        id="job_1",
        kind="ingest_github",
        org_id="org_1",
        project_id="prj_1",
        started_at=1000.0,
        duration=duration,
        outcome="completed",
        error_code="X",
        error_message="x",
        result={},
        cancel_requested_at=cancel_at,
    )


@pytest.mark.parametrize(
    ("elapsed", "stage", "progress"),
    [
        (0, "cloning", 0.0),
        (14.9, "cloning", 0.14),
        (15, "analyzing", 0.15),
        (69.9, "generating_sdk_patch", 0.69),
        (70, "opening_pr", 0.7),
        (99.99, "finalizing", 0.99),
    ],
)
def test_job_view_running(elapsed: float, stage: str, progress: float) -> None:
    """Stages follow the shares of the duration; progress is whole percents below 1."""
    view = job_view(_job(), 1000.0 + elapsed)
    assert ("running", stage, progress, None) == (
        view.status,
        view.stage,
        view.progress,
        view.finished_at,
    )


def test_job_view_terminal_is_sticky() -> None:
    """From the end of the duration on, the view never changes."""
    views = {job_view(_job(), 1100.0 + extra) for extra in (0, 1, 10_000)}
    assert {job_view(_job(), 1100.0)} == views
    assert ("completed", 1.0, 1100.0) == (
        views.pop().status,
        job_view(_job(), 1100.0).progress,
        job_view(_job(), 5000.0).finished_at,
    )


def test_job_view_cancel_at_boundary() -> None:
    """A cancel request takes effect at the end of the stage it arrived in."""
    job = _job(cancel_at=1020.0)
    assert "running" == job_view(job, 1039.0).status
    view = job_view(job, 1040.0)
    assert ("canceled", "analyzing", 1040.0) == (view.status, view.stage, view.finished_at)
    assert 1040.0 == job.terminal_at()


def test_zero_duration_job_is_done_at_once() -> None:
    """A job scripted with duration 0 is terminal when it starts."""
    assert "completed" == job_view(_job(duration=0), 1000.0).status


def test_bucket_refills_continuously() -> None:
    """A bucket holds a minute of the tier's figure and refills per second."""
    limiter = RateLimiter()
    for _ in range(20):
        assert limiter.take("k", "standard", "long-running", 0.0).allowed
    denied = limiter.take("k", "standard", "long-running", 0.0)
    assert (False, 3, 0) == (denied.allowed, denied.retry_after, denied.remaining)
    assert not limiter.take("k", "standard", "long-running", 2.9).allowed
    assert limiter.take("k", "standard", "long-running", 3.0).allowed
    assert 20 == limiter.peek("k", "standard", "long-running", 1e6).remaining


@pytest.mark.anyio
async def test_layers_fake_fixture(layers_fake: FakeLayers) -> None:
    """The plugin's layers_fake fixture is a started fake at time_scale 1000."""
    assert 1000 == layers_fake.time_scale
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {layers_fake.api_key}"}
        async with session.get(layers_fake.base_url + "/v1/whoami", headers=headers) as reply:
            assert 200 == reply.status


@pytest.mark.anyio
async def test_layers_client_fixture_end_to_end(
    layers_fake: FakeLayers, layers_client: AsyncLayers
) -> None:
    """The plugin's client drives create -> register installation -> ingest -> wait to a typed
    result against the plugin's fake."""
    layers_fake.script_job(duration=120, result={"prNumber": 247})
    project = await layers_client.projects.create(
        name="Acme Mobile", customer_external_id="acme_42", timezone="America/Los_Angeles"
    )
    installation = await layers_client.github.register_installation(
        installation_id=56781234, state="gh_state_abc"
    )
    assert 56781234 == installation.installation_id
    job = await layers_client.ingest.github(
        project.id, repo_full_name="acme/acme-mobile", branch="main", platforms=["ios"]
    )
    with anyio.fail_after(10):
        result = await job.wait()
    assert isinstance(result, IngestGithubResult)
    assert (project.id, "acme/acme-mobile", 247) == (
        result.project_id,
        result.repo_full_name,
        result.pr_number,
    )
    assert result.pr_url is not None
    assert result.pr_url.startswith("https://github.com/acme/acme-mobile/pull/")
    assert result.brand_context is not None
    assert "Acme Mobile" == result.brand_context.app_name
    snapshot = await layers_client.jobs.get(job.id)
    assert JobStatus.COMPLETED == snapshot.status
    fetched = await layers_client.projects.get(project.id)
    assert fetched.ingest_state is not None
    assert fetched.ingest_state.github is not None
    assert (JobStatus.COMPLETED, job.id) == (
        fetched.ingest_state.github.status,
        fetched.ingest_state.github.job_id,
    )
    polls = [entry for entry in layers_fake.journal if entry.path == f"/v1/jobs/{job.id}"]
    assert polls
    assert {200, 304} >= {entry.status for entry in polls}


@pytest.mark.anyio
async def test_standalone_serve(capsys: pytest.CaptureFixture[str]) -> None:
    """serve() prints the URL and key, answers requests, and stops when cancelled."""
    async with anyio.create_task_group() as group:
        group.start_soon(partial(serve, port=0, time_scale=1000, tier="pilot"))
        lines: list[str] = []
        with anyio.fail_after(5):
            while len(lines) < 2:
                await anyio.wait_all_tasks_blocked()
                lines += capsys.readouterr().out.splitlines()
        url = lines[0].removeprefix("Layers fake server listening on ")
        key = lines[1].removeprefix("API key: ")
        assert lines[0].startswith("Layers fake server listening on http://127.0.0.1:")
        async with (
            aiohttp.ClientSession() as session,
            session.get(url + "/v1/whoami", headers={"X-Api-Key": key}) as reply,
        ):
            assert "pilot" == (await reply.json())["rateLimitTier"]
        group.cancel_scope.cancel()
