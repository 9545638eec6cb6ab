"""Benchmark 5, pacing: a whole onboarding batch through one client on the standard tier.

Against FakeLayers(tier="standard") with rate limits ON, one client registers a GitHub
installation, creates N projects (write-light, 60/min) and starts a GitHub ingest on each
(long-running, 20/min), waiting for every job (polls are read-light, 120/min), with an anyio
task group at concurrency 200. The paced client uses
``pacing=Pacing(tier="standard").scaled(1/time_scale)``; the same batch is then run with
pacing off (default ``max_retries``: calls that still meet a 429 after their retries fail and
are counted), bounded in wall time. Every figure comes from the fake's journal, in API time.

Then several processes on one key (``--processes``, default 4): worker processes
(``--worker``) share one standard-tier key against one fake in another process, each
running its share of onboarding flows (create, ingest, wait), against one process running
them all; every pacer follows the server's ``X-RateLimit-Remaining``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import anyio

from layers_async import AsyncLayers, LayersError, Pacing, PollPolicy, RetryPolicy
from layers_async._operations import find_operation
from layers_async._pacing import TIER_RPM
from layers_async.testing import FakeLayers

from ._common import HERE, child, fmt, report, table

NAME = "pacing"
TITLE = "5. Pacing: 0 x 429 at the tier's rate (standard tier, one client)"

CONCURRENCY = 200
#: High enough that the per-org cap on running jobs never binds (the fake's default on the
#: standard tier is 25, a number the docs do not print).
MAX_RUNNING_JOBS = 1000
INGEST_ROUTE = "/v1/projects/{id}/ingest/github"
#: At 100 the first burst of creates reaches the fake a few API seconds after the pacer
#: released it (loopback and server time are not scaled), more than the pacer's headroom.
DEFAULT_SCALE = 100.0


def rate_per_minute(times: Sequence[float]) -> float:
    """Events per API minute over the span from the first to the last event."""
    if len(times) < 2 or times[-1] <= times[0]:
        return math.nan
    return (len(times) - 1) / (times[-1] - times[0]) * 60.0


def steady_rate(times: Sequence[float]) -> float:
    """The rate once the first minute (the bucket's initial burst) is over."""
    if not times:
        return math.nan
    return rate_per_minute([t for t in times if t >= times[0] + 60.0])


class Entry(NamedTuple):
    """What the benchmark reads of one journal entry."""

    method: str
    path: str
    route: str | None
    status: int | None
    at: float


async def run_batch(layers: AsyncLayers, projects: int, budget: float) -> dict[str, Any]:
    """Register, create ``projects`` projects, ingest and wait on each; what happened."""
    failures: collections.Counter[str] = collections.Counter()
    project_ids: list[str] = []
    done = 0
    phases: dict[str, float] = {}
    limiter = anyio.CapacityLimiter(CONCURRENCY)
    started = time.perf_counter()
    finished_in_budget = False
    async with layers:
        with anyio.move_on_after(budget):
            await layers.github.register_installation(56781234, "gh_state_benchmark")

            async def create(i: int) -> None:
                async with limiter:
                    try:
                        project = await layers.projects.create(name=f"Bench customer {i}")
                    except LayersError as exc:
                        failures[f"create: {type(exc).__name__}"] += 1
                        return
                    project_ids.append(project.id)

            async with anyio.create_task_group() as group:
                for i in range(projects):
                    group.start_soon(create, i)
            phases["create"] = time.perf_counter() - started

            async def ingest(project_id: str) -> None:
                nonlocal done
                async with limiter:
                    try:
                        job = await layers.ingest.github(project_id,
                                                         repo_full_name="acme/acme-mobile")
                    except LayersError as exc:
                        failures[f"ingest start: {type(exc).__name__}"] += 1
                        return
                    try:
                        await job.wait()
                    except LayersError as exc:
                        failures[f"wait: {type(exc).__name__}"] += 1
                        return
                    done += 1

            async with anyio.create_task_group() as group:
                for project_id in project_ids:
                    group.start_soon(ingest, project_id)
            finished_in_budget = True
        waited = dict(layers.pacer.waited) if layers.pacer is not None else {}
    wall = time.perf_counter() - started
    phases["ingest"] = wall - phases.get("create", wall)
    return {"projects": projects, "created": len(project_ids), "done": done,
            "failures": dict(failures), "wall": wall, "phases": phases,
            "finished": finished_in_budget, "waited": waited}


def client_options(scale: float, paced: bool) -> dict[str, Any]:
    """What ``fake.client()`` would pass, plus the pacer (or not)."""
    return {"poll": PollPolicy().scaled(1 / scale), "retry": RetryPolicy().scaled(1 / scale),
            "pacing": Pacing(tier="standard").scaled(1 / scale) if paced else False}


def run_in_process(projects: int, scale: float, paced: bool, budget: float
                   ) -> tuple[dict[str, Any], list[Entry]]:
    """The batch against a fake in this process (shares the event loop with the client)."""
    async def go() -> tuple[dict[str, Any], list[Entry]]:
        async with FakeLayers(time_scale=scale, tier="standard", rate_limits=True,
                              max_running_jobs=MAX_RUNNING_JOBS, seed=0) as fake:
            run = await run_batch(AsyncLayers(api_key=fake.api_key, base_url=fake.base_url,
                                              **client_options(scale, paced)), projects, budget)
            return run, [Entry(e.method, e.path, e.route, e.status, e.at) for e in fake.journal]

    return asyncio.run(go())


def run_in_child(projects: int, scale: float, paced: bool, budget: float
                 ) -> tuple[dict[str, Any], list[Entry]]:
    """The batch against a fake in another process (``fake_launcher``)."""
    with tempfile.TemporaryDirectory(prefix="layers-bench-") as tmp:
        out, journal = Path(tmp) / "fake.json", Path(tmp) / "journal.json"
        args = ["--jobs", "0", "--time-scale", str(scale), "--tier", "standard",
                "--rate-limits", "--max-running-jobs", str(MAX_RUNNING_JOBS),
                "--out", str(out), "--journal", str(journal)]
        with child("fake_launcher", *args, ready_timeout=60):
            info = json.loads(out.read_text())
            layers = AsyncLayers(api_key=info["api_key"], base_url=info["base_url"],
                                 **client_options(scale, paced))
            run = asyncio.run(run_batch(layers, projects, budget))
        return run, [Entry(*row) for row in json.loads(journal.read_text())]


SHARED_CONCURRENCY = 200


async def run_flows(base_url: str, api_key: str, first: int, count: int, scale: float
                    ) -> dict[str, Any]:
    """One worker's flows (create a project, start its ingest, wait); what happened."""
    failures: collections.Counter[str] = collections.Counter()
    done = 0
    limiter = anyio.CapacityLimiter(SHARED_CONCURRENCY)
    layers = AsyncLayers(api_key=api_key, base_url=base_url, **client_options(scale, True))
    async with layers:
        await layers.github.register_installation(56781234, "gh_state_benchmark")  # a no-op again

        async def flow(i: int) -> None:
            nonlocal done
            async with limiter:
                try:
                    project = await layers.projects.create(name=f"Shared customer {i}")
                    job = await layers.ingest.github(project.id,
                                                     repo_full_name="acme/acme-mobile")
                    await job.wait()
                except LayersError as exc:
                    failures[type(exc).__name__] += 1
                    return
                done += 1

        async with anyio.create_task_group() as group:
            for i in range(first, first + count):
                group.start_soon(flow, i)
    return {"done": done, "failures": dict(failures)}


def run_shared(processes: int, projects: int, scale: float) -> tuple[dict[str, Any],
                                                                       list[Entry]]:
    """``projects`` flows split over ``processes`` worker processes on one key and fake."""
    with tempfile.TemporaryDirectory(prefix="layers-bench-") as tmp:
        out, journal = Path(tmp) / "fake.json", Path(tmp) / "journal.json"
        args = ["--jobs", "0", "--time-scale", str(scale), "--tier", "standard",
                "--rate-limits", "--max-running-jobs", str(MAX_RUNNING_JOBS),
                "--out", str(out), "--journal", str(journal)]
        with child("fake_launcher", *args, ready_timeout=60):
            info = json.loads(out.read_text())
            started = time.perf_counter()
            shares = [projects // processes + (i < projects % processes)
                      for i in range(processes)]
            workers = [subprocess.Popen(
                [sys.executable, "-m", "benchmarks.pacing", "--worker", info["base_url"],
                 "--first", str(sum(shares[:i])), "--projects", str(n),
                 "--time-scale", str(scale)],
                cwd=HERE.parent, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                env={**os.environ, "LAYERS_API_KEY": info["api_key"]},
                text=True) for i, n in enumerate(shares)]
            results = []
            for worker in workers:
                stdout, _ = worker.communicate(timeout=600)
                results.append(json.loads(stdout.splitlines()[-1]))
            wall = time.perf_counter() - started
        failures: collections.Counter[str] = collections.Counter()
        for r in results:
            failures.update(r["failures"])
        run = {"processes": processes, "projects": projects,
               "done": sum(r["done"] for r in results), "failures": dict(failures),
               "wall": wall}
        return run, [Entry(*row) for row in json.loads(journal.read_text())]


def worker_main(base_url: str, first: int, count: int, scale: float) -> int:
    """``--worker``: run flows against ``base_url`` with the key in LAYERS_API_KEY."""
    logging.getLogger("layers_async").addHandler(logging.NullHandler())
    result = asyncio.run(run_flows(base_url, os.environ["LAYERS_API_KEY"], first, count, scale))
    print(json.dumps(result), flush=True)
    return 0


def summarize(journal: Sequence[Entry]) -> dict[str, Any]:
    """Journal figures of one run."""
    by_class: dict[str, collections.Counter[int | None]] = collections.defaultdict(
        collections.Counter)
    for e in journal:
        op = find_operation(e.method, e.path)
        by_class[op.rate_class if op is not None else 'unknown'][e.status] += 1
    starts = [e.at for e in journal if e.route == INGEST_ROUTE and e.status == 202]
    creates = [e.at for e in journal
               if e.method == "POST" and e.path == "/v1/projects" and e.status == 201]
    polls = [e.at for e in journal if e.method == "GET" and e.status in (200, 304)
             and starts and e.at >= starts[0]]
    return {
        "429": sum(c[429] for c in by_class.values()),
        "429_by_class": {k: c[429] for k, c in by_class.items() if c[429]},
        "requests": len(journal),
        "starts": starts,
        "creates": creates,
        "polls": polls,
    }


def rate_row(label: str, times: Sequence[float], limit: int) -> list[str]:
    """Count, span, overall and steady rate of ``times``, and their share of the tier."""
    overall, steady = rate_per_minute(times), steady_rate(times)
    span = times[-1] - times[0] if len(times) > 1 else math.nan
    # The most the server's bucket can admit over the span: a full bucket, then its refill.
    admissible = limit + limit * span / 60.0
    return [label, f"{len(times):,}", fmt(span, 0), fmt(overall, 2), share(overall, limit),
            fmt(steady, 2), share(steady, limit), share(len(times), admissible)]


def shared_parts(processes: int, projects: int, scale: float) -> list[str]:
    """One process against ``processes`` on one key: the same flows, the same fake setup."""
    limit = TIER_RPM["standard"]["long-running"]
    rows = []
    for n in (1, processes):
        run, journal = run_shared(n, projects, scale)
        s = summarize(journal)
        starts = s["starts"]
        overall, steady = rate_per_minute(starts), steady_rate(starts)
        print(f"  {n} process(es) on one key: {s['429']:,} x 429, {run['done']:,} done, "
              f"{run['wall']:.1f} s wall", flush=True)
        rows.append([f"{n}", f"{run['done']:,} / {projects:,}",
                     ", ".join(f"{k} {v:,}" for k, v in run["failures"].items()) or "-",
                     f"{s['429']:,}",
                     ", ".join(f"{k} {v:,}" for k, v in s["429_by_class"].items()) or "-",
                     fmt(overall, 2), share(overall, limit), fmt(steady, 2),
                     share(steady, limit), fmt(run["wall"], 1)])
    return [
        f"**Several processes, one key.** {projects:,} onboarding flows (create a project, "
        f"start its GitHub ingest, wait for it), split evenly over N worker processes on one "
        f"standard-tier key against one fake in another process (`fake_launcher`, time scale "
        f"{scale:g}, max_running_jobs={MAX_RUNNING_JOBS}), {SHARED_CONCURRENCY} flows at once "
        "per process, each process's client with `Pacing(tier=\"standard\")` scaled: every "
        "pacer alone would spend the whole tier; they follow the server's "
        "`X-RateLimit-Remaining`. Rates are of the ingest 202s per API minute, from the "
        "journal, against the tier's 20/min.",
        table(["processes", "flows done", "failed", "429s", "429s by class",
               "long-running /min", "of tier", "steady /min", "of tier", "wall s"], rows),
    ]


def share(value: float, of: float) -> str:
    return "-" if math.isnan(value) or math.isnan(of) or not of else f"{value / of:.1%}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pacing", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="200 projects instead of 2,000")
    parser.add_argument("--projects", type=int, help="projects (and ingests) per run")
    parser.add_argument("--time-scale", type=float, default=DEFAULT_SCALE,
                        help=f"API seconds per wall second (default {DEFAULT_SCALE:g})")
    parser.add_argument("--unpaced-budget", type=float,
                        help="wall seconds allowed to the unpaced run (default 60, 20 quick)")
    parser.add_argument("--in-process", action="store_true",
                        help="run the fake in this process, on the client's event loop")
    parser.add_argument("--processes", type=int, default=4,
                        help="worker processes sharing one key (default 4; 0 skips that part)")
    parser.add_argument("--shared-projects", type=int,
                        help="flows of the shared-key part, in total (default 200, 80 quick)")
    parser.add_argument("--shared-only", action="store_true",
                        help="run only the shared-key part")
    parser.add_argument("--worker", metavar="BASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args.worker, args.first, args.projects, args.time_scale)
    projects = args.projects or (200 if args.quick else 2000)
    scale = args.time_scale
    limits = TIER_RPM["standard"]
    run_one = run_in_process if args.in_process else run_in_child
    # Silence the per-retry warnings of the unpaced run; the journal counts them all.
    logging.getLogger("layers_async").addHandler(logging.NullHandler())

    started = time.perf_counter()
    runs: dict[str, dict[str, Any]] = {}
    summaries: dict[str, dict[str, Any]] = {}
    paced_budget = 2 * (projects * 3.0 + 1200.0) / scale + 60.0
    for label, paced, budget in () if args.shared_only else (
        ("paced", True, paced_budget),
        ("unpaced", False, args.unpaced_budget or (20.0 if args.quick else 60.0)),
    ):
        runs[label], journal = run_one(projects, scale, paced, budget)
        summaries[label] = summarize(journal)
        r = runs[label]
        print(f"  {label}: {summaries[label]['429']:,} x 429, {r['created']:,} created, "
              f"{r['done']:,} ingested, {r['wall']:.1f} s wall, finished={r['finished']}",
              flush=True)

    parts: list[str] = []
    if runs:
        headline = table(["run", "429s sent", "429s by class", "projects created", "ingests done",
                          "calls failed after retries", "requests", "wall s", "finished"], [
            [label, f"{s['429']:,}",
             ", ".join(f"{k} {v:,}" for k, v in s["429_by_class"].items()) or "-",
             f"{r['created']:,} / {r['projects']:,}", f"{r['done']:,}",
             ", ".join(f"{k} {v:,}" for k, v in r["failures"].items()) or "-",
             f"{s['requests']:,}", fmt(r["wall"], 1),
             "yes" if r["finished"] else "no: stopped at its wall budget"]
            for (label, r), s in zip(runs.items(), summaries.values(), strict=True)
        ])
        rates = []
        for label, s in summaries.items():
            rates.append(rate_row(f"{label}: long-running (ingest 202s)", s["starts"],
                                  limits["long-running"]))
            rates.append(rate_row(f"{label}: write-light (project 201s)", s["creates"],
                                  limits["write-light"]))
            rates.append(rate_row(f"{label}: read-light (polls, ingest phase)", s["polls"],
                                  limits["read-light"]))
        p = runs["paced"]
        waited = ", ".join(f"{k} {v * scale:,.0f}" for k, v in p["waited"].items())
        where = ("in this process (same event loop as the client)" if args.in_process
                 else "in another process (`fake_launcher`)")
        parts += [
            f"Settings: {projects:,} projects and {projects:,} GitHub ingests per run, concurrency "
            f"{CONCURRENCY} (anyio CapacityLimiter; a slot holds an ingest from its start to the "
            f"end of its wait); FakeLayers(time_scale={scale:g}, tier=\"standard\", "
            f"rate_limits=True, max_running_jobs={MAX_RUNNING_JOBS}) {where}, a fresh one per "
            "run; ingests last 90-240 API s; poll and retry policies scaled by 1/time_scale as "
            "`fake.client()` does. Tier limits: long-running "
            f"{limits['long-running']}/min, write-light {limits['write-light']}/min, read-light "
            f"{limits['read-light']}/min. Rates are per API minute from the journal's `.at` of the "
            "successful answers: `overall` from the first to the last, `steady` after the first "
            "minute (the bucket's initial burst); `of admissible` divides the count by the most "
            "the server's bucket could admit over that span (a full bucket plus its refill).",
            headline,
            table(["class", "answers", "span API s", "overall /min", "of tier", "steady /min",
                   "of tier", "of admissible"], rates),
            f"Paced run: create phase {p['phases'].get('create', math.nan):.1f} s, ingest + "
            f"wait {p['phases'].get('ingest', math.nan):.1f} s wall. API seconds the pacer held "
            f"requests back, summed over requests: {waited}.",
        ]
    if args.processes > 0:
        parts += shared_parts(args.processes, args.shared_projects
                              or (80 if args.quick else 200), scale)
    report(NAME, TITLE, quick=args.quick, parts=parts)
    print(f"({NAME} took {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
