"""The fake's Organizations area over raw HTTP: required keys, cap, refill, audit ids."""

from __future__ import annotations

import pytest

from .fakehttp import Api

pytestmark = pytest.mark.anyio

KEY = {"Idempotency-Key": "0b6f1a52-3c1e-4d8e-9f20-6a1b2c3d4e5f"}


async def _child(api: Api) -> str:
    reply = await api("POST", "/v1/organizations", json={"name": "Acme"})
    assert 201 == reply.status, reply.body
    return f"/v1/organizations/{reply.json()['id']}"


async def test_allocate_without_an_idempotency_key_is_400(api: Api) -> None:
    """README section 4: the one route that requires the header."""
    child = await _child(api)
    reply = await api("POST", child + "/credits/allocate", json={"credits": 10})
    again = await api("POST", child + "/credits/allocate", json={"credits": 10}, headers=KEY)
    replay = await api("POST", child + "/credits/allocate", json={"credits": 10}, headers=KEY)
    assert (400, "IDEMPOTENCY_REQUIRED") == (reply.status, reply.error["code"])
    assert (False, True) == (again.json()["replayed"], replay.json()["replayed"])
    assert 10 == (await api("GET", child + "/credits")).json()["balance"]


async def test_monthly_cap_and_auto_refill(api: Api) -> None:
    """Spend stops at the cap; dropping below the threshold refills from the parent."""
    fake = api.fake
    child = await _child(api)
    child_id = child.rsplit("/", 1)[1]
    await api("POST", child + "/credits/allocate", json={"credits": 1000}, headers=KEY)
    config = {"monthlyCreditCap": 1500, "refillThreshold": 300, "refillAmount": 500}
    assert 200 == (await api("PATCH", child + "/credit-config", json=config)).status
    assert fake.charge(child_id, 800)  # 200 left: below 300, refilled to 700
    wallet = (await api("GET", child + "/credits")).json()
    assert not fake.charge(child_id, 701)  # more than available
    assert fake.charge(child_id, 700)  # 1500 used: the cap; refilled again
    assert not fake.charge(child_id, 1)  # over the monthly cap
    events = (await api("GET", child + "/credits/events", params={"eventType": "allocation"}))
    parent = (await api("GET", "/v1/credits")).json()
    assert 700 == wallet["balance"]
    assert [500, 500, 1000] == [e["credits"] for e in events.json()["items"]]
    assert 6000 - 2000 == parent["balance"]


async def test_lone_refill_field_is_422(api: Api) -> None:
    """Threshold and amount must end up both set or both null."""
    child = await _child(api)
    reply = await api("PATCH", child + "/credit-config", json={"refillThreshold": 5})
    assert (422, "VALIDATION") == (reply.status, reply.error["code"])


async def test_audit_event_request_id_is_the_responses_header(api: Api) -> None:
    """requestId equals X-Request-Id; replays and refusals add no event; limit max 200."""
    child = await _child(api)
    patched = await api("PATCH", child, json={"name": "Acme 2"}, headers=KEY)
    await api("PATCH", child, json={"name": "Acme 2"}, headers=KEY)  # a replay
    await api("PATCH", child, json={"name": ""})  # 422
    log = (await api("GET", "/v1/audit-log")).json()["items"]
    too_many = await api("GET", "/v1/audit-log", params={"limit": "201"})
    assert ["patchOrganization", "createOrganization"] == [e["eventType"] for e in log]
    assert patched.headers["X-Request-Id"] == log[0]["requestId"]
    assert api.fake.api_key_id == log[0]["apiKeyId"]
    assert 422 == too_many.status
