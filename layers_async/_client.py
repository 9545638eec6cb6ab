"""``AsyncLayers``: configuration, one session, and the resource namespaces."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
import anyio
import attrs

from ._config import AuthMode, ClientConfig, check_organization
from ._converter import decode
from ._http import DEFAULT_TIMEOUT, FileBody, Request, Response, Timeout
from ._operations import WHOAMI
from ._pacing import Pacer, Pacing
from ._pipeline import Connection, ConnectionState, Pipeline
from ._poll import PollPolicy, PostPollPolicy
from ._retry import RetryPolicy
from ._scheduler import JobScheduler
from ._transport import AiohttpTransport, Transport
from .models.account import WhoAmI
from .resources.account import ApiKeys, Credits
from .resources.audit_log import AuditLog
from .resources.content import Content, ScheduledPosts
from .resources.github import Github
from .resources.influencers import Influencers
from .resources.ingest import Ingest
from .resources.jobs import Jobs
from .resources.keywords import Keywords
from .resources.media import Media
from .resources.metrics import Metrics
from .resources.organizations import Organizations
from .resources.projects import Projects
from .resources.sdk_apps import SdkApps
from .resources.social import LeasedAccountsResource, SocialAccounts
from .resources.webhooks import WebhookDeliveries, WebhookEndpoints

__all__ = ["AsyncLayers"]

T = TypeVar("T")

_UNCHANGED: Any = object()


class AsyncLayers:
    """An asyncio client for the Layers Partner API.

    Use it as an async context manager: it owns one ``aiohttp.ClientSession``
    (made inside the running loop) and closes it on exit, or borrows the
    caller's ``session`` and leaves it open. Every keyword is optional:
    ``api_key`` defaults to ``LAYERS_API_KEY`` and ``base_url`` to
    ``LAYERS_BASE_URL`` or ``https://api.layers.com``. The key travels as
    ``Authorization: Bearer`` (``auth="x-api-key"`` for the older header).
    Requests wait for a client-side token of their endpoint class instead of
    collecting 429s once the key's tier is known (``pacing``, see
    :class:`Pacing`; False turns it off). :meth:`with_options` gives a client
    for a child organization (or another timeout) on the same connection.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        auth: AuthMode = "bearer",
        organization: str | None = None,
        session: aiohttp.ClientSession | None = None,
        user_agent: str | None = None,
        transport: Transport | None = None,
        max_concurrent_polls: int = 32,
        pacing: Pacing | bool = True,
        post_poll: PostPollPolicy | None = None,
    ) -> None:
        config = ClientConfig.resolve(
            api_key=api_key, base_url=base_url, auth=auth, organization=organization,
            user_agent=user_agent, timeout=timeout, max_retries=max_retries, retry=retry,
            poll=poll, post_poll=post_poll,
        )
        if transport is not None and session is not None:
            raise ValueError("pass either session= or transport=, not both")
        if pacing is True:
            pacing = Pacing()
        elif pacing is not False and not isinstance(pacing, Pacing):
            raise TypeError(f"pacing must be a Pacing or a bool, got {type(pacing).__name__}")
        pacer = Pacer(pacing) if isinstance(pacing, Pacing) else None
        connection = Connection(transport or AiohttpTransport(session), pacer)
        self._setup(Pipeline(config, connection),
                    JobScheduler(max_concurrent_polls=max_concurrent_polls), owner=True)

    def _setup(self, pipeline: Pipeline, scheduler: JobScheduler, *, owner: bool) -> None:
        self._pipeline = pipeline
        self._scheduler = scheduler
        self._owner = owner
        self.credits = Credits(pipeline, scheduler)
        self.api_keys = ApiKeys(pipeline, scheduler)
        self.projects = Projects(pipeline, scheduler)
        self.github = Github(pipeline, scheduler)
        self.ingest = Ingest(pipeline, scheduler)
        self.jobs = Jobs(pipeline, scheduler)
        self.organizations = Organizations(pipeline, scheduler)
        self.audit_log = AuditLog(pipeline, scheduler)
        self.content = Content(pipeline, scheduler)
        self.scheduled_posts = ScheduledPosts(pipeline, scheduler)
        self.sdk_apps = SdkApps(pipeline, scheduler)
        self.keywords = Keywords(pipeline, scheduler)
        self.media = Media(pipeline, scheduler)
        self.influencers = Influencers(pipeline, scheduler)
        self.metrics = Metrics(pipeline, scheduler)
        self.social_accounts = SocialAccounts(pipeline, scheduler)
        self.leased_accounts = LeasedAccountsResource(pipeline, scheduler)
        self.webhook_endpoints = WebhookEndpoints(pipeline, scheduler)
        self.webhook_deliveries = WebhookDeliveries(pipeline, scheduler)

    def with_options(self, *, organization: str | None = _UNCHANGED,
                     timeout: float | Timeout | None = _UNCHANGED,
                     max_retries: int | None = _UNCHANGED,
                     poll: PollPolicy | None = _UNCHANGED) -> AsyncLayers:
        """A client with other options that shares this one's session, pacer and job
        scheduler (so its polls and rate limits are this key's).

        ``layers.with_options(organization=child.id)`` acts inside a child
        organization; ``organization=None`` acts as the key's own again. The new
        client is open and closed with this one: closing it does nothing.
        """
        config = self.config
        changes: dict[str, Any] = {}
        if organization is not _UNCHANGED:
            changes["organization"] = check_organization(organization)
        if timeout is not _UNCHANGED:
            changes["timeout"] = Timeout.coerce(timeout)
        if max_retries is not _UNCHANGED:
            changes["retry"] = attrs.evolve(
                config.retry, max_retries=RetryPolicy().max_retries if max_retries is None
                else max_retries)
        if poll is not _UNCHANGED:
            changes["poll"] = poll if poll is not None else PollPolicy()
        derived = object.__new__(AsyncLayers)
        derived._setup(Pipeline(attrs.evolve(config, **changes), self._pipeline.connection),
                       self._scheduler, owner=False)
        return derived

    @property
    def config(self) -> ClientConfig:
        """The configuration requests are built from (the key never shows in its repr)."""
        return self._pipeline.config

    @property
    def pacer(self) -> Pacer | None:
        """The client-side pacer (None with ``pacing=False``), shared with derived clients."""
        return self._pipeline.connection.pacer

    def __repr__(self) -> str:
        org = f", organization={self.config.organization!r}" if self.config.organization else ""
        return (f"AsyncLayers(base_url={self.config.base_url!r}, auth={self.config.auth!r}"
                f"{org}, state={self._pipeline.connection.state.value!r})")

    async def __aenter__(self) -> Self:
        connection = self._pipeline.connection
        connection.check_open()
        if self._owner:
            if connection.state is ConnectionState.OPEN:
                raise RuntimeError("this AsyncLayers client is already open; enter it once "
                                   "(use with_options() for a second view of it)")
            connection.state = ConnectionState.OPEN
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session if this client made it. Safe to call twice.

        A client from :meth:`with_options` closes nothing: its parent owns the session.
        """
        connection = self._pipeline.connection
        if not self._owner or connection.state is ConnectionState.CLOSED:
            return
        connection.state = ConnectionState.CLOSED
        # Shielded: a cancelled caller must still not leak the session.
        with anyio.CancelScope(shield=True):
            await connection.transport.aclose()

    @property
    def closed(self) -> bool:
        """Whether the client (or, for a derived one, its parent) is closed."""
        return self._pipeline.connection.state is ConnectionState.CLOSED

    async def whoami(self, *, timeout: float | Timeout | None = None) -> WhoAmI:
        """``GET /v1/whoami``: the calling key, its org, tier and scopes (a liveness probe)."""
        request = self.build(WHOAMI.method, WHOAMI.path, timeout=timeout)
        me = decode(await self.send(request), WhoAmI, secrets=request.secrets)
        if self.pacer is not None:
            self.pacer.learn_tier(str(me.rate_limit_tier))
        return me

    # -- raw access to the pipeline ---------------------------------------------------

    def build(self, method: str, path: str, **options: Any) -> Request:
        """The request for one logical call (see :meth:`ClientConfig.build_request`)."""
        return self._pipeline.build(method, path, **options)

    def build_external(self, method: str, url: str, *, body: bytes | FileBody | None = None,
                       headers: Mapping[str, str] | None = None,
                       timeout: float | Timeout | None = None) -> Request:
        """A request to a host other than the API (a presigned upload URL): it never
        carries the key, and like every request it never follows a redirect."""
        return self._pipeline.build_external(method, url, body=body, headers=headers,
                                             timeout=timeout)

    async def call(self, method: str, path: str, result: type[T], *,
                   params: Mapping[str, Any] | None = None, json: Any = None,
                   idempotency_key: str | None = None,
                   timeout: float | Timeout | None = None) -> T:
        """Send one call of a path the library has no method for, decoded as ``result``."""
        request = self.build(method, path, params=params, json=json,
                             idempotency_key=idempotency_key, timeout=timeout)
        return decode(await self.send(request), result, secrets=request.secrets)

    async def send(self, request: Request, *, retry_rate_limits: bool = True,
                   max_retries: int | None = None) -> Response:
        """Send ``request`` through the pipeline (pacing, retries; see :class:`Pipeline`)."""
        return await self._pipeline.send(request, retry_rate_limits=retry_rate_limits,
                                         max_retries=max_retries)
