"""Client-side pacing: endpoint classes, GCRA slots (pure), and zero 429s against the fake."""

from __future__ import annotations

import math

import anyio
import pytest

from layers_async import AsyncLayers, Pacing, RateLimitError
from layers_async._operations import find_operation
from layers_async._pacing import Pacer
from layers_async.testing import FakeLayers

SCALE = 1000.0


def margin(rpm: int, latency: float, time_scale: float, headroom: int = 2) -> int:
    """Tokens of a burst left unused: the headroom, or the refill during the latency."""
    interval = 60.0 / rpm / time_scale
    return max(headroom, math.ceil(latency / interval))


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/v1/jobs/job_1", "read-light"),
        ("GET", "/v1/projects", "read-light"),
        ("POST", "/v1/projects", "write-light"),
        ("PATCH", "/v1/projects/prj_1", "write-light"),
        ("DELETE", "/v1/projects/prj_1", "write-light"),
        ("POST", "/v1/jobs/job_1/cancel", "write-light"),
        ("POST", "/v1/projects/prj_1/ingest/github", "long-running"),
        ("POST", "/v1/projects/prj_1/ingest/website", "long-running"),
    ],
)
def test_endpoint_class_follows_the_documented_rule(method: str, path: str,
                                                     expected: str) -> None:
    """GET is read-light, job starts long-running, other writes write-light (by the table)."""
    op = find_operation(method, path)
    assert op is not None
    assert expected == op.rate_class


def test_a_full_bucket_allows_one_minute_then_spaces_requests() -> None:
    """Standard long-running: 20 at once (no headroom), then one every 3 s."""
    pacer = Pacer(Pacing(tier="standard", headroom=0, latency=0))
    waits = [pacer.reserve("long-running", 100.0) for _ in range(23)]
    assert [0.0] * 20 == waits[:20]
    assert [3.0, 6.0, 9.0] == pytest.approx(waits[20:])


def test_headroom_leaves_tokens_of_the_burst_unused() -> None:
    """With the default headroom of 2, the 19th job start already waits."""
    pacer = Pacer(Pacing(tier="standard"))
    waits = [pacer.reserve("long-running", 0.0) for _ in range(19)]
    assert [0.0] * 18 == waits[:18]
    assert 3.0 == pytest.approx(waits[18])


def test_tokens_come_back_with_time() -> None:
    """After draining, waiting 30 s earns 10 long-running tokens back."""
    pacer = Pacer(Pacing(tier="standard", headroom=0, latency=0))
    for _ in range(20):
        pacer.reserve("long-running", 0.0)
    assert [0.0] * 10 == [pacer.reserve("long-running", 30.0) for _ in range(10)]
    assert 0.0 < pacer.reserve("long-running", 30.0)


def test_scaled_pacing_shrinks_every_wait() -> None:
    """scaled(1/1000): the 21st job start waits 3 ms."""
    pacer = Pacer(Pacing(tier="standard", headroom=0, latency=0).scaled(1 / 1000))
    waits = [pacer.reserve("long-running", 0.0) for _ in range(21)]
    assert 0.003 == pytest.approx(waits[-1])


def test_penalty_after_a_429_blocks_the_class_only() -> None:
    """A 429 with Retry-After 10 holds that class for 10 s; others are untouched."""
    pacer = Pacer(Pacing(tier="partner"))
    pacer.penalize("write-light", 10.0, 0.0)
    assert 10.0 == pytest.approx(pacer.reserve("write-light", 0.0))
    assert 0.0 == pacer.reserve("read-light", 0.0)


def test_bad_pacing_settings_are_refused() -> None:
    """Unknown tiers and non-positive scales raise ValueError."""
    with pytest.raises(ValueError, match="tier"):
        Pacing(tier="gold")
    with pytest.raises(ValueError, match="scale"):
        Pacing(scale=0)
    with pytest.raises(ValueError, match="headroom"):
        Pacing(headroom=-1)


def test_unknown_tier_holds_nothing_back() -> None:
    """Until the tier is known the pacer never waits (no cost when nothing is known)."""
    pacer = Pacer(Pacing())
    assert pacer.tier is None
    assert [0.0] * 500 == [pacer.reserve("long-running", 0.0) for _ in range(500)]


