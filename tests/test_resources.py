"""Every issue-2 endpoint and error class over real loopback HTTP to FakeLayers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from layers_async import (
    APIConnectionError,
    AsyncLayers,
    AuthenticationError,
    ConflictError,
    DecodeError,
    IdempotencyConflictError,
    KillSwitchError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    idempotency_key,
)
from layers_async.testing import FakeLayers

ROT_KEY = idempotency_key("rotate", 1)
ACME_KEY = idempotency_key("acme", "create")

pytestmark = pytest.mark.anyio

SCALE = 1000.0


async def test_whoami_and_credits() -> None:
    """whoami echoes the wallet's balance; credits has the documented fields."""
    async with FakeLayers(time_scale=SCALE, credits=2540) as fake, fake.client() as layers:
        me = await layers.whoami()
        wallet = await layers.credits.get()
    assert fake.api_key_id == me.api_key_id
    assert fake.organization_id == me.organization_id
    assert 2540 == me.credit_balance == wallet.balance
    assert wallet.available is not None


async def test_credit_events_paginate_lazily() -> None:
    """async for walks every page; collect(limit) stops after the pages it needs."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        every = [e async for e in layers.credits.events(limit=10)]
        pages_before = len(fake.journal)
        first_twelve = await layers.credits.events(limit=10).collect(limit=12)
        pages_for_twelve = len(fake.journal) - pages_before
        since = await layers.credits.events(since=datetime(2000, 1, 1, tzinfo=UTC)).collect()
    assert 25 < len(every)
    assert len({e.event_id for e in every}) == len(every)
    assert every[:12] == first_twelve
    assert 2 == pages_for_twelve
    assert len(every) == len(since)
    cursors = [e.query.get("cursor") for e in fake.journal if e.path == "/v1/credits/events"]
    assert cursors[0] is None
    assert cursors[1]
    assert cursors[2]


async def test_naive_datetimes_are_refused_for_ledger_filters() -> None:
    """since/until must be aware (the API takes UTC with Z only)."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        with pytest.raises(ValueError, match="timezone-aware"):
            layers.credits.events(since=datetime(2026, 1, 1))
    assert [] == list(fake.journal)


async def test_project_lifecycle() -> None:
    """create, get, list by customerExternalId, update, archive."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        created = await layers.projects.create(name="Acme Mobile", customer_external_id="acme_42",
                                               timezone="America/Los_Angeles",
                                               primary_language="en")
        await layers.projects.create(name="Beta", customer_external_id="beta_7", timezone="UTC")
        fetched = await layers.projects.get(created.id)
        found = [p async for p in layers.projects.list(customer_external_id="acme_42")]
        missing = await layers.projects.find("nobody")
        updated = await layers.projects.update(created.id, timezone="America/New_York")
        archived = await layers.projects.archive(created.id)
        active = [p.id async for p in layers.projects.list(status="active")]
    assert created == fetched
    assert [created.id] == [p.id for p in found]
    assert missing is None
    assert "America/New_York" == updated.timezone
    assert "archived" == archived.status
    assert created.id not in active


async def test_project_list_pages_carry_the_cursor_verbatim() -> None:
    """Thirty projects with limit=7 arrive in five pages, cursors sent back as received."""
    async with FakeLayers(time_scale=SCALE, tier="partner") as fake, fake.client() as layers:
        for i in range(30):
            await layers.projects.create(name=f"Customer {i}", customer_external_id=f"c{i}")
        pages = [page async for page in layers.projects.list(limit=7).pages()]
    assert [7, 7, 7, 7, 2] == [len(p.items) for p in pages]
    sent = [e.query.get("cursor") for e in fake.journal if e.path == "/v1/projects"
            and e.method == "GET"]
    assert [None] + [p.next_cursor for p in pages[:-1]] == sent


async def test_github_installation_and_repos() -> None:
    """No installation is a 404; after registering, it reads back and repos paginate."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        with pytest.raises(NotFoundError):
            await layers.github.installation()
        url = await layers.github.install_url("https://partner.example/callback", state="s1")
        registered = await layers.github.register_installation(56781234, "gh_state")
        again = await layers.github.installation()
        repos = await layers.github.repos(limit=15).collect()
    assert url.auth_url.startswith("https://")
    assert 56781234 == registered.installation_id == again.installation_id
    assert 15 < len(repos)
    assert all("/" in r.full_name for r in repos)
    register = next(e for e in fake.journal if e.method == "POST")
    assert {"installationId": 56781234, "state": "gh_state"} == register.json


