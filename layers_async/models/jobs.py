"""Job envelopes, their kind-specific results, and cancel answers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from .._wire import wire
from .projects import BrandContext

__all__ = [
    "CancelResult",
    "IngestAppstoreResult",
    "IngestGithubResult",
    "IngestWebsiteResult",
    "JobError",
    "JobKind",
    "JobSnapshot",
    "JobStatus",
]


class JobStatus(enum.StrEnum):
    """``running`` is the only state that can change; the others are final."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        """Whether this state is final."""
        return self is not JobStatus.RUNNING


class JobKind(enum.StrEnum):
    """Job kinds as the docs print them. Both spellings of the GitHub ingest appear."""

    INGEST_GITHUB = "ingest_github"
    PROJECT_INGEST_GITHUB = "project_ingest_github"
    PROJECT_INGEST_WEBSITE = "project_ingest_website"
    PROJECT_INGEST_APPSTORE = "project_ingest_appstore"
    CONTENT_GENERATE = "content_generate"
    INFLUENCER_CREATE = "influencer_create"


@attrs.frozen(kw_only=True)
class JobError:
    """Why a job failed (``error`` on a failed job's envelope)."""

    code: str | None = None
    message: str | None = None
    details: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class JobSnapshot:
    """One job envelope, as answered by a job-starting POST or ``GET /v1/jobs/{id}``.

    ``result`` is the raw kind-specific mapping; ``Job.wait()`` returns it typed.
    """

    id: str = attrs.field(metadata=wire("jobId"))
    kind: JobKind | str | None = None
    status: JobStatus | str = JobStatus.RUNNING
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
    result: dict[str, Any] | None = None
    error: JobError | None = None

    @property
    def terminal(self) -> bool:
        """Whether the job has finished (completed, failed or canceled)."""
        return self.status in _TERMINAL


_TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED})


@attrs.frozen(kw_only=True)
class IngestGithubResult:
    """A completed GitHub ingest: the PR it opened and what it learned."""

    project_id: str | None = None
    repo_full_name: str | None = None
    pr_url: str | None = None
    pr_number: int | None = None
    brand_context: BrandContext | None = None
    sdk_app_id: str | None = None


@attrs.frozen(kw_only=True)
class IngestWebsiteResult:
    """A completed website ingest (shape inferred: the docs print no example)."""

    project_id: str | None = None
    url: str | None = None
    brand_context: BrandContext | None = None


@attrs.frozen(kw_only=True)
class IngestAppstoreResult:
    """A completed App Store / Play ingest (shape inferred: the docs print no example)."""

    project_id: str | None = None
    ios_bundle_id: str | None = None
    android_package: str | None = None
    brand_context: BrandContext | None = None


@attrs.frozen(kw_only=True)
class CancelResult:
    """``POST /v1/jobs/{id}/cancel``: ``accepted`` False with a ``reason`` when not sent."""

    job_id: str
    accepted: bool
    reason: str | None = None
    stage: str | None = None

