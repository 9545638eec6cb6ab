"""Benchmark 1, request overhead: client CPU per ``whoami()`` against raw aiohttp and httpx.

The server (``_whoami_server``) runs in another process so that ``time.process_time()`` in
this one is the client's cost alone. Every client does the same thing: GET /v1/whoami with
the same headers and parse the JSON body; ``AsyncLayers`` also builds its Request, runs its
pipeline and decodes a typed ``WhoAmI``. Each (client, mode, round) gets a fresh client and
a warm-up so connections are open before the clock starts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

import aiohttp
import anyio
import attrs
import httpx

from layers_async import AsyncLayers, Pacing
from layers_async._pacing import Pacer

from ._common import child, fmt, ratio, report, table

NAME = "overhead"
TITLE = "1. Request overhead: client CPU per whoami()"

#: A key of the right shape; the whoami server does not check it.
API_KEY = "lp_test_BENCHMARK0000001_" + "x" * 43
HEADERS = {"Accept": "application/json", "User-Agent": "bench/1", "X-Api-Key": API_KEY}
CLIENTS = ("aiohttp (raw)", "httpx", "AsyncLayers", "AsyncLayers + Pacing(partner)")
BASELINE = CLIENTS[0]
CONCURRENCY = 100
WARMUP = 100
#: httpx at 100 concurrent costs ~50x raw aiohttp per request (httpcore's pool re-scans every
#: connection for every queued request), so it gets fewer requests there to keep the run short.
HTTPX_CONCURRENT_CAP = 1000
#: Wall seconds one timed run may take before the benchmark gives up.
MEASURE_LIMIT = 120.0

Call = Callable[[], Awaitable[object]]


@attrs.frozen
class Sample:
    """One timed run of one client in one mode."""

    requests: int
    cpu: float
    wall: float
    paced_wait: float = 0.0

    @property
    def cpu_us(self) -> float:
        return self.cpu / self.requests * 1e6


async def open_client(kind: str, base_url: str, stack: AsyncExitStack
                      ) -> tuple[Call, Callable[[], float]]:
    """A zero-argument call doing one whoami with ``kind``, and a reader of pacer waits."""
    url = f"{base_url}/v1/whoami"
    if kind == "aiohttp (raw)":
        session = await stack.enter_async_context(
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)))

        async def raw() -> object:
            async with session.get(url, headers=HEADERS) as response:
                body = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"whoami answered {response.status}")
                return json.loads(body)

        return raw, lambda: 0.0
    if kind == "httpx":
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        client = await stack.enter_async_context(httpx.AsyncClient(limits=limits))

        async def via_httpx() -> object:
            response = await client.get(url, headers=HEADERS)
            response.raise_for_status()
            return response.json()

        return via_httpx, lambda: 0.0
    pacing: Pacing | bool = Pacing(tier="partner") if "Pacing" in kind else False
    layers = await stack.enter_async_context(
        AsyncLayers(api_key=API_KEY, base_url=base_url, pacing=pacing))

    def waited() -> float:
        return sum(layers.pacer.waited.values()) if layers.pacer is not None else 0.0

    return layers.whoami, waited


async def drive(call: Call, requests: int, concurrency: int) -> None:
    """``requests`` calls, one after another or ``concurrency`` at a time."""
    if concurrency == 1:
        for _ in range(requests):
            await call()
        return
    limiter = anyio.CapacityLimiter(concurrency)

    async def one() -> None:
        async with limiter:
            await call()

    async with anyio.create_task_group() as group:
        for _ in range(requests):
            group.start_soon(one)


async def measure(kind: str, base_url: str, requests: int, concurrency: int) -> Sample:
    """A fresh client of ``kind``: warm up, then time ``requests`` calls."""
    async with AsyncExitStack() as stack:
        call, waited = await open_client(kind, base_url, stack)
        with anyio.fail_after(MEASURE_LIMIT):
            await drive(call, WARMUP, min(concurrency, WARMUP))
        cpu0, wall0 = time.process_time(), time.perf_counter()
        with anyio.fail_after(MEASURE_LIMIT):
            await drive(call, requests, concurrency)
        cpu1, wall1 = time.process_time(), time.perf_counter()
        return Sample(requests, cpu1 - cpu0, wall1 - wall0, waited())


async def pacer_alone(calls: int) -> float:
    """µs of CPU per request for the pacer's own work: one ``acquire`` and one ``observe``.

    The pacer is sized for partner and scaled so that its slots are nanoseconds apart: it
    never sleeps, so this is the bookkeeping every paced request pays, without any I/O.
    """
    pacer = Pacer(Pacing(tier="partner").scaled(1e-6))
    headers = {"x-ratelimit-endpoint-class": "read-light", "x-ratelimit-limit": "6000"}
    best = math.inf
    for _ in range(5):
        cpu0 = time.process_time()
        for _ in range(calls):
            await pacer.acquire("read-light")
            pacer.observe(headers)
        best = min(best, time.process_time() - cpu0)
    return best / calls * 1e6


async def run_all(base_url: str, modes: dict[str, tuple[int, int]], rounds: int
                  ) -> dict[tuple[str, str], list[Sample]]:
    """Every client in every mode, ``rounds`` times, the client order rotating each round."""
    samples: dict[tuple[str, str], list[Sample]] = {}
    for r in range(rounds):
        order = CLIENTS[r % len(CLIENTS):] + CLIENTS[:r % len(CLIENTS)]
        for mode, (requests, concurrency) in modes.items():
            for kind in order:
                count = (min(requests, HTTPX_CONCURRENT_CAP)
                         if kind == "httpx" and concurrency > 1 else requests)
                sample = await measure(kind, base_url, count, concurrency)
                samples.setdefault((kind, mode), []).append(sample)
                print(f"  round {r + 1}/{rounds} {mode:<14} {kind:<30} "
                      f"{sample.cpu_us:8.1f} µs CPU/req  {sample.wall:6.2f} s", flush=True)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overhead", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests, one round")
    parser.add_argument("--sequential", type=int, help="requests in the sequential mode")
    parser.add_argument("--concurrent", type=int, help="requests in the 100-concurrent mode")
    parser.add_argument("--rounds", type=int, help="repeats of the whole set (median shown)")
    args = parser.parse_args(argv)
    sequential = args.sequential or (500 if args.quick else 2000)
    concurrent = args.concurrent or (1000 if args.quick else 5000)
    rounds = args.rounds or (1 if args.quick else 5)
    modes = {"sequential": (sequential, 1), f"{CONCURRENCY}-concurrent": (concurrent, CONCURRENCY)}

    started = time.perf_counter()
    with child("_whoami_server") as (_, info):
        base_url = f"http://127.0.0.1:{info['port']}"
        samples = asyncio.run(run_all(base_url, modes, rounds))
    alone = asyncio.run(pacer_alone(20_000 if args.quick else 100_000))

    rows = []
    cpu_med: dict[tuple[str, str], float] = {}
    for mode in modes:
        base_cpu = statistics.median(s.cpu_us for s in samples[BASELINE, mode])
        base_us = statistics.median(s.wall / s.requests for s in samples[BASELINE, mode]) * 1e6
        for kind in CLIENTS:
            runs = samples[kind, mode]
            requests = runs[0].requests
            cpu = statistics.median(s.cpu_us for s in runs)
            wall = statistics.median(s.wall for s in runs)
            wall_us = statistics.median(s.wall / s.requests for s in runs) * 1e6
            cpu_med[kind, mode] = cpu
            spread = f"{min(s.cpu_us for s in runs):.0f}-{max(s.cpu_us for s in runs):.0f}"
            rows.append([kind, mode, f"{requests:,}", fmt(cpu), spread, ratio(cpu, base_cpu),
                         fmt(wall, 2), fmt(requests / wall, 0), ratio(wall_us, base_us)])
    results = table(["client", "mode", "requests", "CPU µs/req", "range", "CPU vs raw",
                     "wall s", "req/s", "wall/req vs raw"], rows)

    paced, plain = CLIENTS[3], CLIENTS[2]
    waited = max(s.paced_wait for m in modes for s in samples[paced, m])
    pacer_lines = [
        f"- {mode}: CPU {ratio(cpu_med[paced, mode], cpu_med[plain, mode])} of plain "
        f"AsyncLayers ({cpu_med[paced, mode] - cpu_med[plain, mode]:+.1f} µs/request); "
        f"{ratio(cpu_med[paced, mode], cpu_med[BASELINE, mode])} of raw aiohttp."
        for mode in modes
    ]
    parts = [
        f"Settings: server in another process (aiohttp.web, fixed whoami JSON); "
        f"{sequential:,} sequential and {concurrent:,} requests at {CONCURRENCY} concurrent "
        f"(anyio task group + CapacityLimiter; httpx gets {HTTPX_CONCURRENT_CAP:,} there, see "
        f"README); {WARMUP} warm-up requests per client; "
        f"median of {rounds} round(s), fresh client each. CPU = `time.process_time()` of the "
        "client process; `range` is min-max over rounds.",
        results,
        "**Pacing overhead** (AsyncLayers with `pacing=Pacing(tier=\"partner\")` vs without; "
        f"the pacer never throttled: it waited {waited:.3f} s in total):\n\n"
        + "\n".join(pacer_lines)
        + f"\n- the pacer's own work per request, measured alone (`await pacer.acquire()` + "
        f"`pacer.observe(headers)`, no I/O, best of 5): {alone:.2f} µs CPU, "
        f"{alone / cpu_med[plain, 'sequential']:.1%} of a plain AsyncLayers whoami() "
        "(sequential). The end-to-end differences above are within the rounds' noise when they "
        "are much larger than this.",
    ]
    report(NAME, TITLE, quick=args.quick, parts=parts)
    print(f"({NAME} took {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
