"""Benchmark 3, scale: 10,000 concurrent ``job.wait()`` through one client.

FakeLayers runs in another process (``fake_launcher``: partner tier, rate limits off) with N
GitHub-ingest jobs already started, durations uniform in 90-240 API s. This process attaches
to each id and ``jobs.wait_all`` them with ``PollPolicy().scaled(1/time_scale)``, so every
waiter follows the library's real cadence, compressed in time.

Two baselines, both raw ``aiohttp`` GETs of ``/v1/jobs/{id}`` of jobs that are still running
(the launcher's idle jobs, so the envelopes look like those most polls get), with the library's
session settings and headers, 32 in flight (the scheduler's poll limit), each body read and
``json.loads``-ed, measured in the same run against the same fake:

* **replayed**: after the wait, the same number of GETs released at the same moments as the
  wait's polls went out (each poll's send time, as noted by a thin transport wrapper, on the
  policy's grid): what polling the same jobs by hand on the same schedule costs. This is the
  like-for-like baseline: the CPU a GET costs depends on how the GETs are spread in time.
* **back to back**: rounds just before and just after the wait, each GET sent as soon as the
  last one is read: the cheapest a GET gets on this machine (the floor).

Client CPU per poll over CPU per replayed GET is the library's overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import aiohttp
import anyio

from layers_async import (
    AiohttpTransport,
    AsyncLayers,
    IngestGithubResult,
    PollPolicy,
    Request,
    Response,
)
from layers_async._config import default_user_agent

from ._common import child, fmt, ratio, report, rss_peak_kib, table

NAME = "scale"
TITLE = "3. Scale: concurrent job.wait() through one client"
#: Wall seconds the whole wait may take before the benchmark gives up.
WAIT_LIMIT = 600.0
#: Raw GETs in flight at once: the scheduler's default ``max_concurrent_polls``.
RAW_CONCURRENCY = 32
#: Rounds of raw GETs before the wait and as many after it (the median of all is shown:
#: the machine's speed drifts over a run, and rounds on both sides of the wait follow
#: that drift better than rounds on one side), and GETs per round (after a warm-up).
RAW_ROUNDS = 3
RAW_REQUESTS = 3000
RAW_WARMUP = 200
#: Never-finishing jobs the raw GETs poll (their envelopes are running ones). More ids than
#: yarl's URL cache holds (128), so each GET parses its URL as each poll of a job among
#: thousands does, rather than hitting a cache that only a handful of ids would keep warm.
IDLE_JOBS = 1000


class RawPoller:
    """Raw ``aiohttp`` GETs of job envelopes, with the session set up as ``AiohttpTransport``
    sets up its own (connection limit 100, no implicit User-Agent, no redirects, the default
    10 s / 60 s timeouts) and the library's headers; ids are taken in turn, as the polls of
    many jobs would. Each body is read and ``json.loads``-ed."""

    def __init__(self, info: dict[str, Any], ids: list[str]) -> None:
        self.headers = {"Accept": "application/json", "User-Agent": default_user_agent(),
                        "Authorization": f"Bearer {info['api_key']}"}
        self.urls = [f"{info['base_url']}/v1/jobs/{job_id}" for job_id in ids]
        self.sent = 0
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> RawPoller:
        timeout = aiohttp.ClientTimeout(total=60.0, sock_connect=10.0)
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100),
                                              skip_auto_headers=("User-Agent",),
                                              timeout=timeout, raise_for_status=False)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._session is not None
        await self._session.close()

    async def get(self) -> None:
        """One GET of the next id."""
        assert self._session is not None
        url = self.urls[self.sent % len(self.urls)]
        self.sent += 1
        async with self._session.get(url, headers=self.headers,
                                     allow_redirects=False) as response:
            body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {url} answered {response.status}")
            json.loads(body)

    async def back_to_back(self, count: int) -> None:
        """``count`` GETs, 32 tasks each sending its next GET as soon as the last one is
        read: no task or limiter per request, so the baseline carries nothing but the
        request."""
        turns = iter(range(count))

        async def worker() -> None:
            for _ in turns:
                await self.get()

        async with anyio.create_task_group() as group:
            for _ in range(RAW_CONCURRENCY):
                group.start_soon(worker)

    async def replay(self, ticks: list[tuple[float, int]]) -> None:
        """At each ``(offset, count)``, seconds from now, release ``count`` GETs; 32 tasks
        take them in turn and sleep on a future when none is left, as the sweep's workers
        do (one timer for the whole schedule, no task per request)."""
        loop = asyncio.get_running_loop()
        released = taken = 0
        over = False
        idle: list[asyncio.Future[None]] = []

        def wake() -> None:
            for waker in idle:
                if not waker.done():
                    waker.set_result(None)
            idle.clear()

        async def worker() -> None:
            nonlocal taken
            while True:
                if taken < released:
                    taken += 1
                    await self.get()
                elif over:
                    return
                else:
                    waker = loop.create_future()
                    idle.append(waker)
                    await waker

        async def clock() -> None:
            nonlocal released, over
            start = loop.time()
            for offset, count in ticks:
                delay = start + offset - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                released += count
                wake()
            over = True
            wake()

        async with anyio.create_task_group() as group:
            for _ in range(RAW_CONCURRENCY):
                group.start_soon(worker)
            group.start_soon(clock)


async def back_to_back_rounds(info: dict[str, Any]) -> list[float]:
    """CPU seconds per GET of each of ``RAW_ROUNDS`` back-to-back rounds (after a warm-up)."""
    rounds = []
    async with RawPoller(info, info["idle_jobs"]) as raw:
        await raw.back_to_back(RAW_WARMUP)
        for _ in range(RAW_ROUNDS):
            cpu0 = time.process_time()
            await raw.back_to_back(RAW_REQUESTS)
            rounds.append((time.process_time() - cpu0) / RAW_REQUESTS)
    return rounds


async def replayed(info: dict[str, Any], ticks: list[tuple[float, int]]) -> float:
    """CPU seconds per GET of the wait's schedule replayed by hand (after a warm-up)."""
    async with RawPoller(info, info["idle_jobs"]) as raw:
        await raw.back_to_back(RAW_WARMUP)
        count = sum(n for _, n in ticks)
        cpu0 = time.process_time()
        await raw.replay(ticks)
        return (time.process_time() - cpu0) / count


