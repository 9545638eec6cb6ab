"""The request pipeline, outermost first: request id, journal, faults, auth, kill switch,
acting organization, scope, rate limit, idempotency, audit; the route handler runs last.

Every step is here; the records they keep (journal entries, faults, stored responses) live in
lower modules, so nothing below ``_context`` imports the pipeline.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
from typing import Any

import attrs
from aiohttp import web

from ._audit import audit_middleware
from ._context import ROUTE_SPECS, STATE, Handler, RequestContext, caller, context, set_context
from ._errors import ApiError, default_code, error_response, validation_error
from ._idempotency import (
    IDEMPOTENCY_WINDOW,
    MARKS_REPLAYS,
    MUTATING,
    REPLAYED_HEADERS,
    StoredResponse,
    body_digest,
    mark_replayed,
    valid_key,
)
from ._journal import SECRET_HEADERS, JournalEntry
from ._ratelimit import (
    DEFAULT_MAX_RUNNING_JOBS,
    LONG_RUNNING,
    TIER_WRITE_DAILY_CAP,
    WRITE_LIGHT,
    rate_class_for_method,
)
from ._records import KEY_PATTERN, KeyRecord
from ._state import State

logger = logging.getLogger("layers_async.testing")


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
async def journal_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Journal the request on arrival, complete the entry at the end; render every error."""
    state = request.app[STATE]
    ctx = context(request)
    slot = len(state.journal)
    arrived = JournalEntry(
        method=request.method,
        path=request.path,
        query=dict(request.query),
        query_all={name: request.query.getall(name) for name in request.query},
        headers={
            name: value
            for name, value in request.headers.items()
            if name.lower() not in SECRET_HEADERS
        },
        body=b"",
        json=None,
        status=None,
        request_id=ctx.request_id,
        api_key_id=None,
        at=state.clock.now(),
        route=ctx.template,
    )
    state.journal.append(arrived)
    body = b""
    response: web.StreamResponse | None = None
    try:
        body = await request.read()
        response = await handler(request)
    except ApiError as exc:
        response = error_response(ctx.request_id, exc)
    except web.HTTPException as exc:
        response = error_response(ctx.request_id, _from_http_exception(exc))
    except Exception:
        logger.exception("layers fake: handler crashed")
        error = ApiError(500, "SERVER_ERROR", "The fake server crashed; see the test log.")
        response = error_response(ctx.request_id, error)
    finally:
        state.journal[slot] = attrs.evolve(
            arrived,
            body=body,
            json=_parse_json(body),
            status=None if ctx.dropped or response is None else response.status,
            request_id=ctx.request_id,
            api_key_id=ctx.key.id if ctx.key is not None else None,
            replayed=ctx.replayed,
        )
    return response


@web.middleware
async def faults_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Fire the first matching injected fault, if any, before anything else happens."""
    state = request.app[STATE]
    ctx = context(request)
    fault = state.faults.take(request.method, ctx.template, request.path)
    if fault is None:
        return await handler(request)
    if fault.delay:
        await state.clock.sleep(fault.delay)
    if fault.drop and fault.after:
        with contextlib.suppress(ApiError):  # applied (and stored for replays), answer lost
            await handler(request)
    if fault.drop:
        ctx.dropped = True
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=503)  # never delivered: the connection is gone
    if fault.body == "malformed":
        return web.Response(body=b'{"status": "ok",, ', content_type="application/json")
    if fault.body == "truncated":
        whole = json.dumps({"id": ctx.request_id, "status": "running", "progress": 0.5}).encode()
        return web.Response(body=whole[: len(whole) // 2], content_type="application/json")
    if fault.status is None:
        return await handler(request)  # a pure delay
    status = fault.status
    headers: dict[str, str] = {}
    if status == 429:
        headers["Retry-After"] = str(fault.retry_after if fault.retry_after is not None else 1)
    elif fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    raise ApiError(
        status,
        fault.code or default_code(status),
        fault.message or "Injected fault.",
        headers=headers,
    )


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
    own = state.orgs[key.org_id]
    if own.api_access_revoked or own.status == "suspended":
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
    if child.status == "suspended":  # a suspended child's kill switch holds for its parent too
        raise ApiError(
            503,
            "KILL_SWITCH",
            "API access for this organization is suspended.",
            details={"scope": "organization"},
        )
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


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Replay or refuse repeated Idempotency-Keys.

    Keys are isolated per (API key, acting organization, method, concrete path with query):
    README section 4 isolates them per (API key, endpoint), and another resource is another
    endpoint. A replay repeats the original status, body and ``X-Request-Id``.

    A key that is neither a UUID (canonical 8-4-4-4-12 form) nor a ULID (26 Crockford base32
    characters) answers 422 ``VALIDATION`` naming the header. Inferred: openapi.yaml types the
    header ``format: uuid`` and README section 4 says "UUID v4 or ULID", but no page prints
    what a server does with another key.
    """
    state = request.app[STATE]
    ctx = context(request)
    idempotency_key = request.headers.get("Idempotency-Key")
    if request.method not in MUTATING or ctx.route is None or idempotency_key is None:
        return await handler(request)
    if not valid_key(idempotency_key):
        raise validation_error(
            [(("Idempotency-Key",), "Idempotency-Key must be a UUID or a ULID.")]
        )
    digest = body_digest(await request.read())
    key = ctx.key
    assert key is not None  # the auth middleware ran
    org_id = ctx.org_id if ctx.org_id is not None else key.org_id
    slot = (key.id, org_id, request.method, request.path_qs, idempotency_key)
    now = state.clock.now()
    stored = state.idempotency.get(slot)
    if stored is not None and now - stored.at < IDEMPOTENCY_WINDOW:
        if stored.digest != digest:
            raise ApiError(
                409,
                "IDEMPOTENCY_CONFLICT",
                "This Idempotency-Key was already used with a different request body.",
            )
        ctx.request_id = stored.request_id  # verbatim: the body's requestId and the header agree
        ctx.replayed = True
        body = stored.body
        if ctx.route.operation_id in MARKS_REPLAYS:
            body = mark_replayed(body)
        return web.Response(status=stored.status, body=body, headers=stored.headers)
    try:
        response = await handler(request)
    except ApiError as exc:
        response = error_response(ctx.request_id, exc)
    if (
        isinstance(response, web.Response)
        and isinstance(response.body, bytes)
        and response.status < 500
        and response.status != 429
    ):
        state.idempotency[slot] = StoredResponse(
            digest=digest,
            status=response.status,
            body=response.body,
            headers={n: response.headers[n] for n in REPLAYED_HEADERS if n in response.headers},
            request_id=ctx.request_id,
            at=now,
        )
    return response


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
    audit_middleware,
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
    now = state.clock.now()
    if key.expired(now):  # a revoked child key, or a rotated one past its 24 h grace
        raise _unauthenticated("This API key was revoked.")
    key.last_used_at = now
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


def _from_http_exception(exc: web.HTTPException) -> ApiError:
    """aiohttp's routing errors in the documented envelope.

    An unknown path is 404 ``NOT_FOUND``. A known path called with another method is 405 with
    an ``Allow`` header; its code ``METHOD_NOT_ALLOWED`` is inferred (the docs print none).
    """
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return ApiError(
            405,
            "METHOD_NOT_ALLOWED",
            f"{exc.method} is not allowed here; use {allowed}.",
            headers={"Allow": allowed},
        )
    if exc.status == 404:
        return ApiError(404, "NOT_FOUND", "No such route.")
    return ApiError(exc.status, default_code(exc.status), exc.reason)


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
