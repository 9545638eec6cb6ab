"""FakeLayers: an in-process aiohttp server that behaves like the documented Layers API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
from aiohttp import web

from ._api_jobs import job_json
from ._api_media import build_upload_app
from ._api_organizations import charge
from ._api_social import assign_lease, complete_oauth, reject_lease, settle_oauth
from ._clock import Clock
from ._content import POST_OUTCOMES, SocialAccount
from ._errors import ApiError
from ._events import account_event
from ._faults import Faults
from ._jobs import (
    INGEST_APPSTORE,
    INGEST_GITHUB,
    INGEST_WEBSITE,
    OUTCOMES,
    JobScript,
    canonical_kind,
)
from ._journal import JournalEntry
from ._records import KeyRecord, Org
from ._rest_state import SocialAccountRecord, UploadFault
from ._routes import build_app
from ._state import State

if TYPE_CHECKING:
    from layers_async import AsyncLayers

DEFAULT_ERROR_MESSAGE = "The ingest job failed."


class FakeLayers:
    """A fake Layers API on ``host:port``: ``async with FakeLayers(time_scale=1000) as fake``.

    The default ``time_scale=1.0`` is real time: a GitHub ingest then takes its documented
    90-240 s. Tests want ``time_scale=1000`` (a job in well under a second); rate-limit tests
    want the default plus ``advance``, which keeps bucket arithmetic exact.

    Time runs at ``time_scale`` API seconds per loop second and jumps with ``advance``; job
    states, rate-limit buckets, the daily write cap, the 24 h idempotency window and delay
    faults all use it. ``max_running_jobs=None`` applies a per-tier cap on concurrently running
    jobs of 100 (standard), 300 (pilot) or 1,500 (partner): inferred numbers, the docs do not
    print them. ``write_daily_cap=None`` caps write-light calls per key per rolling 24 h at the
    tier's documented 10,000 / 100,000 / 500,000; pass a small number to test the cap (429
    ``RATE_LIMITED``, ``details.reason`` ``"daily_cap"``, ``Retry-After`` until a call leaves
    the window). ``auth="both"`` follows the older docs (X-Api-Key, Bearer as fallback,
    X-Api-Key wins); ``auth="bearer"`` the newer ones (only ``Authorization: Bearer``).

    ``return_url_hosts`` is the returnUrl allowlist of the default key and of keys added
    without their own: a returnUrl on another host answers 403 ``RETURN_URL_NOT_ALLOWED``.
    ``None`` (the default) allows any host, a convenience of the fake: real keys carry an
    allowlist set in the dashboard.

    A key with ``org:admin`` (or ``*``) acts inside a direct child organization (see
    ``add_org(parent_id=...)``) by sending ``X-Layers-Organization: org_<id>`` (or the bare
    UUID): projects, jobs, credits and whoami are then the child's, while rate limits stay the
    calling key's.

    At ``time_scale=1000`` a millisecond of loopback latency is a second of API time, which
    refills a token of most buckets: that is why rate-limit tests stay at ``time_scale=1``.

    ``docs="newest"`` (the default) answers in the newest docs' spellings. ``docs="quickstart"``
    answers like the quickstart's printed examples (examples/seed.*, older docs): bare UUID ids
    instead of ``org_``/``prj_``/``key_`` ones, GitHub ingest jobs of kind
    ``project_ingest_github`` (newest: ``ingest_github``) whose first stage is ``initializing``,
    and ``firstNPostsBlocked: null`` on projects (newest: ``0``). Either mode accepts both id
    forms on input. Both modes answer whoami with the older ``killSwitch`` and
    ``apiAccessRevoked`` (false on any 200) beside the newer fields, and the GitHub ingest's 202
    with ``repoFullName``.

    ``unique_customer_ids=True`` (the default) refuses a second project of an organization with
    the same ``customerExternalId`` (create or patch) with 409 ``CONFLICT`` and
    ``details.projectId`` naming the existing project; ``False`` follows the concept page that
    says the server does not enforce uniqueness (README section 12.6).

    Job progress is not linear in time: each stage takes a random share of the job's duration
    (its documented-order weight times a factor in ``[1 - stage_spread, 1 + stage_spread]``,
    normalised, drawn from ``seed``), while the reported ``progress`` fills each stage's fixed
    weight (inferred weights: ``STAGES`` in ``_jobs.py``). ``stage_spread=0`` makes progress
    linear in time.

    ``job_duration`` (API seconds) fixes how long every job started over HTTP takes, unless a
    ``script_job`` says otherwise; ``None`` draws it from the documented range per kind.

    Content (README sections 5, 8, 12.4): generate calls start ``content_generate`` jobs
    (60-200 API s unless ``job_duration``) that make containers, reserve the per-format
    estimate at the start (``reservedCredits``, ``available`` in ``GET /v1/credits``; 402
    ``BILLING_EXHAUSTED`` when short) and charge it at completion (a failed or canceled job
    releases it). The project's review policy gates publishing: publish-now of pending content
    answers 403 ``APPROVAL_REQUIRED``, scheduling it 202 ``blocked_on_approval`` (promoted on
    approve), rejected content 409 ``CONTENT_REJECTED``. Posts are ``queued`` until their
    ``scheduledFor``, ``publishing`` for 6 s, then ``published`` (or ``failed``, see
    ``connect_social_account``); ``utcnow()`` is the fake's wall clock for a ``scheduledFor``.
    The details are in ``_api_content``'s docstring.

    Webhooks are delivered for real: signed HTTP POSTs to each registered endpoint's URL (plain
    ``http://`` on loopback is allowed, a convenience of the fake) when a job ends
    (``job.completed``/``failed``/``canceled``, fired at the job's end on the fake's clock), on
    content, post, social-account and lease-request events (``content.generated`` at a
    generation's end and ``post.published``/``failed`` at a post's end, on the fake's clock;
    the others when the call or test hook that causes them is made: see ``_events.py``) and
    for ``emit_event``. Only endpoints subscribed to an event's type get it.
    ``webhook_retry="schedule"`` (default: the older docs' 8 attempts over ~32 h, then
    ``failed``) or ``"product"`` (the product page's 5 attempts, then ``abandoned``); both
    give up at once on a 4xx other than 429. See ``_webhooks.py``.

    Inferred behaviour (the docs print none of it; do not build on it): repos before a GitHub
    installation is registered answer 404 ``NOT_FOUND``; a GitHub ingest without an
    installation, and any ingest into an archived project, answer 409 ``CONFLICT``; a request
    body over 1 MiB answers 413 (code ``BAD_REQUEST``); an ``X-Layers-Organization`` naming
    anything but a direct child of the key's organization (the key's own included) answers 404
    ``NOT_FOUND``; the daily cap is a rolling window; the ``X-RateLimit-Limit/Remaining/Reset``
    header names, ``SERVER_ERROR`` for 5xx, the ``project_ingest_appstore`` job kind, stage
    timings and the ``error`` object of failed jobs are guesses too; so are the 409's shape for
    a repeated ``customerExternalId``, the 405 ``METHOD_NOT_ALLOWED`` (with ``Allow``) for a
    known path called with another method, and the 422 for an ``Idempotency-Key`` that is
    neither a UUID nor a ULID.
    """

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        tier: str = "standard",
        auth: str = "both",
        rate_limits: bool = True,
        max_running_jobs: int | None = None,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        credits: int = 6000,
        write_daily_cap: int | None = None,
        return_url_hosts: Sequence[str] | None = None,
        docs: str = "newest",
        unique_customer_ids: bool = True,
        job_duration: float | None = None,
        stage_spread: float = 0.5,
        webhook_retry: str = "schedule",
    ) -> None:
        self._clock = Clock(time_scale)
        self._faults = Faults(seed)
        self._state = State(
            clock=self._clock,
            seed=seed,
            tier=tier,
            auth=auth,
            rate_limits=rate_limits,
            max_running_jobs=max_running_jobs,
            credits=credits,
            faults=self._faults,
            write_daily_cap=write_daily_cap,
            return_url_hosts=_hosts(return_url_hosts),
            docs=docs,
            unique_customer_ids=unique_customer_ids,
            job_duration=job_duration,
            stage_spread=stage_spread,
            webhook_retry=webhook_retry,
        )
        self._key = self._state.add_key(
            self._state.default_org, env="test", scopes=("*",), tier=tier, name="default"
        )
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._upload_runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on ``host:port`` (port 0 picks a free one)."""
        if self._runner is not None:
            raise RuntimeError("FakeLayers is already running")
        runner = web.AppRunner(
            build_app(self._state),
            access_log=None,
            shutdown_timeout=0.25,
            handler_cancellation=True,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._state.webhooks.start()
        port = runner.addresses[0][1]
        host = f"[{self._host}]" if ":" in self._host else self._host
        self._base_url = f"http://{host}:{port}"
        # The upload host: another site on another loopback port, for presigned PUTs.
        uploads = web.AppRunner(build_upload_app(self._state), access_log=None,
                                shutdown_timeout=0.25, handler_cancellation=True)
        await uploads.setup()
        try:
            await web.TCPSite(uploads, self._host, 0).start()
        except BaseException:
            await uploads.cleanup()
            await self.aclose()
            raise
        self._upload_runner = uploads
        self._state.rest.upload_base = f"http://{host}:{uploads.addresses[0][1]}"

    async def aclose(self) -> None:
        """Stop serving; open connections are closed."""
        runner, self._runner = self._runner, None
        uploads, self._upload_runner = self._upload_runner, None
        # Shielded: a cancelled caller must still close both sites (no listening socket leaks).
        with anyio.CancelScope(shield=True):
            try:
                await self._state.webhooks.stop()
                if uploads is not None:
                    await uploads.cleanup()
            finally:
                if runner is not None:
                    await runner.cleanup()

    async def __aenter__(self) -> FakeLayers:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- connection details ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, without ``/v1``."""
        if self._base_url is None:
            raise RuntimeError("FakeLayers is not started")
        return self._base_url

    @property
    def api_key(self) -> str:
        """The default key (``lp_test_…``, scopes ``["*"]``); follows in-place rotations."""
        return self._key.full_key

    @property
    def api_key_id(self) -> str:
        """The default key's id (``key_<uuid>``; the bare UUID with ``docs="quickstart"``)."""
        return self._key.id

    @property
    def organization_id(self) -> str:
        """The default organization's id (``org_<uuid>``; bare with ``docs="quickstart"``)."""
        return self._state.default_org.id

    @property
    def time_scale(self) -> float:
        """API seconds per event-loop second."""
        return self._clock.time_scale

    def client(self, **overrides: Any) -> AsyncLayers:
        """An ``AsyncLayers`` wired to this fake, its policies scaled to the fake's time."""
        from layers_async import (
            AsyncLayers,
            Pacing,
            PollPolicy,
            PostPollPolicy,
            RetryPolicy,
        )  # import inside: avoids a cycle

        factor = 1 / self.time_scale
        options: dict[str, Any] = {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "poll": PollPolicy().scaled(factor),
            "post_poll": PostPollPolicy().scaled(factor),
            "retry": RetryPolicy().scaled(factor),
            # Loopback answers within milliseconds: a 5 ms latency allowance is plenty.
            "pacing": Pacing(latency=0.005).scaled(factor),
        }
        options.update(overrides)
        return AsyncLayers(**options)

    # -- keys and organizations --------------------------------------------------------------

    def add_key(
        self,
        *,
        env: str = "test",
        scopes: Sequence[str] = ("*",),
        tier: str | None = None,
        organization_id: str | None = None,
        name: str = "added",
        return_url_hosts: Sequence[str] | None = None,
    ) -> str:
        """Mint another key (default: in the default org) and return its full key string.

        ``return_url_hosts`` is the key's returnUrl allowlist (None: the fake's
        ``return_url_hosts``).
        """
        org = self._org(organization_id)
        if isinstance(scopes, str):
            raise TypeError("scopes must be a sequence of strings, not a string")
        key = self._state.add_key(
            org,
            env=env,
            scopes=tuple(scopes),
            tier=tier or org.tier,
            name=name,
            return_url_hosts=_hosts(return_url_hosts),
        )
        return key.full_key

    def add_org(
        self,
        *,
        name: str = "Other Org",
        tier: str | None = None,
        credits: int = 6000,
        parent_id: str | None = None,
    ) -> str:
        """Create another organization and return its id.

        With ``parent_id=None`` it is a separate top-level org (for cross-org tests); with a
        parent's id (``parent_id=fake.organization_id`` for the default org) it is that org's
        child, which the parent's ``org:admin`` keys reach with ``X-Layers-Organization``.
        """
        if parent_id is not None:
            parent_id = self._org(parent_id).id
        org = self._state.add_org(
            name=name,
            tier=tier or self._state.default_org.tier,
            credits=credits,
            parent_id=parent_id,
        )
        return org.id

    def key_id(self, key: str) -> str:
        """The id of a full key string (as ``api_key_id`` spells ids)."""
        return self._key_record(key).id

    def kill_switch(self, key: str | None = None) -> None:
        """Operator switch: kill one key (full key string) or, with None, the org's API access."""
        if key is None:
            self._state.default_org.api_access_revoked = True
        else:
            record = self._key_record(key)
            record.killed = True
            if record.revoked_at is None:
                record.revoked_at = self._clock.now()

    def restore(self, key: str | None = None) -> None:
        """Undo ``kill_switch`` (what only Layers staff can do for real)."""
        if key is None:
            self._state.default_org.api_access_revoked = False
        else:
            record = self._key_record(key)
            record.killed = False
            record.revoked_at = None

    def charge(self, organization_id: str, credits: int) -> bool:
        """Spend ``credits`` of an organization as a paid operation would (no request made).

        False when the charge is refused (402 ``BILLING_EXHAUSTED`` for a request: not
        enough available credits, or the child's monthly cap would be passed). After a
        spend, a child configured for auto-refill below its threshold is refilled from its
        parent's prepaid balance.
        """
        if isinstance(credits, bool) or not isinstance(credits, int) or credits < 1:
            raise ValueError("credits must be a positive int")
        try:
            charge(self._state, self._org(organization_id), credits)
        except ApiError:
            return False
        return True

    # -- observation and control -------------------------------------------------------------

    @property
    def journal(self) -> Sequence[JournalEntry]:
        """Every request received, in order of arrival, without X-Api-Key / Authorization.

        An entry appears when its request arrives and gets its status when the response
        exists (``None`` until then, and for dropped connections).
        """
        return self._state.journal

    @property
    def faults(self) -> Faults:
        """Fault injection: ``fake.faults.add(status=503, times=2, route="POST /v1/projects")``."""
        return self._faults

    def now(self) -> float:
        """Current API time in seconds."""
        return self._clock.now()

    def utcnow(self) -> datetime:
        """The fake's current UTC wall time: it runs ``time_scale`` times faster than yours
        (and jumps with ``advance``), so compute a ``scheduled_for`` from it."""
        return self._clock.wall(self._clock.now())

    def advance(self, seconds: float) -> None:
        """Jump API time forward (use instead of sleeping)."""
        self._clock.advance(seconds)
        self._state.webhooks.poke()  # due job ends and retries fire now

    # -- jobs ----------------------------------------------------------------------------------

    def script_job(
        self,
        *,
        outcome: str = "completed",
        duration: float | None = None,
        error_code: str = "INGEST_FAILED",
        error_message: str = DEFAULT_ERROR_MESSAGE,
        result: Mapping[str, Any] | None = None,
        repo_full_name: str | None = None,
    ) -> None:
        """Queue the outcome of the next job started over HTTP (FIFO).

        With ``repo_full_name`` only a GitHub ingest of that repo consumes the script.
        ``duration`` is in API seconds; ``result`` is merged over the default result.
        """
        _check_outcome(outcome, duration)
        self._state.scripts.append(
            JobScript(
                outcome=outcome,
                duration=duration,
                error_code=error_code,
                error_message=error_message,
                result=dict(result) if result is not None else None,
                repo_full_name=repo_full_name,
            )
        )

    def create_job(
        self,
        *,
        kind: str = INGEST_GITHUB,
        project_id: str | None = None,
        duration: float | None = None,
        outcome: str = "completed",
        error_code: str = "INGEST_FAILED",
        error_message: str = DEFAULT_ERROR_MESSAGE,
        result: Mapping[str, Any] | None = None,
        repo_full_name: str | None = None,
        open_pr: bool = True,
        organization_id: str | None = None,
    ) -> str:
        """Start a job directly in state (no HTTP, no rate limit, no script) and return its id.

        ``kind`` may be spelled either way (``ingest_github`` or ``project_ingest_github``).
        """
        _check_outcome(outcome, duration)
        kind = canonical_kind(kind)
        org = self._org(organization_id)
        if project_id is None:
            project = self._state.default_project(org)
        else:
            found = self._state.find_project(org, project_id)
            if found is None:
                raise ValueError(f"no project {project_id!r} in organization {org.id}")
            project = found
        params: dict[str, Any]
        if kind == INGEST_GITHUB:
            repo = repo_full_name or "acme/acme-mobile"
            params = {"repoFullName": repo, "branch": None, "openPR": open_pr, "platforms": None}
        elif kind == INGEST_WEBSITE:
            params = {"url": "https://example.com", "followLinks": False, "maxPages": 1}
        elif kind == INGEST_APPSTORE:
            params = {"iosBundleId": "com.example.app", "androidPackage": None}
        else:
            params = {}
        script = JobScript(
            outcome=outcome,
            duration=duration,
            error_code=error_code,
            error_message=error_message,
            result=result,
            repo_full_name=None,
        )
        job = self._state.start_job(org, project, kind=kind, params=params, script=script)
        return job.id

    def job(self, job_id: str) -> dict[str, Any]:
        """The Job envelope GET /v1/jobs/{jobId} would return now (no request recorded)."""
        job = self._state.jobs.get(job_id)
        if job is None:
            raise KeyError(job_id)
        self._state.settle(self._state.orgs[job.org_id])
        return job_json(self._state, job)

    # -- content and publishing ------------------------------------------------------------

    def connect_social_account(
        self,
        project_id: str,
        *,
        platform: str = "tiktok",
        display_name: str = "@acmecoffee",
        outcome: str = "published",
        organization_id: str | None = None,
    ) -> str:
        """Connect a social account to a project (no OAuth) and return its ``sa_`` id.

        Publishing needs one: schedule and publish targets name it by this id. ``outcome``
        is what every post to it ends as, ``"published"`` or ``"failed"``. A test helper:
        OAuth (``complete_oauth``) and leases make the same accounts; this one is also listed
        by ``GET …/social-accounts`` (handle: ``display_name`` without its ``@``) and can be
        revoked.
        """
        if outcome not in POST_OUTCOMES:
            raise ValueError(f"outcome must be one of {POST_OUTCOMES}")
        org = self._org(organization_id)
        project = self._state.find_project(org, project_id)
        if project is None:
            raise ValueError(f"no project {project_id!r} in organization {org.id}")
        account = SocialAccount(
            id=self._state.ids.id("sa"),
            project_id=project.id,
            platform=platform,
            display_name=display_name,
            connected_at=self._clock.now(),
            outcome=outcome,
        )
        org.content.accounts[account.id] = account
        self._state.rest.accounts[account.id] = SocialAccountRecord(
            id=account.id, project_id=project.id, platform=platform,
            handle=display_name.removeprefix("@"), connected_at=account.connected_at)
        account_event(self._state, "social_account.connected", project_id=project.id,
                      account_id=account.id, platform=platform, display_name=display_name,
                      connected_at=account.connected_at)
        return account.id

    def reserved_credits(self, organization_id: str | None = None) -> int:
        """Credits the organization's running generations hold right now."""
        org = self._org(organization_id)
        self._state.settle(org)
        return org.content.reserved

    # -- uploads, OAuth hand-offs, lease requests ------------------------------------------

    @property
    def upload_url(self) -> str:
        """The upload host's ``http://127.0.0.1:<port>`` (presigned PUTs go there)."""
        if self._state.rest.upload_base is None:
            raise RuntimeError("FakeLayers is not started")
        return self._state.rest.upload_base

    @property
    def upload_requests(self) -> Sequence[dict[str, Any]]:
        """Every PUT the upload host received: method, path, lower-cased headers."""
        return self._state.rest.upload_requests

    def fail_uploads(self, *, status: int = 503, times: int = 1,
                     headers: Mapping[str, str] | None = None) -> None:
        """Make the next ``times`` PUTs to the upload host answer ``status`` (e.g. 503, or a
        307 with a ``Location`` header)."""
        if times < 1:
            raise ValueError("times must be >= 1")
        self._state.rest.upload_faults.append(
            UploadFault(status=status, times=times, headers=dict(headers or {})))

    def complete_oauth(self, state: str, *, handle: str | None = None) -> str:
        """Finish a pending OAuth hand-off as connected; returns the new ``sa_…`` id."""
        record = self._oauth(state)
        return complete_oauth(self._state, record, handle)

    def fail_oauth(self, state: str, *, message: str = "The user declined.") -> None:
        """End a pending OAuth hand-off as failed."""
        record = self._oauth(state)
        record.status, record.ended_at, record.error = "failed", self._clock.now(), message

    def assign_lease(self, request_id: str, *, count: int | None = None,
                     note: str | None = None) -> list[str]:
        """Assign leased accounts to a lease request (fewer than asked: ``partial``)."""
        lease = self._lease(request_id)
        assign_lease(self._state, lease, count, note)
        return list(lease.account_ids)

    def reject_lease(self, request_id: str, *, note: str = "No matching accounts.") -> None:
        """Reject a lease request."""
        reject_lease(self._state, self._lease(request_id), note)

    def _oauth(self, state: str) -> Any:
        record = self._state.rest.oauth.get(state)
        if record is None:
            raise KeyError(state)
        settle_oauth(self._state, record)
        if record.status != "pending":
            raise ValueError(f"OAuth state {state!r} is already {record.status}")
        return record

    def _lease(self, request_id: str) -> Any:
        lease = self._state.rest.leases.get(request_id)
        if lease is None:
            raise KeyError(request_id)
        if lease.status != "requested":
            raise ValueError(f"lease request {request_id!r} is already {lease.status}")
        return lease

    # -- webhooks ------------------------------------------------------------------------------

    def emit_event(
        self,
        event_type: str,
        data: Mapping[str, Any],
        *,
        organization_id: str | None = None,
        project_id: str | None = None,
    ) -> list[str]:
        """Send an event (``content.approved``, ``post.published``...) to every subscribed
        endpoint of the organization, as the API would; returns the delivery ids."""
        made = self._state.webhooks.emit(
            self._org(organization_id), event_type, data, project_id=project_id
        )
        return [delivery.id for delivery in made]

    @property
    def webhook_attempts(self) -> Sequence[tuple[str, int | None]]:
        """Every delivery attempt made: (delivery id, HTTP status or None on a transport
        error), in order."""
        return self._state.webhooks.attempt_log

    def redeliver_webhook(self, delivery_id: str) -> None:
        """Send a delivery again with the same event id, as a retry after an answer lost on
        the way back would (receivers must drop it as a duplicate)."""
        self._state.webhooks.redeliver(self._state.webhooks.deliveries[delivery_id])

    async def wait_for_webhook_attempts(self, count: int = 1) -> None:
        """Return once ``count`` delivery attempts (in all, since start) have been made."""
        await self._state.webhooks.wait_attempts(count)

    # -- helpers -------------------------------------------------------------------------------

    def _org(self, organization_id: str | None) -> Org:
        if organization_id is None:
            return self._state.default_org
        org = self._state.orgs.get(self._state.ids.canonical("org", organization_id))
        if org is None:
            raise ValueError(f"unknown organization {organization_id!r}")
        return org

    def _key_record(self, key: str) -> KeyRecord:
        record = self._state.key_by_string(key)
        if record is None:
            raise ValueError("not a current key of this fake")
        return record

    def __repr__(self) -> str:
        where = self._base_url or "not started"
        return f"<FakeLayers {where} tier={self._state.default_org.tier!r}>"


def _hosts(hosts: Sequence[str] | None) -> frozenset[str] | None:
    if hosts is None:
        return None
    if isinstance(hosts, str):
        raise TypeError("return_url_hosts must be a sequence of host names, not a string")
    return frozenset(host.strip().lower() for host in hosts)


def _check_outcome(outcome: str, duration: float | None) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}")
    if duration is not None and duration < 0:
        raise ValueError("duration must be >= 0")
