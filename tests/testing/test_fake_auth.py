"""Auth forms, test/live mismatch, scopes, kill switch and the API-key lifecycle routes."""

from __future__ import annotations

import pytest

from layers_async.testing import FakeLayers

from .fakehttp import Api, StartFake

pytestmark = pytest.mark.anyio


async def test_both_mode_accepts_x_api_key_and_bearer(api: Api) -> None:
    """In "both" mode either header authenticates."""
    assert 200 == (await api("GET", "/v1/whoami")).status
    assert 200 == (await api("GET", "/v1/whoami", bearer=True)).status


async def test_both_mode_x_api_key_wins(api: Api, fake: FakeLayers) -> None:
    """With both headers, X-Api-Key decides (older docs)."""
    other = fake.add_key()
    reply = await api("GET", "/v1/whoami", headers={"Authorization": f"Bearer {other}"})
    assert fake.api_key_id == reply.json()["apiKeyId"]
    bad = await api(
        "GET", "/v1/whoami", key="nope", headers={"Authorization": f"Bearer {fake.api_key}"}
    )
    assert 401 == bad.status


async def test_bearer_mode_refuses_x_api_key(start_fake: StartFake) -> None:
    """In "bearer" mode only Authorization: Bearer is accepted (newer docs)."""
    api = await start_fake(auth="bearer")
    assert 200 == (await api("GET", "/v1/whoami", bearer=True)).status
    reply = await api("GET", "/v1/whoami")
    assert 401 == reply.status
    assert "UNAUTHENTICATED" == reply.error["code"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
        {"X-Api-Key": "lp_test_short"},
        {"X-Api-Key": "lp_test_ABCDEFGHIJKLMNOP_" + "A" * 43},
    ],
)
async def test_missing_malformed_or_unknown_key_is_401(api: Api, headers: dict[str, str]) -> None:
    """No key, a malformed header or an unknown key answers 401 UNAUTHENTICATED."""
    reply = await api("GET", "/v1/whoami", key=None, headers=headers)
    assert 401 == reply.status
    assert "UNAUTHENTICATED" == reply.error["code"]
    assert reply.headers["X-Request-Id"] == reply.error["requestId"]


async def test_env_prefix_mismatch_is_401(api: Api, fake: FakeLayers) -> None:
    """A test key sent with an lp_live_ prefix (and vice versa) answers 401."""
    assert (
        401
        == (
            await api("GET", "/v1/whoami", key=fake.api_key.replace("lp_test_", "lp_live_", 1))
        ).status
    )
    live = fake.add_key(env="live")
    assert live.startswith("lp_live_")
    assert 200 == (await api("GET", "/v1/whoami", key=live)).status
    assert (
        401 == (await api("GET", "/v1/whoami", key=live.replace("lp_live_", "lp_test_", 1))).status
    )


async def test_scopes_are_enforced_per_route(api: Api, fake: FakeLayers) -> None:
    """A key without the route's scope gets 403 FORBIDDEN_SCOPE; unscoped routes need none."""
    reader = fake.add_key(scopes=["projects:read"])
    assert 200 == (await api("GET", "/v1/projects", key=reader)).status
    assert 200 == (await api("GET", "/v1/whoami", key=reader)).status
    assert 200 == (await api("GET", "/v1/credits", key=reader)).status
    denied = await api("POST", "/v1/projects", key=reader, json={"name": "A", "timezone": "UTC"})
    assert 403 == denied.status
    assert "FORBIDDEN_SCOPE" == denied.error["code"]
    assert {"requiredScope": "projects:write"} == denied.error["details"]
    assert 403 == (await api("GET", "/v1/github/repos", key=reader)).status
    assert 403 == (await api("GET", "/v1/jobs/job_x", key=reader)).status
    assert [] == (await api("GET", "/v1/projects")).json()["items"]  # nothing was created


async def test_scope_list_is_echoed_by_whoami(api: Api, fake: FakeLayers) -> None:
    """whoami lists the key's scopes and tier."""
    key = fake.add_key(scopes=["jobs:read", "ingest:write"], tier="partner")
    body = (await api("GET", "/v1/whoami", key=key)).json()
    assert ["jobs:read", "ingest:write"] == body["scopes"]
    assert "partner" == body["rateLimitTier"]
    assert fake.key_id(key) == body["apiKeyId"]


async def test_organization_header_needs_org_admin(api: Api, fake: FakeLayers) -> None:
    """X-Layers-Organization needs org:admin (or *); with it, it is accepted and ignored."""
    header = {"X-Layers-Organization": "org_child"}
    assert 200 == (await api("GET", "/v1/whoami", headers=header)).status
    admin = fake.add_key(scopes=["org:admin"])
    assert 200 == (await api("GET", "/v1/whoami", key=admin, headers=header)).status
    plain = fake.add_key(scopes=["projects:read"])
    reply = await api("GET", "/v1/whoami", key=plain, headers=header)
    assert 403 == reply.status
    assert "FORBIDDEN_SCOPE" == reply.error["code"]


async def test_kill_switch_for_one_key(api: Api, fake: FakeLayers) -> None:
    """A killed key gets 503 KILL_SWITCH (scope key) everywhere, whoami included."""
    other = fake.add_key()
    fake.kill_switch(other)
    for method, path in (("GET", "/v1/whoami"), ("GET", "/v1/projects"), ("POST", "/v1/projects")):
        reply = await api(method, path, key=other, json={})
        assert 503 == reply.status
        assert "KILL_SWITCH" == reply.error["code"]
        assert {"scope": "key"} == reply.error["details"]
    assert 200 == (await api("GET", "/v1/whoami")).status
    fake.restore(other)
    assert 200 == (await api("GET", "/v1/whoami", key=other)).status


