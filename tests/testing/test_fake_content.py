"""FakeLayers content: containers, credit reservations, review gating, scheduled posts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .fakehttp import Api, StartFake

pytestmark = pytest.mark.anyio


async def setup(api: Api, outcome: str = "published") -> tuple[str, str]:
    """A project and a social account connected to it."""
    project_id = (await api.project())["id"]
    return project_id, api.fake.connect_social_account(project_id, outcome=outcome)


async def generate(api: Api, project_id: str, **body: Any) -> dict[str, Any]:
    """Start one generation (202) and return its envelope."""
    reply = await api("POST", f"/v1/projects/{project_id}/content", json=body)
    assert 202 == reply.status, reply.body
    envelope: dict[str, Any] = reply.json()
    return envelope


async def credits(api: Api) -> dict[str, Any]:
    """GET /v1/credits."""
    wallet: dict[str, Any] = (await api("GET", "/v1/credits")).json()
    return wallet


def later(api: Api, seconds: float) -> str:
    """A ``scheduledFor`` that many API seconds ahead, in the ``Z`` form."""
    return (api.fake.utcnow() + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


async def test_a_failed_generation_releases_its_reservation(start_fake: StartFake) -> None:
    """Reserved at the start; a failed job charges nothing and frees the credits."""
    api = await start_fake(time_scale=1)
    project_id, _ = await setup(api)
    api.fake.script_job(outcome="failed", duration=60)
    await generate(api, project_id, format="ugc_remix")
    during = await credits(api)
    api.fake.advance(61)
    after = await credits(api)
    assert (120, 6000 - 120) == (during["reservedCredits"], during["available"])
    assert (0, 6000, 6000) == (after["reservedCredits"], after["balance"], after["available"])


async def test_variants_reserve_per_container_and_settle_as_one_charge(
    start_fake: StartFake,
) -> None:
    """variantCount 3 of slideshow_remix reserves 3 x 50 and charges 150 at the end."""
    api = await start_fake(time_scale=1, job_duration=30)
    project_id, _ = await setup(api)
    accepted = await generate(api, project_id, format="slideshow_remix", variantCount=3)
    during = await credits(api)
    held = api.fake.reserved_credits()
    api.fake.advance(31)
    after = await credits(api)
    assert 3 == len(accepted["containerIds"])
    assert 150 == during["reservedCredits"] == held
    assert (0, 6000 - 150) == (after["reservedCredits"], after["balance"])


async def test_review_first_n_counts_down(api: Api) -> None:
    """review_first_n with firstN 2: two containers wait for review, the third does not."""
    project_id, _ = await setup(api)
    await api(
        "PATCH",
        f"/v1/projects/{project_id}/content-review-policy",
        json={"policy": "review_first_n", "firstN": 2},
    )
    statuses = []
    for _ in range(3):
        made = await generate(api, project_id)
        got = await api("GET", f"/v1/content/{made['containerId']}")
        statuses.append(got.json()["approvalStatus"])
    policy = (await api("GET", f"/v1/projects/{project_id}/content-review-policy")).json()
    assert ["pending", "pending", "not_required"] == statuses
    assert (2, "review_first_n", 2) == (policy["pendingCount"], policy["policy"], policy["firstN"])


async def test_review_policy_patch_is_validated(api: Api) -> None:
    """firstN goes with review_first_n only; an unknown policy is refused."""
    project_id, _ = await setup(api)
    path = f"/v1/projects/{project_id}/content-review-policy"
    missing = await api("PATCH", path, json={"policy": "review_first_n"})
    extra = await api("PATCH", path, json={"policy": "review_all", "firstN": 3})
    unknown = await api("PATCH", path, json={"policy": "sometimes"})
    fresh = (await api("GET", path)).json()
    assert [422, 422, 422] == [missing.status, extra.status, unknown.status]
    assert {"projectId": project_id, "policy": "auto_approve", "pendingCount": 0} == fresh


async def test_a_post_moves_queued_publishing_published_on_the_clock(
    start_fake: StartFake,
) -> None:
    """Before scheduledFor queued, for 6 s publishing, then published (or failed)."""
    api = await start_fake(time_scale=1, job_duration=10)
    project_id, account = await setup(api)
    _, failing = await setup(api, outcome="failed")
    made = await generate(api, project_id)
    api.fake.advance(11)
    body = {
        "scheduledFor": later(api, 60),
        "targets": [{"socialAccountId": account, "mode": "direct_publish"}],
    }
    scheduled = (await api("POST", f"/v1/content/{made['containerId']}/schedule", json=body))
    post = f"/v1/scheduled-posts/{scheduled.json()['scheduledPostIds'][0]}"
    seen = []
    for step in (0, 61, 6):
        api.fake.advance(step)
        seen.append((await api("GET", post)).json()["status"])
    other = await api(
        "POST",
        f"/v1/content/{made['containerId']}/publish",
        json={"targets": [{"socialAccountId": failing, "mode": "direct_publish"}]},
    )
    assert 422 == other.status  # that account belongs to another project
    assert ["queued", "publishing", "published"] == seen


async def test_posts_to_a_failing_account_fail_and_drafts_land_as_drafts(
    start_fake: StartFake,
) -> None:
    """connect_social_account(outcome="failed") fails posts; draft_to_device ends draft."""
    api = await start_fake(time_scale=1, job_duration=10)
    project_id = (await api.project())["id"]
    failing = api.fake.connect_social_account(project_id, outcome="failed")
    made = await generate(api, project_id)
    api.fake.advance(11)
    targets = [
        {"socialAccountId": failing, "mode": "direct_publish"},
        {"socialAccountId": failing, "mode": "draft_to_device"},
    ]
    published = await api(
        "POST", f"/v1/content/{made['containerId']}/publish", json={"targets": targets}
    )
    api.fake.advance(7)
    ids = published.json()["scheduledPostIds"]
    posts = [(await api("GET", f"/v1/scheduled-posts/{i}")).json() for i in ids]
    assert ["failed", "failed"] == [p["status"] for p in posts]
    assert {"message": "The platform rejected the post."} == posts[0]["lastError"]


async def test_cancel_and_reschedule_need_a_queued_post(start_fake: StartFake) -> None:
    """A publishing post answers 409 CONFLICT to both."""
    api = await start_fake(time_scale=1, job_duration=10)
    project_id, account = await setup(api)
    made = await generate(api, project_id)
    api.fake.advance(11)
    published = await api(
        "POST",
        f"/v1/content/{made['containerId']}/publish",
        json={"targets": [{"socialAccountId": account, "mode": "direct_publish"}]},
    )
    post = f"/v1/scheduled-posts/{published.json()['scheduledPostIds'][0]}"
    cancel = await api("DELETE", post)
    move = await api("POST", f"{post}/reschedule", json={"scheduledFor": later(api, 600)})
    assert [409, 409] == [cancel.status, move.status]
    assert {"status": "publishing"} == cancel.error["details"]


async def test_quickstart_docs_spell_statuses_and_formats_the_older_way(
    start_fake: StartFake,
) -> None:
    """docs="quickstart": generating (not processing), video_remix (not video-remix)."""
    old = await start_fake(time_scale=1, job_duration=100, docs="quickstart")
    new = await start_fake(time_scale=1, job_duration=100)
    seen = []
    for api in (old, new):
        project_id = (await api.project())["id"]
        made = await generate(api, project_id, format="video_remix")
        api.fake.advance(50)
        container = (await api("GET", f"/v1/content/{made['containerId']}")).json()
        seen.append((container["status"], container["format"]))
    assert [("generating", "video_remix"), ("processing", "video-remix")] == seen


async def test_remix_routes_want_exactly_one_poster(api: Api) -> None:
    """video-remix without either id, or with both, answers 422 VALIDATION."""
    project_id, account = await setup(api)
    path = f"/v1/projects/{project_id}/content/video-remix"
    neither = await api("POST", path, json={"tiktokVideoId": "1"})
    both = await api(
        "POST",
        path,
        json={"tiktokVideoId": "1", "socialAccountId": account, "influencerId": "inf_1"},
    )
    assert [422, 422] == [neither.status, both.status]
    assert 0 == (await credits(api))["reservedCredits"]


async def test_containers_list_newest_first_with_filters_and_cursor(api: Api) -> None:
    """Filters by format (either spelling) and pages newest first."""
    project_id, _ = await setup(api)
    first = await generate(api, project_id, format="video_remix")
    second = await generate(api, project_id, format="ugc_remix")
    path = f"/v1/projects/{project_id}/content"
    page = (await api("GET", path, params={"limit": "1"})).json()
    rest = (await api("GET", path, params={"limit": "1", "cursor": page["nextCursor"]})).json()
    only = (await api("GET", path, params={"format": "video-remix"})).json()
    bad = await api("GET", path, params={"status": "paused"})
    assert [second["containerId"], first["containerId"]] == [
        page["items"][0]["id"],
        rest["items"][0]["id"],
    ]
    assert rest["nextCursor"] is None
    assert [first["containerId"]] == [item["id"] for item in only["items"]]
    assert 422 == bad.status


async def test_hooks_sources_and_upload_sessions_answer(api: Api) -> None:
    """The three routes whose answers the docs don't print still answer sensibly."""
    project_id, _ = await setup(api)
    base = f"/v1/projects/{project_id}/content"
    hooks = (await api("GET", f"{base}/hooks")).json()
    sources = (await api("GET", f"{base}/source-recommendations", params={"kind": "slideshow"}))
    upload = await api(
        "POST",
        f"{base}/uploads",
        json={
            "files": [{"filename": "a.mp4", "contentType": "video/mp4", "sizeBytes": 10}],
            "grouping": "per-file",
        },
    )
    bad_upload = await api("POST", f"{base}/uploads", json={"files": [], "grouping": "x"})
    assert 5 == len(hooks["hooks"])
    assert {"slideshow"} == {item["kind"] for item in sources.json()["items"]}
    assert (None, "portfolio") == (sources.json()["nextCursor"], sources.json()["source"])
    assert (201, 1) == (upload.status, len(upload.json()["files"]))
    assert 422 == bad_upload.status


async def test_content_routes_check_their_scopes(api: Api) -> None:
    """A content:read key reads containers but can't generate, approve or publish."""
    project_id, _ = await setup(api)
    reader = api.fake.add_key(scopes=["content:read", "projects:read"])
    made = await generate(api, project_id)
    path = f"/v1/content/{made['containerId']}"
    read = await api("GET", path, key=reader)
    write = await api("POST", f"/v1/projects/{project_id}/content", json={}, key=reader)
    approve = await api("POST", f"{path}/approve", key=reader)
    publish = await api("POST", f"{path}/publish", json={"targets": []}, key=reader)
    assert [200, 403, 403, 403] == [read.status, write.status, approve.status, publish.status]
    assert "content:approve" == approve.error["details"]["requiredScope"]
