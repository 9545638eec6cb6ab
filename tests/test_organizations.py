"""layers.organizations and layers.audit_log over loopback HTTP to FakeLayers."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apidocs import API_DOCS

from layers_async import (
    UNSET,
    AsyncLayers,
    AuthenticationError,
    BillingExhaustedError,
    ChildApiKeyStatus,
    ConflictError,
    DecodeError,
    KillSwitchError,
    MockTransport,
    NotFoundError,
    OrganizationStatus,
    PermissionDeniedError,
    Request,
    Response,
    ValidationError,
    idempotency_key,
)
from layers_async._operations import OPERATIONS
from layers_async.testing import FakeLayers

pytestmark = pytest.mark.anyio

SCALE = 1000.0


def _mutations(fake: FakeLayers) -> list[Any]:
    return [e for e in fake.journal if e.method in ("POST", "PATCH", "DELETE")]


def test_key_required_rows_are_the_specs() -> None:
    """key_required is set exactly where openapi.yaml requires the Idempotency-Key."""
    text = (API_DOCS / "openapi.yaml").read_text()
    assert 1 == text.count("$ref: '#/components/parameters/IdempotencyKeyRequired'")
    assert ["organizations.credits.allocate"] == [op.name for op in OPERATIONS
                                                  if op.key_required]


async def test_create_list_get_update_and_metadata_merge() -> None:
    """Create, list, get (with summary) and the documented metadata merge."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        child = await layers.organizations.create(
            name="Acme Coffee", metadata={"externalId": "cust_1", "plan": "growth"},
            billing_email="ops@acme.example")
        listed = await layers.organizations.list(status="active").collect()
        merged = await layers.organizations.update(
            child.id, metadata={"plan": "", "tier": "gold"}, name="Acme Coffee (US)")
        cleared = await layers.organizations.update(child.id, metadata=None,
                                                    billing_email=None)
        got = await layers.organizations.get(child.id)
        sent = _mutations(fake)
    assert OrganizationStatus.ACTIVE == child.status
    assert fake.organization_id == child.parent_organization_id
    assert [child.id] == [org.id for org in listed]
    assert {"externalId": "cust_1", "tier": "gold"} == merged.metadata
    assert "Acme Coffee (US)" == merged.name
    assert (None, None) == (cleared.metadata, cleared.billing_email)
    assert got.summary is not None
    assert 0 == got.summary.balance
    assert {"metadata": None, "billingEmail": None} == sent[-1].json


async def test_bad_arguments_are_refused_before_any_request() -> None:
    """Per-key None, lone refill fields, org:admin child keys, bad ids: no request made."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        before = len(fake.journal)
        orgs = layers.organizations
        with pytest.raises(ValueError, match="per-key null"):
            await orgs.update("org_1", metadata={"plan": None})  # type: ignore[dict-item]
        with pytest.raises(ValueError, match="go together"):
            await orgs.credit_config.update("org_1", refill_threshold=100)
        with pytest.raises(ValueError, match="go together"):
            await orgs.credit_config.update("org_1", refill_amount=None)
        with pytest.raises(ValueError, match="go together"):
            await orgs.credit_config.update("org_1", refill_threshold=5, refill_amount=None)
        with pytest.raises(ValueError, match="refill_amount"):
            await orgs.credit_config.update("org_1", refill_threshold=5, refill_amount=0)
        with pytest.raises(ValueError, match="org:admin"):
            await orgs.api_keys.create("org_1", name="k", scopes=["org:admin"])
        with pytest.raises(TypeError, match="scopes"):
            await orgs.api_keys.create("org_1", name="k", scopes="content:read")
        with pytest.raises(ValueError, match="credits"):
            await orgs.credits.allocate("org_1", credits=0)
        with pytest.raises(ValueError, match="org_id"):
            await orgs.get("")
        with pytest.raises(ValueError, match="status"):
            orgs.list(status="deleted")
        with pytest.raises(ValueError, match="timezone-aware"):
            layers.audit_log.list(since=datetime(2026, 1, 1))
        assert before == len(fake.journal)


async def test_credit_config_leave_clear_and_set_travel_apart() -> None:
    """UNSET is omitted, None travels as null, a number sets; the server merges."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        child = await layers.organizations.create(name="Acme")
        config = layers.organizations.credit_config
        first = await config.update(child.id, monthly_credit_cap=5000, refill_threshold=1000,
                                    refill_amount=2000)
        kept = await config.update(child.id, monthly_credit_cap=None, refill_threshold=UNSET,
                                   refill_amount=UNSET)
        off = await config.update(child.id, refill_threshold=None, refill_amount=None)
        got = await config.get(child.id)
        bodies = [e.json for e in _mutations(fake)][1:]
    assert first.config.auto_refill_enabled
    assert (None, 1000, 2000) == (kept.config.monthly_credit_cap, kept.config.refill_threshold,
                                  kept.config.refill_amount)
    assert not off.config.auto_refill_enabled
    assert got.config == off.config
    assert [{"monthlyCreditCap": 5000, "refillThreshold": 1000, "refillAmount": 2000},
            {"monthlyCreditCap": None},
            {"refillThreshold": None, "refillAmount": None}] == bodies


