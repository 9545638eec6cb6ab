"""Benchmark 4, poll economy: what waiting for a job costs, three ways.

Each strategy waits on the same jobs (GitHub ingests, durations uniform in the documented
90-240 s, same seed) in a fresh FakeLayers (``fake_launcher``: another process, rate limits
off), every duration scaled by 1/time_scale:

(a) the library: ``job.wait()`` with the default PollPolicy: it aims each poll at the end
    its snapshots predict (progress, stage, what finished jobs taught), inside [5, 30] s,
(b) the docs' sample loop: 2 s, x1.3 per poll, cap 10 s, + up to 500 ms jitter, plain GET,
(c) a fixed 5 s loop, plain GET,
(d) the library with the plain backoff only (``PollPolicy(adaptive=False)``: 5 s -> 30 s x1.5,
    ±10 % jitter; If-None-Match).

How the fake makes progress: each GitHub ingest has five stages whose shares of the job's time
are random per job (the stage's weight times a factor in [0.5, 1.5], normalised, seeded), while
the reported ``progress`` fills each stage's fixed weight (15/25/30/15/15 %) linearly within the
stage, floored to whole percent: progress is not linear in time.

(b) and (c) poll through ``layers.jobs.get`` so every strategy pays the same client. Bytes are
counted in the client by a wrapping transport: body bytes exactly, and an estimate of what
came over the wire (status line + headers + body). The delay is API time from the job's end
(its start + duration) to the waiter returning, in API seconds, read on the fake's clock.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from layers_async import AiohttpTransport, AsyncLayers, PollPolicy, Request, Response

from ._common import ApiClock, child, fmt, percentile, ratio, report, table

NAME = "economy"
TITLE = "4. Poll economy: requests, bytes and lateness per waited job"

#: Waiters start spread over this many API seconds (the same spread for every strategy),
#: as jobs started at different moments would be: no strategy polls in lock-step bursts.
STAGGER = 5.0


class CountingTransport:
    """The aiohttp transport, counting what comes back."""

    def __init__(self) -> None:
        self._inner = AiohttpTransport()
        self.requests = 0
        self.conditional = 0
        self.body_bytes = 0
        self.wire_bytes = 0
        self.statuses: collections.Counter[int] = collections.Counter()

    async def send(self, request: Request) -> Response:
        response = await self._inner.send(request)
        self.requests += 1
        self.conditional += "If-None-Match" in request.headers
        self.statuses[response.status] += 1
        self.body_bytes += len(response.body)
        head = len(f"HTTP/1.1 {response.status} XX\r\n\r\n") + sum(
            len(k) + len(v) + 4 for k, v in response.headers.items())
        self.wire_bytes += head + len(response.body)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


Strategy = Callable[[AsyncLayers, str, float, random.Random], Awaitable[None]]


async def library_wait(layers: AsyncLayers, job_id: str, scale: float,
                       rng: random.Random) -> None:
    await layers.jobs.attach(job_id).wait()


async def backoff_wait(layers: AsyncLayers, job_id: str, scale: float,
                       rng: random.Random) -> None:
    plain = layers.with_options(poll=PollPolicy(adaptive=False).scaled(1 / scale))
    await plain.jobs.attach(job_id).wait()


async def docs_loop(layers: AsyncLayers, job_id: str, scale: float, rng: random.Random) -> None:
    delay = 2.0
    while True:
        if (await layers.jobs.get(job_id)).terminal:
            return
        await anyio.sleep((delay + rng.uniform(0.0, 0.5)) / scale)
        delay = min(delay * 1.3, 10.0)


async def fixed_loop(layers: AsyncLayers, job_id: str, scale: float, rng: random.Random) -> None:
    while True:
        if (await layers.jobs.get(job_id)).terminal:
            return
        await anyio.sleep(5.0 / scale)


STRATEGIES: dict[str, Strategy] = {
    "(a) library job.wait() + ETag": library_wait,
    "(b) docs loop 2 s x1.3 ≤10 s": docs_loop,
    "(c) fixed 5 s loop": fixed_loop,
    "(d) plain backoff 5 -> 30 s": backoff_wait,
}
BASELINE = "(b) docs loop 2 s x1.3 ≤10 s"


async def run_strategy(strategy: Strategy, info: dict[str, Any], seed: int) -> dict[str, Any]:
    """Wait on every job of ``info`` with ``strategy``; what it cost and how late it knew."""
    scale = float(info["time_scale"])
    clock = ApiClock(info["clock"], scale)
    transport = CountingTransport()
    rng = random.Random(seed)
    offsets = [rng.uniform(0.0, STAGGER) for _ in info["jobs"]]
    delays: list[float] = []
    started = time.perf_counter()
    async with AsyncLayers(api_key=info["api_key"], base_url=info["base_url"],
                           poll=PollPolicy().scaled(1 / scale), transport=transport) as layers:

        async def one(job: list[Any], offset: float) -> None:
            job_id, job_started, duration = job
            await anyio.sleep(offset / scale)
            await strategy(layers, job_id, scale, rng)
            delays.append(clock.now() - (job_started + duration))

        with anyio.fail_after(3 * 300.0 / scale + 120):
            async with anyio.create_task_group() as group:
                for job, offset in zip(info["jobs"], offsets, strict=True):
                    group.start_soon(one, job, offset)
    return {"jobs": len(info["jobs"]), "delays": delays, "wall": time.perf_counter() - started,
            "requests": transport.requests, "conditional": transport.conditional,
            "statuses": dict(transport.statuses), "body": transport.body_bytes,
            "wire": transport.wire_bytes}


def measure(strategy: Strategy, jobs: int, scale: float, seed: int) -> dict[str, Any]:
    """Start a fresh fake with ``jobs`` seeded jobs and run ``strategy`` against it."""
    with tempfile.TemporaryDirectory(prefix="layers-bench-") as tmp:
        out = Path(tmp) / "fake.json"
        args = ["--jobs", str(jobs), "--time-scale", str(scale), "--seed", str(seed),
                "--out", str(out)]
        with child("fake_launcher", *args, ready_timeout=60):
            info = json.loads(out.read_text())
            return asyncio.run(run_strategy(strategy, info, seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.economy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 jobs per strategy, faster time")
    parser.add_argument("--jobs", type=int, help="jobs per strategy (default 200)")
    parser.add_argument("--time-scale", type=float, help="API seconds per wall second")
    parser.add_argument("--seed", type=int, default=1, help="seed of durations and jitter")
    args = parser.parse_args(argv)
    jobs = args.jobs or (100 if args.quick else 200)
    scale = args.time_scale or (40.0 if args.quick else 20.0)

    started = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    for name, strategy in STRATEGIES.items():
        results[name] = m = measure(strategy, jobs, scale, args.seed)
        print(f"  {name:<32} {m['requests'] / jobs:6.2f} req/job  "
              f"mean delay {sum(m['delays']) / len(m['delays']):6.2f} API s  "
              f"({m['wall']:.1f} s)", flush=True)

    base = results[BASELINE]
    rows = []
    for name, m in results.items():
        n, d = m["jobs"], m["delays"]
        per_job = m["requests"] / n
        rows.append([
            name, fmt(per_job, 2), ratio(per_job, base["requests"] / n),
            f"{m['statuses'].get(200, 0) / n:.2f} / {m['statuses'].get(304, 0) / n:.2f}",
            fmt(m["body"] / n / 1024, 2), fmt(m["wire"] / n / 1024, 2),
            ratio(m["wire"], base["wire"]),
            fmt(sum(d) / len(d), 2), fmt(percentile(d, 50), 2), fmt(percentile(d, 95), 2),
            fmt(max(d), 2),
        ])
    lib = results["(a) library job.wait() + ETag"]
    parts = [
        f"Settings: {jobs} jobs per strategy, durations uniform 90-240 API s (seed "
        f"{args.seed}, the same jobs for every strategy), each strategy against a fresh "
        f"FakeLayers(time_scale={scale:g}, rate_limits=False) in another process; waiters start "
        f"spread uniformly over {STAGGER:g} API s. Ratios are against (b), the docs' sample "
        "loop. Delay = API seconds from the job's end to the waiter knowing it (mean, p50, p95, "
        "max). KiB are per job: body bytes exactly, wire ≈ status line + headers + body. "
        "Progress is not linear in time: each job's five stages take random shares of its "
        "duration (weight x U(0.5, 1.5), normalised, seeded) while the fake reports each "
        "stage's fixed weight (15/25/30/15/15 %) filled linearly, floored to whole percent.",
        table(["strategy", "req/job", "req vs docs", "200 / 304 per job", "body KiB/job",
               "wire KiB/job", "wire vs docs", "mean delay s", "p50 s", "p95 s", "max s"], rows),
        f"The library sent If-None-Match on {lib['conditional']:,} of its {lib['requests']:,} "
        f"polls and got {lib['statuses'].get(304, 0):,} x 304.",
    ]
    report(NAME, TITLE, quick=args.quick, parts=parts)
    print(f"({NAME} took {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
