"""Per-request bookkeeping shared by the middlewares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING

import attrs
from aiohttp import web

if TYPE_CHECKING:
    from ._state import KeyRecord

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

READ_LIGHT = "read-light"
WRITE_LIGHT = "write-light"
LONG_RUNNING = "long-running"


@attrs.frozen(kw_only=True)
class RouteSpec:
    """One documented operation: its scope (None = none printed) and rate class."""

    method: str
    path: str
    handler: Handler
    scope: str | None
    rate_class: str


@attrs.define(kw_only=True)
class RequestContext:
    """What the pipeline learned about a request so far."""

    request_id: str
    route: RouteSpec | None
    template: str | None
    rate_class: str
    key: KeyRecord | None = None
    org_id: str | None = None  # the organization the request acts as (X-Layers-Organization)
    rate_headers: dict[str, str] = attrs.Factory(dict)
    dropped: bool = False
    replayed: bool = False  # answered from the idempotency store


# aiohttp runs each request in its own task, so a context variable is per request (and,
# unlike request["..."] storage, needs no RequestKey, which older aiohttp lacks).
_CURRENT: ContextVar[RequestContext] = ContextVar("layers_fake_request")


def set_context(request: web.Request, context: RequestContext) -> None:
    """Attach the context to the request being handled."""
    del request  # the context variable is already scoped to the request's task
    _CURRENT.set(context)


def context(request: web.Request) -> RequestContext:
    """The context set by the request-id middleware."""
    del request
    return _CURRENT.get()


def rate_class_for_method(method: str) -> str:
    """The class of a route the table does not know (GET reads, anything else writes)."""
    return READ_LIGHT if method in ("GET", "HEAD") else WRITE_LIGHT