class RecordingTransport(AiohttpTransport):
    """``AiohttpTransport`` that notes the loop time each request goes out: the wait's
    schedule, for the replay. ``send`` is a plain function handing back the parent's
    coroutine, so the note costs one call and an append per poll (counted against the
    library), not one more coroutine in every poll's stack."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[float] = []

    def send(self, request: Request) -> Coroutine[Any, Any, Response]:
        self.sent.append(asyncio.get_running_loop().time())
        return super().send(request)


def on_grid(sent: list[float], grid: float) -> list[tuple[float, int]]:
    """Send times as ``(offset from the first tick, how many)`` per tick of ``grid`` (the
    policy's ``coalesce``, where scheduled polls fall due; a send belongs to the tick it
    went out in)."""
    if not sent:
        return []
    if grid <= 0:
        counts = Counter(sent)
        first = min(counts)
        return sorted((at - first, n) for at, n in counts.items())
    ticks = Counter(math.floor(at / grid) for at in sent)
    first = min(ticks)
    return sorted(((tick - first) * grid, n) for tick, n in ticks.items())


async def wait_everything(info: dict[str, Any]) -> dict[str, Any]:
    """Attach every job, wait for all of them, and measure the client while doing it."""
    scale = float(info["time_scale"])
    ids = [job[0] for job in info["jobs"]]
    # The baseline around the measured wait: neither takes from the other's CPU figure,
    # and neither raises the peak RSS the wait is measured against (the first rounds are
    # over before the reading that the wait's growth is taken from).
    raw = await back_to_back_rounds(info)
    policy = PollPolicy().scaled(1 / scale)
    recorder = RecordingTransport()
    async with AsyncLayers(api_key=info["api_key"], base_url=info["base_url"],
                           poll=policy, transport=recorder) as layers:
        jobs = [layers.jobs.attach(job_id) for job_id in ids]
        gc.collect()
        rss0 = rss_peak_kib()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        with anyio.fail_after(WAIT_LIMIT):
            results = await layers.jobs.wait_all(jobs)
        cpu1, wall1 = time.process_time(), time.perf_counter()
        rss1 = rss_peak_kib()
        current = asyncio.current_task()
        left_open = len([t for t in asyncio.all_tasks() if t is not current])
        polls = layers._scheduler.polls_sent
    left_closed = len([t for t in asyncio.all_tasks() if t is not asyncio.current_task()])
    raw += await back_to_back_rounds(info)
    ticks = on_grid(recorder.sent, policy.coalesce)
    replay = await replayed(info, ticks)
    return {
        "jobs": len(ids),
        "completed": sum(isinstance(r, IngestGithubResult) for r in results),
        "wall": wall1 - wall0,
        "cpu": cpu1 - cpu0,
        "polls": polls,
        "rss0": rss0,
        "rss1": rss1,
        "left_open": left_open,
        "left_closed": left_closed,
        "raw": raw,
        "replay": replay,
        "replayed": sum(n for _, n in ticks),
        "ticks": len(ticks),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 jobs instead of 10,000")
    parser.add_argument("--jobs", type=int, help="how many jobs to wait on")
    parser.add_argument("--time-scale", type=float,
                        help="API seconds per wall second (default: 3, 20 with --quick)")
    args = parser.parse_args(argv)
    count = args.jobs or (1000 if args.quick else 10_000)
    # At 3 the fake (one of two cores) keeps up with 10,000 waiters: requests per job stay
    # near the policy's own (7.6; 8.3 unloaded, see economy). At 10 it saturates, polls
    # queue and jobs end after 4-5 polls, so each poll carries twice the share of its job's
    # fixed costs (first request, result, hand-back): a measure of the server, not of waiting.
    scale = args.time_scale or (20.0 if args.quick else 3.0)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="layers-bench-") as tmp:
        out, stats_file = Path(tmp) / "fake.json", Path(tmp) / "stats.json"
        launcher_args = ["--jobs", str(count), "--idle-jobs", str(IDLE_JOBS),
                         "--time-scale", str(scale), "--out", str(out),
                         "--stats", str(stats_file)]
        with child("fake_launcher", *launcher_args, ready_timeout=120) as (_, _ready):
            info = json.loads(out.read_text())
            m = asyncio.run(wait_everything(info))
        server = json.loads(stats_file.read_text()) if stats_file.exists() else {}

    n = m["jobs"]
    by_status = server.get("by_status", {})
    # Every baseline GET answered 200: both sets of rounds, the replay, and their warm-ups.
    raw_sent = 2 * (RAW_WARMUP + RAW_ROUNDS * RAW_REQUESTS) + RAW_WARMUP + m["replayed"]
    rss_delta = (m["rss1"] - m["rss0"]) * 1024
    per_poll = m["cpu"] / max(m["polls"], 1)
    raw = statistics.median(m["raw"])
    replay = m["replay"]
    rows = [
        ["jobs waited (completed)", f"{n:,} ({m['completed']:,})"],
        ["wall time", f"{m['wall']:.1f} s ({m['wall'] * scale:,.0f} API s)"],
        ["client CPU", f"{m['cpu']:.1f} s ({m['cpu'] / m['wall']:.0%} of one core)"],
        ["polls sent (`polls_sent`)", f"{m['polls']:,}"],
        ["requests per job", fmt(m["polls"] / n, 2)],
        ["server answers 200 / 304 (to the polls)",
         f"{by_status.get('200', 0) - raw_sent:,} / {by_status.get('304', 0):,}"],
        ["client CPU per poll", f"{per_poll * 1e6:,.0f} µs"],
        [f"raw aiohttp GET, the wait's schedule replayed ({m['replayed']:,} GETs, "
         f"{m['ticks']:,} ticks)", f"{replay * 1e6:,.0f} µs"],
        ["**client CPU per poll / replayed raw GET**", f"**{ratio(per_poll, replay)}**"],
        [f"raw aiohttp GET, back to back ({RAW_CONCURRENCY} in flight)",
         f"{raw * 1e6:,.0f} µs (rounds {min(m['raw']) * 1e6:,.0f}-{max(m['raw']) * 1e6:,.0f})"],
        ["client CPU per poll / back-to-back raw GET", ratio(per_poll, raw)],
        ["replayed / back-to-back raw GET (what the schedule costs)", ratio(replay, raw)],
        ["peak RSS before → after", f"{m['rss0'] / 1024:,.1f} → {m['rss1'] / 1024:,.1f} MiB"],
        ["peak RSS per waiting job", f"{rss_delta / n / 1024:,.2f} KiB"],
        ["tasks left after wait_all (client open)", str(m["left_open"])],
        ["tasks left after the client closed", str(m["left_closed"])],
    ]
    parts = [
        f"Settings: {n:,} jobs (durations uniform 90-240 API s, seed 0) pre-created in "
        f"FakeLayers(time_scale={scale:g}, tier=\"partner\", rate_limits=False) running in "
        "another process; one AsyncLayers with `poll=PollPolicy().scaled(1/time_scale)`, "
        "`jobs.attach` each id, then `jobs.wait_all(jobs)` (no limit: every job has its own "
        "waiter). Memory is `resource.getrusage(RUSAGE_SELF).ru_maxrss` of this process "
        "(the benchmark runs in a fresh process) read just before `wait_all` (handles already "
        "made) and after it: the growth of the peak, divided by the job count. CPU is "
        "`time.process_time()` over the `wait_all`, per poll sent. Both baselines are raw "
        "`aiohttp` GETs of `/v1/jobs/{id}` in the same process against the same fake, of "
        f"the envelopes of {IDLE_JOBS} jobs that never finish (running ones, as most polls "
        f"get), {RAW_CONCURRENCY} in flight (the scheduler's poll limit), with the library's "
        "session settings and headers, each body read and `json.loads`-ed. **Replayed**: "
        "after the wait, as many GETs as the wait sent, released at the same moments (each "
        "poll's send time, noted by a wrapper around the transport, on the policy's grid): "
        "polling by hand on the same schedule, the like-for-like baseline. **Back to back**: "
        f"{RAW_ROUNDS} rounds before the wait and {RAW_ROUNDS} after, of {RAW_REQUESTS:,} "
        f"GETs each ({RAW_WARMUP} warm-up per side), each GET sent as soon as the last is "
        "read: the floor, the cheapest a GET gets here; the median round is shown, with the "
        "range.",
        table(["measure", "value"], rows),
    ]
    report(NAME, TITLE, quick=args.quick, parts=parts)
    print(f"({NAME} took {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
