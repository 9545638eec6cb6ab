"""Benchmark 6, webhooks wake waiters: how late ``job.wait()`` returns, polling alone vs joined
to a webhook receiver.

Both strategies wait on the same jobs (GitHub ingests, durations uniform in the documented
90-240 s, same seed), each in a fresh in-process FakeLayers (rate limits off) whose webhook
pump delivers ``job.completed`` as signed POSTs to a ``WebhookReceiver`` on loopback:

(a) polling alone: ``job.wait()`` (PollPolicy 5 s -> 30 s, progress-aimed; no receiver joined),
(b) the same ``job.wait()`` with the client joined to the receiver (``receiver.wake(layers)``):
    a verified ``job.completed`` calls ``layers.jobs.notify(job_id)``, the next poll goes out
    at once and fetches the terminal envelope.

Delays are API seconds on the fake's clock: from the job's end to ``wait()`` returning, and for
(b) also from the delivery reaching the receiver to ``wait()`` returning (plus that in wall ms).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from typing import Any

import anyio

from layers_async.testing import FakeLayers
from layers_async.webhooks import WebhookEvent, WebhookReceiver

from ._common import fmt, percentile, ratio, report, table

NAME = "webhooks"
TITLE = "6. Webhooks wake waiters: delay from a job's end to wait() returning"
STAGGER = 5.0


async def run(jobs: int, scale: float, seed: int, joined: bool) -> dict[str, Any]:
    """Wait on ``jobs`` jobs; the delays and the polls it took."""
    rng = random.Random(seed)
    durations = [rng.uniform(90.0, 240.0) for _ in range(jobs)]
    offsets = [rng.uniform(0.0, STAGGER) for _ in range(jobs)]
    end_delays: list[float] = []
    delivery_delays: list[float] = []
    delivery_wall: list[float] = []
    delivered: dict[str, tuple[float, float]] = {}
    started = time.perf_counter()
    async with FakeLayers(time_scale=scale, rate_limits=False, seed=seed) as fake, \
            fake.client() as layers:
        created = await layers.webhook_endpoints.create(url="http://127.0.0.1:9/later",
                                                        events=["job.completed"])
        receiver = WebhookReceiver(created.signing_secret)
        if joined:
            receiver.wake(layers)

        @receiver.on("job.completed")
        def note(event: WebhookEvent) -> None:
            if event.job_id is not None:
                delivered[event.job_id] = (fake.now(), time.perf_counter())

        async with receiver.serve() as url:
            await layers.webhook_endpoints.update(created.endpoint.id, url=url)
            polls_before = len(fake.journal)

            async def one(duration: float, offset: float) -> None:
                await anyio.sleep(offset / scale)
                start = fake.now()
                job_id = fake.create_job(duration=duration)
                await layers.jobs.attach(job_id).wait()
                now, wall = fake.now(), time.perf_counter()
                end_delays.append(now - (start + duration))
                if job_id in delivered:
                    api_at, wall_at = delivered[job_id]
                    delivery_delays.append(now - api_at)
                    delivery_wall.append((wall - wall_at) * 1000)

            with anyio.fail_after(300.0 / scale * 3 + 60):
                async with anyio.create_task_group() as group:
                    for duration, offset in zip(durations, offsets, strict=True):
                        group.start_soon(one, duration, offset)
            polls = sum(1 for e in fake.journal[polls_before:] if e.path.startswith("/v1/jobs/"))
    return {"jobs": jobs, "end": end_delays, "delivery": delivery_delays,
            "delivery_wall": delivery_wall, "polls": polls, "wall": time.perf_counter() - started,
            "delivered": len(delivered)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.webhooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50 jobs, faster time")
    parser.add_argument("--jobs", type=int, help="jobs per strategy (default 200)")
    parser.add_argument("--time-scale", type=float, help="API seconds per wall second")
    parser.add_argument("--seed", type=int, default=1, help="seed of durations")
    args = parser.parse_args(argv)
    jobs = args.jobs or (50 if args.quick else 200)
    scale = args.time_scale or (40.0 if args.quick else 20.0)
    started = time.perf_counter()
    results = {
        "(a) polling alone": anyio.run(run, jobs, scale, args.seed, False),
        "(b) polling + webhook wake": anyio.run(run, jobs, scale, args.seed, True),
    }
    base = results["(a) polling alone"]
    rows = []
    for name, m in results.items():
        d, w = m["end"], m["delivery"]
        rows.append([
            name, fmt(m["polls"] / m["jobs"], 2), ratio(m["polls"], base["polls"]),
            fmt(sum(d) / len(d), 2), fmt(percentile(d, 50), 2), fmt(percentile(d, 95), 2),
            fmt(max(d), 2),
            fmt(percentile(w, 50), 2) if w else "-", fmt(max(w), 2) if w else "-",
            fmt(percentile(m["delivery_wall"], 50), 1) if w else "-",
        ])
    parts = [
        f"Settings: {jobs} jobs per strategy, durations uniform 90-240 API s (seed {args.seed}, "
        f"the same jobs for both), FakeLayers(time_scale={scale:g}, rate_limits=False) in this "
        f"process delivering signed job.completed webhooks to a WebhookReceiver on loopback; "
        f"waiters start spread over {STAGGER:g} API s. (a) has the receiver but no client "
        "joined to it; (b) joins the client (receiver.wake). Delay after end = API s from the "
        "job's end to wait() returning; after delivery = from the receiver getting the event "
        "to wait() returning (API s, and wall ms).",
        table(["strategy", "polls/job", "polls vs (a)", "mean delay after end s", "p50 s",
               "p95 s", "max s", "p50 after delivery s", "max after delivery s",
               "p50 after delivery wall ms"], rows),
        f"Deliveries received: (a) {base['delivered']}, "
        f"(b) {results['(b) polling + webhook wake']['delivered']} of {jobs} each.",
    ]
    report(NAME, TITLE, quick=args.quick, parts=parts)
    print(f"({NAME} took {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