@pytest.mark.anyio
async def test_pacer_learns_the_tier_from_whoami() -> None:
    """whoami's rateLimitTier sizes every bucket."""
    async with FakeLayers(time_scale=SCALE, tier="partner") as fake, fake.client() as layers:
        assert layers.pacer is not None
        assert layers.pacer.tier is None
        await layers.whoami()
        assert "partner" == layers.pacer.tier
        waits = [layers.pacer.reserve("long-running", 0.0) for _ in range(300)]
    # partner: 300 job starts a minute; fake.client() leaves 5 ms of refill unused
    burst = 300 - margin(300, 0.005, SCALE)
    assert [0.0] * burst == waits[:burst]
    assert 0.0 < waits[burst]


@pytest.mark.anyio
async def test_pacer_sizes_a_class_from_the_rate_limit_headers() -> None:
    """Any response's X-RateLimit-Limit sizes that endpoint class's bucket."""
    scale = 10.0  # slow enough that no token refills between the answer and the slots below
    async with FakeLayers(time_scale=scale) as fake, fake.client() as layers:
        await layers.credits.get()  # a read-light answer: X-RateLimit-Limit 120 on standard
        assert layers.pacer is not None
        now = anyio.current_time()
        reads = [layers.pacer.reserve("read-light", now) for _ in range(120)]
        writes = [layers.pacer.reserve("write-light", now) for _ in range(120)]
    burst = 120 - margin(120, 0.005, scale) - 1  # Remaining 119: the credits call took one
    assert [0.0] * burst == reads[:burst]
    assert 0.0 < reads[burst]
    assert [0.0] * 120 == writes  # no write answer seen yet: nothing known, nothing held


def test_explicit_tier_is_corrected_by_headers() -> None:
    """A configured tier sizes the buckets, but the server's header wins."""
    pacer = Pacer(Pacing(tier="standard", headroom=0, latency=0))
    pacer.observe({"x-ratelimit-endpoint-class": "long-running", "x-ratelimit-limit": "300"})
    assert [0.0] * 300 == [pacer.reserve("long-running", 0.0) for _ in range(300)]


@pytest.mark.anyio
async def test_paced_client_gets_no_429_where_an_unpaced_one_does() -> None:
    """80 creates on standard (60/min write bucket): unpaced hits 429, paced never does."""
    scale = 100.0  # at 1000x, loopback latency alone is worth a token of a 60/min bucket
    async with FakeLayers(time_scale=scale) as fake, fake.client(max_retries=0,
                                                                 pacing=False) as unpaced:
        limited: list[RateLimitError] = []

        async def create(i: int) -> None:
            try:
                await unpaced.projects.create(name=f"Unpaced {i}")
            except RateLimitError as exc:
                limited.append(exc)

        async with anyio.create_task_group() as group:  # at once: a slow machine can't refill
            for i in range(80):
                group.start_soon(create, i)
        assert limited
    async with FakeLayers(time_scale=scale) as fake:
        async with fake.client(max_retries=0,
                               pacing=Pacing(tier="standard").scaled(1 / scale)) as paced:
            for i in range(80):
                await paced.projects.create(name=f"Paced {i}")
        statuses = [e.status for e in fake.journal]
    assert 80 == statuses.count(201)
    assert 0 == statuses.count(429)


def test_pacing_argument_is_checked() -> None:
    """pacing= takes a Pacing or a bool."""
    with pytest.raises(TypeError, match="pacing"):
        AsyncLayers(api_key="lp_test_x", pacing="fast")  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_default_client_paces_itself_once_the_server_says_its_limits() -> None:
    """No pacing argument: the first answer's headers size the bucket; 80 creates, no 429."""
    scale = 100.0
    async with FakeLayers(time_scale=scale) as fake, fake.client(max_retries=0) as layers:
        for i in range(80):
            await layers.projects.create(name=f"Default {i}")
    assert 0 == [e.status for e in fake.journal].count(429)


def test_latency_allowance_grows_with_the_refill_rate() -> None:
    """Fast buckets (partner reads: 10 ms a token) keep back 100 ms of refill, not 2 tokens."""
    pacer = Pacer(Pacing(tier="partner"))  # latency 0.1 s by default
    waits = [pacer.reserve("read-light", 0.0) for _ in range(6000)]
    burst = 6000 - margin(6000, 0.1, 1.0)
    assert 6000 - 10 == burst
    assert [0.0] * burst == waits[:burst]
    assert 0.0 < waits[burst]
