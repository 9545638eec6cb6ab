"""Client-side pacing: wait for a token instead of collecting 429s.

The API keeps one token bucket per key and *endpoint class* (README §3):
read-light (every GET), write-light (PATCH, DELETE, synchronous POSTs) and
long-running (POSTs that start a job). Each bucket holds one minute of the
tier's figure and refills continuously. The pacer mirrors those buckets with
GCRA (a bucket expressed as one "theoretical arrival time"): each request
reserves the next free slot, so thousands of waiting tasks never stampede.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import anyio
import attrs

__all__ = ["ENDPOINT_CLASSES", "TIER_RPM", "Pacer", "Pacing"]

READ_LIGHT = "read-light"
WRITE_LIGHT = "write-light"
LONG_RUNNING = "long-running"
ENDPOINT_CLASSES = (READ_LIGHT, WRITE_LIGHT, LONG_RUNNING)

#: Requests per minute per endpoint class, by tier (docs README §3).
TIER_RPM: Mapping[str, Mapping[str, int]] = {
    "standard": {READ_LIGHT: 120, WRITE_LIGHT: 60, LONG_RUNNING: 20},
    "pilot": {READ_LIGHT: 1200, WRITE_LIGHT: 600, LONG_RUNNING: 60},
    "partner": {READ_LIGHT: 6000, WRITE_LIGHT: 3000, LONG_RUNNING: 300},
}

@attrs.frozen(kw_only=True)
class Pacing:
    """Settings of the client-side pacer (on by default: ``AsyncLayers(pacing=False)`` is off).

    ``tier`` sizes the buckets. With ``None`` nothing is held back until the
    tier is known: from ``whoami()``, or per class from the ``X-RateLimit-Limit``
    header of any response, or (sized as ``standard``) from a 429. Headers win
    over a configured tier. Of each burst, ``headroom`` tokens and whatever
    refills during ``latency`` seconds (real seconds, not scaled) are left
    unused: requests released together reach the API spread over the network's
    latency, and a bucket that is already full can't bank that refill.
    ``scale`` multiplies every other duration (``scaled(1/1000)`` against
    ``FakeLayers(time_scale=1000)``).
    """

    tier: str | None = None
    headroom: int = 2
    latency: float = 0.1
    scale: float = 1.0

    def __attrs_post_init__(self) -> None:
        if self.tier is not None and self.tier not in TIER_RPM:
            raise ValueError(f"tier must be one of {sorted(TIER_RPM)}, got {self.tier!r}")
        if not (isinstance(self.scale, int | float) and math.isfinite(self.scale)
                and self.scale > 0):
            raise ValueError(f"scale must be a finite number > 0, got {self.scale!r}")
        if isinstance(self.headroom, bool) or not isinstance(self.headroom, int) \
                or self.headroom < 0:
            raise ValueError(f"headroom must be an int >= 0, got {self.headroom!r}")
        if not (isinstance(self.latency, int | float) and 0 <= self.latency < math.inf):
            raise ValueError(f"latency must be a finite number >= 0, got {self.latency!r}")

    def scaled(self, factor: float) -> Pacing:
        """The same settings with every duration multiplied by ``factor``."""
        return attrs.evolve(self, scale=self.scale * factor)


@attrs.define
class _Bucket:
    """GCRA state of one endpoint class: ``tat`` is when the bucket is next full."""

    rpm: float
    interval: float      # loop seconds per token
    tolerance: float     # loop seconds of burst: capacity - 1 - the margin, in tokens
    tat: float = -math.inf

    @classmethod
    def sized(cls, rpm: float, pacing: Pacing) -> _Bucket:
        interval = 60.0 / rpm * pacing.scale
        margin = max(pacing.headroom, math.ceil(pacing.latency / interval))
        burst = max(0.0, rpm - 1 - margin)
        return cls(rpm=rpm, interval=interval, tolerance=burst * interval)


class Pacer:
    """One pacer per client: a bucket per endpoint class, on the event loop's clock."""

    def __init__(self, pacing: Pacing) -> None:
        self.pacing = pacing
        #: The tier the buckets are sized for (None: not known yet, nothing held back).
        self.tier = pacing.tier
        self._buckets: dict[str, _Bucket] = {}
        if pacing.tier is not None:
            self._size_all(pacing.tier)
        #: Loop seconds spent waiting for tokens, per class (for benchmarks and logs).
        self.waited: dict[str, float] = dict.fromkeys(ENDPOINT_CLASSES, 0.0)

    def reserve(self, name: str, now: float) -> float:
        """Take the next slot of ``name``'s bucket; return how long to wait for it (pure)."""
        bucket = self._buckets.get(name)
        if bucket is None:
            return 0.0
        tat = max(bucket.tat, now)
        bucket.tat = tat + bucket.interval
        wait = tat - bucket.tolerance - now
        return wait if wait > 1e-9 else 0.0  # float sums of intervals drift by ulps

    async def acquire(self, name: str) -> None:
        """Wait until a request of class ``name`` may go out."""
        delay = self.reserve(name, anyio.current_time())
        if delay > 0:
            self.waited[name] += delay
            await anyio.sleep(delay)

    def learn_tier(self, tier: str) -> None:
        """Size every bucket for ``tier`` (from whoami) unless a tier was configured."""
        if self.pacing.tier is not None or tier not in TIER_RPM or tier == self.tier:
            return
        self.tier = tier
        self._size_all(tier)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Size a bucket from ``X-RateLimit-Endpoint-Class`` and ``X-RateLimit-Limit``."""
        name = headers.get("x-ratelimit-endpoint-class")
        limit = headers.get("x-ratelimit-limit")
        if name not in ENDPOINT_CLASSES or limit is None:
            return
        try:
            rpm = float(limit)
        except ValueError:
            return
        bucket = self._buckets.get(name)
        if rpm >= 1 and math.isfinite(rpm) and (bucket is None or rpm != bucket.rpm):
            self._resize(name, rpm)

    def penalize(self, name: str, retry_after: float | None, now: float) -> None:
        """After a 429 on ``name``: send nothing of that class for ``retry_after`` seconds."""
        if name not in ENDPOINT_CLASSES:
            return
        if name not in self._buckets:  # limits we didn't know of: assume the smallest tier
            self._resize(name, TIER_RPM["standard"][name])
        bucket = self._buckets[name]
        wait = (retry_after if retry_after is not None else 1.0) * self.pacing.scale
        bucket.tat = max(bucket.tat, now + wait + bucket.tolerance)

    def _size_all(self, tier: str) -> None:
        for name, rpm in TIER_RPM[tier].items():
            self._resize(name, rpm)

    def _resize(self, name: str, rpm: float) -> None:
        old = self._buckets.get(name)
        new = _Bucket.sized(rpm, self.pacing)
        if old is not None and old.tat != -math.inf:
            now = anyio.current_time()
            if old.tat > now:
                # Keep the tokens already in use; they come back at the new rate.
                new.tat = now + (old.tat - now) / old.interval * new.interval
        self._buckets[name] = new
