"""API time: the event loop's clock, scaled, plus whatever tests ``advance``."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime


def _loop_time() -> float:
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:  # called outside a loop: the default loop clock is monotonic
        return time.monotonic()


class Clock:
    """Seconds of API time; wall-clock stamps are anchored at construction."""

    def __init__(self, time_scale: float) -> None:
        if not time_scale > 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._offset = 0.0
        self._api_origin = self.now()
        self._wall_origin = time.time()

    def now(self) -> float:
        """Current API time in seconds."""
        return _loop_time() * self.time_scale + self._offset

    def advance(self, seconds: float) -> None:
        """Jump API time forward."""
        if seconds < 0:
            raise ValueError("API time only moves forward")
        self._offset += seconds

    async def sleep(self, api_seconds: float) -> None:
        """Sleep for ``api_seconds`` of API time on the event loop."""
        await asyncio.sleep(max(api_seconds, 0.0) / self.time_scale)

    def wall(self, api_time: float) -> datetime:
        """The UTC datetime an API instant corresponds to."""
        return datetime.fromtimestamp(self._wall_origin + (api_time - self._api_origin), UTC)

    def from_wall(self, stamp: datetime) -> float:
        """The API instant an aware UTC datetime corresponds to (inverse of ``wall``)."""
        return stamp.timestamp() - self._wall_origin + self._api_origin

    def iso(self, api_time: float) -> str:
        """ISO 8601 with milliseconds and ``Z`` (the form most examples print)."""
        stamp = self.wall(api_time)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"

    def iso_micro(self, api_time: float) -> str:
        """ISO 8601 with microseconds and ``+00:00`` (the GitHub objects' form)."""
        return self.wall(api_time).isoformat(timespec="microseconds")

    def epoch_ms(self, api_time: float) -> int:
        """Unix milliseconds of an API instant (for ULID-like ids)."""
        return int((self._wall_origin + (api_time - self._api_origin)) * 1000)
