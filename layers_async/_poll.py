"""When to poll a job next: a pure policy, no clock."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import attrs

__all__ = ["PollPolicy"]

TERMINAL_STATUSES = frozenset({"completed", "failed", "canceled"})


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValueError(f"{attribute.name} must be a finite number > 0, got {value!r}")


def _unit(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, int | float) and 0 <= value < 1):
        raise ValueError(f"{attribute.name} must be in [0, 1), got {value!r}")


@attrs.frozen(kw_only=True)
class PollPolicy:
    """Delays between polls of one job.

    The n-th delay (n from 0) is ``initial * multiplier**n`` times a random
    factor in ``[1 - jitter, 1 + jitter]``, clamped to ``[initial, maximum]``:
    with the defaults the first wait is 5-5.5 s and 30 s is reached by the sixth.
    """

    initial: float = attrs.field(default=5.0, validator=_positive)
    maximum: float = attrs.field(default=30.0, validator=_positive)
    multiplier: float = attrs.field(default=1.5, validator=_positive)
    jitter: float = attrs.field(default=0.1, validator=_unit)
    #: Social OAuth hand-offs (README section 5): poll every 2 s, give up after 10 min.
    oauth_interval: float = attrs.field(default=2.0, validator=_positive)
    oauth_timeout: float = attrs.field(default=600.0, validator=_positive)

    def __attrs_post_init__(self) -> None:
        if self.maximum < self.initial:
            raise ValueError(f"maximum ({self.maximum}) must be >= initial ({self.initial})")

    def scaled(self, factor: float) -> PollPolicy:
        """The same policy with every duration multiplied by ``factor``."""
        if not (isinstance(factor, int | float) and math.isfinite(factor) and factor > 0):
            raise ValueError(f"factor must be a finite number > 0, got {factor!r}")
        return attrs.evolve(self, initial=self.initial * factor, maximum=self.maximum * factor,
                            oauth_interval=self.oauth_interval * factor,
                            oauth_timeout=self.oauth_timeout * factor)

    def delay(self, n: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after poll number ``n`` (0-based) before the next one."""
        # Past the point where the cap is certain, skip the power (it would overflow).
        raw = self.maximum if n > 200 else self.initial * self.multiplier**n
        factor = 1.0 - self.jitter + 2.0 * self.jitter * rand()
        return min(self.maximum, max(self.initial, raw * factor))


def is_terminal(status: str) -> bool:
    """Whether a job status is final (terminal states never change)."""
    return status in TERMINAL_STATUSES
