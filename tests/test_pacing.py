"""Client-side pacing: endpoint classes, GCRA slots (pure), and zero 429s against the fake."""

from __future__ import annotations

import copy
import math
import random

import anyio
import anyio.lowlevel
import pytest

from layers_async import AsyncLayers, Pacing, RateLimitError, RetryPolicy
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


def test_a_free_slot_is_taken_without_waiting_exactly_when_reserve_would_not_wait() -> None:
    """take_free (the pipeline's fast path, no coroutine) takes a slot exactly when
    reserve would say "no wait", and leaves the bucket as reserve would; else nothing."""
    rng = random.Random(7)
    pacer = Pacer(Pacing(tier="standard"))
    bucket = pacer._buckets["long-running"]
    now, taken, refused = 0.0, 0, 0
    for _ in range(2000):
        now += rng.choice([0.0, 0.0, 0.0, 0.5, 3.0, 10.0])
        if rng.random() < 0.02:
            pacer.penalize("long-running", rng.choice([0.0, 1.0, 5.0]), now)
        trial = copy.copy(bucket)
        waited = trial.reserve(now)
        before = bucket.tat
        took = bucket.take_free(now)
        assert took == (waited == 0.0)
        assert bucket.tat == (trial.tat if took else before)
        taken, refused = taken + took, refused + (not took)
    assert taken > 100  # both paths were taken
    assert refused > 100


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


def test_a_429_without_limit_headers_pauses_but_does_not_size_an_unknown_class() -> None:
    """A stray 429 (Retry-After 2) holds an unsized class 2 s, then nothing is held back."""
    pacer = Pacer(Pacing())
    pacer.penalize("long-running", 2.0, 100.0)
    assert [2.0] * 300 == [pacer.reserve("long-running", 100.0) for _ in range(300)]
    assert [0.0] * 300 == [pacer.reserve("long-running", 102.0) for _ in range(300)]
    assert pacer.tier is None


def test_limit_headers_after_a_stray_429_size_the_class_at_the_real_limit() -> None:
    """After a stray 429, the next answer's Limit 300 sizes long-running at 300, not 20."""
    pacer = Pacer(Pacing(headroom=0, latency=0))
    pacer.penalize("long-running", 1.0, 0.0)
    pacer.observe({"x-ratelimit-endpoint-class": "long-running", "x-ratelimit-limit": "300"},
                  now=0.5)
    assert 0.5 == pytest.approx(pacer.reserve("long-running", 0.5))  # paused until 1.0
    waits = [pacer.reserve("long-running", 1.0) for _ in range(301)]
    # then a full partner bucket: 300 at once, the next 0.2 s later (not 3 s)
    assert [0.0] * 300 == waits[:300]
    assert 0.2 == pytest.approx(waits[300])


