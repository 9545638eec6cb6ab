"""FakeLayers basics: lifecycle, common headers, error envelope, journal, whoami, credits."""

from __future__ import annotations

import re

import aiohttp
import anyio
import pytest

from layers_async.testing import FakeLayers, JournalEntry

from .fakehttp import Api, StartFake

pytestmark = pytest.mark.anyio

KEY_RE = re.compile(r"^lp_test_[A-Z0-9]{16}_[A-Za-z0-9_-]{43}$")
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


async def test_start_binds_a_free_loopback_port() -> None:
    """base_url is http://127.0.0.1:<port> without /v1 once started."""
    async with FakeLayers() as fake:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", fake.base_url)
    with pytest.raises(RuntimeError):
        _ = FakeLayers().base_url


async def test_default_key_shape(fake: FakeLayers) -> None:
    """The default key is an lp_test_ key and its id is key_<uuid>."""
    assert KEY_RE.match(fake.api_key)
    assert re.fullmatch(f"key_{UUID}", fake.api_key_id)
    assert fake.api_key not in repr(fake)


async def test_same_seed_gives_same_key() -> None:
    """Keys come from the seeded generator."""
    assert FakeLayers(seed=7).api_key == FakeLayers(seed=7).api_key
    assert FakeLayers(seed=7).api_key != FakeLayers(seed=8).api_key


async def test_every_response_carries_request_id_and_class(api: Api) -> None:
    """X-Request-Id (req_ + 26 chars) and X-RateLimit-Endpoint-Class are on every response."""
    ok = await api("GET", "/v1/whoami")
    assert 200 == ok.status
    assert re.fullmatch(r"req_[0-9A-Z]{26}", ok.headers["X-Request-Id"])
    assert "read-light" == ok.headers["X-RateLimit-Endpoint-Class"]
    denied = await api("POST", "/v1/projects", json={}, key=None)
    assert 401 == denied.status
    assert "write-light" == denied.headers["X-RateLimit-Endpoint-Class"]
    assert denied.headers["X-Request-Id"] == denied.error["requestId"]


async def test_unknown_route_is_a_not_found_envelope(api: Api) -> None:
    """An unknown path answers 404 NOT_FOUND in the standard envelope."""
    reply = await api("GET", "/v1/nothing-here")
    assert 404 == reply.status
    assert "NOT_FOUND" == reply.error["code"]
    assert reply.headers["X-Request-Id"] == reply.error["requestId"]
    assert "application/json" == reply.headers["Content-Type"]


async def test_wrong_method_is_method_not_allowed(api: Api) -> None:
    """A known path with an unsupported method answers 405 in the envelope, with Allow."""
    reply = await api("PUT", "/v1/whoami")
    assert (405, "METHOD_NOT_ALLOWED") == (reply.status, reply.error["code"])
    assert "GET" == reply.headers["Allow"]
    assert reply.headers["X-Request-Id"] == reply.error["requestId"]
    assert {"code", "message", "requestId"} == set(reply.error)
    projects = await api("PUT", "/v1/projects/prj_00000000-0000-4000-8000-000000000000")
    assert (405, "DELETE, GET, PATCH") == (projects.status, projects.headers["Allow"])
    assert 405 == api.fake.journal[-1].status


async def test_unknown_path_with_any_method_is_not_found(api: Api) -> None:
    """A path no route knows is 404 NOT_FOUND whatever the method."""
    for method in ("GET", "POST", "PUT"):
        reply = await api(method, "/v1/projects/x/unknown")
        assert (404, "NOT_FOUND") == (reply.status, reply.error["code"])


async def test_whoami_newest_shape(api: Api, fake: FakeLayers) -> None:
    """whoami has the newest fields, the older killSwitch/apiAccessRevoked and creditBalance."""
    body = (await api("GET", "/v1/whoami")).json()
    assert {
        "organizationId": fake.organization_id,
        "workspaceId": fake.organization_id,
        "organizationName": "Acme Growth",
        "parentOrganizationId": None,
        "scopes": ["*"],
        "rateLimitTier": "standard",
        "killSwitch": False,
        "apiAccessRevoked": False,
        "apiKeyId": fake.api_key_id,
        "creditBalance": 6000,
    } == body
    assert re.fullmatch(f"org_{UUID}", body["organizationId"])


async def test_credits_wallet(start_fake: StartFake) -> None:
    """The wallet adds up: balance = includedRemaining + prepaidBalance, nothing reserved."""
    api = await start_fake(credits=2540)
    wallet = (await api("GET", "/v1/credits")).json()
    assert 2540 == wallet["balance"]
    assert wallet["balance"] == wallet["includedRemaining"] + wallet["prepaidBalance"]
    assert 2540 == wallet["available"]
    assert 0 == wallet["reservedCredits"]
    assert {"start", "end", "usedCredits"} == set(wallet["currentPeriod"])
    assert 120 == wallet["estimatedCreditsPerFormat"]["video_remix"]
    assert 2540 == (await api("GET", "/v1/whoami")).json()["creditBalance"]


