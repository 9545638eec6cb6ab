"""``layers.content`` (generate, review, schedule, publish) and ``layers.scheduled_posts``."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import anyio

from .._converter import coerce
from .._errors import PostWaitTimeoutError
from .._http import Timeout
from .._job import Job, deadline_after
from .._operations import (
    CONTENT_APPROVE,
    CONTENT_ASSET,
    CONTENT_CLONE_FROM_POST,
    CONTENT_CREATE_UPLOAD,
    CONTENT_GENERATE,
    CONTENT_GET,
    CONTENT_HOOKS,
    CONTENT_LIST,
    CONTENT_PROGRESS,
    CONTENT_PUBLISH,
    CONTENT_REGENERATE,
    CONTENT_REJECT,
    CONTENT_REVIEW_POLICY,
    CONTENT_SCHEDULE,
    CONTENT_SLIDESHOW_BUILDER,
    CONTENT_SLIDESHOW_REMIX,
    CONTENT_SOURCE_RECOMMENDATIONS,
    CONTENT_UGC_REMIX,
    CONTENT_UPDATE_REVIEW_POLICY,
    CONTENT_VIDEO_REMIX,
    SCHEDULED_POSTS_CANCEL,
    SCHEDULED_POSTS_GET,
    SCHEDULED_POSTS_LIST,
    SCHEDULED_POSTS_RESCHEDULE,
)
from .._pagination import AsyncPaginator
from .._poll import PostPollPolicy
from ..models.content import (
    ApproveResult,
    Asset,
    Brief,
    Container,
    ContainerProgress,
    ContainerSummary,
    ContentGenerateResult,
    HookList,
    RejectResult,
    ReviewPolicy,
)
from ..models.publishing import (
    CancelPostResult,
    PublishTarget,
    RescheduleResult,
    ScheduledPost,
    ScheduleResult,
)
from ._base import Resource
from ._checks import utc_z

__all__ = ["Content", "ScheduledPosts"]

#: What the generate call accepts (README section 8); hyphenated spellings are mapped.
GENERATE_FORMATS = ("auto", "video_remix", "slideshow_remix", "ugc_remix")
#: Format spellings the container list filters on (both docs generations).
LIST_FORMATS = ("auto", "video_remix", "slideshow_remix", "ugc_remix", "slideshow_builder",
                "video-remix", "slideshow-remix", "ugc-remix", "slideshow-builder")
CONTAINER_STATUSES = ("queued", "processing", "generating", "completed", "failed", "canceled")
POST_STATUSES = ("queued", "publishing", "draft", "draft_in_inbox", "published", "failed",
                 "canceled")
PUBLISH_MODES = ("direct_publish", "draft_to_device", "reels", "feed")
REVIEW_POLICIES = ("auto_approve", "review_first_n", "review_all")
UPLOAD_TYPES = ("video/mp4", "video/quicktime", "image/jpeg", "image/png", "image/webp")

PostCallback = Callable[[ScheduledPost], Awaitable[None] | None]


def _text(value: object, what: str, *, low: int = 1, high: int | None = None) -> str:
    if not isinstance(value, str) or len(value.strip()) < low or (
            high is not None and len(value) > high):
        span = f"{low} to {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{what} must be a string of {span} characters, got {value!r}")
    return value


def _optional_text(value: object, what: str, *, high: int | None = None) -> str | None:
    return None if value is None else _text(value, what, high=high)


def _int(value: object, what: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} must be an int from {low} to {high}, got {value!r}")
    return value


def _choice(value: object, what: str, allowed: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; known: {list(allowed)}")
    return str(value)


def _choices(values: str | Iterable[str] | None, what: str,
             allowed: tuple[str, ...]) -> tuple[str, ...] | None:
    if values is None:
        return None
    found = (values,) if isinstance(values, str) else tuple(values)
    for value in found:
        _choice(value, what, allowed)
    return tuple(str(value) for value in found)


def _uuid(value: object, what: str) -> str | None:
    if value is None:
        return None
    try:
        uuid.UUID(str(value))
    except ValueError:
        raise ValueError(f"{what} must be a UUID you chose, got {value!r}") from None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, got {type(value).__name__}")
    return value


def _exactly_one(social_account_id: str | None, influencer_id: str | None) -> None:
    """Remix and builder calls post as one account or one influencer: exactly one of them."""
    given = [v for v in (social_account_id, influencer_id) if v is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of social_account_id and influencer_id "
                         f"(got {len(given)})")
    _text(given[0], "social_account_id" if social_account_id is not None else "influencer_id")


def _brief(value: Brief | Mapping[str, Any] | None) -> Brief | None:
    return None if value is None else coerce(value, Brief, "brief")


def _targets(values: Iterable[PublishTarget | Mapping[str, Any]], high: int | None
             ) -> tuple[PublishTarget, ...]:
    if isinstance(values, Mapping | PublishTarget | str):
        raise TypeError("targets must be a list of PublishTarget (or mappings)")
    found = tuple(coerce(value, PublishTarget, f"targets[{i}]") for i, value in enumerate(values))
    if not found or (high is not None and len(found) > high):
        raise ValueError(f"targets must hold 1 to {high or 'any number of'} targets, "
                         f"got {len(found)}")
    for index, target in enumerate(found):
        _text(target.social_account_id, f"targets[{index}].social_account_id")
        _choice(target.mode, f"targets[{index}].mode", PUBLISH_MODES)
    return found


def _instant(value: object, what: str) -> str:
    """An aware datetime as the UTC instant the API wants (a naive one is refused)."""
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a timezone-aware datetime, got {type(value).__name__}")
    text = utc_z(value, what)
    assert text is not None
    return text


def _files(values: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(values, Mapping | str):
        raise TypeError("files must be a list of mappings")
    found = [dict(value) for value in values]
    if not 1 <= len(found) <= 10:
        raise ValueError(f"files must hold 1 to 10 files, got {len(found)}")
    for index, file in enumerate(found):
        unknown = sorted(set(file) - {"filename", "contentType", "sizeBytes"})
        if unknown:
            raise ValueError(f"files[{index}] has unknown field(s) {unknown}")
        _text(file.get("filename"), f"files[{index}].filename", high=512)
        _choice(file.get("contentType"), f"files[{index}].contentType", UPLOAD_TYPES)
        size = file.get("sizeBytes")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"files[{index}].sizeBytes must be a positive int, got {size!r}")
    return found


class Content(Resource):
    """Generate content, review it, and schedule or publish it.

    Every generate call reserves real credits (README section 8): pass an
    ``idempotency_key`` you can repeat (or a client-chosen ``id``) so a retried call
    can never pay twice.
    """

    async def generate(
        self,
        project_id: str,
        *,
        format: str = "auto",
        brief: Brief | Mapping[str, Any] | None = None,
        variant_count: int | None = None,
        id: str | None = None,
        project_layer_id: str | None = None,
        idempotency_key: str | None = None,
        timeout: float | Timeout | None = None,
    ) -> Job[ContentGenerateResult]:
        """``POST /v1/projects/{projectId}/content``: a ``content_generate`` job.

        ``format`` is one of ``auto``, ``video_remix``, ``slideshow_remix``, ``ugc_remix``
        (hyphenated spellings are accepted). ``id`` is a UUID you choose for the first
        container: re-sending it with the same brief is idempotent, with another brief it
        is a :class:`ContentConflictError`. Short of credits: :class:`BillingExhaustedError`.
        """
        wanted = format.replace("-", "_") if isinstance(format, str) else format
        _choice(wanted, "format", GENERATE_FORMATS)
        return await self._start(CONTENT_GENERATE, project_id, body=dict(
            id=_uuid(id, "id"), project_layer_id=_uuid(project_layer_id, "project_layer_id"),
            format=wanted, variant_count=_int(variant_count, "variant_count", 1, 5),
            brief=_brief(brief)), idempotency_key=idempotency_key, timeout=timeout)

    def list(
        self,
        project_id: str,
        *,
        status: str | Iterable[str] | None = None,
        format: str | Iterable[str] | None = None,
        creative_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        timeout: float | Timeout | None = None,
    ) -> AsyncPaginator[ContainerSummary]:
        """``GET /v1/projects/{projectId}/content``: containers, newest first (``status`` and
        ``format`` take one value or several)."""
        return self._page(CONTENT_LIST, project_id, query=dict(
            status=_choices(status, "status", CONTAINER_STATUSES),
            format=_choices(format, "format", LIST_FORMATS),
            creative_type=_choice(creative_type, "creative_type", ("generated", "uploaded")),
            since=utc_z(since, "since"), until=utc_z(until, "until")),
            limit=limit, timeout=timeout)

    async def _remix(self, op: Any, project_id: str, *, tiktok_video_id: str,
                     social_account_id: str | None, influencer_id: str | None,
                     idempotency_key: str | None,
                     timeout: float | Timeout | None) -> Job[ContentGenerateResult]:
        _text(tiktok_video_id, "tiktok_video_id")
        _exactly_one(social_account_id, influencer_id)
        return await self._start(op, project_id, body=dict(
            tiktok_video_id=tiktok_video_id, social_account_id=social_account_id,
            influencer_id=influencer_id), idempotency_key=idempotency_key, timeout=timeout)

    async def video_remix(self, project_id: str, *, tiktok_video_id: str,
                          social_account_id: str | None = None,
                          influencer_id: str | None = None, idempotency_key: str | None = None,
                          timeout: float | Timeout | None = None) -> Job[ContentGenerateResult]:
        """``POST /v1/projects/{projectId}/content/video-remix``: remix a TikTok video (from
        ``source_recommendations``) as exactly one of an account or an influencer."""
        return await self._remix(CONTENT_VIDEO_REMIX, project_id,
                                 tiktok_video_id=tiktok_video_id,
                                 social_account_id=social_account_id,
                                 influencer_id=influencer_id, idempotency_key=idempotency_key,
                                 timeout=timeout)

    async def slideshow_remix(self, project_id: str, *, tiktok_video_id: str,
                              social_account_id: str | None = None,
                              influencer_id: str | None = None,
                              idempotency_key: str | None = None,
                              timeout: float | Timeout | None = None
                              ) -> Job[ContentGenerateResult]:
        """``POST /v1/projects/{projectId}/content/slideshow-remix``: remix a TikTok slideshow
        as exactly one of an account or an influencer."""
        return await self._remix(CONTENT_SLIDESHOW_REMIX, project_id,
                                 tiktok_video_id=tiktok_video_id,
                                 social_account_id=social_account_id,
                                 influencer_id=influencer_id, idempotency_key=idempotency_key,
                                 timeout=timeout)

    async def ugc_remix(self, project_id: str, *, social_account_id: str | None = None,
                        influencer_id: str | None = None, hook: str | None = None,
                        media_id: str | None = None, idempotency_key: str | None = None,
                        timeout: float | Timeout | None = None) -> Job[ContentGenerateResult]:
        """``POST /v1/projects/{projectId}/content/ugc-remix``: an influencer reaction video
        (exactly one of ``social_account_id`` / ``influencer_id``; ``media_id`` defaults to
        the project's first app-demo clip)."""
        _exactly_one(social_account_id, influencer_id)
        return await self._start(CONTENT_UGC_REMIX, project_id, body=dict(
            social_account_id=social_account_id, influencer_id=influencer_id,
            hook=_optional_text(hook, "hook", high=2000),
            media_id=_optional_text(media_id, "media_id")),
            idempotency_key=idempotency_key, timeout=timeout)

    async def slideshow_builder(self, project_id: str, *, hook: str,
                                social_account_id: str | None = None,
                                influencer_id: str | None = None,
                                idempotency_key: str | None = None,
                                timeout: float | Timeout | None = None
                                ) -> Job[ContentGenerateResult]:
        """``POST /v1/projects/{projectId}/content/slideshow-builder``: a multi-image slideshow
        whose first slide shows ``hook`` verbatim (exactly one of the two ids)."""
        _text(hook, "hook", high=2000)
        _exactly_one(social_account_id, influencer_id)
        return await self._start(CONTENT_SLIDESHOW_BUILDER, project_id, body=dict(
            hook=hook, social_account_id=social_account_id, influencer_id=influencer_id),
            idempotency_key=idempotency_key, timeout=timeout)

    def source_recommendations(self, project_id: str, *, keyword: str | None = None,
                               kind: str | None = None, limit: int | None = None,
                               timeout: float | Timeout | None = None
                               ) -> AsyncPaginator[dict[str, Any]]:
        """``GET /v1/projects/{projectId}/content/source-recommendations``: TikTok sources
        for remixes (``keyword`` switches to live search). Items stay raw mappings: the docs
        print none of their fields."""
        return self._page(CONTENT_SOURCE_RECOMMENDATIONS, project_id, query=dict(
            keyword=_optional_text(keyword, "keyword", high=200),
            kind=_choice(kind, "kind", ("video", "slideshow", "mixed"))),
            limit=limit, timeout=timeout)

    async def hooks(self, project_id: str, *,
                    timeout: float | Timeout | None = None) -> HookList:
        """``GET /v1/projects/{projectId}/content/hooks``: a fresh brand-adapted hook bank."""
        return await self._call(CONTENT_HOOKS, project_id, timeout=timeout)

    async def create_upload(self, project_id: str, *, files: Iterable[Mapping[str, Any]],
                            grouping: str, idempotency_key: str | None = None,
                            timeout: float | Timeout | None = None) -> dict[str, Any]:
        """``POST /v1/projects/{projectId}/content/uploads``: a direct-upload session.

        ``files`` are mappings with the API's keys (``filename``, ``contentType``,
        ``sizeBytes``); ``grouping`` is ``per-file`` or ``slideshow``. The answer is the raw
        mapping: the docs print no response body.
        """
        checked = _files(files)
        _choice(grouping, "grouping", ("per-file", "slideshow"))
        return await self._call(CONTENT_CREATE_UPLOAD, project_id,
                                body=dict(files=checked, grouping=grouping),
                                idempotency_key=idempotency_key, timeout=timeout)

    async def get(self, container_id: str, *,
                  timeout: float | Timeout | None = None) -> Container:
        """``GET /v1/content/{containerId}``."""
        return await self._call(CONTENT_GET, container_id, timeout=timeout)

    async def progress(self, container_id: str, *,
                       timeout: float | Timeout | None = None) -> ContainerProgress:
        """``GET /v1/content/{containerId}/progress``: stage, stage progress and ETA."""
        return await self._call(CONTENT_PROGRESS, container_id, timeout=timeout)

    async def asset(self, container_id: str, asset_id: str, *,
                    timeout: float | Timeout | None = None) -> Asset:
        """``GET /v1/content/{containerId}/assets/{assetId}``."""
        return await self._call(CONTENT_ASSET, container_id, asset_id, timeout=timeout)

    async def regenerate(self, container_id: str, *,
                         brief: Brief | Mapping[str, Any] | None = None,
                         references: Mapping[str, Any] | None = None,
                         preserve_assets: bool | None = None,
                         idempotency_key: str | None = None,
                         timeout: float | Timeout | None = None) -> Job[ContentGenerateResult]:
        """``POST /v1/content/{containerId}/regenerate``: regenerate in place (a content job;
        ``preserve_assets=True`` redoes only the caption). Spends credits again."""
        if references is not None and not isinstance(references, Mapping):
            raise TypeError("references must be a mapping (sourcePostIds, assetIds)")
        return await self._start(CONTENT_REGENERATE, container_id, body=dict(
            brief=_brief(brief), references=references,
            preserve_assets=None if preserve_assets is None else bool(preserve_assets)),
            idempotency_key=idempotency_key, timeout=timeout)

    async def clone_from_post(
        self,
        container_id: str,
        *,
        project_id: str,
        source_platform_post_id: str,
        project_layer_id: str | None = None,
        mode: str | None = None,
        variations: int | None = None,
        overrides: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        timeout: float | Timeout | None = None,
    ) -> Job[ContentGenerateResult]:
        """``POST /v1/content/{containerId}/clone-from-post``: ``container_id`` is the NEW
        container's UUID, chosen by you (it makes the call idempotent)."""
        _uuid(container_id, "container_id")
        _text(project_id, "project_id")
        _text(source_platform_post_id, "source_platform_post_id")
        if overrides is not None and not isinstance(overrides, Mapping):
            raise TypeError("overrides must be a mapping (caption, cta, voiceOverScript)")
        return await self._start(CONTENT_CLONE_FROM_POST, container_id, body=dict(
            project_id=project_id, project_layer_id=project_layer_id,
            source_platform_post_id=source_platform_post_id,
            mode=_choice(mode, "mode", ("fork", "reimagine")),
            variations=_int(variations, "variations", 1, 10), overrides=overrides),
            idempotency_key=idempotency_key, timeout=timeout)

    # -- approval ---------------------------------------------------------------------

    async def approve(self, container_id: str, *, note: str | None = None,
                      idempotency_key: str | None = None,
                      timeout: float | Timeout | None = None) -> ApproveResult:
        """``POST /v1/content/{containerId}/approve``; schedules that waited for it are
        promoted (``pending_schedule_promotion``)."""
        return await self._call(CONTENT_APPROVE, container_id,
                                body=dict(note=_optional_text(note, "note", high=1024)),
                                idempotency_key=idempotency_key, timeout=timeout)

    async def reject(self, container_id: str, *, reason: str,
                     idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> RejectResult:
        """``POST /v1/content/{containerId}/reject``: a rejected container can't be scheduled."""
        return await self._call(CONTENT_REJECT, container_id,
                                body=dict(reason=_text(reason, "reason", high=1024)),
                                idempotency_key=idempotency_key, timeout=timeout)

    async def review_policy(self, project_id: str, *,
                            timeout: float | Timeout | None = None) -> ReviewPolicy:
        """``GET /v1/projects/{projectId}/content-review-policy`` (default ``auto_approve``)."""
        return await self._call(CONTENT_REVIEW_POLICY, project_id, timeout=timeout)

    async def update_review_policy(self, project_id: str, *, policy: str,
                                   first_n: int | None = None,
                                   idempotency_key: str | None = None,
                                   timeout: float | Timeout | None = None) -> ReviewPolicy:
        """``PATCH /v1/projects/{projectId}/content-review-policy``: ``first_n`` (1-50) goes
        with ``review_first_n`` and only with it."""
        _choice(policy, "policy", REVIEW_POLICIES)
        if (policy == "review_first_n") != (first_n is not None):
            raise ValueError("first_n is required with policy='review_first_n' and only then")
        return await self._call(CONTENT_UPDATE_REVIEW_POLICY, project_id, body=dict(
            policy=policy, first_n=_int(first_n, "first_n", 1, 50)),
            idempotency_key=idempotency_key, timeout=timeout)

    # -- publishing -------------------------------------------------------------------

    async def schedule(self, container_id: str, *, scheduled_for: datetime,
                       targets: Iterable[PublishTarget | Mapping[str, Any]],
                       idempotency_key: str | None = None,
                       timeout: float | Timeout | None = None) -> ScheduleResult:
        """``POST /v1/content/{containerId}/schedule`` at ``scheduled_for`` (an aware datetime:
        the API wants a UTC instant, whatever the project's timezone).

        Under a review policy, unapproved content answers 202 and the result says
        ``blocked_on_approval``: the schedule is kept and promoted on approval. Rejected
        content raises :class:`ContentRejectedError`.
        """
        return await self._call(CONTENT_SCHEDULE, container_id, body=dict(
            scheduled_for=_instant(scheduled_for, "scheduled_for"),
            targets=_targets(targets, 50)), idempotency_key=idempotency_key, timeout=timeout)

    async def publish(self, container_id: str, *,
                      targets: Iterable[PublishTarget | Mapping[str, Any]],
                      idempotency_key: str | None = None,
                      timeout: float | Timeout | None = None) -> ScheduleResult:
        """``POST /v1/content/{containerId}/publish`` now; unapproved content under a review
        policy raises :class:`ApprovalRequiredError`."""
        return await self._call(CONTENT_PUBLISH, container_id,
                                body=dict(targets=_targets(targets, None)),
                                idempotency_key=idempotency_key, timeout=timeout)


class ScheduledPosts(Resource):
    """Scheduled posts: read, list, cancel, move, and wait for them to publish."""

    async def get(self, scheduled_post_id: str, *,
                  timeout: float | Timeout | None = None) -> ScheduledPost:
        """``GET /v1/scheduled-posts/{scheduledPostId}``."""
        return await self._call(SCHEDULED_POSTS_GET, scheduled_post_id, timeout=timeout)

    def list(self, project_id: str, *, status: str | Iterable[str] | None = None,
             social_account_id: str | None = None, since: datetime | None = None,
             until: datetime | None = None, limit: int | None = None,
             timeout: float | Timeout | None = None) -> AsyncPaginator[ScheduledPost]:
        """``GET /v1/projects/{projectId}/scheduled-posts``, latest ``scheduled_for`` first."""
        return self._page(SCHEDULED_POSTS_LIST, project_id, query=dict(
            status=_choices(status, "status", POST_STATUSES),
            social_account_id=_optional_text(social_account_id, "social_account_id"),
            since=utc_z(since, "since"), until=utc_z(until, "until")),
            limit=limit, timeout=timeout)

    async def cancel(self, scheduled_post_id: str, *, reason: str | None = None,
                     idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> CancelPostResult:
        """``DELETE /v1/scheduled-posts/{scheduledPostId}``: only a ``queued`` post
        (otherwise :class:`ConflictError`)."""
        body = None if reason is None else dict(reason=_text(reason, "reason", high=1024))
        return await self._call(SCHEDULED_POSTS_CANCEL, scheduled_post_id, body=body,
                                idempotency_key=idempotency_key, timeout=timeout)

    async def reschedule(self, scheduled_post_id: str, *, scheduled_for: datetime,
                         idempotency_key: str | None = None,
                         timeout: float | Timeout | None = None) -> RescheduleResult:
        """``POST /v1/scheduled-posts/{scheduledPostId}/reschedule``: move a ``queued`` post
        (an aware datetime; otherwise :class:`ConflictError`)."""
        return await self._call(SCHEDULED_POSTS_RESCHEDULE, scheduled_post_id, body=dict(
            scheduled_for=_instant(scheduled_for, "scheduled_for")),
            idempotency_key=idempotency_key, timeout=timeout)

    async def wait(self, scheduled_post_id: str, *, timeout: float | None = None,
                   on_progress: PostCallback | None = None,
                   policy: PostPollPolicy | None = None) -> ScheduledPost:
        """Poll the post until it is no longer ``queued`` or ``publishing`` and return it.

        Polls every 30 s while queued and every 5 s while publishing (the docs'
        cadence; ``policy`` or the client's ``post_poll`` changes it), on the event
        loop's clock. ``on_progress`` gets each changed post. After ``timeout`` seconds
        :class:`PostWaitTimeoutError` (with ``.post``); cancelling the awaiting task
        stops polling at once. A ``failed`` post is returned, not raised: read
        ``post.status`` and ``post.last_error``.
        """
        pace = policy if policy is not None else self._pipeline.config.post_poll
        deadline = deadline_after(timeout)
        last: ScheduledPost | None = None
        while True:
            post = await self.get(scheduled_post_id)
            if post != last and on_progress is not None:
                outcome = on_progress(post)
                if inspect.isawaitable(outcome):
                    await outcome
            last = post
            if post.terminal:
                return post
            delay = pace.delay(str(post.status))
            if deadline is not None:
                left = deadline - anyio.current_time()
                if left <= 0:
                    raise PostWaitTimeoutError(
                        f"scheduled post {scheduled_post_id} still {post.status} after "
                        f"{timeout} s", post=post)
                delay = min(delay, left)
            await anyio.sleep(delay)
