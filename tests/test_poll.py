"""PollPolicy: the delay sequence with an injected random source and no clock."""

from __future__ import annotations

import random

import attrs
import pytest

from layers_async import PollPolicy
from layers_async._poll import KindStats, Track


def test_default_sequence_without_jitter() -> None:
    """5 s * 1.5**n, reaching the 30 s cap by the sixth delay."""
    policy = PollPolicy()
    mid = [policy.delay(n, lambda: 0.5) for n in range(7)]
    assert [5.0, 7.5, 11.25, 16.875, 25.3125, 30.0, 30.0] == pytest.approx(mid)


def test_first_wait_is_between_5_and_5_5_seconds() -> None:
    """Jitter can't pull the first wait under the 5 s floor."""
    policy = PollPolicy()
    assert 5.0 == policy.delay(0, lambda: 0.0)
    assert 5.5 == pytest.approx(policy.delay(0, lambda: 1.0))


def test_every_delay_stays_inside_bounds() -> None:
    """Thousands of jittered delays never leave [5, 30]."""
    policy = PollPolicy()
    rng = random.Random(7)
    delays = [policy.delay(n, rng.random) for n in range(50) for _ in range(50)]
    assert 5.0 <= min(delays)
    assert 30.0 >= max(delays)


def test_huge_poll_counts_do_not_overflow() -> None:
    """A job polled for days still gets the cap, not an OverflowError."""
    assert 30.0 == PollPolicy().delay(10_000, lambda: 0.5)


def test_scaled_multiplies_every_duration() -> None:
    """scaled(1/1000) turns 5-30 s into 5-30 ms."""
    policy = PollPolicy().scaled(1 / 1000)
    assert 0.005 == pytest.approx(policy.delay(0, lambda: 0.0))
    assert 0.03 == pytest.approx(policy.delay(20, lambda: 1.0))


@pytest.mark.parametrize(
    "bad", [{"initial": 0}, {"maximum": 1.0}, {"jitter": 1.0}, {"multiplier": -1.0}]
)
def test_bad_settings_are_refused(bad: dict[str, float]) -> None:
    """Non-positive durations, a cap under the floor or jitter >= 1 raise ValueError."""
    with pytest.raises(ValueError):  # noqa: PT011 - the message names the field
        PollPolicy(**bad)  # type: ignore[arg-type]


# -- the adaptive policy (pure: tracks and stats in, seconds out) ----------------------------

def track(*looks: tuple[float, float | None, str]) -> Track:
    """A track from (loop seconds, progress, stage) looks, the first one being the start."""
    first, *rest = looks
    result = Track.start(*first)
    for look in rest:
        result = result.observe(*look)
    return result


LEARNED = KindStats(final_stage="finalizing", tops={"cloning": 0.14, "analyzing": 0.39,
                                                    "generating_sdk_patch": 0.69,
                                                    "opening_pr": 0.84})


def test_no_progress_or_an_unknown_kind_falls_back_to_the_backoff() -> None:
    """Without usable progress, or for a kind the client doesn't know, the plain 5 -> 30 s."""
    policy = PollPolicy()
    assert policy.delay(3, lambda: 0.5) == policy.next_delay(3, None, LEARNED, lambda: 0.5)
    nothing = track((0.0, 0.0, "cloning"), (5.0, 0.0, "cloning"))
    assert policy.delay(1, lambda: 0.5) == policy.next_delay(1, nothing, LEARNED, lambda: 0.5)
    moving = track((0.0, 0.0, "cloning"), (10.0, 0.1, "cloning"))
    assert policy.delay(1, lambda: 0.5) == policy.next_delay(1, moving, None, lambda: 0.5)
    off = PollPolicy(adaptive=False)
    assert off.delay(1, lambda: 0.5) == off.next_delay(1, moving, LEARNED, lambda: 0.5)


def test_a_stall_falls_back_to_the_backoff() -> None:
    """Progress that stopped moving for two looks (or went back) says nothing useful."""
    stalled = track((0.0, 0.0, "cloning"), (10.0, 0.1, "cloning"), (20.0, 0.1, "cloning"),
                    (30.0, 0.05, "cloning"))
    assert 2 == stalled.unchanged
    policy = PollPolicy()
    assert policy.delay(3, lambda: 0.5) == policy.next_delay(3, stalled, LEARNED, lambda: 0.5)


def test_in_the_last_stage_the_poll_lands_just_after_the_expected_end() -> None:
    """In finalizing at 1 %/s with 10 % left: the end is 10 s away, aimed a step later."""
    policy = PollPolicy()
    seen = track((0.0, 0.0, "cloning"), (80.0, 0.86, "finalizing"), (84.0, 0.90, "finalizing"))
    remaining, _, precise = policy.estimate(seen, LEARNED) or (0.0, 0.0, False)
    assert precise
    assert 10.0 + 0.5 == pytest.approx(remaining)
    assert 10.0 + 0.5 + policy.margin == pytest.approx(
        policy.next_delay(3, seen, LEARNED, lambda: 0.5))


