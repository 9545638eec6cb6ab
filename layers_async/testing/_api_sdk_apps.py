"""Handlers: SDK apps (create, patch, install spec) and the keyword bank (list, refresh job)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._api_jobs import job_json
from ._api_projects import project_or_404
from ._context import caller
from ._errors import ApiError, json_response, not_found, validation_error
from ._jobs import JobScript, job_view
from ._records import Org, Project
from ._rest_state import SdkAppRecord
from ._state import State
from ._validation import Checker, read_object

PLATFORMS = ("ios", "android", "web", "react-native", "flutter", "expo", "nextjs", "vite",
             "react-router")
_CAPI = ("meta", "tiktok", "apple")
KEYWORDS_REFRESH = "keywords_refresh"  # inferred: the docs print no kind for this job
_REFRESH_SECONDS = (240.0, 300.0)  # "4-5 min"
_MANAGERS = {
    "ios": ("spm", "https://github.com/layers/layers-ios-sdk", "1.0.0"),
    "android": ("gradle", "https://maven.layers.com", "com.layers:sdk:1.0.0"),
}


def _app_json(state: State, app: SdkAppRecord, *, with_key: bool) -> dict[str, Any]:
    """The app as create / patch answer it (inferred: the docs print no body)."""
    body: dict[str, Any] = {
        "appId": app.id,
        "projectId": app.project_id,
        "name": app.name,
        "platform": app.platform,
        "bundleId": app.bundle_id,
        "androidPackage": app.android_package,
        "webDomain": app.web_domain,
        "capi": app.capi,
        "createdAt": state.clock.iso(app.created_at),
        "updatedAt": state.clock.iso(app.updated_at),
    }
    if with_key:
        body["apiKey"] = app.api_key
    return body


def _new_key(state: State) -> str:
    return f"lp_test_sdk_{state.ids.hex(32)}"  # inferred format: an ingest key, shown once


def _app_or_404(state: State, org: Org, request: web.Request) -> tuple[Project, SdkAppRecord]:
    project = project_or_404(state, org, request.match_info["projectId"])
    app = state.rest.sdk_apps.get(request.match_info["appId"])
    if app is None or app.project_id != project.id:
        raise not_found("SDK app not found.")
    return project, app


async def create_sdk_app(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects/{projectId}/sdk-apps (201, the key once); the older docs' ``appId``
    picks the id, a taken one answers 409 CONFLICT."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    check = Checker(await read_object(request))
    name = check.string("name", required=True, min_len=1, max_len=128)
    platform = check.choice("platform", PLATFORMS)
    if "platform" not in check.body:
        check.fail(("platform",), "Required.")
    bundle = check.string("bundleId", min_len=1)
    package = check.string("androidPackage", min_len=1)
    domain = check.string("webDomain", min_len=1)
    chosen = check.string("appId", min_len=1)
    check.done()
    assert name is not None
    assert platform is not None
    if chosen is not None and chosen in state.rest.sdk_apps:
        raise ApiError(409, "CONFLICT", "An SDK app with this appId already exists.")
    now = state.clock.now()
    app = SdkAppRecord(id=chosen or f"app_{state.ids.hex(22)}", project_id=project.id,
                       name=name, platform=platform, bundle_id=bundle, android_package=package,
                       web_domain=domain, api_key=_new_key(state), created_at=now,
                       updated_at=now)
    state.rest.sdk_apps[app.id] = app
    return json_response(_app_json(state, app, with_key=True), status=201)


async def patch_sdk_app(request: web.Request) -> web.StreamResponse:
    """PATCH …/sdk-apps/{appId}: fields, CAPI toggles, ``rotateKey`` (new key, once)."""
    state, org, _ = caller(request)
    _, app = _app_or_404(state, org, request)
    body = await read_object(request)
    check = Checker(body)
    unknown = sorted(set(body) - {"name", "bundleId", "androidPackage", "webDomain", "capi",
                                  "rotateKey"})
    for name in unknown:
        check.fail((name,), "Unknown field.")
    if not body:
        check.fail((), "At least one field is required.")
    updates = {
        "name": check.string("name", min_len=1, max_len=128),
        "bundle_id": check.string("bundleId", min_len=1),
        "android_package": check.string("androidPackage", min_len=1),
        "web_domain": check.string("webDomain", min_len=1),
    }
    capi = check.mapping("capi")
    for channel, toggle in (capi or {}).items():
        if channel not in _CAPI:
            check.fail(("capi", channel), f"Must be one of: {', '.join(_CAPI)}.")
        elif not isinstance(toggle, dict) or not isinstance(toggle.get("enabled"), bool):
            check.fail(("capi", channel, "enabled"), "Expected a boolean.")
    rotate = check.boolean("rotateKey")
    check.done()
    for attribute, value in updates.items():
        if value is not None:
            setattr(app, attribute, value)
    for channel, toggle in (capi or {}).items():
        app.capi[channel] = {"enabled": toggle["enabled"]}
    if rotate:
        app.api_key = _new_key(state)
    app.updated_at = state.clock.now()
    return json_response(_app_json(state, app, with_key=bool(rotate)))


async def install_spec(request: web.Request) -> web.StreamResponse:
    """GET …/install-spec: ``platforms`` comma-separated (default: the app's own)."""
    state, org, _ = caller(request)
    _, app = _app_or_404(state, org, request)
    raw = request.query.get("platforms")
    wanted = [p for p in raw.split(",") if p] if raw else [app.platform]
    bad = [p for p in wanted if p not in PLATFORMS]
    if bad:
        raise validation_error([(("platforms",), f"Unknown platform(s): {', '.join(bad)}.")])
    specs = []
    for platform in wanted:
        manager, url, source = _MANAGERS.get(platform, ("npm", "https://registry.npmjs.org",
                                                        "@layers/sdk@1"))
        specs.append({
            "platform": platform,
            "dependency": {"manager": manager, "url": url, "from": source},
            "envVars": [{"name": "LAYERS_APP_ID", "value": app.id}],
            "initSnippet": f"Layers.init(appId: \"{app.id}\")",
        })
    return json_response({"appId": app.id, "platforms": specs})


def _bank(state: State, project: Project) -> dict[str, Any]:
    words = [w.lower() for w in project.name.split() if w.isalnum()] or ["app"]
    refreshed = project.created_at
    for job_id in state.rest.keyword_refresh_jobs.get(project.id, []):
        view = job_view(state.jobs[job_id], state.clock.now())
        if view.status == "completed" and view.finished_at is not None:
            refreshed = max(refreshed, view.finished_at)
    phrases = [f"{words[0]} routine", f"{words[-1]} hack", "morning routine"]
    tags = []
    for index, phrase in enumerate(phrases):
        tags.append({
            "hashtag": phrase.replace(" ", ""),
            "phrase": phrase,
            "score": 92 - index * 4,
            "viewCount": 184201000 // (index + 1),
            "useCount": 412000 // (index + 1),
        })
    return {"projectId": project.id, "hashtags": tags, "refreshedAt": state.clock.iso(refreshed)}


async def list_keywords(request: web.Request) -> web.StreamResponse:
    """GET /v1/projects/{projectId}/keywords: a seeded bank, ``refreshedAt`` moved by refresh
    jobs that completed."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    return json_response(_bank(state, project))


async def refresh_keywords(request: web.Request) -> web.StreamResponse:
    """POST …/keywords/refresh (202 job, 4-5 min; empty or no body)."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    if (await request.read()).strip():
        body = await read_object(request)
        if body:
            raise validation_error([((name,), "Unknown field.") for name in sorted(body)])
    script = state.take_script(KEYWORDS_REFRESH, {})
    if script is None and state.job_duration is None:
        script = JobScript(outcome="completed", duration=state.job_rng.uniform(*_REFRESH_SECONDS),
                           error_code="KEYWORDS_FAILED", error_message="Keyword research failed.",
                           result=None, repo_full_name=None)
    job = state.start_job(org, project, kind=KEYWORDS_REFRESH, params={}, script=script)
    job.result = {"projectId": project.id}
    state.rest.keyword_refresh_jobs.setdefault(project.id, []).append(job.id)
    return accepted(state, job.id)


def accepted(state: State, job_id: str, **pointers: Any) -> web.StreamResponse:
    """The 202 job envelope (with extra resource pointers such as ``influencerId``)."""
    job = state.jobs[job_id]
    # As at the start, like the other 202s: never a finish it carries no result for.
    body = {k: v for k, v in job_json(state, job, at=job.started_at).items() if k in (
        "jobId", "kind", "status", "stage", "projectId", "locationUrl", "startedAt")}
    body.update(pointers)
    return json_response(body, status=202, headers={"Location": job.location_url})
