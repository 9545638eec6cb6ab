"""The request pipeline, outermost first: request id, journal, faults, auth, kill switch,
acting organization, scope, rate limit, idempotency; the route handler runs last.

The journal, faults and idempotency steps live in their own modules; the rest is here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from aiohttp import web

from ._context import (
    LONG_RUNNING,
    WRITE_LIGHT,
    Handler,
    RequestContext,
    RouteSpec,
    context,
    rate_class_for_method,
    set_context,
)
from ._errors import ApiError
from ._faults import faults_middleware
from ._idempotency import idempotency_middleware
from ._journal import journal_middleware
from ._ratelimit import DEFAULT_MAX_RUNNING_JOBS, TIER_WRITE_DAILY_CAP
from ._state import KEY_PATTERN, STATE, KeyRecord, State, caller

ROUTE_SPECS: web.AppKey[Mapping[tuple[str, str], RouteSpec]] = web.AppKey(
    "layers_fake_routes", Mapping
)


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request an id and stamp it, the endpoint class and bucket headers on the reply."""
    state = request.app[STATE]
    resource = request.match_info.route.resource
    template = resource.canonical if resource is not None else None
    spec = request.app[ROUTE_SPECS].get((request.method, template or ""))
    ctx = RequestContext(
        request_id=f"req_{state.ids.ulid(state.clock.epoch_ms(state.clock.now()))}",
        route=spec,
        template=spec.path if spec is not None else None,
        rate_class=spec.rate_class if spec is not None else rate_class_for_method(request.method),
    )
    set_context(request, ctx)
    response = await handler(request)
    response.headers["X-Request-Id"] = ctx.request_id
    response.headers["X-RateLimit-Endpoint-Class"] = ctx.rate_class
    headers = ctx.rate_headers
    if not headers and ctx.key is not None and state.rate_limits:
        headers = state.limiter.peek(
            ctx.key.id, ctx.key.tier, ctx.rate_class, state.clock.now()
        ).headers()
    response.headers.update(headers)
    return response


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """401 unless the request carries a known key in an accepted header."""
    state = request.app[STATE]
    ctx = context(request)
    ctx.key = _authenticate(state, request)
    ctx.org_id = ctx.key.org_id
    return await handler(request)


@web.middleware
async def kill_switch_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """503 KILL_SWITCH for a killed or deleted key, or an org whose API access is revoked."""
    state = request.app[STATE]
    key = _key(request)
    if key.killed or key.deleted:
        raise ApiError(
            503, "KILL_SWITCH", "This API key has been disabled.", details={"scope": "key"}
        )
    if state.orgs[key.org_id].api_access_revoked:
        raise ApiError(
            503,
            "KILL_SWITCH",
            "API access for this organization is suspended.",
            details={"scope": "organization"},
        )
    return await handler(request)


@web.middleware
async def organization_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Act as the direct child org named by ``X-Layers-Organization`` (needs ``org:admin``).

    ``org_<uuid>`` or the bare UUID; any org that is not a direct child of the key's org
    (unknown, a sibling, a grandchild, the key's own org) answers 404 NOT_FOUND, so the header
    never reveals whether an org exists.
    """
    named = request.headers.get("X-Layers-Organization")
    if named is None:
        return await handler(request)
    state = request.app[STATE]
    key = _key(request)
    if not key.grants("org:admin"):
        raise _forbidden("org:admin")
    child = state.child_org(state.orgs[key.org_id], named.strip())
    if child is None:
        raise ApiError(404, "NOT_FOUND", "Organization not found.")
    context(request).org_id = child.id
    return await handler(request)


@web.middleware
async def scope_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403 FORBIDDEN_SCOPE when the key lacks the route's scope (``*`` grants all)."""
    key = _key(request)
    spec = context(request).route
    if spec is not None and spec.scope is not None and not key.grants(spec.scope):
        raise _forbidden(spec.scope)
    return await handler(request)


@web.middleware
async def rate_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """429 when the key's bucket for this class is empty, the key spent its daily write-light
    calls, or the (acting) org runs too many jobs."""
    state = request.app[STATE]
    if not state.rate_limits:
        return await handler(request)
    ctx = context(request)
    _, org, key = caller(request)
    now = state.clock.now()
    if ctx.rate_class == LONG_RUNNING and ctx.route is not None:
        state.settle(org)
        cap = state.max_running_jobs
        if cap is None:
            cap = DEFAULT_MAX_RUNNING_JOBS[org.tier]
        if org.running_count >= cap:
            wait = max(1, math.ceil(state.seconds_until_a_job_ends(org) - 1e-9))
            raise ApiError(
                429,
                "RATE_LIMITED",
                f"Too many running jobs (limit {cap}).",
                details={"reason": "concurrent_jobs", "limit": cap},
                headers={"Retry-After": str(wait)},
            )
    if ctx.rate_class == WRITE_LIGHT:
        daily_cap = state.write_daily_cap or TIER_WRITE_DAILY_CAP[key.tier]
        frees_in = state.daily_writes.retry_after(key.id, daily_cap, now)
        if frees_in is not None:
            raise ApiError(
                429,
                "RATE_LIMITED",
                f"Daily limit of {daily_cap} write-light requests reached.",
                details={"reason": "daily_cap"},
                headers={"Retry-After": str(frees_in)},
            )
    decision = state.limiter.take(key.id, key.tier, ctx.rate_class, now)
    ctx.rate_headers = decision.headers()
    if not decision.allowed:
        raise ApiError(
            429,
            "RATE_LIMITED",
            f"Rate limit exceeded for {ctx.rate_class} requests.",
            details={"reason": "rate_limit", "endpointClass": ctx.rate_class},
            headers={"Retry-After": str(decision.retry_after)},
        )
    if ctx.rate_class == WRITE_LIGHT:
        state.daily_writes.record(key.id, now)
    return await handler(request)


MIDDLEWARES = (
    request_id_middleware,
    journal_middleware,
    faults_middleware,
    auth_middleware,
    kill_switch_middleware,
    organization_middleware,
    scope_middleware,
    rate_limit_middleware,
    idempotency_middleware,
)


def _authenticate(state: State, request: web.Request) -> KeyRecord:
    presented: str | None = None
    if state.auth == "both":
        presented = request.headers.get("X-Api-Key")
    if presented is None:
        authorization = request.headers.get("Authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise _unauthenticated("Malformed Authorization header; use 'Bearer <key>'.")
            presented = token.strip()
    if presented is None:
        raise _unauthenticated("Missing API key.")
    match = KEY_PATTERN.match(presented)
    if match is None:
        raise _unauthenticated("Malformed API key.")
    key = state.keys_by_public_id.get(match.group(2))
    if key is None or key.secret != match.group(3):
        raise _unauthenticated("Invalid API key.")
    if key.env != match.group(1):
        raise _unauthenticated("API key environment does not match the key.")
    return key


def _key(request: web.Request) -> KeyRecord:
    key = context(request).key
    if key is None:  # the auth middleware always runs first
        raise _unauthenticated("Missing API key.")
    return key


def _unauthenticated(message: str) -> ApiError:
    return ApiError(401, "UNAUTHENTICATED", message)


def _forbidden(scope: str) -> ApiError:
    return ApiError(
        403,
        "FORBIDDEN_SCOPE",
        f"This API key lacks the '{scope}' scope.",
        details={"requiredScope": scope},
    )
