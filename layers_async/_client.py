"""``AsyncLayers``: configuration, one session, and the request pipeline."""

from __future__ import annotations

import enum
import logging
import random
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
import anyio

from ._config import AuthMode, ClientConfig
from ._converter import decode
from ._errors import APIConnectionError, RateLimitError, error_from_response
from ._http import DEFAULT_TIMEOUT, Request, Response, Timeout
from ._jobs import JobScheduler
from ._pacing import Pacer, Pacing
from ._poll import PollPolicy
from ._retry import RetryPolicy, is_retryable, parse_retry_after
from ._transport import AiohttpTransport, Transport
from .models.account import WhoAmI
from .resources.account import ApiKeys, Credits
from .resources.github import Github
from .resources.ingest import Ingest
from .resources.jobs import Jobs
from .resources.projects import Projects

__all__ = ["AsyncLayers"]

logger = logging.getLogger("layers_async")

T = TypeVar("T")


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


class AsyncLayers:
    """An asyncio client for the Layers Partner API.

    Use it as an async context manager: it owns one ``aiohttp.ClientSession``
    (made inside the running loop) and closes it on exit, or borrows the
    caller's ``session`` and leaves it open. Every keyword is optional:
    ``api_key`` defaults to ``LAYERS_API_KEY`` and ``base_url`` to
    ``LAYERS_BASE_URL`` or ``https://api.layers.com``. Requests wait for a
    client-side token of their endpoint class instead of collecting 429s once
    the key's tier is known (``pacing``, see :class:`Pacing`; False turns it off).
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
        auth: AuthMode = "x-api-key",
        organization: str | None = None,
        session: aiohttp.ClientSession | None = None,
        user_agent: str | None = None,
        transport: Transport | None = None,
        max_concurrent_polls: int = 32,
        pacing: Pacing | bool = True,
    ) -> None:
        self.config = ClientConfig.resolve(
            api_key=api_key, base_url=base_url, auth=auth, organization=organization,
            user_agent=user_agent, timeout=timeout, max_retries=max_retries, retry=retry,
            poll=poll,
        )
        if transport is not None and session is not None:
            raise ValueError("pass either session= or transport=, not both")
        self._transport: Transport = transport or AiohttpTransport(session)
        self._state = _State.UNOPENED
        self._random = random.Random()
        if pacing is True:
            pacing = Pacing()
        elif pacing is not False and not isinstance(pacing, Pacing):
            raise TypeError(f"pacing must be a Pacing or a bool, got {type(pacing).__name__}")
        self.pacer = Pacer(pacing) if isinstance(pacing, Pacing) else None
        self._scheduler = JobScheduler(self, max_concurrent_polls=max_concurrent_polls)
        self.credits = Credits(self)
        self.api_keys = ApiKeys(self)
        self.projects = Projects(self)
        self.github = Github(self)
        self.ingest = Ingest(self)
        self.jobs = Jobs(self)

    def __repr__(self) -> str:
        return (f"AsyncLayers(base_url={self.config.base_url!r}, auth={self.config.auth!r}, "
                f"state={self._state.value!r})")

    async def __aenter__(self) -> Self:
        if self._state is _State.CLOSED:
            raise RuntimeError("this AsyncLayers client is closed; make a new one")
        self._state = _State.OPEN
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session if the client made it. Safe to call twice."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        # Shielded: a cancelled caller must still not leak the session.
        with anyio.CancelScope(shield=True):
            await self._transport.aclose()

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has run."""
        return self._state is _State.CLOSED

    async def whoami(self, *, timeout: float | Timeout | None = None) -> WhoAmI:
        """``GET /v1/whoami``: the calling key, its org, tier and scopes (a liveness probe)."""
        me = await self.call("GET", "/v1/whoami", WhoAmI, timeout=timeout)
        if self.pacer is not None:
            self.pacer.learn_tier(str(me.rate_limit_tier))
        return me

    # -- the pipeline -----------------------------------------------------------

    def build(self, method: str, path: str, **options: Any) -> Request:
        """The request for one logical call (see :meth:`ClientConfig.build_request`)."""
        return self.config.build_request(method, path, **options)

    async def call(self, method: str, path: str, result: type[T], *,
                   params: Mapping[str, Any] | None = None, json: Any = None,
                   idempotency_key: str | None = None,
                   timeout: float | Timeout | None = None) -> T:
        """Send one call and decode its body as ``result``."""
        request = self.build(method, path, params=params, json=json,
                             idempotency_key=idempotency_key, timeout=timeout)
        response = await self.send(request)
        return decode(response, result, secrets=request.secrets)

    async def send(self, request: Request, *, retry_rate_limits: bool = True,
                   max_retries: int | None = None) -> Response:
        """Send ``request``, retrying per the retry policy; raise the last error.

        The same ``request`` (so the same ``Idempotency-Key``) goes out on every
        attempt. With ``retry_rate_limits=False`` a 429 is raised at once, for
        callers that pause a whole queue instead (the job poller); ``max_retries``
        overrides the policy's count for this request.
        """
        if self._state is _State.CLOSED:
            raise RuntimeError("this AsyncLayers client is closed; make a new one")
        policy = self.config.retry
        retries = policy.max_retries if max_retries is None else max_retries
        attempt = 0
        while True:
            attempt += 1
            if self.pacer is not None:
                await self.pacer.acquire(request.endpoint_class)
            try:
                response = await self._transport.send(request)
            except APIConnectionError as exc:
                exc.attempts = attempt
                logger.debug("%s %s -> %s (attempt %d)", request.method, request.path,
                             type(exc).__name__, attempt)
                if attempt > retries:
                    raise
                delay = policy.backoff(attempt - 1, self._random.random)
                self._warn_retry(request, delay, type(exc).__name__, attempt)
                await anyio.sleep(delay)
                continue
            logger.debug("%s %s -> %d (request id %s, attempt %d, %.1f ms)", request.method,
                         request.path, response.status, response.request_id, attempt,
                         response.elapsed * 1000.0)
            if self.pacer is not None:
                self.pacer.observe(response.headers)
            if response.status < 300 or response.status == 304:
                return response  # redirects are never followed: the key stays on this host
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if response.status == 429 and self.pacer is not None:
                self.pacer.penalize(request.endpoint_class, retry_after, anyio.current_time())
            error = error_from_response(response, secrets=request.secrets,
                                        retry_after=retry_after, attempts=attempt)
            if (attempt > retries or not is_retryable(response.status, error.code)
                    or (isinstance(error, RateLimitError) and not retry_rate_limits)):
                raise error
            delay_or_none = policy.delay(attempt - 1, retry_after, self._random.random)
            if delay_or_none is None:
                raise error
            self._warn_retry(request, delay_or_none, f"{response.status} {error.code or ''}",
                             attempt)
            await anyio.sleep(delay_or_none)

    def _warn_retry(self, request: Request, delay: float, why: str, attempt: int) -> None:
        logger.warning("retrying %s %s in %.3f s after %s (attempt %d of %d)", request.method,
                       request.path, delay, why.strip(), attempt,
                       self.config.retry.max_retries + 1)
