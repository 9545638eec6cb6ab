"""Benchmark 2, decode: a completed GitHub-ingest job snapshot, bytes to typed objects.

The same bytes go through the library's converter (``decode`` of a ``Response`` into a
``JobSnapshot``, then ``structure`` of its ``result`` into ``IngestGithubResult``, which is
what ``job.wait()`` does last), through pydantic v2 models of the same shape
(``model_validate_json``) and through msgspec Structs (``msgspec.json.decode(type=...)``).
``json.loads`` alone is shown as the floor every pure-Python path pays.
"""

from __future__ import annotations

import argparse
import enum
import json
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
import pydantic
from pydantic.alias_generators import to_camel

from layers_async import IngestGithubResult, JobSnapshot, Response
from layers_async._converter import decode, structure

from ._common import fmt, ratio, report, table

NAME = "decode"
TITLE = "2. Decode: a completed ingest job snapshot"

#: ``examples/seed.jobs.get.completed.ingest.json`` with the fields a live GET adds
#: (stage, progress, projectId, locationUrl, startedAt; docs README §5).
SNAPSHOT: dict[str, Any] = {
    "jobId": "job_01HX9Y6K7EJ4T2ABCDEF01234",
    "kind": "project_ingest_github",
    "status": "completed",
    "stage": "finalizing",
    "progress": 1.0,
    "projectId": "prj_254a4ce1-f4ca-42b1-9e36-17ca45ef3d39",
    "locationUrl": "/v1/jobs/job_01HX9Y6K7EJ4T2ABCDEF01234",
    "startedAt": "2026-04-18T17:06:31.412Z",
    "finishedAt": "2026-04-18T17:09:14.000Z",
    "result": {
        "projectId": "prj_254a4ce1-f4ca-42b1-9e36-17ca45ef3d39",
        "repoFullName": "acme/acme-mobile",
        "prUrl": "https://github.com/acme/acme-mobile/pull/247",
        "prNumber": 247,
        "brandContext": {
            "appName": "Acme Mobile",
            "tagline": "Faster checkouts, fewer taps.",
            "audience": "iOS shoppers, 25\u201344, US/UK",
            "brandVoice": "direct, dry, occasionally funny",
            "keywords": ["one-tap checkout", "saved cards"],
        },
        "sdkAppId": "app_8ffb9410eb0eb848264f8a",
    },
}
PAYLOAD = json.dumps(SNAPSHOT, ensure_ascii=False).encode()


# -- pydantic v2: the same shape, camelCase aliases, unknown fields ignored ------------------------


class _JobStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


