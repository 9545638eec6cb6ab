"""Publishing: targets, schedule answers, scheduled posts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

__all__ = [
    "BLOCKED_ON_APPROVAL",
    "CancelPostResult",
    "PostError",
    "PublishMode",
    "PublishTarget",
    "RescheduleResult",
    "ScheduleResult",
    "ScheduledPost",
    "ScheduledPostStatus",
]

#: ``gateStatus`` of a schedule the review policy holds until the container is approved.
BLOCKED_ON_APPROVAL = "blocked_on_approval"


class PublishMode(enum.StrEnum):
    """How a target publishes (a post's own ``mode`` is also seen as ``publish``)."""

    DIRECT_PUBLISH = "direct_publish"
    DRAFT_TO_DEVICE = "draft_to_device"
    REELS = "reels"
    FEED = "feed"
    PUBLISH = "publish"


class ScheduledPostStatus(enum.StrEnum):
    """A post's state; ``draft`` (newest docs) is ``draft_in_inbox`` (older)."""

    QUEUED = "queued"
    PUBLISHING = "publishing"
    DRAFT = "draft"
    DRAFT_IN_INBOX = "draft_in_inbox"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        """Whether nothing more happens to the post (only queued and publishing change)."""
        return self not in (ScheduledPostStatus.QUEUED, ScheduledPostStatus.PUBLISHING)


@attrs.frozen(kw_only=True)
class PublishTarget:
    """One account to publish to (``social_account_id`` and ``mode`` are required)."""

    social_account_id: str
    mode: PublishMode | str
    scheduled_post_id: str | None = None
    caption_override: str | None = None
    first_comment_override: str | None = None
    #: Shape not printed by the docs: sent as given.
    tiktok_music: Any = None
    share_reel_to_feed: bool | None = None


@attrs.frozen(kw_only=True)
class PostError:
    """Why a post failed."""

    message: str | None = None


@attrs.frozen(kw_only=True)
class ScheduledPost:
    """``GET /v1/scheduled-posts/{scheduledPostId}``."""

    id: str
    status: ScheduledPostStatus | str
    container_id: str | None = None
    social_account_id: str | None = None
    platform: str | None = None
    mode: PublishMode | str | None = None
    external_id: str | None = None
    external_url: str | None = None
    scheduled_for: datetime | None = None
    attempted_at: datetime | None = None
    published_at: datetime | None = None
    canceled_at: datetime | None = None
    last_error: PostError | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def terminal(self) -> bool:
        """Whether the post has reached a final state (anything but queued/publishing)."""
        return str(self.status) not in ("queued", "publishing")


@attrs.frozen(kw_only=True)
class ScheduleResult:
    """What schedule and publish answer (shape inferred beyond ``gateStatus`` and the
    per-target ``scheduledPostIds``).

    A schedule the review policy holds answers 202 with ``gate_status ==
    "blocked_on_approval"`` and no posts yet: it is stored and promoted when the
    container is approved (see :attr:`blocked_on_approval`).
    """

    gate_status: str | None = None
    scheduled_post_ids: tuple[str, ...] = ()
    items: tuple[ScheduledPost, ...] = ()

    @property
    def blocked_on_approval(self) -> bool:
        """Whether the schedule waits for the container's approval."""
        return self.gate_status == BLOCKED_ON_APPROVAL


@attrs.frozen(kw_only=True)
class CancelPostResult:
    """``DELETE /v1/scheduled-posts/{scheduledPostId}``."""

    id: str
    status: ScheduledPostStatus | str
    canceled_at: datetime | None = None


@attrs.frozen(kw_only=True)
class RescheduleResult:
    """``POST /v1/scheduled-posts/{scheduledPostId}/reschedule``."""

    id: str
    status: ScheduledPostStatus | str
    scheduled_for: datetime
    updated_at: datetime | None = None
