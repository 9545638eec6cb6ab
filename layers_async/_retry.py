"""Retry decisions and backoff: small pure functions over plain values."""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Callable
from datetime import UTC, datetime

import attrs

__all__ = ["RetryPolicy", "is_retryable", "parse_retry_after"]

#: Statuses worth another attempt: timeouts, rate limits and transient server faults.
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How a failed request is retried.

    The n-th retry (n from 0) waits ``min(maximum, initial * multiplier**n)``
    times a random factor in ``[1 - jitter, 1]``. A ``Retry-After`` is obeyed
    exactly when it is at most ``max_retry_after`` seconds; a longer one is
    raised at once. ``scale`` multiplies every wait (``scaled()`` for tests).
    """

    max_retries: int = attrs.field(default=3)
    initial: float = attrs.field(default=0.5, validator=_non_negative)
    multiplier: float = attrs.field(default=2.0, validator=_non_negative)
    maximum: float = attrs.field(default=8.0, validator=_non_negative)
    jitter: float = attrs.field(default=0.25, validator=_non_negative)
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)
    scale: float = attrs.field(default=1.0, validator=_non_negative)

    @max_retries.validator
    def _check_retries(self, attribute: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"max_retries must be an int >= 0, got {value!r}")

    def scaled(self, factor: float) -> RetryPolicy:
        """The same policy with every duration multiplied by ``factor``."""
        return attrs.evolve(self, scale=self.scale * factor)

    def backoff(self, retry: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number ``retry`` (0-based) with no Retry-After."""
        try:
            grown = self.initial * self.multiplier**retry
        except OverflowError:  # a huge attempt number: the cap applies anyway
            grown = math.inf
        base = min(self.maximum, grown)
        return base * (1.0 - self.jitter * rand()) * self.scale

    def delay(self, retry: int, retry_after: float | None,
              rand: Callable[[], float] = random.random) -> float | None:
        """Seconds before retry ``retry``; ``None`` when the wait asked for is too long."""
        if retry_after is None:
            return self.backoff(retry, rand)
        if retry_after > self.max_retry_after:
            return None
        return retry_after * self.scale


    def decide(self, attempt: int, *, status: int | None = None, code: str | None = None,
               retry_after: float | None = None, retries: int | None = None,
               retry_rate_limits: bool = True,
               rand: Callable[[], float] = random.random) -> float | None:
        """Seconds to wait before another attempt after attempt ``attempt`` (1-based)
        failed, or ``None`` to give up and raise.

        ``status`` is None for a connection error or timeout (always worth a retry).
        ``retries`` overrides ``max_retries``; with ``retry_rate_limits=False`` a 429
        is given up at once, for callers that pause a whole queue instead.
        """
        if attempt > (self.max_retries if retries is None else retries):
            return None
        if status is None:
            return self.backoff(attempt - 1, rand)
        limited = status == 429 or code == "RATE_LIMITED"
        if not is_retryable(status, code) or (limited and not retry_rate_limits):
            return None
        return self.delay(attempt - 1, retry_after, rand)


def is_retryable(status: int, code: str | None) -> bool:
    """Whether a response with this status and error code may be retried."""
    if code == "KILL_SWITCH":
        return False
    return status in _RETRY_STATUSES or status >= 500


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        current = now if now is not None else datetime.now(UTC)
        return max(0.0, (when - current).total_seconds())
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
