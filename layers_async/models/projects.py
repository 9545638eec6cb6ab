"""Projects: one per end customer."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

__all__ = [
    "BrandContext",
    "IngestSourceState",
    "IngestState",
    "Project",
    "ProjectArchiveResult",
    "ProjectStatus",
]


class ProjectStatus(enum.StrEnum):
    """A project's lifecycle state."""

    ACTIVE = "active"
    ARCHIVED = "archived"


@attrs.frozen(kw_only=True)
class BrandContext:
    """What ingest learned about the customer's brand."""

    app_name: str | None = None
    app_description: str | None = None
    tagline: str | None = None
    audience: str | None = None
    icp: str | None = None
    brand_voice: str | None = None
    keywords: tuple[str, ...] = ()
    primary_language: str | None = None
    logo_url: str | None = None


@attrs.frozen(kw_only=True)
class IngestSourceState:
    """The last ingest of one source (github, website or appstore)."""

    status: str | None = None
    job_id: str | None = None
    completed_at: datetime | None = None


@attrs.frozen(kw_only=True)
class IngestState:
    """Per-source ingest state of a project."""

    github: IngestSourceState | None = None
    website: IngestSourceState | None = None
    appstore: IngestSourceState | None = None


@attrs.frozen(kw_only=True)
class Project:
    """A project. List pages carry a summary, so most fields are optional."""

    id: str
    name: str
    status: ProjectStatus | str = ProjectStatus.ACTIVE
    organization_id: str | None = None
    customer_external_id: str | None = None
    timezone: str | None = None
    primary_language: str | None = None
    owner_email: str | None = None
    brand_context: BrandContext | None = None
    ingest_state: IngestState | None = None
    platform_ios_bundle_id: str | None = None
    platform_android_bundle_id: str | None = None
    platform_web_domain: str | None = None
    requires_approval: bool | None = None
    first_n_posts_blocked: int | None = None
    current_blocked_count: int | None = None
    metadata: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class ProjectArchiveResult:
    """``DELETE /v1/projects/{id}``: projects are archived, never destroyed."""

    id: str
    status: ProjectStatus | str
    archived_at: datetime | None = None
    canceled_scheduled_posts: int | None = None