def test_far_from_the_end_it_waits_the_maximum() -> None:
    """10 % done after 20 s: some 180 s to go, so the next look is 30 s away."""
    seen = track((0.0, 0.0, "cloning"), (20.0, 0.10, "cloning"))
    assert 30.0 == PollPolicy().next_delay(1, seen, LEARNED, lambda: 0.5)


def test_an_uncertain_estimate_aims_early_and_a_learned_stage_end_is_used() -> None:
    """opening_pr ends near 85 %; the last stage is guessed at the average rate, and the next
    look lands halfway into it (so a second look there can time the end)."""
    policy = PollPolicy()
    seen = track((0.0, 0.0, "cloning"), (100.0, 0.72, "opening_pr"), (110.0, 0.77, "opening_pr"))
    remaining, unsure, precise = policy.estimate(seen, LEARNED) or (0.0, 0.0, False)
    in_stage = (0.85 - 0.77) / 0.005         # 16 s at the stage's own rate
    later = (1.0 - 0.85) / (0.77 / 110.0)    # the last stage at the average rate
    assert not precise
    assert in_stage + later == pytest.approx(remaining)
    assert policy.spread * later == pytest.approx(unsure)
    expected = min(30.0, remaining - policy.caution * unsure, in_stage + policy.land * later)
    assert in_stage + policy.land * later < remaining - policy.caution * unsure
    assert expected == pytest.approx(policy.next_delay(2, seen, LEARNED, lambda: 0.5))


def test_adaptive_delays_stay_inside_bounds() -> None:
    """Whatever the looks say, every delay lies in [initial, maximum]."""
    rng = random.Random(3)
    policy = PollPolicy()
    stages = [*LEARNED.tops, "finalizing"]
    for _ in range(2000):
        t, p = 0.0, 0.0
        seen = Track.start(0.0, 0.0, "cloning")
        for n in range(rng.randint(1, 12)):
            t += rng.uniform(0.001, 40.0)
            p = min(0.99, p + rng.choice([0.0, rng.uniform(0, 0.4)]))
            seen = seen.observe(t, rng.choice([p, None]), rng.choice(stages))
            assert 5.0 <= policy.next_delay(n, seen, LEARNED, rng.random) <= 30.0


def test_stats_learn_stage_ends_and_the_last_stage() -> None:
    """The highest progress seen per stage, and the stage a completed job ends in."""
    stats = KindStats()
    for stage, progress in (("cloning", 0.1), ("cloning", 0.14), ("analyzing", 0.2)):
        stats.seen(stage, progress)
    stats.completed("finalizing")
    assert ({"cloning": 0.14, "analyzing": 0.2}, "finalizing") == (stats.tops,
                                                                  stats.final_stage)


# -- the coalesce grid -----------------------------------------------------------------------

def test_due_moves_each_poll_onto_the_grid_inside_the_bounds() -> None:
    """Every due time is on the 1 s grid, later by less than a tick, or (when the next tick
    would pass ``maximum``) earlier by less than one; always within [initial, maximum]."""
    policy = PollPolicy()
    rng = random.Random(7)
    for _ in range(5000):
        anchor = rng.uniform(0, 1e6)
        delay = rng.uniform(policy.initial, policy.maximum)
        at = policy.due(anchor, delay)
        assert policy.initial - 1e-6 <= at - anchor <= policy.maximum + 1e-6
        assert abs(at - round(at)) < 1e-6
        assert abs(at - (anchor + delay)) < policy.coalesce


def test_due_without_a_grid_or_with_no_tick_inside_the_bounds_is_unmoved() -> None:
    """coalesce=0 turns the grid off; a fixed delay (initial == maximum) has no room to move."""
    assert 12.3 + 5.25 == PollPolicy(coalesce=0).due(12.3, 5.25)
    fixed = PollPolicy(initial=5.0, maximum=5.0)
    assert 12.3 + 5.0 == fixed.due(12.3, 5.0)
    assert 10.0 + 30.0 == PollPolicy().due(10.0, 30.0)  # on the grid already
    assert 6.0 == PollPolicy().due(0.5, 5.2)  # 5.7: the next tick
    assert 30.0 == PollPolicy().due(0.5, 29.9)  # 31 would be 30.5 s after: the tick before


def test_scaled_scales_the_grid_too() -> None:
    """A policy scaled for a test keeps its grid in proportion."""
    assert 0.001 == pytest.approx(PollPolicy().scaled(1 / 1000).coalesce)


def test_advance_moves_a_track_in_place_as_observe_does_by_value() -> None:
    """The scheduler's in-place step and the value step agree; observe leaves its input."""
    rng = random.Random(7)
    stages = ["cloning", "analyzing", "opening_pr"]
    kept = Track.start(0.0, 0.0, "cloning")
    moved = Track.start(0.0, 0.0, "cloning")
    for i in range(1, 200):
        look = (float(i), rng.choice([rng.random(), None]), rng.choice(stages))
        before = kept
        snapshot = attrs.asdict(before)
        kept = kept.observe(*look)
        moved.advance(*look)
        assert snapshot == attrs.asdict(before)  # the value it came from is unchanged
        assert attrs.asdict(kept) == attrs.asdict(moved)
    assert moved.last_at == 199.0
