"""Opaque cursors bound to the listing's filters, and ``limit`` parsing."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypeVar

from aiohttp import web

from ._validation import query_issue


def parse_limit(request: web.Request, *, default: int, maximum: int) -> int:
    """``limit`` from the query: an integer in 1..maximum, else 422."""
    raw = request.query.get("limit")
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise query_issue("limit", "Must be an integer.") from None
    if not 1 <= limit <= maximum:
        raise query_issue("limit", f"Must be between 1 and {maximum}.")
    return limit


def _fingerprint(listing: str, filters: Mapping[str, Any]) -> str:
    blob = json.dumps([listing, filters], sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def encode_cursor(listing: str, filters: Mapping[str, Any], position: int) -> str:
    """A cursor resuming after ``position`` under exactly these filters."""
    payload = {"p": position, "f": _fingerprint(listing, filters)}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def decode_cursor(request: web.Request, listing: str, filters: Mapping[str, Any]) -> int | None:
    """The position in ``cursor``; 422 when it is malformed or was made for other filters."""
    raw = request.query.get("cursor")
    if raw is None or raw == "":
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise query_issue("cursor", "Malformed cursor.") from None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("p"), int)
        or not isinstance(payload.get("f"), str)
    ):
        raise query_issue("cursor", "Malformed cursor.")
    if payload["f"] != _fingerprint(listing, filters):
        raise query_issue("cursor", "This cursor belongs to a different listing or filters.")
    position: int = payload["p"]
    return position


class _Sequenced(Protocol):
    @property
    def seq(self) -> int: ...


R = TypeVar("R", bound=_Sequenced)


def newest_first(
    request: web.Request,
    listing: str,
    filters: Mapping[str, Any],
    rows: Iterable[R],
    *,
    default: int,
    maximum: int,
) -> tuple[list[R], str | None]:
    """One page of ``rows`` (already filtered), newest first by ``seq``, after the request's
    cursor; and the cursor of the next page (None: the last one)."""
    limit = parse_limit(request, default=default, maximum=maximum)
    before = decode_cursor(request, listing, filters)
    matching = sorted(
        (row for row in rows if before is None or row.seq < before),
        key=lambda row: row.seq,
        reverse=True,
    )
    page = matching[:limit]
    more = len(matching) > limit
    return page, encode_cursor(listing, filters, page[-1].seq) if more else None
