"""Fault injection: status faults, 429s, shares, drops, delays, broken bodies."""

from __future__ import annotations

import json

import aiohttp
import pytest

from layers_async.testing import FakeLayers, Faults

from .fakehttp import Api

pytestmark = pytest.mark.anyio

BODY = {"name": "Acme", "timezone": "UTC"}


async def test_status_fault_counts_down_and_creates_nothing(api: Api, fake: FakeLayers) -> None:
    """The next two matching requests get a 503 SERVER_ERROR envelope; nothing is created."""
    fault = fake.faults.add(status=503, times=2, route="POST /v1/projects")
    assert 200 == (await api("GET", "/v1/projects")).status
    for _ in range(2):
        reply = await api("POST", "/v1/projects", json=BODY)
        assert 503 == reply.status
        assert "SERVER_ERROR" == reply.error["code"]
        assert reply.headers["X-Request-Id"] == reply.error["requestId"]
        assert "write-light" == reply.headers["X-RateLimit-Endpoint-Class"]
    assert 201 == (await api("POST", "/v1/projects", json=BODY)).status
    assert 1 == len((await api("GET", "/v1/projects")).json()["items"])
    assert (0, 2) == (fault.remaining, fault.hits)


async def test_faults_fire_before_auth(api: Api, fake: FakeLayers) -> None:
    """A fault answers even a request without a key."""
    fake.faults.add(status=502, times=1)
    assert 502 == (await api("GET", "/v1/whoami", key=None)).status


async def test_429_fault_has_retry_after(api: Api, fake: FakeLayers) -> None:
    """A 429 fault answers RATE_LIMITED with the given Retry-After."""
    fake.faults.add(status=429, retry_after=3, times=1)
    reply = await api("GET", "/v1/whoami")
    assert 429 == reply.status
    assert "RATE_LIMITED" == reply.error["code"]
    assert "3" == reply.headers["Retry-After"]


async def test_code_and_message_overrides(api: Api, fake: FakeLayers) -> None:
    """code= and message= shape the envelope (e.g. a 503 KILL_SWITCH)."""
    fake.faults.add(status=503, code="KILL_SWITCH", message="Off.", times=1)
    error = (await api("GET", "/v1/whoami")).error
    assert ("KILL_SWITCH", "Off.") == (error["code"], error["message"])


async def test_share_is_seeded(api: Api, fake: FakeLayers) -> None:
    """share=0.5 faults about half the requests, the same ones for the same seed."""
    fake.faults.add(status=500, share=0.5)
    statuses = [(await api("GET", "/v1/whoami")).status for _ in range(40)]
    hits = statuses.count(500)
    assert 5 < hits < 35
    replay = Faults(seed=0)
    replay.add(status=500, share=0.5)
    expected = [500 if replay.take("GET", "/v1/whoami", "/v1/whoami") else 200 for _ in range(40)]
    assert expected == statuses


async def test_route_matching(api: Api, fake: FakeLayers) -> None:
    """route may be a template, a method alone or a concrete path."""
    fake.faults.add(status=500, times=1, route="GET /v1/projects/{id}")
    fake.faults.add(status=501, times=1, route="DELETE")
    fake.faults.add(status=502, times=1, route="GET /v1/credits")
    project_id = (await api.project())["id"]
    assert 200 == (await api("GET", "/v1/projects")).status
    assert 500 == (await api("GET", f"/v1/projects/{project_id}")).status
    assert 501 == (await api("DELETE", f"/v1/projects/{project_id}")).status
    assert 502 == (await api("GET", "/v1/credits")).status
    assert 200 == (await api("GET", "/v1/credits")).status


async def test_drop_closes_the_connection(api: Api, fake: FakeLayers) -> None:
    """drop=True closes the connection unanswered; the journal shows no status."""
    fake.faults.add(drop=True, times=1, route="POST /v1/projects")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api("POST", "/v1/projects", json=BODY)
    assert fake.journal[-1].status is None
    assert [] == (await api("GET", "/v1/projects")).json()["items"]


async def test_delay_waits_in_api_time(api: Api, fake: FakeLayers) -> None:
    """delay= waits that many API seconds, then the request proceeds."""
    fake.faults.add(delay=30.0, times=1)
    before = fake.now()
    assert 200 == (await api("GET", "/v1/whoami")).status
    assert fake.now() - before >= 30


async def test_delay_then_status(api: Api, fake: FakeLayers) -> None:
    """delay= combines with status=."""
    fake.faults.add(delay=5.0, status=504, times=1)
    assert 504 == (await api("GET", "/v1/whoami")).status


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
async def test_broken_bodies(api: Api, fake: FakeLayers, kind: str) -> None:
    """body= answers 200 with a JSON content type but a body that does not parse."""
    fake.faults.add(body=kind, times=1, route="GET /v1/jobs/{jobId}")
    reply = await api("GET", "/v1/jobs/job_x")
    assert 200 == reply.status
    assert reply.headers["Content-Type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.body)
    assert 404 == (await api("GET", "/v1/jobs/job_x")).status


async def test_clear(api: Api, fake: FakeLayers) -> None:
    """clear() removes every fault."""
    fake.faults.add(status=500)
    assert 1 == len(fake.faults)
    fake.faults.clear()
    assert 200 == (await api("GET", "/v1/whoami")).status
    assert [] == list(fake.faults)


async def test_faults_are_journaled(api: Api, fake: FakeLayers) -> None:
    """Faulted requests appear in the journal with the fault's status."""
    fake.faults.add(status=503, times=1)
    await api("GET", "/v1/whoami")
    assert 503 == fake.journal[-1].status


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"status": 500, "drop": True},
        {"status": 200},
        {"body": "garbled"},
        {"delay": -1.0},
        {"status": 500, "times": 0},
        {"status": 500, "share": 0.0},
        {"status": 500, "route": "/v1/whoami"},
    ],
)
def test_add_validation(options: dict[str, object]) -> None:
    """Nonsense fault definitions are refused."""
    with pytest.raises(ValueError):  # noqa: PT011 - many different messages
        Faults().add(**options)  # type: ignore[arg-type]