async def test_allocate_always_sends_a_key_and_flags_replays() -> None:
    """Every allocation carries an Idempotency-Key; a repeat moves nothing, says replayed."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        child = await layers.organizations.create(name="Acme")
        credits = layers.organizations.credits
        plain = await credits.allocate(child.id, credits=100)
        key = idempotency_key("acme", "fund", 1)
        first = await credits.allocate(child.id, credits=500, idempotency_key=key)
        again = await credits.allocate(child.id, credits=500, idempotency_key=key)
        wallet = await credits.get(child.id)
        parent = await layers.credits.get()
        events = await credits.events(child.id, event_type="allocation").collect()
        sent = [e for e in fake.journal if e.path.endswith("/allocate")]
    assert all("Idempotency-Key" in e.headers for e in sent)
    assert (False, False, True) == (plain.replayed, first.replayed, again.replayed)
    assert first.id == again.id
    assert 600 == wallet.balance == wallet.prepaid_balance
    assert 6000 - 600 == parent.balance
    assert [500, 100] == [e.credits for e in events]


async def test_allocation_beyond_the_parents_prepaid_balance_is_402() -> None:
    """Allocation only draws on the parent's prepaid balance."""
    async with FakeLayers(time_scale=SCALE, credits=1000) as fake, fake.client() as layers:
        child = await layers.organizations.create(name="Acme")
        with pytest.raises(BillingExhaustedError):
            await layers.organizations.credits.allocate(child.id, credits=401)
        done = await layers.organizations.credits.allocate(child.id, credits=400)
    assert 400 == done.balance


async def test_child_keys_are_secrets_rotation_has_a_grace_revoke_is_401(
        caplog: pytest.LogCaptureFixture) -> None:
    """Minted and rotated secrets never show; the old key works 24 h; revoked: 401."""
    caplog.set_level(logging.DEBUG)
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        child = await layers.organizations.create(name="Acme")
        keys = layers.organizations.api_keys
        minted = await keys.create(child.id, name="sync", scopes=["projects:read"], env="test")
        rotated = await keys.rotate(child.id, minted.api_key.id)
        async with fake.client(api_key=minted.secret.value) as old, \
                fake.client(api_key=rotated.secret.value) as new:
            assert child.id == (await old.whoami()).organization_id
            assert child.id == (await new.whoami()).organization_id
            listed = {k.id: k for k in await keys.list(child.id).collect()}
            with pytest.raises(ConflictError):
                await keys.rotate(child.id, minted.api_key.id)
            fake.advance(24 * 3600 + 1)
            with pytest.raises(AuthenticationError):
                await old.whoami()
            await new.whoami()
            revoked = await keys.revoke(child.id, rotated.api_key.id)
            with pytest.raises(AuthenticationError) as caught:
                await new.whoami()
    secrets = (minted.secret.value, rotated.secret.value)
    shown = repr(minted) + repr(rotated) + str(caught.value) + caplog.text
    assert [] == [s for s in secrets if s in shown]
    assert rotated.api_key.id != minted.api_key.id
    assert rotated.superseded_by == rotated.api_key.id == listed[minted.api_key.id].superseded_by
    assert rotated.grace_until is not None
    assert rotated.api_key.created_at is not None
    assert timedelta(hours=24) == rotated.grace_until - rotated.api_key.created_at.replace(
        microsecond=rotated.grace_until.microsecond)
    assert (True, ChildApiKeyStatus.REVOKED) == (revoked.deleted, revoked.api_key.status)


async def test_a_decode_failure_of_a_secret_answer_hides_the_body() -> None:
    """A mint answer of another shape raises DecodeError that never quotes the secret."""
    secret = "opaque-one-time-value-7f3a"  # newest docs: treat the key as opaque

    def answer(request: Request) -> Response:
        body = json.dumps({"apiKey": {"id": 1}, "secret": secret}).encode()
        return Response(status=201, headers={"x-request-id": "req_1"}, body=body)

    async with AsyncLayers(api_key="lp_test_x", base_url="http://127.0.0.1:9",
                           transport=MockTransport(answer)) as layers:
        with pytest.raises(DecodeError) as caught:
            await layers.organizations.api_keys.create("org_1", name="k", scopes=["jobs:read"])
    assert secret not in str(caught.value) + repr(caught.value) + caught.value.excerpt
    assert "req_1" == caught.value.request_id


