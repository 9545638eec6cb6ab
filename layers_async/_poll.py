"""When to poll a job next: a pure policy, no clock.

With nothing useful to go on the policy backs off 5 s -> 30 s with jitter. With
progress it estimates when the job will end and aims the next poll there:

- progress within the current stage moves linearly (the server reports fixed
  weights per stage), so the rate seen inside the stage says when the stage ends;
- the stages after it are estimated at the job's average rate so far;
- finished jobs of the same kind teach where each stage ends (the highest
  progress seen in it) and which stage is last: in the last stage the in-stage
  rate alone says when the job ends.

An uncertain estimate aims a little early (to look again before the end); a
precise one aims just after the end. Every delay is clamped to [initial, maximum].
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable

import attrs

__all__ = ["KindStats", "PollPolicy", "PostPollPolicy", "Track"]

TERMINAL_STATUSES = frozenset({"completed", "failed", "canceled"})


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValueError(f"{attribute.name} must be a finite number > 0, got {value!r}")


def _unit_or_more(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


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
    #: Aim at the expected end from progress and stage (False: the plain backoff only).
    adaptive: bool = True
    #: Seconds after a precisely expected end to poll (progress is whole percent steps).
    margin: float = attrs.field(default=0.5, validator=_unit_or_more)
    #: How far the stages still to come may stray from the average rate (relative).
    spread: float = attrs.field(default=0.25, validator=_unit)
    #: An uncertain estimate aims this many spreads early, to look again before the end.
    caution: float = attrs.field(default=0.5, validator=_unit_or_more)
    #: Before the last stage, land this far into it (a share of its expected length), so a
    #: second look there can time its end.
    land: float = attrs.field(default=0.5, validator=_unit)
    #: Polls are due on a grid of this many seconds of the event loop's clock, shared by
    #: every job of the client: thousands of waiting jobs wake the loop once per tick, not
    #: once each (the loop's and the connection's work per wake-up is then shared by every
    #: poll due in it). Each delay moves by less than one tick and stays inside
    #: ``[initial, maximum]``; 0 turns it off.
    coalesce: float = attrs.field(default=1.0, validator=_unit_or_more)
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
                            margin=self.margin * factor, coalesce=self.coalesce * factor,
                            oauth_interval=self.oauth_interval * factor,
                            oauth_timeout=self.oauth_timeout * factor)

    def delay(self, n: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after poll number ``n`` (0-based) before the next one."""
        # Past the point where the cap is certain, skip the power (it would overflow).
        raw = self.maximum if n > 200 else self.initial * self.multiplier**n
        factor = 1.0 - self.jitter + 2.0 * self.jitter * rand()
        return min(self.maximum, max(self.initial, raw * factor))


    def due(self, anchor: float, delay: float) -> float:
        """When a poll ``delay`` seconds after ``anchor`` (the last send) is due, moved
        onto the ``coalesce`` grid: the next tick, or the one before when the next would
        be more than ``maximum`` after ``anchor``; unmoved when no tick fits."""
        at = anchor + delay
        tick = self.coalesce
        if tick <= 0 or not math.isfinite(at):
            return at
        up = math.ceil(at / tick) * tick
        if up - anchor <= self.maximum:
            return up
        down = up - tick
        return down if down - anchor >= self.initial else at

    def next_delay(self, n: int, track: Track | None, stats: KindStats | None,
                   rand: Callable[[], float] = random.random) -> float:
        """Seconds after the last poll before the next one.

        ``n`` counts the polls so far (the backoff's step), ``track`` is what was
        seen of this job, ``stats`` what finished jobs of its kind taught (None for
        a kind the client does not know: then the plain backoff).
        """
        estimate = self.estimate(track, stats) if self.adaptive and stats is not None else None
        if estimate is None:
            return self.delay(n, rand)
        remaining, uncertainty, precise = estimate
        wanted = remaining + self.margin if precise else remaining - self.caution * uncertainty
        last_stage = self._last_stage(track, stats) if not precise else None
        if last_stage is not None:
            starts_in, length = last_stage
            wanted = min(wanted, starts_in + self.land * length)
        return min(self.maximum, max(self.initial, wanted))

    @staticmethod
    def _last_stage(track: Track | None,
                    stats: KindStats | None) -> tuple[float, float] | None:
        """(seconds until the last stage starts, its expected length) while in an earlier
        stage whose end was learned; None otherwise."""
        if track is None or stats is None or stats.final_stage is None \
                or track.stage == stats.final_stage or track.stage not in stats.tops:
            return None
        moved = track.last_progress - track.first_progress
        if moved <= 0 or track.last_at <= track.first_at:
            return None
        average = moved / (track.last_at - track.first_at)
        start = stats.final_start()
        in_stage = track.last_progress - track.stage_progress
        top = stats.tops[track.stage]
        end = min(1.0, max(top + 0.01, track.last_progress))
        rate = (in_stage / (track.last_at - track.stage_at)
                if in_stage > 0 and track.last_at > track.stage_at else average)
        starts_in = (end - track.last_progress) / rate + max(0.0, start - end) / average
        return starts_in, (1.0 - start) / average

    def estimate(self, track: Track | None,
                 stats: KindStats | None) -> tuple[float, float, bool] | None:
        """(seconds left, how unsure, precise?) from the last poll; None when the
        snapshots say nothing useful (no progress, a stall, too few looks)."""
        if track is None:
            return None
        last_at, last = track.last_at, track.last_progress
        if last_at <= track.first_at or track.unchanged >= 2:
            return None
        moved = last - track.first_progress
        if not 0 < last < 1 or moved <= 0:
            return None
        average = moved / (last_at - track.first_at)
        in_stage = last - track.stage_progress
        stage_at = track.stage_at
        stage_rate = in_stage / (last_at - stage_at) if in_stage > 0 and last_at > stage_at \
            else None
        stage = track.stage
        if stats is None:
            final = top = None
        else:
            final = stats.final_stage
            top = stats.tops.get(stage) if stage is not None else None
        if stage_rate is not None and stage == final:
            # The last stage: its own rate says when the job ends (progress is floored
            # to whole percent, so the end is up to one step later than it looks).
            remaining = (1.0 - last) / stage_rate
            return remaining + 0.005 / stage_rate, 0.1 * remaining, True
        if stage_rate is not None and top is not None and final is not None:
            end = min(1.0, max(top + 0.01, last))
            later = (1.0 - end) / average
            return (end - last) / stage_rate + later, self.spread * later, False
        remaining = (1.0 - last) / average
        return remaining, self.spread * remaining, False


