"""Handlers: the three ingest routes (job starts), job polling with ETags, job cancel."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ._api_github import INSTALLATION_MISSING
from ._api_projects import project_or_404
from ._context import caller
from ._errors import ApiError, json_response, not_found
from ._jobs import (
    CONTENT_GENERATE,
    INGEST_APPSTORE,
    INGEST_GITHUB,
    INGEST_WEBSITE,
    UNCANCELABLE_STAGES,
    JobRecord,
    job_view,
)
from ._records import Org, Project
from ._state import State
from ._validation import Checker, read_object

PLATFORMS = ("ios", "android", "web", "react-native", "flutter", "expo")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_ENTITY_TAG = re.compile(r'(?:W/)?("[^"]*")')  # one entity-tag of a list; group 1: opaque-tag


def job_json(state: State, job: JobRecord, *, at: float | None = None) -> dict[str, Any]:
    """The Job envelope as GET /v1/jobs/{jobId} returns it now (or at API time ``at``)."""
    view = job_view(job, state.clock.now() if at is None else at)
    body: dict[str, Any] = {
        "jobId": job.id,
        "kind": job.wire_kind,
        "status": view.status,
        "stage": view.stage,
        "progress": view.progress,
        "projectId": job.project_id,
        "locationUrl": job.location_url,
        "startedAt": state.clock.iso(job.started_at),
    }
    made = job.result.get("containerIds") if job.kind == CONTENT_GENERATE else None
    if isinstance(made, list) and made:  # the same pointers as the 202 envelope
        body["containerId"] = made[0]
        body["containerIds"] = list(made)
    if view.finished_at is not None:
        body["finishedAt"] = state.clock.iso(view.finished_at)
    if view.status == "completed":
        body["result"] = job.result
    elif view.status == "failed":
        body["error"] = {"code": job.error_code, "message": job.error_message}
    return body


def _accepted(state: State, job: JobRecord) -> web.StreamResponse:
    """The 202 job envelope; a GitHub ingest's also names its repo (as the quickstart prints)."""
    # The job as it was when accepted: a 202 never reports a finish (nor its result),
    # even when the job's scaled duration ran out while the answer was being built.
    view = job_view(job, job.started_at)
    body: dict[str, Any] = {
        "jobId": job.id,
        "kind": job.wire_kind,
        "status": view.status,
        "stage": view.stage,
        "projectId": job.project_id,
    }
    if job.kind == INGEST_GITHUB:
        body["repoFullName"] = job.params.get("repoFullName")
    body["locationUrl"] = job.location_url
    body["startedAt"] = state.clock.iso(job.started_at)
    return json_response(body, status=202, headers={"Location": job.location_url})


def _start(
    state: State, org: Org, project: Project, kind: str, params: dict[str, Any]
) -> web.StreamResponse:
    script = state.take_script(kind, params)
    return _accepted(state, state.start_job(org, project, kind=kind, params=params, script=script))


async def _ingest_target(request: web.Request, name: str) -> tuple[State, Org, Project, Checker]:
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info[name])
    check = Checker(await read_object(request))
    return state, org, project, check


def _archived_conflict(project: Project) -> None:
    if project.status == "archived":  # inferred: the docs only say "archived org" conflicts
        raise ApiError(409, "CONFLICT", "The project is archived.")


async def ingest_github(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects/{id}/ingest/github (202); needs a registered GitHub installation."""
    state, org, project, check = await _ingest_target(request, "id")
    repo = check.string("repoFullName", required=True)
    if repo is not None and not _REPO.match(repo):
        check.fail(("repoFullName",), "Must look like 'owner/name'.")
    branch = check.string("branch", min_len=1)
    open_pr = check.boolean("openPR")
    platforms = None
    if "platforms" in check.body:
        platforms = check.subset(("platforms",), check.body["platforms"], PLATFORMS)
    sdk_config = check.mapping("sdkConfig")
    if sdk_config is not None and "includePlatforms" in sdk_config:
        check.subset(("sdkConfig", "includePlatforms"), sdk_config["includePlatforms"], PLATFORMS)
    check.string("prTitle")
    check.string("prBody")
    check.done()
    _archived_conflict(project)
    if org.installation is None:
        raise ApiError(409, "CONFLICT", INSTALLATION_MISSING)
    params = {
        "repoFullName": repo,
        "branch": branch,
        "openPR": open_pr is not False,
        "platforms": platforms,
    }
    return _start(state, org, project, INGEST_GITHUB, params)


async def ingest_website(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects/{projectId}/ingest/website (202)."""
    state, org, project, check = await _ingest_target(request, "projectId")
    url = check.string("url", required=True)
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            check.fail(("url",), "Must be an http(s) URL.")
    follow = check.boolean("followLinks")
    max_pages = check.integer("maxPages", low=1, high=25)
    check.done()
    _archived_conflict(project)
    params = {"url": url, "followLinks": bool(follow), "maxPages": max_pages or 1}
    return _start(state, org, project, INGEST_WEBSITE, params)


async def ingest_appstore(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects/{projectId}/ingest/appstore (202): at least one app identifier."""
    state, org, project, check = await _ingest_target(request, "projectId")
    ios = check.string("iosBundleId", min_len=1)
    android = check.string("androidPackage", min_len=1)
    store_url = check.string("appStoreUrl", min_len=1)
    country = check.string("countryCode", min_len=2, max_len=2)
    if ios is None and android is None and store_url is None and not check.issues:
        check.fail((), "Give at least one of iosBundleId, androidPackage, appStoreUrl.")
    check.done()
    _archived_conflict(project)
    params = {
        "iosBundleId": ios,
        "androidPackage": android,
        "appStoreUrl": store_url,
        "countryCode": country or "us",
    }
    return _start(state, org, project, INGEST_APPSTORE, params)


def _job_or_404(request: web.Request) -> tuple[State, Org, JobRecord]:
    state, org, _ = caller(request)
    state.settle(org)
    job = state.jobs.get(request.match_info["jobId"])
    if job is None or job.org_id != org.id:
        raise not_found("Job not found.")
    return state, org, job


def _etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match uses weak comparison (RFC 9110 13.1.2): ``W/`` is ignored on both sides."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(match.group(1) == opaque for match in _ENTITY_TAG.finditer(header))


async def get_job(request: web.Request) -> web.StreamResponse:
    """GET /v1/jobs/{jobId}: strong ETag per state; 304 when If-None-Match matches (weakly)."""
    state, _, job = _job_or_404(request)
    body = json.dumps(job_json(state, job), separators=(",", ":")).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if _etag_matches(request.headers.get("If-None-Match"), etag):
        return web.Response(status=304, headers={"ETag": etag})
    return web.Response(body=body, content_type="application/json", headers={"ETag": etag})


async def cancel_job(request: web.Request) -> web.StreamResponse:
    """POST /v1/jobs/{jobId}/cancel: 202 accepted, 200 already terminal, 409 mid opening_pr."""
    state, org, job = _job_or_404(request)
    view = job_view(job, state.clock.now())
    if view.terminal:
        reason = f"ALREADY_{view.status.upper()}"
        return json_response({"jobId": job.id, "accepted": False, "reason": reason})
    if view.stage in UNCANCELABLE_STAGES:
        raise ApiError(
            409,
            "CONFLICT",
            "Job cannot be canceled during this stage.",
            details={"subcode": "JOB_CANCEL_UNAVAILABLE", "jobId": job.id, "stage": view.stage},
        )
    if job.cancel_requested_at is None:
        job.cancel_requested_at = state.clock.now()
        state.push_running(org, job)
    return json_response({"jobId": job.id, "accepted": True}, status=202)
