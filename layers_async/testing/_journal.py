"""The journal's entries: every request the fake received, in the order it arrived."""

from __future__ import annotations

from typing import Any

import attrs

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

    ``query`` keeps one value per parameter name (the first), which is enough for most checks;
    ``query_all`` keeps every value of each name in the order sent, so a repeated parameter
    (``status=queued&status=failed``) reads ``{"status": ["queued", "failed"]}``.
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
    query_all: dict[str, list[str]] = attrs.field(factory=dict)