async def test_credit_events_paginate(api: Api) -> None:
    """Credit events page newest first with a cursor until nextCursor is null."""
    first = (await api("GET", "/v1/credits/events")).json()
    assert 25 == len(first["items"])
    assert first["nextCursor"] is not None
    rest = (await api("GET", "/v1/credits/events", params={"cursor": first["nextCursor"]})).json()
    assert rest["nextCursor"] is None
    events = first["items"] + rest["items"]
    assert 30 == len(events)
    stamps = [event["createdAt"] for event in events]
    assert sorted(stamps, reverse=True) == stamps
    assert {"eventId", "projectId", "credits", "eventType", "createdAt"} <= set(events[0])


async def test_credit_events_filters_and_errors(api: Api) -> None:
    """eventType filters; bad limit, eventType, offset timestamps and cursors answer 422."""
    grants = (await api("GET", "/v1/credits/events", params={"eventType": "grant"})).json()
    assert grants["items"]
    assert {"grant"} == {event["eventType"] for event in grants["items"]}
    for params in (
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"eventType": "bogus"},
        {"since": "2026-01-01T00:00:00+00:00"},
        {"cursor": "%%%not-a-cursor"},
    ):
        reply = await api("GET", "/v1/credits/events", params=params)
        assert 422 == reply.status, params
        assert "VALIDATION" == reply.error["code"]
    since = (
        await api(
            "GET", "/v1/credits/events", params={"since": "2000-01-01T00:00:00Z", "limit": "1"}
        )
    ).json()
    assert 1 == len(since["items"])


async def test_journal_records_requests_without_the_key(api: Api, fake: FakeLayers) -> None:
    """Each request is journaled in order with its status, body and key id, but not the key."""
    await api("POST", "/v1/projects", json={"name": "A", "timezone": "UTC"}, params={"x": "1"})
    await api("GET", "/v1/whoami", bearer=True)
    await api("GET", "/v1/whoami", key=None)
    entries: list[JournalEntry] = list(fake.journal)
    assert ["POST", "GET", "GET"] == [entry.method for entry in entries]
    assert [201, 200, 401] == [entry.status for entry in entries]
    first = entries[0]
    assert "/v1/projects" == first.path
    assert "/v1/projects" == first.route
    assert {"x": "1"} == first.query
    assert {"name": "A", "timezone": "UTC"} == first.json
    assert b'"name"' in first.body
    assert fake.api_key_id == first.api_key_id
    assert re.fullmatch(r"req_[0-9A-Z]{26}", first.request_id)
    assert entries[2].api_key_id is None
    for entry in entries:
        lowered = {name.lower() for name in entry.headers}
        assert not lowered & {"x-api-key", "authorization"}
        assert fake.api_key not in repr(entry)
    assert entries[0].at <= entries[1].at <= entries[2].at


async def test_journal_request_id_matches_response(api: Api, fake: FakeLayers) -> None:
    """The journaled request id is the one sent back in X-Request-Id."""
    reply = await api("GET", "/v1/whoami")
    assert reply.headers["X-Request-Id"] == fake.journal[-1].request_id


async def test_journal_is_in_receipt_order(api: Api, fake: FakeLayers) -> None:
    """An entry takes its place when the request arrives (status None while in flight, ``at``
    the arrival time), so a slow request stays ahead of a later fast one."""
    fake.faults.add(delay=300.0, times=1, route="GET /v1/credits")  # 0.3 s at time_scale 1000
    async with anyio.create_task_group() as group:
        slow: list[int] = []

        async def call_slow() -> None:
            slow.append((await api("GET", "/v1/credits")).status)

        group.start_soon(call_slow)
        with anyio.fail_after(5):
            while not fake.journal:  # the slow request has arrived once it is journaled
                await anyio.wait_all_tasks_blocked()
        arrived = fake.journal[0]
        assert ("/v1/credits", None) == (arrived.path, arrived.status)
        fast = await api("GET", "/v1/whoami")
        assert ["/v1/credits", "/v1/whoami"] == [entry.path for entry in fake.journal]
        assert (None, 200) == (fake.journal[0].status, fake.journal[1].status)
        assert fast.headers["X-Request-Id"] == fake.journal[1].request_id
    assert [200] == slow
    entries = list(fake.journal)
    assert ["/v1/credits", "/v1/whoami"] == [entry.path for entry in entries]
    assert [200, 200] == [entry.status for entry in entries]
    assert arrived.at == entries[0].at < entries[1].at
    assert fake.api_key_id == entries[0].api_key_id


async def test_now_and_advance(fake: FakeLayers) -> None:
    """advance() moves API time forward and refuses to go back."""
    before = fake.now()
    fake.advance(3600)
    assert fake.now() - before >= 3600
    with pytest.raises(ValueError, match="forward"):
        fake.advance(-1)


async def test_aclose_is_idempotent_and_stops_serving() -> None:
    """After aclose() the port refuses connections; a second aclose() is a no-op."""
    fake = FakeLayers(time_scale=1000)
    await fake.start()
    url = fake.base_url
    with pytest.raises(RuntimeError):
        await fake.start()
    await fake.aclose()
    await fake.aclose()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(url + "/v1/whoami")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tier": "gold"}, "tier"),
        ({"auth": "basic"}, "auth"),
        ({"time_scale": 0}, "time_scale"),
        ({"max_running_jobs": -1}, "max_running_jobs"),
    ],
)
def test_bad_constructor_options(options: dict[str, object], message: str) -> None:
    """Unknown tiers, auth modes and nonsense numbers are refused at construction."""
    with pytest.raises(ValueError, match=message):
        FakeLayers(**options)  # type: ignore[arg-type]
