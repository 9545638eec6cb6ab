"""Content containers, their assets and progress, generation results, and approval."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

__all__ = [
    "ApprovalStatus",
    "ApproveResult",
    "Asset",
    "Brief",
    "Container",
    "ContainerPreview",
    "ContainerProgress",
    "ContainerStatus",
    "ContainerSummary",
    "ContentFormat",
    "ContentGenerateResult",
    "HookList",
    "PendingSchedulePromotion",
    "RejectResult",
    "ReviewPolicy",
    "ReviewPolicyKind",
]


class ContainerStatus(enum.StrEnum):
    """A container's generation state; ``processing`` (newest docs) is ``generating`` (older)."""

    QUEUED = "queued"
    PROCESSING = "processing"
    GENERATING = "generating"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


class ContentFormat(enum.StrEnum):
    """Formats in both spellings: the generate call's (``video_remix``) and the newest
    container lists' (``video-remix``)."""

    AUTO = "auto"
    VIDEO_REMIX = "video_remix"
    SLIDESHOW_REMIX = "slideshow_remix"
    UGC_REMIX = "ugc_remix"
    SLIDESHOW_BUILDER = "slideshow_builder"
    VIDEO_REMIX_HYPHEN = "video-remix"
    SLIDESHOW_REMIX_HYPHEN = "slideshow-remix"
    UGC_REMIX_HYPHEN = "ugc-remix"
    SLIDESHOW_BUILDER_HYPHEN = "slideshow-builder"


class ApprovalStatus(enum.StrEnum):
    """Where a container stands under its project's review policy."""

    NOT_REQUIRED = "not_required"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReviewPolicyKind(enum.StrEnum):
    """A project's content review policy."""

    AUTO_APPROVE = "auto_approve"
    REVIEW_FIRST_N = "review_first_n"
    REVIEW_ALL = "review_all"


@attrs.frozen(kw_only=True)
class Brief:
    """A creative brief (``topic``/``angle``/``cta``/``value_propositions``; the others are
    from an older concept example)."""

    topic: str | None = None
    angle: str | None = None
    cta: str | None = None
    value_propositions: tuple[str, ...] | None = None
    hook: str | None = None
    target_platforms: tuple[str, ...] | None = None
    influencer_id: str | None = None
    theme_tags: tuple[str, ...] | None = None
    reference_media_ids: tuple[str, ...] | None = None
    language: str | None = None


@attrs.frozen(kw_only=True)
class Asset:
    """One rendered file of a container (``url`` is the durable CDN address)."""

    asset_id: str
    kind: str
    url: str
    container_id: str | None = None
    thumbnail_url: str | None = None
    duration_ms: int | None = None
    width: int | None = None
    height: int | None = None
    mime_type: str | None = None
    size_bytes: int | None = None
    checksum_sha256: str | None = None


@attrs.frozen(kw_only=True)
class ContainerPreview:
    """What to show for a container before opening its assets."""

    kind: str | None = None
    primary_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    hls_url: str | None = None
    duration_ms: int | None = None
    aspect_ratio: str | None = None


@attrs.frozen(kw_only=True)
class Container:
    """``GET /v1/content/{containerId}``: fields are null or empty while it generates."""

    id: str
    status: ContainerStatus | str
    project_id: str | None = None
    format: ContentFormat | str | None = None
    hook: str | None = None
    influencer_id: str | None = None
    source_tiktok_id: str | None = None
    media_id: str | None = None
    brief: Brief | None = None
    caption: str | None = None
    first_comment: str | None = None
    preview: ContainerPreview | None = None
    assets: tuple[Asset, ...] = ()
    approval_status: ApprovalStatus | str | None = None
    creative_type: str | None = None
    ads_enrollment: str | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    failed_at: datetime | None = None
    #: Failure info when ``status`` is failed (shape not printed: the raw value).
    last_error: Any = None


@attrs.frozen(kw_only=True)
class ContainerSummary:
    """One item of ``GET /v1/projects/{projectId}/content`` (newest first)."""

    id: str
    status: ContainerStatus | str
    format: ContentFormat | str | None = None
    caption: str | None = None
    approval_status: ApprovalStatus | str | None = None
    creative_type: str | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    primary_asset: Asset | None = None


@attrs.frozen(kw_only=True)
class ContainerProgress:
    """``GET /v1/content/{containerId}/progress``: ``stage_progress`` resets at each stage."""

    container_id: str
    status: ContainerStatus | str
    stage: str | None = None
    stage_progress: float | None = None
    eta_seconds: int | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class ContentGenerateResult:
    """A completed ``content_generate`` job: the container(s) it made and their assets.

    The docs print ``containerId`` (and ``containerIds[]`` on the accepted envelope);
    :attr:`containers` names them all either way.
    """

    container_id: str | None = None
    container_ids: tuple[str, ...] = ()
    assets: tuple[Asset, ...] = ()

    @property
    def containers(self) -> tuple[str, ...]:
        """Every container id the job made, first one first."""
        ids = list(self.container_ids)
        if self.container_id is not None and self.container_id not in ids:
            ids.insert(0, self.container_id)
        return tuple(ids)


@attrs.frozen(kw_only=True)
class HookList:
    """``GET /v1/projects/{projectId}/content/hooks`` (the field name is inferred: the
    docs print no body)."""

    hooks: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class PendingSchedulePromotion:
    """Schedules that waited for this approval and were promoted by it."""

    status: str | None = None
    scheduled_post_ids: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class ApproveResult:
    """``POST /v1/content/{containerId}/approve``."""

    id: str
    approval_status: ApprovalStatus | str
    approved_at: datetime | None = None
    approved_by: str | None = None
    pending_schedule_promotion: PendingSchedulePromotion | None = None


@attrs.frozen(kw_only=True)
class RejectResult:
    """``POST /v1/content/{containerId}/reject``."""

    id: str
    approval_status: ApprovalStatus | str
    rejected_at: datetime | None = None
    rejected_by: str | None = None
    reason: str | None = None


@attrs.frozen(kw_only=True)
class ReviewPolicy:
    """A project's content review policy; ``updated_at`` is None when never set."""

    project_id: str
    policy: ReviewPolicyKind | str
    pending_count: int = 0
    first_n: int | None = None
    updated_at: datetime | None = None
