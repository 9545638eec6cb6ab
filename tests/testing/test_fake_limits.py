"""Rate limits per key and endpoint class, tiers, and the per-org running-jobs cap."""

from __future__ import annotations

import pytest

from layers_async.testing import FakeLayers

from .fakehttp import Api, StartFake

pytestmark = pytest.mark.anyio


async def _drain_long_running(
    api: Api, project_id: str, count: int, key: str | None = None
) -> list[int]:
    statuses = []
    for _ in range(count):
        sent = api.fake.api_key if key is None else key
        reply = await api("POST", f"/v1/projects/{project_id}/ingest/website", json={}, key=sent)
        statuses.append(reply.status)
    return statuses


async def test_bucket_headers(start_fake: StartFake) -> None:
    """Responses carry X-RateLimit-Limit/Remaining/Reset for the route's bucket."""
    api = await start_fake(time_scale=1)
    reply = await api("GET", "/v1/whoami")
    assert "120" == reply.headers["X-RateLimit-Limit"]
    assert "119" == reply.headers["X-RateLimit-Remaining"]
    assert int(reply.headers["X-RateLimit-Reset"]) >= 1
    post = await api("POST", "/v1/projects", json={})
    assert "60" == post.headers["X-RateLimit-Limit"]


async def test_long_running_bucket_empties_then_refills(start_fake: StartFake) -> None:
    """20 job starts per minute on standard; the 21st is 429 with Retry-After; advance refills."""
    api = await start_fake(time_scale=1)
    project_id = (await api.project())["id"]
    assert [422] * 20 == await _drain_long_running(api, project_id, 20)
    limited = await api("POST", f"/v1/projects/{project_id}/ingest/website", json={})
    assert 429 == limited.status
    assert "RATE_LIMITED" == limited.error["code"]
    assert "3" == limited.headers["Retry-After"]
    assert "0" == limited.headers["X-RateLimit-Remaining"]
    assert "long-running" == limited.headers["X-RateLimit-Endpoint-Class"]
    assert 200 == (await api("GET", "/v1/whoami")).status  # other classes are untouched
    api.fake.advance(3)
    assert [422] == await _drain_long_running(api, project_id, 1)


async def test_buckets_are_per_key(start_fake: StartFake) -> None:
    """Another key of the same org has its own buckets."""
    api = await start_fake(time_scale=1)
    project_id = (await api.project())["id"]
    await _drain_long_running(api, project_id, 21)
    other = api.fake.add_key()
    assert [422] == await _drain_long_running(api, project_id, 1, key=other)


async def test_read_bucket_retry_after(start_fake: StartFake) -> None:
    """The read-light bucket holds 120; the next GET waits at least 1 s."""
    api = await start_fake(time_scale=1)
    for _ in range(120):
        await api("GET", "/v1/credits")
    limited = await api("GET", "/v1/credits")
    assert 429 == limited.status
    assert "1" == limited.headers["Retry-After"]
    api.fake.advance(1)
    assert 200 == (await api("GET", "/v1/credits")).status


async def test_tier_sets_bucket_sizes(start_fake: StartFake) -> None:
    """pilot and partner tiers have larger buckets."""
    pilot = await start_fake(tier="pilot")
    assert "1200" == (await pilot("GET", "/v1/whoami")).headers["X-RateLimit-Limit"]
    assert "pilot" == (await pilot("GET", "/v1/whoami")).json()["rateLimitTier"]
    partner = await start_fake(tier="partner")
    assert "3000" == (await partner("POST", "/v1/projects", json={})).headers["X-RateLimit-Limit"]


async def test_rate_limits_can_be_disabled(start_fake: StartFake) -> None:
    """rate_limits=False never answers 429 and sends no bucket headers."""
    api = await start_fake(time_scale=1, rate_limits=False, max_running_jobs=0)
    project_id = (await api.project())["id"]
    assert [422] * 25 == await _drain_long_running(api, project_id, 25)
    assert "X-RateLimit-Limit" not in (await api("GET", "/v1/whoami")).headers


async def test_concurrent_job_cap(start_fake: StartFake) -> None:
    """At the org's running-jobs cap a job start is 429 (reason concurrent_jobs) until one ends."""
    api = await start_fake(time_scale=1, max_running_jobs=2)
    project_id = (await api.project())["id"]
    api.fake.create_job(duration=50)
    api.fake.create_job(duration=80)
    body = {"url": "https://a.example"}
    limited = await api("POST", f"/v1/projects/{project_id}/ingest/website", json=body)
    assert 429 == limited.status
    assert "RATE_LIMITED" == limited.error["code"]
    assert "concurrent_jobs" == limited.error["details"]["reason"]
    assert 49 <= int(limited.headers["Retry-After"]) <= 50
    api.fake.advance(51)
    assert 202 == (await api("POST", f"/v1/projects/{project_id}/ingest/website", json=body)).status


