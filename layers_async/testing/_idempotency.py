"""Idempotency-Key handling: replay within 24 h, 409 on a different body (README section 4)."""

from __future__ import annotations

import hashlib

import attrs
from aiohttp import web

from ._context import Handler, context
from ._errors import ApiError, error_response
from ._state import STATE

IDEMPOTENCY_WINDOW = 24 * 3600.0
_MUTATING = frozenset({"POST", "PATCH", "DELETE"})
_REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")


@attrs.frozen(kw_only=True)
class StoredResponse:
    """A response kept for replay under an Idempotency-Key."""

    digest: str
    status: int
    body: bytes
    headers: dict[str, str]
    at: float


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Replay or refuse repeated Idempotency-Keys per (key id, method + route template)."""
    state = request.app[STATE]
    ctx = context(request)
    idempotency_key = request.headers.get("Idempotency-Key")
    if request.method not in _MUTATING or ctx.route is None or not idempotency_key:
        return await handler(request)
    body = await request.read()
    digest = hashlib.sha256(body).hexdigest()
    key = context(request).key
    assert key is not None  # the auth middleware ran
    slot = (key.id, f"{request.method} {ctx.route.path}", idempotency_key)
    now = state.clock.now()
    stored = state.idempotency.get(slot)
    if stored is not None and now - stored.at < IDEMPOTENCY_WINDOW:
        if stored.digest != digest:
            raise ApiError(
                409,
                "IDEMPOTENCY_CONFLICT",
                "This Idempotency-Key was already used with a different request body.",
            )
        return web.Response(status=stored.status, body=stored.body, headers=stored.headers)
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
            headers={n: response.headers[n] for n in _REPLAYED_HEADERS if n in response.headers},
            at=now,
        )
    return response
