"""The request pipeline: pace, send through the transport, decide on a retry, repeat.

:class:`Pipeline` is the narrow seam resources and the job scheduler are handed:
it builds requests from the client's configuration and sends them. The retry
decision itself is the pure :meth:`RetryPolicy.decide`; this loop only acts on it.
Clients made by ``with_options`` share one :class:`Connection` (session, pacer,
lifecycle) and differ only in their configuration.
"""

from __future__ import annotations

import enum
import logging
import random
from collections.abc import Mapping
from typing import Any

import anyio

from ._config import ClientConfig
from ._errors import APIConnectionError, APIError, error_from_response
from ._http import FileBody, Request, Response, Timeout
from ._pacing import Pacer
from ._retry import parse_retry_after
from ._transport import Transport

__all__ = ["Connection", "Pipeline"]

logger = logging.getLogger("layers_async")


class ConnectionState(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


class Connection:
    """What clients derived from one another share: transport, pacer and lifecycle."""

    def __init__(self, transport: Transport, pacer: Pacer | None) -> None:
        self.transport = transport
        self.pacer = pacer
        self.state = ConnectionState.UNOPENED
        self.random = random.Random()

    def check_open(self) -> None:
        """Raise a clear error once the owning client is closed."""
        if self.state is ConnectionState.CLOSED:
            raise RuntimeError("this AsyncLayers client is closed; make a new one")


class Pipeline:
    """Builds requests from one configuration and sends them over a shared connection."""

    def __init__(self, config: ClientConfig, connection: Connection) -> None:
        self.config = config
        self.connection = connection

    def build(self, method: str, path: str, **options: Any) -> Request:
        """The request for one logical call (see :meth:`ClientConfig.build_request`)."""
        return self.config.build_request(method, path, **options)

    def build_external(self, method: str, url: str, *, body: bytes | FileBody | None = None,
                       headers: Mapping[str, str] | None = None,
                       timeout: float | Timeout | None = None) -> Request:
        """A request to another host: no key, no redirects (see ``build_external``)."""
        return self.config.build_external(method, url, body=body, headers=headers,
                                          timeout=timeout)

    async def send(self, request: Request, *, retry_rate_limits: bool = True,
                   max_retries: int | None = None) -> Response:
        """Send ``request``, retrying per the retry policy; raise the last error.

        The same ``request`` (so the same ``Idempotency-Key``) goes out on every
        attempt. With ``retry_rate_limits=False`` a 429 is raised at once, for
        callers that pause a whole queue instead (the job poller); ``max_retries``
        overrides the policy's count for this request.
        """
        connection = self.connection
        if connection.state is ConnectionState.CLOSED:
            connection.check_open()  # raises
        policy = self.config.retry
        pacer = connection.pacer if request.endpoint_class != "external" else None
        attempt = 0
        while True:
            attempt += 1
            if pacer is not None and not pacer.try_acquire(request.endpoint_class):
                await pacer.acquire(request.endpoint_class)
            error: APIConnectionError | APIError
            try:
                try:
                    response = await connection.transport.send(request)
                finally:
                    if pacer is not None:
                        pacer.finish(request.endpoint_class)
            except APIConnectionError as exc:
                exc.attempts = attempt
                logger.debug("%s %s -> %s (attempt %d)", request.method, request.path,
                             type(exc).__name__, attempt)
                error, status, code, retry_after = exc, None, None, None
            else:
                if logger.isEnabledFor(logging.DEBUG):  # its arguments cost more than the check
                    logger.debug("%s %s -> %d (request id %s, attempt %d, %.1f ms)",
                                 request.method, request.path, response.status,
                                 response.request_id, attempt, response.elapsed * 1000.0)
                if pacer is not None:
                    pacer.observe(response.headers)
                if response.status < 300 or response.status == 304:
                    return response  # redirects are never followed: the key stays here
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                if response.status == 429 and pacer is not None:
                    pacer.penalize(request.endpoint_class, retry_after, anyio.current_time())
                error = error_from_response(response, secrets=request.secrets,
                                            retry_after=retry_after, attempts=attempt)
                status, code = response.status, error.code
            delay = policy.decide(attempt, status=status, code=code, retry_after=retry_after,
                                  retries=max_retries, retry_rate_limits=retry_rate_limits,
                                  rand=connection.random.random)
            if delay is None:
                raise error
            why = type(error).__name__ if status is None else f"{status} {code or ''}"
            logger.warning("retrying %s %s in %.3f s after %s (attempt %d of %d)",
                           request.method, request.path, delay, why.strip(), attempt,
                           (policy.max_retries if max_retries is None else max_retries) + 1)
            await anyio.sleep(delay)
