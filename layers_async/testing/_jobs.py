"""Job simulation: a job's state is a pure function of its record and the current API time.

No background tasks run; every read recomputes the state. A cancel request takes effect at the
next stage boundary (cooperative cancellation); the end of the last stage counts as a boundary.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

import attrs

INGEST_GITHUB = "ingest_github"
INGEST_WEBSITE = "project_ingest_website"
INGEST_APPSTORE = "project_ingest_appstore"  # inferred: the docs print no kind for this job
CONTENT_GENERATE = "content_generate"

#: Stages and the share of the job's duration each one takes (shares are inferred).
STAGES: Mapping[str, tuple[tuple[str, float], ...]] = {
    INGEST_GITHUB: (
        ("cloning", 0.15),
        ("analyzing", 0.25),
        ("generating_sdk_patch", 0.30),
        ("opening_pr", 0.15),
        ("finalizing", 0.15),
    ),
    INGEST_WEBSITE: (("fetching", 1.0),),
    INGEST_APPSTORE: (("scraping", 1.0),),
    CONTENT_GENERATE: (("queued", 0.10), ("generating_visuals", 0.70), ("finalizing", 0.20)),
}

#: The quickstart's spellings (older docs): the GitHub ingest is printed as another kind and
#: starts in an ``initializing`` stage. Its share comes out of ``cloning``, so the later stage
#: boundaries are the newest plan's (``opening_pr`` still spans 70-85 % of the duration).
QUICKSTART_KINDS: Mapping[str, str] = {INGEST_GITHUB: "project_ingest_github"}
QUICKSTART_STAGES: Mapping[str, tuple[tuple[str, float], ...]] = {
    INGEST_GITHUB: (("initializing", 0.05), ("cloning", 0.10), *STAGES[INGEST_GITHUB][1:]),
}


def canonical_kind(kind: str) -> str:
    """The fake's own name for a job kind given in either docs generation's spelling."""
    for own, printed in QUICKSTART_KINDS.items():
        if kind == printed:
            return own
    return kind


#: Stages during which a cancel request is refused with 409 JOB_CANCEL_UNAVAILABLE.
UNCANCELABLE_STAGES = frozenset({"opening_pr"})

#: Default durations in API seconds, drawn uniformly (github documented, others inferred).
DURATIONS: Mapping[str, tuple[float, float]] = {
    INGEST_GITHUB: (90.0, 240.0),
    INGEST_WEBSITE: (3.0, 10.0),
    INGEST_APPSTORE: (4.0, 6.0),
    CONTENT_GENERATE: (60.0, 200.0),
}

OUTCOMES = frozenset({"completed", "failed", "canceled"})
TERMINAL = frozenset(OUTCOMES)


@attrs.define(kw_only=True, eq=False)
class JobRecord:
    """A started job: everything its state is computed from."""

    id: str
    kind: str
    org_id: str
    project_id: str
    started_at: float
    duration: float
    outcome: str
    error_code: str
    error_message: str
    result: dict[str, Any]
    params: dict[str, Any] = attrs.Factory(dict)
    printed_kind: str | None = None  # the kind as answered, when the docs spell it otherwise
    plan: tuple[tuple[str, float], ...] | None = None  # stages, when not this kind's default
    #: Each stage's share of the duration, when it differs from the stage's progress weight.
    timing: tuple[float, ...] | None = None
    cancel_requested_at: float | None = None
    settled: bool = False

    @property
    def wire_kind(self) -> str:
        """The kind as the fake answers it."""
        return self.printed_kind or self.kind

    @property
    def location_url(self) -> str:
        """The relative URL to poll."""
        return f"/v1/jobs/{self.id}"

    def stages(self) -> tuple[tuple[str, float], ...]:
        """This job's stages (a single ``running`` stage for unknown kinds)."""
        if self.plan is not None:
            return self.plan
        return STAGES.get(self.kind, (("running", 1.0),))

    def boundaries(self) -> list[float]:
        """Offsets from the start where each stage ends (the last one is the duration)."""
        ends: list[float] = []
        total = 0.0
        shares = self.timing or tuple(weight for _, weight in self.stages())
        for share in shares:
            total += share
            ends.append(self.duration * total)
        ends[-1] = self.duration
        return ends

    def progress_at(self, offset: float) -> float:
        """The progress the server reports ``offset`` seconds in: each stage's fixed weight,
        filled linearly while the stage runs (however long this job's stage takes)."""
        done = 0.0
        start = 0.0
        for (_, weight), end in zip(self.stages(), self.boundaries(), strict=True):
            if offset < end:
                span = end - start
                return done + weight * ((offset - start) / span if span > 0 else 1.0)
            done += weight
            start = end
        return 1.0

    def cancel_offset(self) -> float | None:
        """Offset of the boundary where a requested cancel takes effect, if any."""
        if self.cancel_requested_at is None:
            return None
        requested = self.cancel_requested_at - self.started_at
        for end in self.boundaries():
            if end > requested:
                return end
        return self.duration

    def terminal_at(self) -> float:
        """API time at which the job reaches its terminal state."""
        offset = self.cancel_offset()
        end = self.duration if offset is None else min(offset, self.duration)
        return self.started_at + end