async def test_default_cap_is_per_tier(start_fake: StartFake) -> None:
    """Without max_running_jobs the standard tier allows 100 running jobs."""
    api = await start_fake(time_scale=1)
    project_id = (await api.project())["id"]
    for _ in range(99):
        api.fake.create_job(duration=500)
    body = {"url": "https://a.example"}
    assert 202 == (await api("POST", f"/v1/projects/{project_id}/ingest/website", json=body)).status
    limited = await api("POST", f"/v1/projects/{project_id}/ingest/website", json=body)
    assert "concurrent_jobs" == limited.error["details"]["reason"]


async def test_canceled_jobs_free_their_slot(start_fake: StartFake) -> None:
    """A job canceled at a stage boundary stops counting against the cap."""
    api = await start_fake(time_scale=1, max_running_jobs=1, stage_spread=0)
    job_id = api.fake.create_job(duration=100)
    api.fake.advance(5)
    assert 202 == (await api("POST", f"/v1/jobs/{job_id}/cancel")).status
    project_id = (await api.project())["id"]
    body = {"url": "https://a.example"}
    assert 429 == (await api("POST", f"/v1/projects/{project_id}/ingest/website", json=body)).status
    api.fake.advance(11)  # cloning ends at 15 s
    assert 202 == (await api("POST", f"/v1/projects/{project_id}/ingest/website", json=body)).status


async def _writes(api: Api, count: int, key: str | None = None) -> list[int]:
    sent = api.fake.api_key if key is None else key
    return [(await api("POST", "/v1/projects", json={}, key=sent)).status for _ in range(count)]


async def test_daily_write_cap(start_fake: StartFake) -> None:
    """Past the daily cap a write-light call is 429 daily_cap with Retry-After until a call
    leaves the rolling 24 h window; reads, job starts and other keys are unaffected."""
    api = await start_fake(time_scale=1, write_daily_cap=3)
    project_id = (await api.project())["id"]  # write 1 at t0
    api.fake.advance(100)
    assert [422, 422] == await _writes(api, 2)  # writes 2 and 3 at t0 + 100
    limited = await api("POST", "/v1/projects", json={})
    assert 429 == limited.status
    assert "RATE_LIMITED" == limited.error["code"]
    assert {"reason": "daily_cap"} == limited.error["details"]
    assert 86299 <= int(limited.headers["Retry-After"]) <= 86300
    assert "write-light" == limited.headers["X-RateLimit-Endpoint-Class"]
    assert 200 == (await api("GET", "/v1/whoami")).status
    ingest = await api("POST", f"/v1/projects/{project_id}/ingest/website", json={})
    assert 422 == ingest.status  # long-running, not write-light
    assert [422] == await _writes(api, 1, key=api.fake.add_key())
    api.fake.advance(86299)
    assert "1" == (await api("POST", "/v1/projects", json={})).headers["Retry-After"]
    api.fake.advance(1)
    assert [422, 429] == await _writes(api, 2)  # write 1 left the window, one slot freed
    last = await api("POST", "/v1/projects", json={})
    assert 99 <= int(last.headers["Retry-After"]) <= 100  # writes 2 and 3 free at t0 + 86500
    api.fake.advance(100)
    assert [422, 422, 429] == await _writes(api, 3)


@pytest.mark.parametrize(
    ("tier", "cap"), [("standard", 10_000), ("pilot", 100_000), ("partner", 500_000)]
)
async def test_daily_cap_defaults_to_the_tier_figure(
    start_fake: StartFake, tier: str, cap: int
) -> None:
    """Without write_daily_cap a key gets its tier's documented daily write-light calls."""
    api = await start_fake(time_scale=1, tier=tier)
    counter = api.fake._state.daily_writes  # prefilled: sending them all would take minutes
    key_id, now = api.fake.api_key_id, api.fake.now()
    for _ in range(cap - 1):
        counter.record(key_id, now)
    assert [422] == await _writes(api, 1)
    limited = await api("POST", "/v1/projects", json={})
    assert 429 == limited.status
    assert {"reason": "daily_cap"} == limited.error["details"]


def test_daily_cap_must_be_positive() -> None:
    """A daily cap below 1 is refused."""
    with pytest.raises(ValueError, match="write_daily_cap"):
        FakeLayers(write_daily_cap=0)
