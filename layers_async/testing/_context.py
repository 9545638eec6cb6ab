"""Per-request bookkeeping shared by the middlewares and handlers, and the app's keys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar

import attrs
from aiohttp import web

from ._records import KeyRecord, Org
from ._state import State

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@attrs.frozen(kw_only=True)
class RouteSpec:
    """One documented operation, as the fake serves it.

    ``operation_id`` is openapi.yaml's operationId, ``scope`` the one README section 10 prints
    (None: none printed), ``job`` whether it answers 202 with a job envelope.
    """

    method: str
    path: str
    handler: Handler
    operation_id: str
    scope: str | None
    rate_class: str
    job: bool = False


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


STATE: web.AppKey[State] = web.AppKey("layers_fake_state", State)
ROUTE_SPECS: web.AppKey[Mapping[tuple[str, str], RouteSpec]] = web.AppKey(
    "layers_fake_routes", Mapping
)

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


def caller(request: web.Request) -> tuple[State, Org, KeyRecord]:
    """The state, the organization the request acts as, and the key behind it.

    The organization is the key's own, or the child named by ``X-Layers-Organization``.
    """
    state = request.app[STATE]
    ctx = context(request)
    key = ctx.key
    if key is None:  # pragma: no cover - the auth middleware guarantees a key
        raise RuntimeError("handler reached without an authenticated key")
    return state, state.orgs[ctx.org_id if ctx.org_id is not None else key.org_id], key
