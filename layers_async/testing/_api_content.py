"""Handlers: content generation, containers, approval, review policy, publishing, posts.

Written from README sections 2, 4, 5, 8 and 12.4 and openapi.yaml. Inferred (the docs print
none of it): 409 ``CONFLICT`` for scheduling or approving a container that has not
completed, for approving rejected or not-required content, and for regenerating while a
generation runs; 422 for a target naming an account not connected to the project; the
bodies of the hooks, source-recommendations, upload-session, schedule and publish answers
(``gateStatus`` ``"open"`` when nothing holds a schedule); ``details`` of 402
(``required``, ``available``) and of the 409 for a re-sent container ``id``
(``containerId``). The webhook events these handlers send, and when: ``_events.py``.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ._api_projects import project_or_404
from ._content import (
    CONTENT_GENERATE,
    ESTIMATES,
    HYPHENATED,
    ContainerRecord,
    PostRecord,
)
from ._context import caller
from ._errors import ApiError, json_response, not_found
from ._events import (
    content_approved,
    content_rejected,
    post_canceled,
    post_scheduled,
)
from ._jobs import JobRecord, job_view
from ._pagination import decode_cursor, encode_cursor, parse_limit
from ._records import Org, Project
from ._state import State
from ._validation import Checker, query_issue, read_object

_FORMATS = ("video_remix", "slideshow_remix", "ugc_remix", "auto")
_CONTAINER_STATUSES = ("queued", "processing", "generating", "completed", "failed", "canceled")
_POST_STATUSES = (
    "queued",
    "publishing",
    "draft",
    "draft_in_inbox",
    "published",
    "failed",
    "canceled",
)
_MODES = ("direct_publish", "draft_to_device", "reels", "feed")
_POLICIES = ("auto_approve", "review_first_n", "review_all")
_UPLOAD_TYPES = ("video/mp4", "video/quicktime", "image/jpeg", "image/png", "image/webp")
_SKEW = 30.0  # scheduledFor may be this many seconds in the past (README: ~30 s tolerated)
_CDN = "https://media.layers.com/public-media/content-container"


# -- rendering -------------------------------------------------------------------------------


def _job(state: State, container: ContainerRecord) -> JobRecord:
    return state.jobs[container.job_id]


def _status(state: State, container: ContainerRecord) -> str:
    view = job_view(_job(state, container), state.clock.now())
    if view.status != "running":
        return view.status
    if view.stage == "queued":
        return "queued"
    return "generating" if state.docs == "quickstart" else "processing"


def _format(state: State, container: ContainerRecord) -> str:
    if state.docs == "quickstart":
        return container.format
    return HYPHENATED.get(container.format, container.format)


def _preview(container: ContainerRecord) -> dict[str, Any] | None:
    if not container.assets:
        return None
    first = container.assets[0]
    video = first["kind"] == "video"
    return {
        "kind": first["kind"],
        "primaryUrl": first["url"],
        "videoUrl": first["url"] if video else None,
        "thumbnailUrl": first["thumbnailUrl"],
        "hlsUrl": None,
        "durationMs": first["durationMs"] if video else None,
        "aspectRatio": "9:16",
    }


def container_json(state: State, container: ContainerRecord) -> dict[str, Any]:
    """The full Container object (media fields null or empty until it completes)."""
    status = _status(state, container)
    done = status == "completed"
    finished = container.finished_at
    return {
        "id": container.id,
        "projectId": container.project_id,
        "status": status,
        "format": _format(state, container),
        "hook": container.hook,
        "influencerId": container.influencer_id,
        "sourceTiktokId": container.source_tiktok_id,
        "mediaId": container.media_id,
        "brief": container.brief,
        "caption": container.caption if done else None,
        "firstComment": None,
        "preview": _preview(container) if done else None,
        "assets": container.assets if done else [],
        "approvalStatus": container.approval_status,
        "creativeType": "generated",
        "adsEnrollment": "eligible",
        "createdAt": state.clock.iso(container.created_at),
        "completedAt": state.clock.iso(finished) if done and finished is not None else None,
        "failedAt": state.clock.iso(finished)
        if status == "failed" and finished is not None
        else None,
        "lastError": {"code": "GENERATION_FAILED", "message": "Generation failed."}
        if status == "failed"
        else None,
    }


def _summary(state: State, container: ContainerRecord) -> dict[str, Any]:
    full = container_json(state, container)
    names = ("id", "status", "format", "caption", "approvalStatus", "creativeType", "createdAt")
    item = {name: full[name] for name in names}
    item["completedAt"] = full["completedAt"]
    item["primaryAsset"] = full["assets"][0] if full["assets"] else None
    return item


def _accepted(state: State, job: JobRecord, containers: list[ContainerRecord]) -> web.Response:
    # The job as it was when accepted: a 202 never reports a finish (nor its result),
    # even when the job's scaled duration ran out while the answer was being built.
    view = job_view(job, job.started_at)
    body = {
        "jobId": job.id,
        "kind": job.wire_kind,
        "status": view.status,
        "stage": view.stage,
        "projectId": job.project_id,
        "containerId": containers[0].id,
        "containerIds": [c.id for c in containers],
        "locationUrl": job.location_url,
        "startedAt": state.clock.iso(job.started_at),
    }
    return json_response(body, status=202, headers={"Location": job.location_url})


# -- lookups ---------------------------------------------------------------------------------


def _container_or_404(request: web.Request) -> tuple[State, Org, ContainerRecord]:
    state, org, _ = caller(request)
    state.settle(org)
    raw = request.match_info["containerId"]
    container = org.content.containers.get(state.ids.canonical("cnt", raw))
    if container is None:
        raise not_found("Container not found.")
    return state, org, container


async def _optional_body(request: web.Request) -> dict[str, Any]:
    if not (await request.read()).strip():
        return {}
    return await read_object(request)


def _fingerprint(route: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps([route, body], sort_keys=True).encode()).hexdigest()


# -- generation ------------------------------------------------------------------------------


def _assets(state: State, container_id: str, fmt: str) -> list[dict[str, Any]]:
    rng = state.data_rng
    slides = fmt in ("slideshow_remix", "slideshow_builder")
    assets = []
    for _ in range(rng.randint(3, 5) if slides else 1):
        kind = "image" if slides else "video"
        asset_id = f"{kind}-{state.ids.uuid()}"
        ext = "jpg" if slides else "mp4"
        url = f"{_CDN}/{container_id}/media/{asset_id}.{ext}"
        assets.append(
            {
                "containerId": container_id,
                "assetId": asset_id,
                "kind": kind,
                "url": url,
                "thumbnailUrl": url.rsplit(".", 1)[0] + "-thumb.jpg",
                "durationMs": None if slides else rng.randint(7000, 30000),
                "width": 1080,
                "height": 1920,
                "mimeType": "image/jpeg" if slides else "video/mp4",
                "sizeBytes": rng.randint(200_000, 900_000)
                if slides
                else rng.randint(1_000_000, 9_000_000),
                "checksumSha256": state.ids.hex(64),
            }
        )
    return assets


def _reserve(org: Org, cost: int) -> None:
    available = max(org.credits - org.content.reserved, 0)
    if available < cost:
        raise ApiError(
            402,
            "BILLING_EXHAUSTED",
            f"Available credits ({available}) cannot cover this generation ({cost}).",
            details={"required": cost, "available": available},
        )


def _start(
    state: State,
    org: Org,
    project: Project,
    *,
    fmt: str,
    count: int,
    first_id: str | None,
    fingerprint: str,
    fields: dict[str, Any],
    params: dict[str, Any],
) -> web.Response:
    """Reserve, start one ``content_generate`` job and make its ``count`` containers."""
    cost = ESTIMATES[fmt]
    _reserve(org, cost * count)
    script = state.take_script(CONTENT_GENERATE, params)
    job = state.start_job(org, project, kind=CONTENT_GENERATE, params=params, script=script)
    book = org.content
    containers = []
    for index in range(count):
        book.container_seq += 1
        container_id = first_id if index == 0 and first_id else state.ids.id("cnt")
        container = ContainerRecord(
            id=container_id,
            seq=book.container_seq,
            org_id=org.id,
            project_id=project.id,
            format=fmt,
            job_id=job.id,
            created_at=state.clock.now(),
            cost=cost,
            fingerprint=fingerprint,
            approval_status=book.gate_new(project.id),
            assets=_assets(state, container_id, fmt),
            **fields,
        )
        book.containers[container.id] = container
        containers.append(container)
    book.reserved += cost * count
    job.result = {
        "containerId": containers[0].id,
        "containerIds": [c.id for c in containers],
        "assets": [a for c in containers for a in c.assets],
    }
    return _accepted(state, job, containers)


def _replay_or_conflict(
    state: State, org: Org, container_id: str, fingerprint: str
) -> web.Response | None:
    """A re-sent client-chosen id: the same request answers its job again, another 409s."""
    found = org.content.containers.get(container_id)
    if found is None:
        return None
    if found.fingerprint != fingerprint:
        raise ApiError(
            409,
            "CONFLICT",
            "A container with this id already exists with a different brief.",
            details={"containerId": container_id},
        )
    siblings = [c for c in org.content.containers.values() if c.job_id == found.job_id]
    return _accepted(state, state.jobs[found.job_id], sorted(siblings, key=lambda c: c.seq))


def _live_project(request: web.Request) -> tuple[State, Org, Project]:
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    if project.status == "archived":
        raise ApiError(409, "CONFLICT", "The project is archived.")
    return state, org, project


def _uuid(check: Checker, name: str, value: str | None, prefix: str) -> str | None:
    if value is None:
        return None
    try:
        uuid.UUID(value.removeprefix(f"{prefix}_"))
    except ValueError:
        check.fail((name,), "Must be a UUID.")
        return None
    return value


async def generate_content(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects/{projectId}/content (202): ``variantCount`` containers, one job."""
    state, org, project = _live_project(request)
    body = await read_object(request)
    check = Checker(body)
    chosen = _uuid(check, "id", check.string("id"), "cnt")
    _uuid(check, "projectLayerId", check.string("projectLayerId"), "layer")
    fmt = check.choice("format", _FORMATS) or "auto"
    count = check.integer("variantCount", low=1, high=5) or 1
    brief = check.mapping("brief")
    check.done()
    fingerprint = _fingerprint("generate", {k: v for k, v in body.items() if k != "id"})
    first_id = state.ids.canonical("cnt", chosen) if chosen else None
    if first_id is not None:
        replay = _replay_or_conflict(state, org, first_id, fingerprint)
        if replay is not None:
            return replay
    fields = {"brief": brief, "hook": (brief or {}).get("hook")}
    params = {"format": fmt, "variantCount": count}
    return _start(
        state,
        org,
        project,
        fmt=fmt,
        count=count,
        first_id=first_id,
        fingerprint=fingerprint,
        fields=fields,
        params=params,
    )


