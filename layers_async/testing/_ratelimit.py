"""Token buckets per (key, endpoint class), holding one minute of the tier's figure, and the
per-key daily cap on write-light calls."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping

import attrs

#: The endpoint classes (README section 3).
READ_LIGHT = "read-light"
WRITE_LIGHT = "write-light"
LONG_RUNNING = "long-running"

#: Requests per minute by tier and endpoint class (README section 3).
TIER_RPM: Mapping[str, Mapping[str, int]] = {
    "standard": {READ_LIGHT: 120, WRITE_LIGHT: 60, LONG_RUNNING: 20},
    "pilot": {READ_LIGHT: 1200, WRITE_LIGHT: 600, LONG_RUNNING: 60},
    "partner": {READ_LIGHT: 6000, WRITE_LIGHT: 3000, LONG_RUNNING: 300},
}

#: Write-light calls per key per day by tier (README section 3).
TIER_WRITE_DAILY_CAP: Mapping[str, int] = {"standard": 10_000, "pilot": 100_000, "partner": 500_000}

#: The daily cap's window: a rolling 24 h of API time (rolling rather than calendar: inferred).
DAY = 24 * 3600.0

_EPSILON = 1e-9

#: Per-org cap on concurrently running jobs. Inferred: the docs say a cap exists, not its size.
#: Sized so a tier's long-running rate is reachable with 90-240 s ingests (Little's law:
#: 20/min x 4 min = 80 running on standard); a smaller cap would make the tier rate a fiction.
DEFAULT_MAX_RUNNING_JOBS: Mapping[str, int] = {"standard": 100, "pilot": 300, "partner": 1500}


@attrs.define(kw_only=True)
class Bucket:
    """A token bucket refilling continuously at ``capacity`` tokens per API minute."""

    capacity: float
    tokens: float
    updated: float

    @property
    def rate(self) -> float:
        """Tokens per API second."""
        return self.capacity / 60.0

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last update."""
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now


@attrs.frozen(kw_only=True)
class Decision:
    """The outcome of drawing one token, with the values for the response headers."""

    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-*`` headers (names inferred; Reset is seconds until full)."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateLimiter:
    """All buckets of one fake."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def _bucket(self, key_id: str, tier: str, rate_class: str, now: float) -> Bucket:
        bucket = self._buckets.get((key_id, rate_class))
        if bucket is None:
            capacity = float(TIER_RPM[tier][rate_class])
            bucket = Bucket(capacity=capacity, tokens=capacity, updated=now)
            self._buckets[(key_id, rate_class)] = bucket
        bucket.refill(now)
        return bucket

    def take(self, key_id: str, tier: str, rate_class: str, now: float) -> Decision:
        """Draw one token if there is one."""
        bucket = self._bucket(key_id, tier, rate_class, now)
        allowed = bucket.tokens >= 1.0 - _EPSILON  # refills are float sums
        if allowed:
            bucket.tokens = max(bucket.tokens - 1.0, 0.0)
        return self._decision(bucket, allowed)

    def peek(self, key_id: str, tier: str, rate_class: str, now: float) -> Decision:
        """The bucket's state without drawing."""
        return self._decision(self._bucket(key_id, tier, rate_class, now), True)

    @staticmethod
    def _decision(bucket: Bucket, allowed: bool) -> Decision:
        missing = max(1.0 - bucket.tokens, 0.0)
        return Decision(
            allowed=allowed,
            limit=int(bucket.capacity),
            remaining=math.floor(bucket.tokens + _EPSILON),
            reset=math.ceil((bucket.capacity - bucket.tokens) / bucket.rate),
            retry_after=max(1, math.ceil(missing / bucket.rate - _EPSILON)),
        )


def rate_class_for_method(method: str) -> str:
    """The class of a route the table does not know (GET reads, anything else writes)."""
    return READ_LIGHT if method in ("GET", "HEAD") else WRITE_LIGHT


class DailyWrites:
    """Write-light calls per key over a rolling 24 h of API time."""

    def __init__(self) -> None:
        self._calls: dict[str, deque[float]] = {}

    def _window(self, key_id: str, now: float) -> deque[float]:
        calls = self._calls.setdefault(key_id, deque())
        while calls and calls[0] + DAY <= now:
            calls.popleft()
        return calls

    def retry_after(self, key_id: str, cap: int, now: float) -> int | None:
        """None while the key has calls left in the window, else seconds until one frees."""
        calls = self._window(key_id, now)
        if len(calls) < cap:
            return None
        frees_at = calls[len(calls) - cap] + DAY
        return max(1, math.ceil(frees_at - now - _EPSILON))

    def record(self, key_id: str, now: float) -> None:
        """Count one write-light call."""
        self._window(key_id, now).append(now)
