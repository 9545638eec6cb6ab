"""Handlers: create, list, get, patch and archive projects."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._context import caller
from ._errors import ApiError, json_response, not_found, validation_error
from ._pagination import newest_first
from ._records import Org, Project
from ._seed import empty_brand
from ._state import State
from ._validation import Checker, query_issue, read_object

_READ_ONLY = ("id", "organizationId", "createdAt", "ingestState", "brandContext")
_BRAND_VOICES = ("authentic", "witty", "professional", "warm", "casual", "educational")
_GENDERS = ("all", "female", "male")
_STATUSES = ("active", "archived")


def project_or_404(state: State, org: Org, project_id: str) -> Project:
    """The org's project (prefixed or bare id); other orgs' projects are invisible."""
    state.settle(org)
    project = state.find_project(org, project_id)
    if project is None:
        raise not_found("Project not found.")
    return project


def _owner_email(check: Checker, *, nullable: bool = False) -> str | None:
    value = check.string("ownerEmail", nullable=nullable)
    if value is not None and "@" not in value:
        check.fail(("ownerEmail",), "Must be an email address.")
    return value


def _ensure_unique_handle(
    state: State, org: Org, handle: str | None, project_id: str | None = None
) -> None:
    """409 CONFLICT (inferred shape) when another project of ``org`` has this handle.

    README section 12.6: the reference says "unique per organization", a concept page says the
    server does not enforce it; ``FakeLayers(unique_customer_ids=...)`` picks one.
    """
    if handle is None or not state.unique_customer_ids:
        return
    for other in org.projects.values():
        if other.customer_external_id == handle and other.id != project_id:
            raise ApiError(
                409,
                "CONFLICT",
                "A project with this customerExternalId already exists.",
                details={"customerExternalId": handle, "projectId": other.id},
            )


async def create_project(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects (201)."""
    state, org, _ = caller(request)
    check = Checker(await read_object(request))
    name = check.string("name", required=True, min_len=1, max_len=128)
    timezone = check.timezone("timezone", required=True)
    language = check.string("primaryLanguage", min_len=1) or "en"
    handle = check.string("customerExternalId", min_len=1)
    owner_email = _owner_email(check)
    app_name = check.string("appName", min_len=3, max_len=30)
    app_description = check.string("appDescription", min_len=100, max_len=1000)
    metadata = check.mapping("metadata")
    check.done()
    assert name is not None  # check.done() raised otherwise
    assert timezone is not None
    _ensure_unique_handle(state, org, handle)
    brand = None
    if app_name is not None or app_description is not None:
        brand = empty_brand(language) | {"appName": app_name, "appDescription": app_description}
    project = state.add_project(
        org,
        name=name,
        timezone=timezone,
        primary_language=language,
        customer_external_id=handle,
        owner_email=owner_email,
        metadata=metadata if metadata is not None else {},
        brand_context=brand,
    )
    return json_response(project.to_json(state.clock), status=201)


async def list_projects(request: web.Request) -> web.StreamResponse:
    """GET /v1/projects: reverse-creation order, filtered, cursor paginated."""
    state, org, _ = caller(request)
    state.settle(org)
    status = request.query.get("status")
    if status is not None and status not in _STATUSES:
        raise query_issue("status", "Must be 'active' or 'archived'.")
    search = request.query.get("search")
    handle = request.query.get("customerExternalId")
    filters = {"status": status, "search": search, "customerExternalId": handle}

    def keep(project: Project) -> bool:
        return (
            (status is None or project.status == status)
            and (search is None or search.lower() in project.name.lower())
            and (handle is None or project.customer_external_id == handle)
        )

    page, next_cursor = newest_first(
        request,
        "projects",
        filters,
        (p for p in org.projects.values() if keep(p)),
        default=25,
        maximum=200,
    )
    return json_response(
        {"items": [p.to_summary(state.clock) for p in page], "nextCursor": next_cursor}
    )


async def get_project(request: web.Request) -> web.StreamResponse:
    """GET /v1/projects/{id}."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["id"])
    return json_response(project.to_json(state.clock))


async def patch_project(request: web.Request) -> web.StreamResponse:
    """PATCH /v1/projects/{id}: read-only fields answer 400 VALIDATION."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["id"])
    body = await read_object(request)
    read_only = [name for name in _READ_ONLY if name in body]
    if read_only:
        raise validation_error([((name,), "Read-only field.") for name in read_only], status=400)
    check = Checker(body)
    name = check.string("name", min_len=1, max_len=128)
    status = check.choice("status", _STATUSES)
    owner_email = _owner_email(check)
    timezone = check.timezone("timezone", required=False)
    language = check.string("primaryLanguage", min_len=1)
    handle = check.string("customerExternalId", min_len=1)
    app_name = check.string("appName", min_len=3, max_len=30, nullable=True)
    app_description = check.string("appDescription", min_len=100, max_len=1000, nullable=True)
    tagline = check.string("tagline", max_len=80)
    brand_voice = check.choice("brandVoice", _BRAND_VOICES)
    gender = check.choice("targetGender", _GENDERS)
    metadata = check.mapping("metadata")
    check.done()
    _ensure_unique_handle(state, org, handle, project.id)
    now = state.clock.now()
    updates: dict[str, Any] = {
        "name": name,
        "owner_email": owner_email,
        "timezone": timezone,
        "primary_language": language,
        "customer_external_id": handle,
        "metadata": metadata,
    }
    for attribute, value in updates.items():
        if value is not None:
            setattr(project, attribute, value)
    if status is not None and status != project.status:
        project.status = status
        project.archived_at = now if status == "archived" else None
    brand_updates: dict[str, Any] = {}
    for field, value in (("appName", app_name), ("appDescription", app_description)):
        if field in body:  # null clears the field
            brand_updates[field] = value
    for field, value in (("tagline", tagline), ("brandVoice", brand_voice)):
        if value is not None:
            brand_updates[field] = value
    if brand_updates:
        project.brand_context = (
            project.brand_context or empty_brand(project.primary_language)
        ) | brand_updates
    if gender is not None:
        project.extra["targetGender"] = gender
    project.updated_at = now
    return json_response(project.to_json(state.clock))


async def archive_project(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/projects/{id}: soft-archive; a repeat refreshes ``archivedAt``."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["id"])
    now = state.clock.now()
    project.status = "archived"
    project.archived_at = now
    project.updated_at = now
    return json_response(
        {
            "id": project.id,
            "status": "archived",
            "archivedAt": state.clock.iso(now),
            "canceledScheduledPosts": 0,
        }
    )
