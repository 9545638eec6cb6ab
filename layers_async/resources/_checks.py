"""Argument checks several resources share (each raises before any request)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utc_z"]


def utc_z(value: datetime | None, what: str) -> str | None:
    """An aware datetime as UTC with a ``Z`` suffix (the only form the filters accept)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware (the API filters on UTC instants)")
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")
    return text + "Z"