@attrs.define(kw_only=True)
class Track:
    """What a waiter has seen of one job, in loop seconds: its first look, where the
    current stage was first seen, and the last look (a few numbers, not a history).

    The scheduler keeps one per job and moves it on in place (:meth:`advance`) at each
    look: one object per job rather than one per poll (at scale, every object a poll
    leaves behind is one more for the garbage collector to walk). :meth:`observe` is the
    same step as a value, for code that keeps tracks side by side."""

    first_at: float
    first_progress: float
    stage: str | None
    stage_at: float
    stage_progress: float
    last_at: float
    last_progress: float
    #: Looks in a row that brought no progress (304s included).
    unchanged: int = 0

    @classmethod
    def start(cls, at: float, progress: float | None, stage: str | None) -> Track:
        """The first look at a job (progress None counts as 0: a job just started)."""
        value = progress or 0.0
        return cls(first_at=at, first_progress=value, stage=stage, stage_at=at,
                   stage_progress=value, last_at=at, last_progress=value)

    def advance(self, at: float, progress: float | None, stage: str | None) -> None:
        """Take in one more look (progress None: unchanged, as after a 304)."""
        last = self.last_progress
        value = last if progress is None else max(progress, last)
        self.unchanged = self.unchanged + 1 if value <= last else 0
        if stage != self.stage:
            self.stage = stage
            self.stage_at = at
            self.stage_progress = value
        self.last_at = at
        self.last_progress = value

    def observe(self, at: float, progress: float | None, stage: str | None) -> Track:
        """A new track: this one after one more look (this one is left as it is)."""
        track = copy.copy(self)
        track.advance(at, progress, stage)
        return track


@attrs.define
class KindStats:
    """What finished and running jobs of one kind taught the policy."""

    #: The stage a completed job of this kind ends in.
    final_stage: str | None = None
    #: The highest progress seen in each stage (just under where the stage ends).
    tops: dict[str, float] = attrs.Factory(dict)

    #: Where the final stage starts (see :meth:`final_start`), until tops or final change.
    _start: float | None = attrs.field(default=None, init=False, eq=False, repr=False)

    def seen(self, stage: str | None, progress: float | None) -> None:
        """Learn from one running snapshot."""
        if stage is not None and progress is not None and progress > self.tops.get(stage, -1.0):
            self.tops[stage] = progress
            self._start = None

    def completed(self, stage: str | None) -> None:
        """Learn from a completed job's terminal snapshot."""
        if stage is not None and stage != self.final_stage:
            self.final_stage = stage
            self._start = None

    def final_start(self) -> float:
        """The progress at which the final stage starts: just past the highest progress
        seen in any other stage (looked up once per change, not once per poll)."""
        if self._start is None:
            earlier = [top for stage, top in self.tops.items() if stage != self.final_stage]
            self._start = min(1.0, max(earlier, default=0.0) + 0.01)
        return self._start


@attrs.frozen(kw_only=True)
class PostPollPolicy:
    """Delays between polls of a scheduled post, by its status (README section 5): every
    30 s while ``queued``, every 5 s while ``publishing`` (and any other status that is
    not final)."""

    queued: float = attrs.field(default=30.0, validator=_positive)
    publishing: float = attrs.field(default=5.0, validator=_positive)

    def scaled(self, factor: float) -> PostPollPolicy:
        """The same policy with every duration multiplied by ``factor``."""
        if not (isinstance(factor, int | float) and math.isfinite(factor) and factor > 0):
            raise ValueError(f"factor must be a finite number > 0, got {factor!r}")
        return PostPollPolicy(queued=self.queued * factor, publishing=self.publishing * factor)

    def delay(self, status: str) -> float:
        """Seconds to wait before polling a post seen in ``status``."""
        return self.queued if status == "queued" else self.publishing


def is_terminal(status: str) -> bool:
    """Whether a job status is final (terminal states never change)."""
    return status in TERMINAL_STATUSES
