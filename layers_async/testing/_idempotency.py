"""Idempotency-Key handling: replay within 24 h, 409 on a different body (README section 4)."""

from __future__ import annotations

import hashlib
import json

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
    request_id: str
    at: float


def body_digest(body: bytes) -> str:
    """A digest of the body that ignores JSON key order and whitespace.

    A JSON body is hashed in canonical form (sorted keys, no spaces); anything else, the empty
    body included, as raw bytes.
    """
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):  # not JSON (UnicodeDecodeError is a ValueError)
        return "raw:" + hashlib.sha256(body).hexdigest()
    return "json:" + hashlib.sha256(canonical.encode()).hexdigest()


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Replay or refuse repeated Idempotency-Keys.

    Keys are isolated per (API key, acting organization, method, concrete path with query):
    README section 4 isolates them per (API key, endpoint), and another resource is another
    endpoint. A replay repeats the original status, body and ``X-Request-Id``.
    """
    state = request.app[STATE]
    ctx = context(request)
    idempotency_key = request.headers.get("Idempotency-Key")
    if request.method not in _MUTATING or ctx.route is None or not idempotency_key:
        return await handler(request)
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
            request_id=ctx.request_id,
            at=now,
        )
    return response
