"""PollPolicy: the delay sequence with an injected random source and no clock."""

from __future__ import annotations

import random

import pytest

from layers_async import PollPolicy


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
        PollPolicy(**bad)
