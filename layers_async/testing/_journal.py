"""The journal: every request the fake received, in the order it arrived."""

from __future__ import annotations

import json
import logging
from typing import Any

import attrs
from aiohttp import web

from ._context import Handler, context
from ._errors import ApiError, default_code, error_response
from ._state import STATE

logger = logging.getLogger("layers_async.testing")

#: Headers never written to the journal: they carry the key.
SECRET_HEADERS = frozenset({"x-api-key", "authorization"})


@attrs.frozen(kw_only=True)
class JournalEntry:
    """One request and the status it got.

    Entries are in receipt order: an entry takes its place when the request arrives (``at`` is
    that API time) and is completed when the response exists. ``status`` is ``None`` while the
    request is still in flight and when the connection was dropped. ``request_id`` is the
    ``X-Request-Id`` the response carried; an idempotent replay carries the original request's
    id (and ``replayed`` is True), so a replay shares its id with the entry it repeats.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    status: int | None
    request_id: str
    api_key_id: str | None
    at: float
    route: str | None = None
    replayed: bool = False


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


def _from_http_exception(exc: web.HTTPException) -> ApiError:
    if exc.status in (404, 405):
        return ApiError(404, "NOT_FOUND", "No such route.")
    return ApiError(exc.status, default_code(exc.status), exc.reason)


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