async def test_api_key_rotate_replays_the_same_secret_and_kill_switches() -> None:
    """Rotation is idempotent per key; a killed key gets KILL_SWITCH, never retried."""
    async with FakeLayers(time_scale=SCALE) as fake:
        spare = fake.add_key()
        victim = fake.add_key()
        async with fake.client(api_key=spare) as layers:
            victim_id = fake.key_id(victim)
            first = await layers.api_keys.rotate(victim_id, idempotency_key=ROT_KEY)
            second = await layers.api_keys.rotate(victim_id, idempotency_key=ROT_KEY)
            assert first.secret == second.secret
            assert first.secret.value not in repr(first)
            assert first.secret.value not in str(first.secret)
            killed = await layers.api_keys.kill(fake.key_id(first.secret.value))
            assert killed.killed
        async with fake.client(api_key=first.secret.value) as dead:
            with pytest.raises(KillSwitchError) as info:
                await dead.whoami()
        assert 1 == sum(1 for e in fake.journal if e.status == 503)
        assert "key" == info.value.details.get("scope")
        async with fake.client(api_key=spare) as layers:
            deleted = await layers.api_keys.delete(fake.key_id(spare))
            assert deleted.deleted


async def test_request_failing_twice_then_succeeding_uses_one_idempotency_key() -> None:
    """Two injected 503s, then success: three POSTs in the journal, one key, one project."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        fake.faults.add(status=503, times=2, route="POST /v1/projects")
        project = await layers.projects.create(name="Acme", customer_external_id="acme_42")
        listed = await layers.projects.list().collect()
    posts = [e for e in fake.journal if e.method == "POST" and e.path == "/v1/projects"]
    assert [503, 503, 201] == [e.status for e in posts]
    assert 1 == len({e.headers["Idempotency-Key"] for e in posts})
    assert [project.id] == [p.id for p in listed]


async def test_dropped_connection_is_retried_without_duplicating() -> None:
    """A connection dropped after the POST was sent is retried under the same key."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        fake.faults.add(drop=True, times=1, route="POST /v1/projects")
        await layers.projects.create(name="Acme", customer_external_id="acme_42")
        listed = await layers.projects.list().collect()
    assert 1 == len(listed)


async def test_idempotent_replay_and_conflict() -> None:
    """Same key + same body replays the project; same key + other body is 409."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        first = await layers.projects.create(name="Acme", idempotency_key=ACME_KEY)
        again = await layers.projects.create(name="Acme", idempotency_key=ACME_KEY)
        with pytest.raises(IdempotencyConflictError):
            await layers.projects.create(name="Other", idempotency_key=ACME_KEY)
        listed = await layers.projects.list().collect()
    assert first == again
    assert 1 == len(listed)


async def test_rate_limit_retry_after_is_obeyed_then_succeeds() -> None:
    """A 429 with Retry-After: 5 (API s) is waited out, then the call succeeds."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        fake.faults.add(status=429, retry_after=5, times=1, route="GET /v1/whoami")
        await layers.whoami()
    calls = [e for e in fake.journal if e.path == "/v1/whoami"]
    assert [429, 200] == [e.status for e in calls]
    assert calls[1].at - calls[0].at >= 5.0


async def test_real_rate_limit_exhaustion_surfaces_as_rate_limit_error() -> None:
    """Without retries, draining the write bucket gives RateLimitError with retry_after."""
    async with FakeLayers(time_scale=1.0) as fake, fake.client(max_retries=0,
                                                               pacing=False) as layers:
        for i in range(60):  # the write-light bucket holds one minute: 60 on standard
            await layers.projects.create(name=f"P{i}")
        with pytest.raises(RateLimitError) as info:
            await layers.projects.create(name="one too many")
    assert info.value.retry_after is not None
    assert 0 < info.value.retry_after <= 60
    assert "RATE_LIMITED" == info.value.code
    assert fake.journal[-1].request_id == info.value.request_id


