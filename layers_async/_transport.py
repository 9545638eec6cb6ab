"""The one place that does HTTP I/O: aiohttp in, :class:`Response` out.

Auth, idempotency and retries live above this seam, so they can be tested
with :class:`MockTransport` and no server at all.
"""

from __future__ import annotations

import functools
import inspect
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import aiohttp

from ._errors import APIConnectionError, APITimeoutError
from ._http import FileBody, Request, Response, Timeout, redact

__all__ = ["AiohttpTransport", "MockTransport", "Transport"]


@runtime_checkable
class Transport(Protocol):
    """Sends one request and returns its response with the body read."""

    async def send(self, request: Request) -> Response:
        """Send ``request``; raise :class:`APIConnectionError` when no response came."""
        ...

    async def aclose(self) -> None:
        """Release connections (a no-op for a borrowed session)."""
        ...


class AiohttpTransport:
    """A transport over one ``aiohttp.ClientSession``.

    With no session it makes its own on first use (inside the running loop) and
    closes it in :meth:`aclose`; a caller's session is borrowed and left open.
    """

    def __init__(self, session: aiohttp.ClientSession | None = None, *,
                 limit: int = 100) -> None:
        self._session = session
        self._owns = session is None
        self._limit = limit
        # The last timeout seen and aiohttp's form of it: compared by identity, since
        # hashing the attrs Timeout (a Python-level __hash__) costs more than the lookup.
        self._timeout: Timeout | None = None
        self._client_timeout = aiohttp.ClientTimeout()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit),
                # Our own Request carries every header; send nothing else implicitly.
                skip_auto_headers=("User-Agent",),
                raise_for_status=False,
            )
        return self._session

    async def send(self, request: Request) -> Response:
        """Send ``request`` without following redirects; read the whole body."""
        session = self._session or self._get_session()
        if request.timeout is self._timeout:  # nearly every request: the client's default
            timeout = self._client_timeout
        else:
            timeout = _client_timeout(request.timeout)
            self._timeout, self._client_timeout = request.timeout, timeout
        started = time.perf_counter()
        failure: tuple[type[APIConnectionError], str, str | None] | None = None
        data: Any = request.body
        # Opened per attempt: a retry streams the file again from its start. Opening is
        # cheap; aiohttp reads the chunks in its executor, off the loop.
        file = open(data.path, "rb") if isinstance(data, FileBody) else None  # noqa: ASYNC230, SIM115
        try:
            async with session.request(
                request.method,
                request.url,
                headers=request.headers,  # aiohttp copies them into its own multidict
                data=data if file is None else file,
                allow_redirects=False,
                timeout=timeout,
                raise_for_status=False,  # a borrowed session may say otherwise
            ) as resp:
                body = await resp.read()
                headers = {name.lower(): value for name, value in resp.headers.items()}
                status = resp.status
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            failure = (APITimeoutError, _describe(exc, request) or "the request timed out",
                       "timed out")
        except aiohttp.ClientError as exc:
            failure = (APIConnectionError,
                       _describe(exc, request) or "the connection failed", _reason(exc))
        finally:
            if file is not None:
                file.close()
        if failure is not None:
            # Raised outside the except block on purpose: aiohttp's exceptions can
            # hold request headers (the key), so none may become __context__.
            cls, message, reason = failure
            parts = urlsplit(request.url)
            raise cls(message, method=request.method, path=request.path, reason=reason,
                      url=f"{parts.scheme}://{parts.netloc}")
        return Response(status=status, headers=headers, body=body, method=request.method,
                        path=request.path, elapsed=time.perf_counter() - started)

    async def aclose(self) -> None:
        """Close the session if this transport made it."""
        if self._owns and self._session is not None:
            session, self._session = self._session, None
            await session.close()


@functools.lru_cache(maxsize=32)
def _client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    """aiohttp's form of ``timeout`` (frozen both sides: one per distinct limit, not per call)."""
    return aiohttp.ClientTimeout(total=timeout.total, sock_connect=timeout.connect)


def _reason(exc: aiohttp.ClientError) -> str | None:
    """A few words for why a connection failed, from aiohttp's exception type."""
    if isinstance(exc, aiohttp.ClientSSLError):
        return "TLS failure"
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        if isinstance(os_error, ConnectionRefusedError):
            return "connection refused"
        if isinstance(os_error, socket.gaierror):
            return "host name not found"
        return "cannot connect"
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError
                  | aiohttp.ClientPayloadError):
        return "connection closed"
    return None


def _describe(exc: BaseException, request: Request) -> str:
    text = str(exc)
    name = type(exc).__name__
    return redact(f"{name}: {text}" if text else name, request.secrets)


Handler = Callable[[Request], Response | Awaitable[Response]]


class MockTransport:
    """A transport that answers from a function: for tests with no server.

    The handler gets each :class:`Request` and returns a :class:`Response` (or an
    awaitable of one), or raises :class:`APIConnectionError` to simulate a fault.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.requests: list[Request] = []

    async def send(self, request: Request) -> Response:
        """Record ``request`` and answer with the handler's response."""
        self.requests.append(request)
        result = self._handler(request)
        if inspect.isawaitable(result):
            result = await result
        if result.method:
            return result
        return Response(status=result.status, headers=result.headers, body=result.body,
                        method=request.method, path=request.path, elapsed=result.elapsed)

    async def aclose(self) -> None:
        """Nothing to release."""
