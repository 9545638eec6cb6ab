"""One-time secrets (rotated keys, child keys, webhook signing secrets): hidden by default."""

from __future__ import annotations

import hmac
from typing import Any, Final

__all__ = ["Secret"]

_HIDDEN: Final = "<secret: read .value once and store it>"


class Secret:
    """A secret the API shows once. ``repr``, ``str``, logs and JSON output never show it.

    Read it through :attr:`value`, store it where secrets belong, and drop it.
    Two secrets compare equal when their values do (in constant time).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"a secret must be a string, got {type(value).__name__}")
        self._value = value

    @property
    def value(self) -> str:
        """The secret itself: the one explicit way to see it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_HIDDEN!r})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Secret, (self._value,))