def _one_poster(check: Checker) -> tuple[str | None, str | None]:
    account = check.string("socialAccountId", min_len=1)
    influencer = check.string("influencerId", min_len=1)
    if (account is None) == (influencer is None) and not check.issues:
        check.fail((), "Give exactly one of socialAccountId and influencerId.")
    return account, influencer


async def _remix(request: web.Request, fmt: str) -> web.StreamResponse:
    state, org, project = _live_project(request)
    body = await read_object(request)
    check = Checker(body)
    source = check.string("tiktokVideoId", required=True, min_len=1)
    account, influencer = _one_poster(check)
    check.done()
    fields = {"influencer_id": influencer, "source_tiktok_id": source}
    return _start(
        state,
        org,
        project,
        fmt=fmt,
        count=1,
        first_id=None,
        fingerprint=_fingerprint(fmt, body),
        fields=fields,
        params={"format": fmt, "socialAccountId": account},
    )


async def video_remix(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects/{projectId}/content/video-remix (202)."""
    return await _remix(request, "video_remix")


async def slideshow_remix(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects/{projectId}/content/slideshow-remix (202)."""
    return await _remix(request, "slideshow_remix")


async def ugc_remix(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects/{projectId}/content/ugc-remix (202)."""
    state, org, project = _live_project(request)
    body = await read_object(request)
    check = Checker(body)
    account, influencer = _one_poster(check)
    hook = check.string("hook", min_len=1, max_len=2000)
    media = check.string("mediaId", min_len=1)
    check.done()
    fields = {
        "influencer_id": influencer,
        "hook": hook or "wait for it...",
        "media_id": media or state.ids.id("med"),
    }
    return _start(
        state,
        org,
        project,
        fmt="ugc_remix",
        count=1,
        first_id=None,
        fingerprint=_fingerprint("ugc_remix", body),
        fields=fields,
        params={"format": "ugc_remix", "socialAccountId": account},
    )


async def slideshow_builder(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects/{projectId}/content/slideshow-builder (202)."""
    state, org, project = _live_project(request)
    body = await read_object(request)
    check = Checker(body)
    hook = check.string("hook", required=True, min_len=1, max_len=2000)
    account, influencer = _one_poster(check)
    check.done()
    return _start(
        state,
        org,
        project,
        fmt="slideshow_builder",
        count=1,
        first_id=None,
        fingerprint=_fingerprint("slideshow_builder", body),
        fields={"hook": hook, "influencer_id": influencer},
        params={"format": "slideshow_builder", "socialAccountId": account},
    )


async def regenerate(request: web.Request) -> web.StreamResponse:
    """POST /v1/content/{containerId}/regenerate (202): a new job on the same container."""
    state, org, container = _container_or_404(request)
    body = await _optional_body(request)
    check = Checker(body)
    brief = check.mapping("brief")
    check.mapping("references")
    preserve = check.boolean("preserveAssets")
    check.done()
    if not job_view(_job(state, container), state.clock.now()).terminal:
        raise ApiError(409, "CONFLICT", "The container is still generating.")
    project = org.projects[container.project_id]
    _reserve(org, container.cost)
    params = {"format": container.format, "regenerate": container.id}
    job = state.start_job(
        org,
        project,
        kind=CONTENT_GENERATE,
        params=params,
        script=state.take_script(CONTENT_GENERATE, params),
    )
    org.content.reserved += container.cost
    container.job_id = job.id
    container.finished_at = None
    container.caption = None
    if brief is not None:
        container.brief = brief
    if not preserve:
        container.assets = _assets(state, container.id, container.format)
    if org.content.policy(container.project_id).policy != "auto_approve":
        container.approval_status = "pending"
    job.result = {
        "containerId": container.id,
        "containerIds": [container.id],
        "assets": container.assets,
    }
    return _accepted(state, job, [container])


async def clone_from_post(request: web.Request) -> web.StreamResponse:
    """POST /v1/content/{containerId}/clone-from-post (202): the path id is the new one's."""
    state, org, _ = caller(request)
    state.settle(org)
    raw = request.match_info["containerId"]
    body = await read_object(request)
    check = Checker(body)
    try:
        uuid.UUID(raw.removeprefix("cnt_"))
    except ValueError:
        check.fail(("containerId",), "Must be a UUID you choose for the new container.")
    project_id = check.string("projectId", required=True, min_len=1)
    check.string("sourcePlatformPostId", required=True, min_len=1)
    check.choice("mode", ("fork", "reimagine"))
    count = check.integer("variations", low=1, high=10) or 1
    check.mapping("overrides")
    check.done()
    assert project_id is not None
    project = project_or_404(state, org, project_id)
    container_id = state.ids.canonical("cnt", raw)
    fingerprint = _fingerprint("clone", body)
    replay = _replay_or_conflict(state, org, container_id, fingerprint)
    if replay is not None:
        return replay
    return _start(
        state,
        org,
        project,
        fmt="auto",
        count=count,
        first_id=container_id,
        fingerprint=fingerprint,
        fields={},
        params={"format": "auto", "clone": body.get("sourcePlatformPostId")},
    )


# -- reading content -------------------------------------------------------------------------


async def list_containers(request: web.Request) -> web.StreamResponse:
    """GET /v1/projects/{projectId}/content: newest first, filtered, cursor paginated."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    statuses = request.query.getall("status", [])
    for status in statuses:
        if status not in _CONTAINER_STATUSES:
            raise query_issue("status", f"Must be one of: {', '.join(_CONTAINER_STATUSES)}.")
    formats = [f.replace("-", "_") for f in request.query.getall("format", [])]
    creative = request.query.get("creativeType")
    if creative is not None and creative not in ("generated", "uploaded"):
        raise query_issue("creativeType", "Must be 'generated' or 'uploaded'.")
    since = _query_time(state, request, "since")
    until = _query_time(state, request, "until")
    limit = parse_limit(request, default=25, maximum=200)
    filters = {
        "status": statuses,
        "format": formats,
        "creativeType": creative,
        "since": since,
        "until": until,
    }
    before = decode_cursor(request, f"content:{project.id}", filters)
    wanted = set(statuses)
    if wanted & {"processing", "generating"}:  # both spellings of "in progress" match
        wanted |= {"processing", "generating"}

    def keep(c: ContainerRecord) -> bool:
        return (
            c.project_id == project.id
            and (not statuses or _status(state, c) in wanted)
            and (not formats or c.format in formats)
            and creative in (None, "generated")
            and (since is None or c.created_at >= since)
            and (until is None or c.created_at < until)
            and (before is None or c.seq < before)
        )

    matching = sorted((c for c in org.content.containers.values() if keep(c)), key=lambda c: -c.seq)
    page = matching[:limit]
    cursor = None
    if len(matching) > limit:
        cursor = encode_cursor(f"content:{project.id}", filters, page[-1].seq)
    return json_response({"items": [_summary(state, c) for c in page], "nextCursor": cursor})


def _query_time(state: State, request: web.Request, name: str) -> float | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    stamp = _parse_time(state, raw)
    if stamp is None:
        raise query_issue(name, "Must be an ISO 8601 UTC instant.")
    return stamp


def _parse_time(state: State, raw: Any) -> float | None:
    """The API time of an ISO 8601 instant with ``Z`` or an offset (None: not one)."""
    if not isinstance(raw, str):
        return None
    try:
        stamp = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        return None
    return state.clock.from_wall(stamp.astimezone(UTC))


def _future_instant(state: State, check: Checker) -> float:
    """``scheduledFor``: a UTC instant no more than the tolerated skew in the past."""
    raw = check.string("scheduledFor", required=True)
    when = _parse_time(state, raw) if raw is not None else None
    if raw is not None and when is None:
        check.fail(("scheduledFor",), "Must be an ISO 8601 UTC instant.")
    if when is not None and when < state.clock.now() - _SKEW:
        check.fail(("scheduledFor",), "Must be in the future.")
    return when if when is not None else 0.0


async def get_container(request: web.Request) -> web.StreamResponse:
    """GET /v1/content/{containerId}."""
    state, _, container = _container_or_404(request)
    return json_response(container_json(state, container))


async def get_progress(request: web.Request) -> web.StreamResponse:
    """GET /v1/content/{containerId}/progress: the stage of the container's current job."""
    state, _, container = _container_or_404(request)
    job = _job(state, container)
    now = state.clock.now()
    view = job_view(job, now)
    offset = min(now, job.terminal_at()) - job.started_at
    start = 0.0
    stage_progress = 1.0
    for (name, _), end in zip(job.stages(), job.boundaries(), strict=True):
        if name == view.stage:
            span = end - start
            stage_progress = 1.0 if span <= 0 else min(max((offset - start) / span, 0.0), 1.0)
            break
        start = end
    if view.status == "completed":
        stage_progress = 1.0
    eta = None if view.terminal else max(math.ceil(job.terminal_at() - now), 0)
    return json_response(
        {
            "containerId": container.id,
            "status": _status(state, container),
            "stage": view.stage,
            "stageProgress": round(stage_progress, 2),
            "etaSeconds": eta,
            "updatedAt": state.clock.iso(min(now, job.terminal_at())),
        }
    )


async def get_asset(request: web.Request) -> web.StreamResponse:
    """GET /v1/content/{containerId}/assets/{assetId} (only once the container completed)."""
    state, _, container = _container_or_404(request)
    if _status(state, container) == "completed":
        for asset in container.assets:
            if asset["assetId"] == request.match_info["assetId"]:
                return json_response(asset)
    raise not_found("Asset not found.")


async def source_recommendations(request: web.Request) -> web.StreamResponse:
    """GET .../content/source-recommendations: seeded TikTok sources (item fields inferred)."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    keyword = request.query.get("keyword")
    if keyword is not None and not 1 <= len(keyword) <= 200:
        raise query_issue("keyword", "Must be 1 to 200 characters.")
    kind = request.query.get("kind", "mixed")
    if kind not in ("video", "slideshow", "mixed"):
        raise query_issue("kind", "Must be one of: mixed, slideshow, video.")
    limit = parse_limit(request, default=20, maximum=50)
    items = []
    for index in range(12):
        item_kind = "slideshow" if index % 3 == 2 else "video"
        if kind != "mixed" and item_kind != kind:
            continue
        video_id = str(7234567890123456000 + index * 7919 + project.seq)
        items.append(
            {
                "tiktokVideoId": video_id,
                "kind": item_kind,
                "url": f"https://www.tiktok.com/@creator{index}/video/{video_id}",
                "caption": f"{keyword or project.name} idea #{index + 1}",
                "viewCount": 10_000 * (index + 3),
            }
        )
    return json_response(
        {
            "items": items[:limit],
            "source": "live_search" if keyword else "portfolio",
            "nextCursor": None,
        }
    )


async def list_hooks(request: web.Request) -> web.StreamResponse:
    """GET /v1/projects/{projectId}/content/hooks: a fresh bank (``hooks`` is inferred)."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    rng = state.data_rng
    starts = ("POV:", "Nobody talks about", "Stop scrolling if", "I tried", "The truth about")
    hooks = [f"{rng.choice(starts)} {project.name} (take {i + 1})" for i in range(5)]
    return json_response({"hooks": hooks})


async def create_upload(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects/{projectId}/content/uploads (201): one presigned PUT per file."""
    state, _, project = _live_project(request)
    body = await read_object(request)
    check = Checker(body)
    files = body.get("files")
    if not isinstance(files, list) or not 1 <= len(files) <= 10:
        check.fail(("files",), "Must be an array of 1 to 10 files.")
        files = []
    for index, file in enumerate(files):
        if not isinstance(file, dict):
            check.fail(("files", index), "Expected an object.")
            continue
        inner = Checker(file)
        inner.string("filename", required=True, min_len=1, max_len=512)
        content_type = inner.choice("contentType", _UPLOAD_TYPES)
        if content_type is None and "contentType" not in file:
            inner.fail(("contentType",), "Required.")
        size = inner.integer("sizeBytes", low=1, high=100 * 1024 * 1024)
        if size is None and "sizeBytes" not in file:
            inner.fail(("sizeBytes",), "Required.")
        check.issues += [(("files", index, *path), msg) for path, msg in inner.issues]
    grouping = check.choice("grouping", ("per-file", "slideshow"))
    if grouping is None and "grouping" not in body:
        check.fail(("grouping",), "Required.")
    check.done()
    session = state.ids.id("upl")
    now = state.clock.now()
    return json_response(
        {
            "uploadSessionId": session,
            "projectId": project.id,
            "grouping": grouping,
            "files": [
                {
                    "filename": f["filename"],
                    "uploadUrl": f"https://uploads.layers.com/{session}/{i}",
                    "method": "PUT",
                    "headers": {"Content-Type": f["contentType"]},
                }
                for i, f in enumerate(files)
            ],
            "expiresAt": state.clock.iso(now + 3600),
        },
        status=201,
    )


# -- approval --------------------------------------------------------------------------------


def _by(request: web.Request) -> str:
    _, _, key = caller(request)
    return f"api_key_{key.id.removeprefix('key_')}"


async def approve(request: web.Request) -> web.StreamResponse:
    """POST /v1/content/{containerId}/approve: promotes schedules that waited for it."""
    state, org, container = _container_or_404(request)
    check = Checker(await _optional_body(request))
    check.string("note", max_len=1024)
    check.done()
    if container.approval_status in ("not_required", "rejected"):
        message = {
            "not_required": "Container does not require approval.",
            "rejected": "Container is rejected.",
        }[container.approval_status]
        raise ApiError(
            409, "CONFLICT", message, details={"approvalStatus": container.approval_status}
        )
    body: dict[str, Any] = {"id": container.id, "approvalStatus": "approved"}
    if container.approval_status == "pending":
        container.approval_status = "approved"
        container.approved_at = state.clock.now()
        container.approved_by = _by(request)
        promoted: list[str] = []
        for scheduled_for, targets in container.intents:
            promoted += [p.id for p in _make_posts(state, org, container, scheduled_for, targets)]
        if container.intents:
            body["pendingSchedulePromotion"] = {"status": "ok", "scheduledPostIds": promoted}
        container.intents.clear()
        content_approved(state, org, container)
    assert container.approved_at is not None
    body["approvedAt"] = state.clock.iso(container.approved_at)
    body["approvedBy"] = container.approved_by
    return json_response(body)


async def reject(request: web.Request) -> web.StreamResponse:
    """POST /v1/content/{containerId}/reject: drops schedules that waited for approval."""
    state, org, container = _container_or_404(request)
    check = Checker(await read_object(request))
    reason = check.string("reason", required=True, min_len=1, max_len=1024)
    check.done()
    if container.approval_status == "not_required":
        raise ApiError(
            409,
            "CONFLICT",
            "Container does not require approval.",
            details={"approvalStatus": "not_required"},
        )
    if container.approval_status == "rejected":
        raise ApiError(
            409,
            "CONFLICT",
            "Container is already rejected.",
            details={"approvalStatus": "rejected"},
        )
    container.approval_status = "rejected"
    container.rejected_at = state.clock.now()
    container.rejected_by = _by(request)
    container.reason = reason
    container.intents.clear()
    content_rejected(state, org, container)
    return json_response(
        {
            "id": container.id,
            "approvalStatus": "rejected",
            "rejectedAt": state.clock.iso(container.rejected_at),
            "rejectedBy": container.rejected_by,
            "reason": reason,
        }
    )


def _policy_json(state: State, org: Org, project: Project) -> dict[str, Any]:
    policy = org.content.policy(project.id)
    body: dict[str, Any] = {"projectId": project.id, "policy": policy.policy}
    if policy.policy == "review_first_n":
        body["firstN"] = policy.first_n
    body["pendingCount"] = org.content.pending_count(project.id)
    if policy.updated_at is not None:
        body["updatedAt"] = state.clock.iso(policy.updated_at)
    return body


async def get_review_policy(request: web.Request) -> web.StreamResponse:
    """GET /v1/projects/{projectId}/content-review-policy (``auto_approve`` until set)."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    return json_response(_policy_json(state, org, project))


async def patch_review_policy(request: web.Request) -> web.StreamResponse:
    """PATCH .../content-review-policy: ``firstN`` iff ``review_first_n`` (resets the count)."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    check = Checker(await read_object(request))
    policy = check.choice("policy", _POLICIES)
    if policy is None and "policy" not in check.body:
        check.fail(("policy",), "Required.")
    first_n = check.integer("firstN", low=1, high=50)
    if policy == "review_first_n" and "firstN" not in check.body:
        check.fail(("firstN",), "Required when policy is review_first_n.")
    if policy is not None and policy != "review_first_n" and "firstN" in check.body:
        check.fail(("firstN",), "Only allowed when policy is review_first_n.")
    check.done()
    assert policy is not None
    record = org.content.policy(project.id)
    record.policy = policy
    record.first_n = first_n
    record.remaining = first_n or 0
    record.updated_at = state.clock.now()
    return json_response(_policy_json(state, org, project))


# -- publishing ------------------------------------------------------------------------------


def _targets(check: Checker, org: Org, project_id: str, high: int | None) -> list[dict[str, Any]]:
    targets = check.body.get("targets")
    if not isinstance(targets, list) or not targets or (high is not None and len(targets) > high):
        check.fail(("targets",), f"Must be an array of 1 to {high or 'n'} targets.")
        return []
    for index, target in enumerate(targets):
        if not isinstance(target, dict):
            check.fail(("targets", index), "Expected an object.")
            continue
        account = org.content.accounts.get(str(target.get("socialAccountId")))
        if account is None or account.project_id != project_id:
            check.fail(
                ("targets", index, "socialAccountId"),
                "No connected social account with this id in the container's project.",
            )
        if target.get("mode") not in _MODES:
            check.fail(("targets", index, "mode"), f"Must be one of: {', '.join(_MODES)}.")
    return targets


def _make_posts(
    state: State,
    org: Org,
    container: ContainerRecord,
    scheduled_for: float,
    targets: list[dict[str, Any]],
) -> list[PostRecord]:
    now = state.clock.now()
    posts = []
    for target in targets:
        chosen = target.get("scheduledPostId")
        post = PostRecord(
            id=state.ids.canonical("sp", chosen) if isinstance(chosen, str) else state.ids.id("sp"),
            org_id=org.id,
            project_id=container.project_id,
            container_id=container.id,
            account=org.content.accounts[target["socialAccountId"]],
            mode=target["mode"],
            scheduled_for=scheduled_for,
            created_at=now,
            updated_at=now,
            external_id=str(7385912341234567000 + state.data_rng.randint(0, 999)),
        )
        org.content.posts[post.id] = post
        posts.append(post)
        post_scheduled(state, org, post)
    return posts


def _schedule_answer(state: State, posts: list[PostRecord]) -> dict[str, Any]:
    legacy = state.docs == "quickstart"
    return {
        "gateStatus": "open",
        "scheduledPostIds": [p.id for p in posts],
        "items": [p.to_json(state.clock, legacy=legacy) for p in posts],
    }


def _publishable(state: State, container: ContainerRecord) -> None:
    if _status(state, container) != "completed":
        raise ApiError(409, "CONFLICT", "Only a completed container can be published.")
    if container.approval_status == "rejected":
        raise ApiError(
            409,
            "CONTENT_REJECTED",
            "Content container was rejected.",
            details={"containerId": container.id, "approvalStatus": "rejected"},
        )


async def schedule(request: web.Request) -> web.StreamResponse:
    """POST /v1/content/{containerId}/schedule: 200, or 202 ``blocked_on_approval``."""
    state, org, container = _container_or_404(request)
    check = Checker(await read_object(request))
    scheduled_for = _future_instant(state, check)
    targets = _targets(check, org, container.project_id, 50)
    check.done()
    _publishable(state, container)
    if container.approval_status == "pending":
        container.intents.append((scheduled_for, targets))
        return json_response(
            {"gateStatus": "blocked_on_approval", "scheduledPostIds": [], "items": []},
            status=202,
        )
    posts = _make_posts(state, org, container, scheduled_for, targets)
    return json_response(_schedule_answer(state, posts))


async def publish(request: web.Request) -> web.StreamResponse:
    """POST /v1/content/{containerId}/publish: unapproved content → 403 APPROVAL_REQUIRED."""
    state, org, container = _container_or_404(request)
    check = Checker(await read_object(request))
    targets = _targets(check, org, container.project_id, None)
    check.done()
    _publishable(state, container)
    if container.approval_status == "pending":
        raise ApiError(
            403,
            "APPROVAL_REQUIRED",
            f"Content container {container.id} is not approved.",
            details={"containerId": container.id, "approvalStatus": "pending"},
        )
    posts = _make_posts(state, org, container, state.clock.now(), targets)
    return json_response(_schedule_answer(state, posts))


def _post_or_404(request: web.Request) -> tuple[State, Org, PostRecord]:
    state, org, _ = caller(request)
    state.settle(org)  # due post ends send their events before the post is read
    raw = request.match_info["scheduledPostId"]
    post = org.content.posts.get(state.ids.canonical("sp", raw))
    if post is None:
        raise not_found("Scheduled post not found.")
    return state, org, post


def _still_queued(state: State, post: PostRecord) -> None:
    status = post.status(state.clock.now())
    if status != "queued":
        raise ApiError(
            409,
            "CONFLICT",
            f"The post is {status}; only a queued post can change.",
            details={"status": status},
        )


async def get_post(request: web.Request) -> web.StreamResponse:
    """GET /v1/scheduled-posts/{scheduledPostId}."""
    state, _, post = _post_or_404(request)
    return json_response(post.to_json(state.clock, legacy=state.docs == "quickstart"))


async def cancel_post(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/scheduled-posts/{scheduledPostId}: a queued post only (else 409)."""
    state, org, post = _post_or_404(request)
    check = Checker(await _optional_body(request))
    check.string("reason", max_len=1024)
    check.done()
    _still_queued(state, post)
    now = state.clock.now()
    post.canceled_at = now
    post.updated_at = now
    post_canceled(state, org, post)
    return json_response({"id": post.id, "status": "canceled", "canceledAt": state.clock.iso(now)})


async def reschedule_post(request: web.Request) -> web.StreamResponse:
    """POST /v1/scheduled-posts/{scheduledPostId}/reschedule: a queued post only (else 409)."""
    state, org, post = _post_or_404(request)
    check = Checker(await read_object(request))
    scheduled_for = _future_instant(state, check)
    check.done()
    _still_queued(state, post)
    post.scheduled_for = scheduled_for
    post.updated_at = state.clock.now()
    post_scheduled(state, org, post)
    return json_response(
        {
            "id": post.id,
            "status": "queued",
            "scheduledFor": state.clock.iso(scheduled_for),
            "updatedAt": state.clock.iso(post.updated_at),
        }
    )


async def list_posts(request: web.Request) -> web.StreamResponse:
    """GET /v1/projects/{projectId}/scheduled-posts: ``scheduledFor`` descending."""
    state, org, _ = caller(request)
    state.settle(org)
    project = project_or_404(state, org, request.match_info["projectId"])
    statuses = request.query.getall("status", [])
    for status in statuses:
        if status not in _POST_STATUSES:
            raise query_issue("status", f"Must be one of: {', '.join(_POST_STATUSES)}.")
    wanted = {"draft" if s == "draft_in_inbox" else s for s in statuses}
    account = request.query.get("socialAccountId")
    since = _query_time(state, request, "since")
    until = _query_time(state, request, "until")
    limit = parse_limit(request, default=50, maximum=100)
    filters = {"status": statuses, "socialAccountId": account, "since": since, "until": until}
    start = decode_cursor(request, f"posts:{project.id}", filters) or 0
    now = state.clock.now()

    def keep(p: PostRecord) -> bool:
        return (
            p.project_id == project.id
            and (not wanted or p.status(now) in wanted)
            and (account is None or p.account.id == account)
            and (since is None or p.scheduled_for >= since)
            and (until is None or p.scheduled_for < until)
        )

    matching = sorted(
        (p for p in org.content.posts.values() if keep(p)),
        key=lambda p: p.scheduled_for,
        reverse=True,
    )
    page = matching[start : start + limit]
    cursor = None
    if len(matching) > start + limit:
        cursor = encode_cursor(f"posts:{project.id}", filters, start + limit)
    legacy = state.docs == "quickstart"
    return json_response(
        {"items": [p.to_json(state.clock, legacy=legacy) for p in page], "nextCursor": cursor}
    )