async def test_kill_switch_for_the_organization(api: Api, fake: FakeLayers) -> None:
    """The org switch answers 503 KILL_SWITCH (scope organization) to every key of the org."""
    other = fake.add_key()
    fake.kill_switch()
    for key in (fake.api_key, other):
        reply = await api("GET", "/v1/whoami", key=key)
        assert 503 == reply.status
        assert {"scope": "organization"} == reply.error["details"]
    fake.restore()
    assert 200 == (await api("GET", "/v1/whoami")).status


async def test_kill_route(api: Api, fake: FakeLayers) -> None:
    """POST /v1/api-keys/{keyId}/kill kills the key; a repeat is a no-op 200."""
    victim = fake.add_key(env="live")
    key_id = fake.key_id(victim)
    reply = await api("POST", f"/v1/api-keys/{key_id}/kill")
    assert 200 == reply.status
    body = reply.json()
    assert body["killed"] is True
    assert key_id == body["apiKey"]["id"]
    assert body["apiKey"]["killSwitch"] is True
    assert body["apiKey"]["isActive"] is False
    assert victim.rsplit("_", 1)[0] == body["apiKey"]["prefix"]
    assert victim not in reply.body.decode()
    again = await api("POST", f"/v1/api-keys/{key_id}/kill")
    assert 200 == again.status
    assert body["apiKey"]["revokedAt"] == again.json()["apiKey"]["revokedAt"]
    assert 503 == (await api("GET", "/v1/whoami", key=victim)).status


async def test_killing_your_own_key(api: Api, fake: FakeLayers) -> None:
    """A key may kill itself; its next request gets KILL_SWITCH."""
    assert 200 == (await api("POST", f"/v1/api-keys/{fake.api_key_id}/kill")).status
    assert "KILL_SWITCH" == (await api("GET", "/v1/whoami")).error["code"]


async def test_delete_route(api: Api, fake: FakeLayers) -> None:
    """DELETE /v1/api-keys/{keyId} retires the key, which then gets 503 KILL_SWITCH."""
    victim = fake.add_key()
    key_id = fake.key_id(victim)
    reply = await api("DELETE", f"/v1/api-keys/{key_id}")
    assert 200 == reply.status
    assert reply.json()["deleted"] is True
    assert reply.json()["apiKey"]["isActive"] is False
    assert "write-light" == reply.headers["X-RateLimit-Endpoint-Class"]
    assert 503 == (await api("GET", "/v1/whoami", key=victim)).status


async def test_rotate_route(api: Api, fake: FakeLayers) -> None:
    """Rotation returns a new secret once; the old secret answers 401 at once."""
    victim = fake.add_key()
    key_id = fake.key_id(victim)
    reply = await api("POST", f"/v1/api-keys/{key_id}/rotate")
    assert 200 == reply.status
    body = reply.json()
    secret = body["secret"]
    assert secret != victim
    assert secret.startswith("lp_test_")
    assert key_id == body["apiKey"]["id"]
    assert body["apiKey"]["rotatedAt"] is not None
    assert "warning" in body
    assert 401 == (await api("GET", "/v1/whoami", key=victim)).status
    assert key_id == (await api("GET", "/v1/whoami", key=secret)).json()["apiKeyId"]


async def test_rotating_the_default_key_updates_api_key(api: Api, fake: FakeLayers) -> None:
    """fake.api_key follows an in-place rotation of the default key."""
    old = fake.api_key
    secret = (await api("POST", f"/v1/api-keys/{fake.api_key_id}/rotate", key=old)).json()["secret"]
    assert secret == fake.api_key
    assert 401 == (await api("GET", "/v1/whoami", key=old)).status


async def test_rotating_a_killed_key_conflicts(api: Api, fake: FakeLayers) -> None:
    """A killed key cannot be rotated (409 CONFLICT)."""
    victim = fake.add_key()
    fake.kill_switch(victim)
    reply = await api("POST", f"/v1/api-keys/{fake.key_id(victim)}/rotate")
    assert 409 == reply.status
    assert "CONFLICT" == reply.error["code"]


async def test_key_routes_404_for_unknown_and_foreign_keys(api: Api, fake: FakeLayers) -> None:
    """Unknown key ids and keys of another organization answer 404 NOT_FOUND."""
    foreign = fake.add_key(organization_id=fake.add_org())
    for key_id in ("key_00000000-0000-4000-8000-000000000000", fake.key_id(foreign)):
        for method, suffix in (("POST", "/kill"), ("DELETE", ""), ("POST", "/rotate")):
            reply = await api(method, f"/v1/api-keys/{key_id}{suffix}")
            assert 404 == reply.status
            assert "NOT_FOUND" == reply.error["code"]
    assert 200 == (await api("GET", "/v1/whoami", key=foreign)).status


async def test_key_routes_accept_bare_uuid(api: Api, fake: FakeLayers) -> None:
    """The bare UUID form of a key id works too."""
    victim = fake.add_key()
    bare = fake.key_id(victim).removeprefix("key_")
    assert 200 == (await api("POST", f"/v1/api-keys/{bare}/kill")).status


def test_add_key_validation() -> None:
    """add_key refuses unknown envs and tiers, and a bare string for scopes."""
    fake = FakeLayers()
    with pytest.raises(ValueError, match="env"):
        fake.add_key(env="prod")
    with pytest.raises(ValueError, match="tier"):
        fake.add_key(tier="gold")
    with pytest.raises(TypeError):
        fake.add_key(scopes="*")
    with pytest.raises(ValueError, match="key"):
        fake.key_id("lp_test_nope")
    with pytest.raises(ValueError, match="tier"):
        fake.add_org(tier="gold")
