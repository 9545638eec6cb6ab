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
    """X-Layers-Organization needs org:admin (or *): 403 FORBIDDEN_SCOPE otherwise."""
    child = fake.add_org(name="Child Co", parent_id=fake.organization_id)
    header = {"X-Layers-Organization": child}
    for key in (fake.api_key, fake.add_key(scopes=["org:admin"])):
        reply = await api("GET", "/v1/whoami", key=key, headers=header)
        assert 200 == reply.status
        assert child == reply.json()["organizationId"]
    plain = fake.add_key(scopes=["projects:read"])
    reply = await api("GET", "/v1/whoami", key=plain, headers=header)
    assert 403 == reply.status
    assert "FORBIDDEN_SCOPE" == reply.error["code"]
    assert {"requiredScope": "org:admin"} == reply.error["details"]


async def test_acting_in_a_child_org_changes_whoami(api: Api, fake: FakeLayers) -> None:
    """whoami answers as the child (its id, name, parent and credits), keyed by the caller."""
    child = fake.add_org(name="Child Co", credits=75, parent_id=fake.organization_id)
    for named in (child, child.removeprefix("org_")):
        body = (await api("GET", "/v1/whoami", headers={"X-Layers-Organization": named})).json()
        assert {
            "organizationId": child,
            "workspaceId": child,
            "organizationName": "Child Co",
            "parentOrganizationId": fake.organization_id,
            "scopes": ["*"],
            "rateLimitTier": "standard",
            "killSwitch": False,
            "apiAccessRevoked": False,
            "apiKeyId": fake.api_key_id,
            "creditBalance": 75,
        } == body
    credits = (await api("GET", "/v1/credits", headers={"X-Layers-Organization": child})).json()
    assert (child, 75) == (credits["organizationId"], credits["balance"])
    assert (await api("GET", "/v1/whoami")).json()["parentOrganizationId"] is None
    child_key = fake.add_key(organization_id=child)
    own = (await api("GET", "/v1/whoami", key=child_key)).json()
    assert (child, fake.organization_id) == (own["organizationId"], own["parentOrganizationId"])


async def test_acting_in_a_child_org_uses_its_projects_and_jobs(
    start_fake: StartFake,
) -> None:
    """Projects, the GitHub installation and jobs made under the header are the child's."""
    api = await start_fake(time_scale=1)
    fake = api.fake
    child = fake.add_org(parent_id=fake.organization_id)
    as_child = {"X-Layers-Organization": child}
    created = await api(
        "POST", "/v1/projects", json={"name": "C", "timezone": "UTC"}, headers=as_child
    )
    assert 201 == created.status
    project = created.json()
    assert child == project["organizationId"]
    assert [] == (await api("GET", "/v1/projects")).json()["items"]
    listed = (await api("GET", "/v1/projects", headers=as_child)).json()["items"]
    assert [project["id"]] == [item["id"] for item in listed]
    assert 404 == (await api("GET", f"/v1/projects/{project['id']}")).status
    path = f"/v1/projects/{project['id']}/ingest/github"
    body = {"repoFullName": "acme/acme-mobile"}
    assert 409 == (await api("POST", path, json=body, headers=as_child)).status  # no install
    await api.install()  # the parent's installation does not help the child
    assert 409 == (await api("POST", path, json=body, headers=as_child)).status
    install = {"installationId": 7, "state": "s"}
    registered = await api("POST", "/v1/github/installation", json=install, headers=as_child)
    assert 201 == registered.status
    accepted = await api("POST", path, json=body, headers=as_child)
    assert 202 == accepted.status
    job_id = accepted.json()["jobId"]
    assert 404 == (await api("GET", f"/v1/jobs/{job_id}")).status
    assert 200 == (await api("GET", f"/v1/jobs/{job_id}", headers=as_child)).status
    fake.advance(250)
    job = (await api("GET", f"/v1/jobs/{job_id}", headers=as_child)).json()
    assert "completed" == job["status"]


async def test_rate_limits_stay_per_key_in_a_child_org(start_fake: StartFake) -> None:
    """Requests acting in a child draw from the calling key's buckets."""
    api = await start_fake(time_scale=1)
    child = api.fake.add_org(parent_id=api.fake.organization_id)
    first = await api("GET", "/v1/whoami")
    second = await api("GET", "/v1/whoami", headers={"X-Layers-Organization": child})
    assert ("119", "118") == (
        first.headers["X-RateLimit-Remaining"],
        second.headers["X-RateLimit-Remaining"],
    )


async def test_organization_header_404s_for_anything_but_a_direct_child(
    api: Api, fake: FakeLayers
) -> None:
    """Unknown orgs, unrelated orgs, grandchildren and the key's own org answer 404 NOT_FOUND."""
    child = fake.add_org(parent_id=fake.organization_id)
    grandchild = fake.add_org(parent_id=child)
    stranger = fake.add_org()
    for named in (
        "org_child",
        "org_00000000-0000-4000-8000-000000000000",
        stranger,
        grandchild,
        fake.organization_id,
    ):
        reply = await api("GET", "/v1/projects", headers={"X-Layers-Organization": named})
        assert 404 == reply.status, named
        assert "NOT_FOUND" == reply.error["code"]
    child_key = fake.add_key(organization_id=child)
    upward = {"X-Layers-Organization": fake.organization_id}
    assert 404 == (await api("GET", "/v1/whoami", key=child_key, headers=upward)).status
    down = {"X-Layers-Organization": grandchild}
    assert (
        grandchild
        == (await api("GET", "/v1/whoami", key=child_key, headers=down)).json()["organizationId"]
    )


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
    with pytest.raises(ValueError, match="organization"):
        fake.add_org(parent_id="org_nope")
