"""RetryPolicy, retryable statuses and Retry-After parsing: pure, no clock."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from layers_async import RetryPolicy
from layers_async._retry import is_retryable, parse_retry_after


def test_backoff_grows_exponentially_and_caps_without_jitter() -> None:
    """0.5 s * 2**n capped at 8 s when the random factor is at its top."""
    policy = RetryPolicy()
    assert [0.5, 1.0, 2.0, 4.0, 8.0, 8.0] == [policy.backoff(n, lambda: 0.0) for n in range(6)]


def test_backoff_jitter_stays_within_its_band() -> None:
    """Jitter only shortens a wait, by at most the jitter fraction."""
    policy = RetryPolicy()
    assert 0.375 == policy.backoff(0, lambda: 1.0)
    assert all(0.375 <= policy.backoff(0) <= 0.5 for _ in range(200))


def test_retry_after_is_obeyed_exactly_up_to_the_cap() -> None:
    """A Retry-After within 60 s is the wait; a longer one gives up (None)."""
    policy = RetryPolicy()
    assert 7.0 == policy.delay(0, 7.0)
    assert 60.0 == policy.delay(0, 60.0)
    assert policy.delay(0, 61.0) is None


def test_scaled_policy_scales_backoff_and_retry_after() -> None:
    """scaled(f) multiplies every wait, Retry-After included, but not the cap test."""
    policy = RetryPolicy().scaled(0.001)
    assert 0.0005 == pytest.approx(policy.backoff(0, lambda: 0.0))
    assert 0.03 == pytest.approx(policy.delay(0, 30.0))
    assert policy.delay(0, 90.0) is None


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (500, None, True),
        (502, "SERVER_ERROR", True),
        (503, None, True),
        (408, None, True),
        (429, "RATE_LIMITED", True),
        (503, "KILL_SWITCH", False),
        (400, "VALIDATION", False),
        (401, "UNAUTHENTICATED", False),
        (404, "NOT_FOUND", False),
        (409, "IDEMPOTENCY_CONFLICT", False),
        (422, "VALIDATION", False),
    ],
)
def test_which_responses_are_retried(status: int, code: str | None, expected: bool) -> None:
    """5xx, 408 and 429 are retried; KILL_SWITCH and other 4xx never."""
    assert expected == is_retryable(status, code)


def test_parse_retry_after_seconds_and_http_date() -> None:
    """Delta-seconds and HTTP dates both parse; garbage gives None."""
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=timezone.utc)
    assert 3.0 == parse_retry_after("3")
    assert 0.0 == parse_retry_after("-4")
    assert 90.0 == parse_retry_after("Sat, 28 Nov 2026 12:01:30 GMT", now)
    assert 0.0 == parse_retry_after("Sat, 28 Nov 2026 11:00:00 GMT", now)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("nan") is None


@pytest.mark.parametrize("bad", [{"max_retries": -1}, {"initial": -0.1}, {"maximum": float("inf")}])
def test_bad_policy_values_are_refused(bad: dict[str, float]) -> None:
    """Negative or infinite settings raise ValueError at construction."""
    with pytest.raises(ValueError):  # noqa: PT011 - the message names the field
        RetryPolicy(**bad)  # type: ignore[arg-type]
