"""Rate limits per key and endpoint class, tiers, and the per-org running-jobs cap."""

from __future__ import annotations

import pytest

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
    api = await start_fake(time_scale=1, max_running_jobs=1)
    job_id = api.fake.create_job(duration=100)
    api.fake.advance(5)
    assert 202 == (await api("POST", f"/v1/jobs/{job_id}/cancel")).status
    project_id = (await api.project())["id"]
    body = {"url": "https://a.example"}
    assert 429 == (await api("POST", f"/v1/projects/{project_id}/ingest/website", json=body)).status
    api.fake.advance(11)  # cloning ends at 15 s
    assert 202 == (await api("POST", f"/v1/projects/{project_id}/ingest/website", json=body)).status
