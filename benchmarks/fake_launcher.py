"""Run FakeLayers in its own process with pre-created jobs, for client-side measurements.

``python -m benchmarks.fake_launcher --jobs N --time-scale T --out FILE`` starts
``FakeLayers(time_scale=T, tier="partner", rate_limits=False, seed=0, port=0)``, creates N
GitHub-ingest jobs with durations drawn uniformly from [--low, --high] API seconds
(``random.Random(--seed)``) via ``fake.create_job``, and writes FILE (atomically) with
``base_url``, ``api_key``, the jobs (id, API start time, duration), the time scale and one
reading of the API clock next to ``time.monotonic()`` so another process can tell API time.
It prints one JSON line on stdout, then serves until SIGTERM/SIGINT. On the way out,
``--stats FILE`` gets the journal's request counts by status and ``--journal FILE`` the whole
journal as ``[method, path, route, status, at]`` rows. ``--tier``, ``--rate-limits`` and
``--max-running-jobs`` set up the fake for the pacing benchmark; ``--idle-jobs K`` adds K jobs
that never finish (listed as ``idle_jobs``), whose running envelopes a baseline can GET.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

from layers_async.testing import FakeLayers

from ._common import write_json_atomically


async def serve(args: argparse.Namespace) -> None:
    """Start the fake, create the jobs, publish where, serve until told to stop."""
    fake = FakeLayers(time_scale=args.time_scale, tier=args.tier, rate_limits=args.rate_limits,
                      seed=0, port=0, max_running_jobs=args.max_running_jobs)
    async with fake:
        rng = random.Random(args.seed)
        jobs: list[list[Any]] = []
        for _ in range(args.jobs):
            duration = rng.uniform(args.low, args.high)
            started = fake.now()
            job_id = fake.create_job(duration=duration, repo_full_name="acme/acme-mobile")
            jobs.append([job_id, started, duration])
        # Jobs that run for the whole benchmark: a client can GET running envelopes of them
        # (a baseline) once the measured jobs have finished.
        idle = [fake.create_job(duration=1e9, repo_full_name="acme/acme-mobile")
                for _ in range(args.idle_jobs)]
        info = {
            "base_url": fake.base_url,
            "api_key": fake.api_key,
            "time_scale": args.time_scale,
            "clock": {"api": fake.now(), "monotonic": time.monotonic()},
            "jobs": jobs,
            "idle_jobs": idle,
        }
        write_json_atomically(Path(args.out), info)
        print(json.dumps({"ready": True, "out": args.out, "jobs": len(jobs)}), flush=True)

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        if args.stats:
            by_status = collections.Counter(str(e.status) for e in fake.journal)
            write_json_atomically(Path(args.stats), {"requests": len(fake.journal),
                                                     "by_status": dict(by_status)})
        if args.journal:
            rows = [[e.method, e.path, e.route, e.status, e.at] for e in fake.journal]
            write_json_atomically(Path(args.journal), rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fake_launcher",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--time-scale", type=float, default=10.0)
    parser.add_argument("--low", type=float, default=90.0, help="shortest job, API seconds")
    parser.add_argument("--high", type=float, default=240.0, help="longest job, API seconds")
    parser.add_argument("--idle-jobs", type=int, default=0,
                        help="extra jobs that never finish (for a baseline of GETs)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the job durations")
    parser.add_argument("--tier", default="partner")
    parser.add_argument("--rate-limits", action="store_true", help="turn rate limits on")
    parser.add_argument("--max-running-jobs", type=int, default=None)
    parser.add_argument("--out", required=True, help="where to write the connection details")
    parser.add_argument("--stats", help="where to write journal counts on exit")
    parser.add_argument("--journal", help="where to write the journal on exit")
    asyncio.run(serve(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