def remaining(value: int, limit: int = 20) -> dict[str, str]:
    """A long-running answer's rate-limit headers."""
    return {"x-ratelimit-endpoint-class": "long-running", "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(value)}


def test_server_with_fewer_tokens_defers_the_local_bucket() -> None:
    """Local thinks 15 of 20 are left, the server says 10: at most 10 go out before refills."""
    pacer = Pacer(Pacing(tier="standard", headroom=0, latency=0))
    for _ in range(5):
        pacer.reserve("long-running", 0.0)
    pacer.observe(remaining(10), now=0.0)
    waits = [pacer.reserve("long-running", 0.0) for _ in range(20)]
    free = waits.count(0.0)
    assert 0 < free <= 10
    assert [3.0 * (i + 1) for i in range(20 - free)] == pytest.approx(waits[free:])


def test_server_with_more_tokens_leaves_a_more_careful_local_bucket() -> None:
    """Local thinks 5 are left, the server says 19: still 5 go out at once."""
    pacer = Pacer(Pacing(tier="standard", headroom=0, latency=0))
    for _ in range(15):
        pacer.reserve("long-running", 0.0)
    pacer.observe(remaining(19), now=0.0)
    waits = [pacer.reserve("long-running", 0.0) for _ in range(6)]
    assert [0.0] * 5 == waits[:5]
    assert 3.0 == pytest.approx(waits[5])


def test_reset_alone_defers_like_remaining() -> None:
    """Without Remaining, Reset 30 (seconds until full) means the bucket is 10 tokens short."""
    pacer = Pacer(Pacing(tier="standard", headroom=0, latency=0))
    pacer.observe({"x-ratelimit-endpoint-class": "long-running", "x-ratelimit-reset": "30"},
                  now=0.0)
    assert 10 >= [pacer.reserve("long-running", 0.0) for _ in range(20)].count(0.0)


def test_a_lone_client_that_matches_the_server_loses_nothing() -> None:
    """Answers agreeing with the local bucket (one client on the key) never defer it."""
    pacer = Pacer(Pacing(tier="standard", headroom=0, latency=0))
    for i in range(20):
        pacer.reserve("long-running", 0.0)
        pacer.observe(remaining(19 - i), now=0.0)
    assert [0.0] * 10 == [pacer.reserve("long-running", 30.0) for _ in range(10)]
    assert 0.0 < pacer.reserve("long-running", 30.0)


def test_other_clients_use_is_left_to_them() -> None:
    """Others take 2/3 of a shared bucket: we get about the rest, almost never a 429."""
    pacer = Pacer(Pacing(tier="standard"))  # 20/min: a token every 3 s
    tokens, now, step = 20.0, 0.0, 0.5  # the server's bucket, API seconds
    due = pacer.reserve("long-running", now)  # when our next request goes out
    sent = limited = 0
    while now < 1800.0:
        if now % 4.5 == 0 and tokens >= 1:  # the others: 2 requests every 9 s
            tokens -= 1
        if now >= due:
            if tokens >= 1:
                tokens -= 1
                sent += 1
            else:
                limited += 1
            pacer.observe(remaining(math.floor(tokens)), now=now)
            due = now + pacer.reserve("long-running", now)
        now += step
        tokens = min(20.0, tokens + step / 3)
    left_to_us = 20 + 1800 / 3 - 1800 / 4.5  # what the others leave of the run's tokens
    assert limited <= 3
    assert 0.8 <= sent / left_to_us <= 1.05
@pytest.mark.anyio
async def test_a_sleeping_request_waits_for_slots_moved_while_it_slept() -> None:
    """A request asleep on its slot sleeps on when the server's answer moves the slots."""
    pacer = Pacer(Pacing(tier="standard", headroom=10, latency=0).scaled(1 / 1000))
    now = anyio.current_time()  # a token every 3 ms; bursts of 10
    pacer.observe(remaining(20), now=now)
    for _ in range(14):
        pacer.reserve("long-running", now)
    async with anyio.create_task_group() as group:
        group.start_soon(pacer.acquire, "long-running")  # its slot: 15 ms from now
        await anyio.lowlevel.checkpoint()
        # the server is empty: others took 6, so their next 5 go first: 33 ms more
        pacer.observe(remaining(0), now=now)
    assert 0.048 <= anyio.current_time() - now


@pytest.mark.anyio
async def test_a_sleeping_request_waits_out_a_pause_that_began_while_it_slept() -> None:
    """A request asleep on its slot sleeps until the end of a pause a 429 began meanwhile."""
    pacer = Pacer(Pacing(tier="standard", headroom=0, latency=0).scaled(1 / 1000))
    pacer.observe({"x-ratelimit-endpoint-class": "long-running"})  # first contact made
    now = anyio.current_time()
    for _ in range(25):
        pacer.reserve("long-running", now)
    async with anyio.create_task_group() as group:
        group.start_soon(pacer.acquire, "long-running")  # its slot: 18 ms from now
        await anyio.lowlevel.checkpoint()
        pacer.penalize("long-running", 50.0, now)  # nothing before 50 ms from now
    assert 0.05 <= anyio.current_time() - now


@pytest.mark.anyio
async def test_150_onboarding_flows_on_a_partner_key_survive_stray_429s() -> None:
    """Partner key, no whoami, 10 % injected 429s (the first ingest's too): all 150 finish."""
    async with FakeLayers(time_scale=SCALE, tier="partner") as fake:
        fake.faults.add(status=429, retry_after=1, times=1,
                        route="POST /v1/projects/{id}/ingest/github")
        fake.faults.add(status=429, retry_after=0, share=0.05)
        fake.faults.add(status=429, retry_after=1, share=0.05 / 0.95)
        # more retries than the default: four faults in a row on one call is luck, not pacing
        retry = RetryPolicy(max_retries=10).scaled(1 / SCALE)
        done: list[str] = []
        async with fake.client(retry=retry) as layers:

            async def onboard(i: int) -> None:
                project = await layers.projects.create(name=f"Customer {i}")
                await layers.github.register_installation(1000 + i, f"state_{i}")
                job = await layers.ingest.github(project.id, repo_full_name="acme/app")
                await job.wait()
                done.append(project.id)

            with anyio.fail_after(20):
                async with anyio.create_task_group() as group:
                    for i in range(150):
                        group.start_soon(onboard, i)
            assert layers.pacer is not None
            waited = {k: v * SCALE for k, v in layers.pacer.waited.items()}  # API seconds
        injected = sum(f.hits for f in fake.faults)
    assert 150 == len(done)
    assert 0 < injected
    # 150 starts fit a partner minute (300); sized at standard (20/min) they would wait minutes
    assert waited["long-running"] < 150 * 10.0


def test_window_grows_per_quiet_answer_and_halves_when_others_take_tokens() -> None:
    """Answers matching our own use widen the window by one; a drop others caused halves it."""
    pacer = Pacer(Pacing(tier="standard", headroom=0, latency=0))
    bucket = pacer._buckets["long-running"]
    for i in range(4):
        pacer.reserve("long-running", 0.0)
        pacer.observe(remaining(19 - i), now=0.0)
    assert 5.0 == bucket.window
    pacer.reserve("long-running", 0.0)
    pacer.observe(remaining(8), now=0.0)  # others took 7
    assert 2.5 == bucket.window


@pytest.mark.anyio
async def test_without_the_servers_view_the_window_holds_nothing_back() -> None:
    """No Remaining/Reset on the answers (their names are inferred): many requests may be in
    flight at once, paced by their slots alone."""
    pacer = Pacer(Pacing(tier="partner", headroom=0, latency=0).scaled(1 / 1000))
    pacer.observe({"x-ratelimit-endpoint-class": "read-light"})
    with anyio.fail_after(1):
        for _ in range(50):
            await pacer.acquire("read-light")  # none answered yet
    assert 50 == pacer._buckets["read-light"].inflight


def test_a_lone_clients_window_keeps_the_margin_when_the_bucket_runs_low() -> None:
    """Our own use runs the bucket down: the window is capped by what is left, but not below
    the latency margin it grew to (a lone client on a slow network still fills its tier)."""
    pacer = Pacer(Pacing(tier="partner", headroom=4, latency=0))
    bucket = pacer._buckets["long-running"]
    windows = []
    for used in range(1, 300):
        pacer.reserve("long-running", 0.0)
        pacer.observe(remaining(300 - used, limit=300), now=0.0)
        windows.append(bucket.window)
    assert max(windows) > bucket.margin
    assert bucket.margin == min(windows[10:])  # grown past it, never back under it


@pytest.mark.anyio
async def test_requests_beyond_the_window_wait_for_an_answer() -> None:
    """With a window of one, the second request goes out only once the first is answered."""
    pacer = Pacer(Pacing(tier="standard", headroom=0, latency=0).scaled(1 / 1000))
    pacer.observe(remaining(20))  # first contact made; the server shows its view
    pacer._buckets["long-running"].window = 1.0
    await pacer.acquire("long-running")
    released = anyio.Event()

    async def second() -> None:
        await pacer.acquire("long-running")
        released.set()

    async with anyio.create_task_group() as group:
        group.start_soon(second)
        await anyio.lowlevel.checkpoint()
        assert not released.is_set()
        pacer.finish("long-running")
    assert released.is_set()
