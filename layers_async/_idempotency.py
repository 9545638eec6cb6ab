"""Idempotency keys: checked as the API types them, or derived from the caller's own parts."""

from __future__ import annotations

import json
import re
import uuid

__all__ = ["check_idempotency_key", "idempotency_key"]

#: Fixed namespace: the same parts derive the same key in any process, on any machine.
NAMESPACE = uuid.UUID("7d0c6a5e-3f0e-5b2a-9c1d-6c6179657273")

_ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$", re.IGNORECASE)


def idempotency_key(*parts: str | int | None) -> str:
    """A deterministic UUID (v5) for one logical mutation, from your own data.

    ``idempotency_key("acme_42", "project")`` is the same string in every run, so
    a batch job restarted after a crash replays its creates instead of repeating
    them. Use a distinct part per step (``"project"``, ``"ingest"``, ...).
    """
    if not parts:
        raise ValueError("idempotency_key() needs at least one part (e.g. a customer id)")
    for part in parts:
        if isinstance(part, bool) or not (part is None or isinstance(part, str | int)):
            raise TypeError("idempotency_key parts must be str, int or None, "
                            f"got {type(part).__name__}")
    return str(uuid.uuid5(NAMESPACE, json.dumps([str(part) for part in parts])))


def check_idempotency_key(key: object) -> str:
    """A caller's key if it is a UUID or a ULID (as the API types the header)."""
    if not isinstance(key, str):
        raise TypeError(f"idempotency_key must be a string, got {type(key).__name__}")
    if _ULID.match(key):
        return key
    try:
        uuid.UUID(key)
    except ValueError:
        pass
    else:
        if len(key) == 36:  # the canonical 8-4-4-4-12 form only
            return key
    raise ValueError(
        f"idempotency_key must be a UUID or a ULID (the API types it so), got {key!r}; "
        "derive a stable one from your own data with layers_async.idempotency_key(...)")
