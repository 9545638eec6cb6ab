"""Idempotency-Key records: replay within 24 h, 409 on a different body (README section 4)."""

from __future__ import annotations

import hashlib
import json
import re

import attrs

IDEMPOTENCY_WINDOW = 24 * 3600.0
MUTATING = frozenset({"POST", "PATCH", "DELETE"})
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")
#: Routes whose replays say so in the body: README section 4, credit allocation's
#: ``replayed: true``.
MARKS_REPLAYS = frozenset({"allocateChildCredits"})

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
# 26 Crockford base32 characters; a first one above 7 would overflow ULID's 128 bits.
_ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$", re.IGNORECASE)


def valid_key(key: str) -> bool:
    """Whether ``key`` is a UUID (canonical 8-4-4-4-12 form, any version) or a ULID."""
    return bool(_UUID.match(key) or _ULID.match(key))


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


def mark_replayed(body: bytes) -> bytes:
    """A stored JSON object body with ``replayed: true`` (other bodies unchanged)."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict):
        return body
    return json.dumps({**data, "replayed": True}).encode()
