"""Request-body checks that answer 422 VALIDATION with ``details.issues``."""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Collection
from typing import Any

from aiohttp import web

from ._errors import ApiError, validation_error

Path = tuple[str | int, ...]


async def read_object(request: web.Request) -> dict[str, Any]:
    """The JSON object body, or 422."""
    raw = await request.read()
    if not raw.strip():
        raise validation_error([((), "A JSON object body is required.")])
    try:
        data = json.loads(raw)
    except ValueError:
        raise validation_error([((), "The body is not valid JSON.")]) from None
    if not isinstance(data, dict):
        raise validation_error([((), "The body must be a JSON object.")])
    return data


class Checker:
    """Collects every issue in a body, then raises them together."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.issues: list[tuple[Path, str]] = []

    def fail(self, path: Path, message: str) -> None:
        """Record one issue."""
        self.issues.append((path, message))

    def string(
        self,
        name: str,
        *,
        required: bool = False,
        min_len: int | None = None,
        max_len: int | None = None,
        nullable: bool = False,
    ) -> str | None:
        """An optional (or required) string field with length bounds."""
        if name not in self.body or (self.body[name] is None and nullable):
            if required:
                self.fail((name,), "Required.")
            return None
        value = self.body[name]
        if not isinstance(value, str):
            self.fail((name,), "Expected a string.")
            return None
        if min_len is not None and len(value) < min_len:
            self.fail((name,), f"Must be at least {min_len} characters.")
        if max_len is not None and len(value) > max_len:
            self.fail((name,), f"Must be at most {max_len} characters.")
        return value

    def boolean(self, name: str) -> bool | None:
        """An optional boolean field."""
        value = self.body.get(name)
        if name in self.body and not isinstance(value, bool):
            self.fail((name,), "Expected a boolean.")
            return None
        return value

    def integer(self, name: str, *, low: int, high: int) -> int | None:
        """An optional integer field within bounds."""
        if name not in self.body:
            return None
        value = self.body[name]
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail((name,), "Expected an integer.")
            return None
        if not low <= value <= high:
            self.fail((name,), f"Must be between {low} and {high}.")
        return value

    def choice(self, name: str, allowed: Collection[str]) -> str | None:
        """An optional string field limited to ``allowed``."""
        value = self.string(name)
        if value is not None and value not in allowed:
            self.fail((name,), f"Must be one of: {', '.join(sorted(allowed))}.")
        return value

    def subset(self, path: Path, value: Any, allowed: Collection[str]) -> list[str] | None:
        """A list of strings each in ``allowed``."""
        if not isinstance(value, list):
            self.fail(path, "Expected an array of strings.")
            return None
        for index, item in enumerate(value):
            if item not in allowed:
                self.fail((*path, index), f"Must be one of: {', '.join(sorted(allowed))}.")
        return [str(item) for item in value]

    def mapping(self, name: str) -> dict[str, Any] | None:
        """An optional JSON object field."""
        if name not in self.body:
            return None
        value = self.body[name]
        if not isinstance(value, dict):
            self.fail((name,), "Expected an object.")
            return None
        return value

    def timezone(self, name: str, *, required: bool) -> str | None:
        """An IANA timezone name."""
        value = self.string(name, required=required, min_len=1)
        if value and not valid_timezone(value):
            self.fail((name,), "Must be an IANA timezone name, e.g. 'America/Los_Angeles'.")
        return value

    def done(self, *, status: int = 422) -> None:
        """Raise VALIDATION if any issue was recorded."""
        if self.issues:
            raise validation_error(self.issues, status=status)


def valid_timezone(name: str) -> bool:
    """Whether ``name`` is a known IANA zone."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def query_issue(name: str, message: str) -> ApiError:
    """422 for a bad query parameter."""
    return validation_error([((name,), message)])