async def test_end_to_end_child_lifecycle_found_in_the_audit_log() -> None:
    """Create, fund, mint, ingest as the child, suspend (KillSwitchError), resume; every
    step's request id is in the audit log."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        child = await layers.organizations.create(name="Acme Coffee")
        await layers.organizations.credits.allocate(child.id, credits=2000)
        key = await layers.organizations.api_keys.create(
            child.id, name="acme-sync", scopes=["projects:write", "ingest:write"])
        as_child = layers.with_options(organization=child.id)
        assert as_child.pacer is layers.pacer
        await as_child.github.register_installation(installation_id=56781234, state="st")
        project = await as_child.projects.create(name="Acme Mobile")
        job = await as_child.ingest.github(project.id, repo_full_name="acme/acme-mobile")
        await job.wait()
        await layers.organizations.suspend(child.id)
        async with fake.client(api_key=key.secret.value) as child_key:
            with pytest.raises(KillSwitchError):
                await child_key.whoami()
            with pytest.raises(KillSwitchError):
                await as_child.projects.get(project.id)
            await layers.organizations.resume(child.id)
            assert child.id == (await child_key.whoami()).organization_id
        steps = {e.request_id: e.path for e in _mutations(fake) if e.status is not None
                 and e.status < 400}
        parent_log = await layers.audit_log.list().collect()
        child_log = await as_child.audit_log.list().collect()
        ingests = await as_child.audit_log.list(event_type="ingestGithub",
                                                project_id=project.id).collect()
    logged = {e.request_id: e for e in (*parent_log, *child_log)}
    assert set(steps) == set(logged)
    assert 8 == len(steps)  # create, fund, mint, install, project, ingest, suspend, resume
    assert {child.id} == {e.organization_id for e in child_log}
    assert [project.id] == [e.data["targetId"] for e in ingests]
    assert all(e.api_key_id == fake.api_key_id for e in logged.values())


async def test_suspended_resumed_and_archived_children() -> None:
    """Suspend/resume flip the status; archive sweeps credits back and revokes keys."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        orgs = layers.organizations
        child = await orgs.create(name="Acme")
        await orgs.credits.allocate(child.id, credits=1500)
        key = await orgs.api_keys.create(child.id, name="k", scopes=["jobs:read"])
        suspended = await orgs.suspend(child.id)
        resumed = await orgs.resume(child.id)
        archived = await orgs.archive(child.id)
        again = await orgs.archive(child.id)
        parent = await layers.credits.get()
        with pytest.raises(ConflictError):
            await orgs.suspend(child.id)
        async with fake.client(api_key=key.secret.value) as gone:
            with pytest.raises(AuthenticationError):
                await gone.whoami()
        with pytest.raises(NotFoundError):
            await orgs.get("org_00000000-0000-4000-8000-000000000000")
        with pytest.raises(ConflictError):
            await orgs.api_keys.create(child.id, name="k", scopes=["jobs:read"])
        async with fake.client(api_key=fake.add_key(scopes=["projects:read"])) as no_admin:
            with pytest.raises(PermissionDeniedError):
                await no_admin.organizations.list().collect()
    assert (OrganizationStatus.SUSPENDED, OrganizationStatus.ACTIVE) == (
        suspended.status, resumed.status)
    assert (1500, 1) == (archived.reclaimed_credits, archived.revoked_api_keys)
    assert archived == again
    assert 6000 == parent.balance


async def test_migrate_moves_projects_into_new_children() -> None:
    """Flat projects land in new children, grouped by child name."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        del fake
        one = await layers.projects.create(name="One")
        two = await layers.projects.create(name="Two")
        done = await layers.organizations.migrate({one.id: "Acme", two.id: "Wayne"})
        acme = next(c for c in done.children if c.name == "Acme")
        moved = await layers.with_options(organization=acme.id).projects.get(one.id)
        with pytest.raises(NotFoundError):
            await layers.projects.get(one.id)
        with pytest.raises(ValidationError):
            await layers.organizations.migrate({"prj_nope": "X"})
    assert (2, 2) == (done.projects_moved, done.children_created)
    assert (one.id,) == acme.project_ids
    assert acme.id == moved.organization_id


async def test_audit_log_pages_50_by_default_and_filters() -> None:
    """50 events a page by default, 200 at most; filters by type, key, project and time."""
    async with FakeLayers(time_scale=SCALE, rate_limits=False) as fake, \
            fake.client() as layers:
        child = await layers.organizations.create(name="Acme")
        for n in range(60):
            await layers.organizations.update(child.id, metadata={"n": str(n)})
        other = fake.add_key(scopes=["projects:write"])
        async with fake.client(api_key=other) as second:
            project = await second.projects.create(name="By the other key")
        log = layers.audit_log
        async for page in log.list().pages():
            first = page
            break
        everything = await log.list(limit=200).collect()
        patches = await log.list(event_type="patchOrganization").collect()
        by_other = await log.list(api_key_id=fake.key_id(other)).collect()
        by_project = await log.list(project_id=project.id).collect()
        later = await log.list(since=datetime.now(UTC) + timedelta(days=1)).collect()
        with pytest.raises(ValueError, match="limit"):
            log.list(limit=201)
    assert 50 == len(first.items)
    assert first.next_cursor is not None
    assert 62 == len(everything)
    assert 60 == len(patches)
    assert ["createProject"] == [e.event_type for e in by_other] == [
        e.event_type for e in by_project]
    assert [] == later