@attrs.frozen(kw_only=True)
class JobView:
    """A job's state at one instant."""

    status: str
    stage: str
    progress: float
    finished_at: float | None

    @property
    def terminal(self) -> bool:
        """True for completed, failed and canceled."""
        return self.status in TERMINAL


def stage_timing(
    stages: tuple[tuple[str, float], ...], spread: float, rng: random.Random
) -> tuple[float, ...] | None:
    """Random shares of a job's duration for its stages: each weight times a factor in
    ``[1 - spread, 1 + spread]``, normalised (None with one stage or no spread)."""
    if spread <= 0 or len(stages) < 2:
        return None
    raw = [weight * rng.uniform(1.0 - spread, 1.0 + spread) for _, weight in stages]
    total = sum(raw)
    return tuple(part / total for part in raw)


def _progress(fraction: float) -> float:
    # Whole percent steps, below 1 until completed: a monotonic, cacheable value.
    return min(math.floor(max(fraction, 0.0) * 100) / 100, 0.99)


def _stage_at(job: JobRecord, offset: float) -> str:
    for (name, _), end in zip(job.stages(), job.boundaries(), strict=True):
        if offset < end:
            return name
    return job.stages()[-1][0]


def job_view(job: JobRecord, now: float) -> JobView:
    """The state of ``job`` at API time ``now`` (pure)."""
    elapsed = now - job.started_at
    cancel_at = job.cancel_offset()
    if cancel_at is not None and cancel_at <= job.duration and elapsed >= cancel_at:
        return JobView(
            status="canceled",
            stage=_stage_at(job, cancel_at - 1e-9),
            progress=_progress(job.progress_at(cancel_at)),
            finished_at=job.started_at + cancel_at,
        )
    if elapsed >= job.duration:
        last = job.stages()[-1][0]
        finished = job.started_at + job.duration
        if job.outcome == "completed":
            return JobView(status="completed", stage=last, progress=1.0, finished_at=finished)
        return JobView(status=job.outcome, stage=last, progress=0.99, finished_at=finished)
    return JobView(
        status="running",
        stage=_stage_at(job, elapsed),
        progress=_progress(job.progress_at(elapsed)),
        finished_at=None,
    )


@attrs.frozen(kw_only=True)
class JobScript:
    """A scripted outcome waiting for the next matching job."""

    outcome: str
    duration: float | None
    error_code: str
    error_message: str
    result: Mapping[str, Any] | None
    repo_full_name: str | None

    def matches(self, kind: str, params: Mapping[str, Any]) -> bool:
        """Whether a job of ``kind`` started with ``params`` consumes this script."""
        if self.repo_full_name is None:
            return True
        return kind == INGEST_GITHUB and params.get("repoFullName") == self.repo_full_name