async def test_each_error_class_over_http() -> None:
    """401, 403, 404, 409, 422 and 400 become their classes with request ids."""
    async with FakeLayers(time_scale=SCALE) as fake:
        async with fake.client(api_key=fake.api_key[:-3] + "AAA") as stranger:
            with pytest.raises(AuthenticationError) as unauthenticated:
                await stranger.whoami()
        reader = fake.add_key(scopes=("projects:read",))
        async with fake.client(api_key=reader) as layers:
            with pytest.raises(PermissionDeniedError) as forbidden:
                await layers.projects.create(name="Nope")
        async with fake.client() as layers:
            with pytest.raises(NotFoundError) as missing:
                await layers.projects.get("prj_00000000-0000-0000-0000-000000000000")
            await layers.projects.create(name="A", customer_external_id="dup")
            with pytest.raises(ConflictError) as conflict:
                await layers.projects.create(name="B", customer_external_id="dup")
            with pytest.raises(ValidationError) as invalid:
                await layers.projects.create(name="x" * 129)
            with pytest.raises(ValidationError) as bad_tz:
                await layers.projects.create(name="Tz", timezone="Mars/Olympus")
    assert "UNAUTHENTICATED" == unauthenticated.value.code
    assert "FORBIDDEN_SCOPE" == forbidden.value.code
    assert 404 == missing.value.status
    assert not isinstance(conflict.value, IdempotencyConflictError)
    assert 422 == invalid.value.status
    assert invalid.value.details
    assert 422 == bad_tz.value.status
    for error in (unauthenticated, forbidden, missing, conflict, invalid):
        assert (error.value.request_id or "").startswith("req_")


async def test_read_only_field_patch_is_a_400_validation_error() -> None:
    """patch-project answers VALIDATION with 400, still a ValidationError."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        project = await layers.projects.create(name="Acme")
        request = layers.build("PATCH", f"/v1/projects/{project.id}", json={"id": "prj_x"})
        with pytest.raises(ValidationError) as info:
            await layers.send(request)
    assert 400 == info.value.status


async def test_server_errors_exhaust_retries() -> None:
    """A 500 on every attempt raises ServerError with the attempt count."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        fake.faults.add(status=500, route="GET /v1/credits")
        with pytest.raises(ServerError) as info:
            await layers.credits.get()
    assert 4 == info.value.attempts
    assert 4 == len([e for e in fake.journal if e.path == "/v1/credits"])


@pytest.mark.parametrize("body", ["malformed", "truncated"])
async def test_broken_bodies_raise_decode_error(body: str) -> None:
    """A 200 with broken JSON is a DecodeError, not a crash."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client() as layers:
        fake.faults.add(body=body, times=1, route="GET /v1/whoami")
        with pytest.raises(DecodeError) as info:
            await layers.whoami()
    assert 200 == info.value.status
    assert fake.api_key not in str(info.value)


async def test_bearer_auth_against_a_bearer_only_server() -> None:
    """The default (Bearer) works against the newer docs' server; X-Api-Key is refused."""
    async with FakeLayers(time_scale=SCALE, auth="bearer") as fake:
        async with fake.client() as layers:
            me = await layers.whoami()
        async with fake.client(auth="x-api-key") as legacy:
            with pytest.raises(AuthenticationError):
                await legacy.whoami()
    assert fake.api_key_id == me.api_key_id
    assert all("Authorization" not in e.headers and "X-Api-Key" not in e.headers
               for e in fake.journal)


async def test_key_never_appears_in_errors_even_when_echoed() -> None:
    """No raised error (or its cause/context) holds the key."""
    async with FakeLayers(time_scale=SCALE) as fake, fake.client(max_retries=0) as layers:
        # A POST: aiohttp itself re-sends an idempotent GET once on a dropped connection.
        fake.faults.add(drop=True, times=1)
        with pytest.raises(APIConnectionError) as info:
            await layers.projects.create(name="Acme")
    error: BaseException | None = info.value
    while error is not None:
        assert fake.api_key not in repr(error)
        assert fake.api_key not in str(vars(error))
        error = error.__cause__ or error.__context__


async def test_client_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """AsyncLayers() with no arguments reads LAYERS_API_KEY and LAYERS_BASE_URL."""
    async with FakeLayers(time_scale=SCALE) as fake:
        monkeypatch.setenv("LAYERS_API_KEY", fake.api_key)
        monkeypatch.setenv("LAYERS_BASE_URL", fake.base_url + "/v1")
        async with AsyncLayers() as layers:
            me = await layers.whoami()
    assert fake.api_key_id == me.api_key_id
