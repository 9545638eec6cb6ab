"""Content records: containers, social accounts, scheduled posts, review policies, the
org's credit reservations. States are computed from records and the API time, like jobs.

Inferred (the docs print none of it): generation takes 60-200 API seconds in three stages
(``queued`` 10 %, ``generating_visuals`` 70 %, ``finalizing`` 20 %); a job's cost is the
per-format estimate, reserved at its start and charged (completed) or released (failed,
canceled) at its end; a post publishes 6 s after its ``scheduledFor`` (the example's
attemptedAt -> publishedAt gap).
"""

from __future__ import annotations

from typing import Any

import attrs

from ._clock import Clock
from ._jobs import CONTENT_GENERATE

__all__ = ["CONTENT_GENERATE", "ContainerRecord", "ContentBook", "PostRecord", "SocialAccount"]

#: README section 8: defensive per-format estimates, in credits.
ESTIMATES = {
    "slideshow_builder": 50,
    "slideshow_remix": 50,
    "video_remix": 120,
    "ugc_remix": 120,
    "auto": 120,
}
#: The newest docs print the remix/builder formats hyphenated in containers.
HYPHENATED = {
    "slideshow_builder": "slideshow-builder",
    "slideshow_remix": "slideshow-remix",
    "video_remix": "video-remix",
    "ugc_remix": "ugc-remix",
}
PUBLISH_SECONDS = 6.0
POST_OUTCOMES = ("published", "failed")


@attrs.define(kw_only=True, eq=False)
class ContainerRecord:
    """A content container; its generation state comes from its current job."""

    id: str
    seq: int
    org_id: str
    project_id: str
    format: str
    job_id: str
    created_at: float
    cost: int
    fingerprint: str  # what made it (route + body): a re-sent client id must match
    brief: dict[str, Any] | None = None
    hook: str | None = None
    influencer_id: str | None = None
    source_tiktok_id: str | None = None
    media_id: str | None = None
    approval_status: str = "not_required"
    assets: list[dict[str, Any]] = attrs.Factory(list)
    caption: str | None = None
    approved_at: float | None = None
    approved_by: str | None = None
    rejected_at: float | None = None
    rejected_by: str | None = None
    reason: str | None = None
    finished_at: float | None = None
    #: Schedules stored while approval is pending: (scheduledFor API time, targets).
    intents: list[tuple[float, list[dict[str, Any]]]] = attrs.Factory(list)


@attrs.define(kw_only=True, eq=False)
class SocialAccount:
    """A connected account (made by ``FakeLayers.connect_social_account``)."""

    id: str
    project_id: str
    platform: str
    display_name: str
    connected_at: float
    outcome: str = "published"


@attrs.define(kw_only=True, eq=False)
class PostRecord:
    """A scheduled post: queued until ``scheduled_for``, publishing for 6 s, then final."""

    id: str
    org_id: str
    project_id: str
    container_id: str
    account: SocialAccount
    mode: str
    scheduled_for: float
    created_at: float
    updated_at: float
    canceled_at: float | None = None
    external_id: str = ""
    #: ``post.published``/``post.failed`` has been sent (``_events.post_ended``).
    end_announced: bool = False

    def status(self, now: float) -> str:
        """The post's status at API time ``now`` (newest docs' spelling)."""
        if self.canceled_at is not None:
            return "canceled"
        if now < self.scheduled_for:
            return "queued"
        if now < self.scheduled_for + PUBLISH_SECONDS:
            return "publishing"
        if self.account.outcome == "failed":
            return "failed"
        return "draft" if self.mode == "draft_to_device" else "published"

    def to_json(self, clock: Clock, *, legacy: bool) -> dict[str, Any]:
        """The ScheduledPost object."""
        now = clock.now()
        status = self.status(now)
        if legacy and status == "draft":
            status = "draft_in_inbox"
        mode = "publish" if self.mode == "direct_publish" and not legacy else self.mode
        done = status in ("published", "draft", "draft_in_inbox", "failed")
        published = status == "published"
        external_url = None
        if published and self.account.platform == "tiktok":
            handle = self.account.display_name.lstrip("@")
            external_url = f"https://www.tiktok.com/@{handle}/video/{self.external_id}"
        elif published:
            external_url = f"https://www.{self.account.platform}.com/p/{self.external_id}"
        end = self.scheduled_for + PUBLISH_SECONDS
        updated = self.updated_at
        if self.canceled_at is None and now >= self.scheduled_for:
            updated = max(updated, min(now, end) if not done else end)
        return {
            "id": self.id,
            "containerId": self.container_id,
            "socialAccountId": self.account.id,
            "platform": self.account.platform,
            "mode": mode,
            "status": status,
            "externalId": self.external_id if published else None,
            "externalUrl": external_url,
            "scheduledFor": clock.iso(self.scheduled_for),
            "attemptedAt": clock.iso(self.scheduled_for)
            if self.canceled_at is None and now >= self.scheduled_for
            else None,
            "publishedAt": clock.iso(end) if published else None,
            "canceledAt": clock.iso(self.canceled_at) if self.canceled_at is not None else None,
            "lastError": {"message": "The platform rejected the post."}
            if status == "failed"
            else None,
            "createdAt": clock.iso(self.created_at),
            "updatedAt": clock.iso(updated),
        }


@attrs.define(kw_only=True, eq=False)
class ReviewPolicy:
    """A project's review policy; ``remaining`` counts down under ``review_first_n``."""

    policy: str = "auto_approve"
    first_n: int | None = None
    remaining: int = 0
    updated_at: float | None = None


@attrs.define(kw_only=True, eq=False)
class ContentBook:
    """Everything content-related an organization owns."""

    containers: dict[str, ContainerRecord] = attrs.Factory(dict)
    container_seq: int = 0
    accounts: dict[str, SocialAccount] = attrs.Factory(dict)
    posts: dict[str, PostRecord] = attrs.Factory(dict)
    policies: dict[str, ReviewPolicy] = attrs.Factory(dict)
    #: Credits reserved by running generations.
    reserved: int = 0

    def policy(self, project_id: str) -> ReviewPolicy:
        """The project's policy (``auto_approve`` until set)."""
        return self.policies.setdefault(project_id, ReviewPolicy())

    def gate_new(self, project_id: str) -> str:
        """The approval status of a container made now (counts ``review_first_n`` down)."""
        policy = self.policy(project_id)
        if policy.policy == "review_all":
            return "pending"
        if policy.policy == "review_first_n" and policy.remaining > 0:
            policy.remaining -= 1
            return "pending"
        return "not_required"

    def settle(self, job_id: str, status: str, finished_at: float) -> int:
        """Apply the end of generation job ``job_id``: release its reservation and return
        what it charges (nothing unless it completed)."""
        charged = 0
        for container in self.containers.values():
            if container.job_id != job_id:
                continue
            self.reserved -= container.cost
            if status == "completed":
                charged += container.cost
                container.caption = container.caption or _caption(container)
            container.finished_at = finished_at
        return charged

    def pending_count(self, project_id: str) -> int:
        """Containers of the project waiting for review."""
        return sum(
            1
            for c in self.containers.values()
            if c.project_id == project_id and c.approval_status == "pending"
        )


def _caption(container: ContainerRecord) -> str:
    brief = container.brief or {}
    topic = brief.get("topic") or brief.get("hook") or container.hook or "Made with Layers"
    return f"{str(topic).splitlines()[0][:120]} \u2026"