class _Model(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(alias_generator=to_camel, populate_by_name=True,
                                       extra="ignore", frozen=True)


class BrandContextP(_Model):
    app_name: str | None = None
    app_description: str | None = None
    tagline: str | None = None
    audience: str | None = None
    icp: str | None = None
    brand_voice: str | None = None
    keywords: tuple[str, ...] = ()
    primary_language: str | None = None
    logo_url: str | None = None


class IngestGithubResultP(_Model):
    project_id: str | None = None
    repo_full_name: str | None = None
    pr_url: str | None = None
    pr_number: int | None = None
    brand_context: BrandContextP | None = None
    sdk_app_id: str | None = None


class JobErrorP(_Model):
    code: str | None = None
    message: str | None = None
    details: dict[str, Any] = pydantic.Field(default_factory=dict)


class JobSnapshotP(_Model):
    id: str = pydantic.Field(alias="jobId")
    kind: str | None = None
    status: _JobStatus | str = _JobStatus.RUNNING
    stage: str | None = None
    progress: float | None = None
    project_id: str | None = None
    repo_full_name: str | None = None
    container_id: str | None = None
    container_ids: tuple[str, ...] = ()
    influencer_id: str | None = None
    location_url: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: IngestGithubResultP | None = None
    error: JobErrorP | None = None


# -- msgspec: Structs, camelCase names (msgspec has no "enum or any string" union: str) ------------


def _wire(name: str) -> str:
    return "jobId" if name == "id" else to_camel(name)


class BrandContextM(msgspec.Struct, frozen=True, kw_only=True, rename=_wire):
    app_name: str | None = None
    app_description: str | None = None
    tagline: str | None = None
    audience: str | None = None
    icp: str | None = None
    brand_voice: str | None = None
    keywords: tuple[str, ...] = ()
    primary_language: str | None = None
    logo_url: str | None = None


class IngestGithubResultM(msgspec.Struct, frozen=True, kw_only=True, rename=_wire):
    project_id: str | None = None
    repo_full_name: str | None = None
    pr_url: str | None = None
    pr_number: int | None = None
    brand_context: BrandContextM | None = None
    sdk_app_id: str | None = None


class JobErrorM(msgspec.Struct, frozen=True, kw_only=True, rename=_wire):
    code: str | None = None
    message: str | None = None
    details: dict[str, Any] = msgspec.field(default_factory=dict)


class JobSnapshotM(msgspec.Struct, frozen=True, kw_only=True, rename=_wire):
    id: str
    kind: str | None = None
    status: str = "running"
    stage: str | None = None
    progress: float | None = None
    project_id: str | None = None
    repo_full_name: str | None = None
    container_id: str | None = None
    container_ids: tuple[str, ...] = ()
    influencer_id: str | None = None
    location_url: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: IngestGithubResultM | None = None
    error: JobErrorM | None = None


# -- the contenders ------------------------------------------------------------------------------


RESPONSE = Response(status=200, headers={"content-type": "application/json"}, body=PAYLOAD,
                    method="GET", path="/v1/jobs/job_01HX9Y6K7EJ4T2ABCDEF01234")
MSGSPEC_DECODER = msgspec.json.Decoder(JobSnapshotM)


def library_snapshot() -> Any:
    return decode(RESPONSE, JobSnapshot)


def library_typed() -> Any:
    snapshot = decode(RESPONSE, JobSnapshot)
    return snapshot, structure(snapshot.result, IngestGithubResult)


def library_loads_structure() -> Any:
    snapshot = structure(json.loads(PAYLOAD), JobSnapshot)
    return snapshot, structure(snapshot.result, IngestGithubResult)


def pydantic_typed() -> Any:
    return JobSnapshotP.model_validate_json(PAYLOAD)


def msgspec_typed() -> Any:
    return msgspec.json.decode(PAYLOAD, type=JobSnapshotM)


def msgspec_decoder() -> Any:
    return MSGSPEC_DECODER.decode(PAYLOAD)


def json_only() -> Any:
    return json.loads(PAYLOAD)


BASELINE = "layers_async: decode + structure(result)"
CONTENDERS: dict[str, Callable[[], Any]] = {
    "json.loads only (floor)": json_only,
    "layers_async: decode → JobSnapshot": library_snapshot,
    BASELINE: library_typed,
    "layers_async: json.loads + structure x2": library_loads_structure,
    "pydantic v2: model_validate_json": pydantic_typed,
    "msgspec: json.decode(type=...)": msgspec_typed,
    "msgspec: reused Decoder": msgspec_decoder,
}


def same_values() -> bool:
    """Whether every typed contender read the same values (a sanity check, not a gate)."""
    snapshot, result = library_typed()
    p = pydantic_typed()
    m = msgspec_typed()
    ours = (snapshot.id, str(snapshot.status), snapshot.finished_at, result.pr_number,
            result.brand_context.keywords)
    theirs = [(x.id, str(x.status), x.finished_at, x.result.pr_number,
               x.result.brand_context.keywords) for x in (p, m)]
    return all(ours == t for t in theirs)


def time_one(fn: Callable[[], Any], repeat: int, target: float) -> list[float]:
    """Per-call seconds of ``repeat`` batches, each batch sized to take about ``target`` s."""
    timer = timeit.Timer(fn)
    number, took = timer.autorange()
    number = max(1, int(number * target / max(took, 1e-9)))
    return [t / number for t in timer.repeat(repeat=repeat, number=number)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.decode", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--repeat", type=int, help="batches per contender (best and median)")
    args = parser.parse_args(argv)
    repeat = args.repeat or (5 if args.quick else 9)
    target = 0.05 if args.quick else 0.2

    started = time.perf_counter()
    timings = {name: time_one(fn, repeat, target) for name, fn in CONTENDERS.items()}
    base_best = min(timings[BASELINE])
    base_median = statistics.median(timings[BASELINE])
    rows = []
    for name, runs in timings.items():
        best, med = min(runs) * 1e6, statistics.median(runs) * 1e6
        rows.append([name, fmt(best, 2), fmt(med, 2), ratio(best * 1e-6, base_best),
                     ratio(med * 1e-6, base_median), f"{base_best / min(runs):.2f}x"])
    parts = [
        f"Settings: one {len(PAYLOAD)}-byte completed `project_ingest_github` envelope (the docs' "
        "seed example plus stage, progress, projectId, locationUrl, startedAt); "
        f"`timeit`, {repeat} batches of ~{target:g} s each per contender; best and median of the "
        "batches, in µs per decode. Ratios are against the library's full path "
        f"(`{BASELINE}`): under 1x is faster than the library. "
        f"All three typed paths read the same values: {'yes' if same_values() else 'NO'}.",
        table(["path", "best µs", "median µs", "best vs library", "median vs library",
               "speed-up over library"], rows),
    ]
    report(NAME, TITLE, quick=args.quick, parts=parts)
    print(f"({NAME} took {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
