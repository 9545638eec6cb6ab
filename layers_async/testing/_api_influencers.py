"""Handlers: influencers. Create and clone start ``influencer_create`` jobs; the influencer's
status follows its job (``training`` while it runs, then ``ready`` or ``failed``)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from ._api_projects import project_or_404
from ._api_sdk_apps import accepted
from ._context import caller
from ._errors import ApiError, json_response, not_found, validation_error
from ._jobs import JobScript, job_view
from ._pagination import newest_first
from ._records import Org, Project
from ._rest_state import InfluencerRecord
from ._state import State
from ._validation import Checker, read_object

INFLUENCER_CREATE = "influencer_create"
#: Both generations' spellings (README section 12.14).
GENDERS = ("male", "female", "non_binary", "nonbinary", "unspecified")
AGE_RANGES = ("teen", "young_adult", "adult", "mid_adult", "mature", "senior")
_LEGACY_AGE = re.compile(r"^\d{2}-\d{2}$|^\d{2}\+$")
BRAND_VOICES = ("authentic", "witty", "professional", "warm", "casual", "educational")
PERSONA = ("ethnicity", "bodyType", "hairColor", "hairStyle", "style", "vibe",
           "voiceDescription", "personality")
_STATUSES = ("draft", "pending", "training", "ready", "failed")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DURATION = (45.0, 75.0)  # "~1 min"


def _status(state: State, record: InfluencerRecord) -> str:
    if record.deleted_at is not None:
        return "deleted"
    if record.job_id is None:
        return "ready"
    view = job_view(state.jobs[record.job_id], state.clock.now())
    return {"completed": "ready", "running": "training"}.get(view.status, "failed")


def influencer_json(state: State, record: InfluencerRecord) -> dict[str, Any]:
    """The Influencer object (newest shape, plus the list's ``thumbnailUrl``)."""
    status = _status(state, record)
    image = f"https://media.layers.com/{record.project_id}/{record.id}.png"
    return {
        "influencerId": record.id,
        "projectId": record.project_id,
        "name": record.name,
        "imageUrl": image if status == "ready" else None,
        "thumbnailUrl": image.replace(".png", "-thumb.jpg") if status == "ready" else None,
        "gender": record.gender,
        "ageRange": record.age_range,
        "brandVoice": record.brand_voice,
        "language": record.language,
        "status": status,
        "errorMessage": "Generation failed." if status == "failed" else None,
        "createdAt": state.clock.iso(record.created_at),
        "updatedAt": state.clock.iso(record.updated_at),
    }


def _age(check: Checker, *, nullable: bool = False) -> str | None:
    value = check.string("ageRange", nullable=nullable)
    if value is not None and value not in AGE_RANGES and not _LEGACY_AGE.match(value):
        check.fail(("ageRange",), f"Must be one of: {', '.join(AGE_RANGES)}.")
    return value


def _influencer_or_404(state: State, org: Org, influencer_id: str) -> InfluencerRecord:
    record = state.rest.influencers.get(influencer_id)
    if record is None and not influencer_id.startswith("inf_"):
        record = state.rest.influencers.get(f"inf_{influencer_id}")
    if record is None or record.deleted_at is not None or record.project_id not in org.projects:
        raise not_found("Influencer not found.")
    return record


def _start(state: State, org: Org, project: Project, record: InfluencerRecord,
           params: dict[str, Any]) -> web.StreamResponse:
    script = state.take_script(INFLUENCER_CREATE, params)
    if script is None and state.job_duration is None:
        script = JobScript(outcome="completed", duration=state.job_rng.uniform(*_DURATION),
                           error_code="INFLUENCER_FAILED", error_message="Generation failed.",
                           result=None, repo_full_name=None)
    job = state.start_job(org, project, kind=INFLUENCER_CREATE, params=params, script=script)
    job.result = {"influencerId": record.id, "projectId": project.id}  # inferred shape
    record.job_id = job.id
    state.rest.influencers[record.id] = record
    return accepted(state, job.id, influencerId=record.id)


def _new_id(state: State, chosen: str | None) -> str:
    if chosen is None:
        return state.ids.id("inf")
    own = chosen if chosen.startswith("inf_") else f"inf_{chosen}"
    if own in state.rest.influencers:
        raise ApiError(409, "CONFLICT", "An influencer with this id already exists.")
    return own


def _record(state: State, project: Project, ident: str, **fields: Any) -> InfluencerRecord:
    now = state.clock.now()
    state.rest.influencer_seq += 1
    return InfluencerRecord(id=ident, project_id=project.id, seq=state.rest.influencer_seq,
                            created_at=now, updated_at=now, **fields)


async def create_influencer(request: web.Request) -> web.StreamResponse:
    """POST /v1/projects/{projectId}/influencers (202 job): the newest body (gender, ageRange,
    prompt; all optional) or the older one (name, influencerId, persona fields)."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    raw = await request.read()
    body = await read_object(request) if raw.strip() else {}
    check = Checker(body)
    known = {"gender", "ageRange", "prompt", "name", "influencerId", *PERSONA}
    for field in sorted(set(body) - known):
        check.fail((field,), "Unknown field.")
    gender = check.choice("gender", GENDERS)
    age = _age(check)
    check.string("prompt", max_len=2000)
    name = check.string("name", min_len=1, max_len=128)
    chosen = check.string("influencerId")
    if chosen is not None and not _UUID.match(chosen.removeprefix("inf_")):
        check.fail(("influencerId",), "Must be a UUID.")
    check.done()
    target = project.extra.get("targetGender")
    record = _record(state, project, _new_id(state, chosen), name=name or "New influencer",
                     gender=gender or (target if target in ("female", "male") else "female"),
                     age_range=age or "young_adult", brand_voice="authentic",
                     language=project.primary_language,
                     persona={k: body[k] for k in PERSONA if k in body})
    return _start(state, org, project, record, {"influencerId": record.id})


async def list_influencers(request: web.Request) -> web.StreamResponse:
    """GET …/influencers: newest first, deleted excluded, ``status`` filter, cursor pages."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    status = request.query.get("status")
    if status is not None and status not in _STATUSES:
        raise validation_error([(("status",), f"Must be one of: {', '.join(_STATUSES)}.")])
    filters = {"status": status, "projectId": project.id}
    page, cursor = newest_first(
        request, "influencers", filters,
        (r for r in state.rest.influencers.values()
         if r.project_id == project.id and r.deleted_at is None
         and (status is None or _status(state, r) == status)),
        default=25, maximum=100)
    items = [{k: v for k, v in influencer_json(state, r).items() if k in (
        "influencerId", "name", "gender", "ageRange", "status", "thumbnailUrl", "createdAt")}
        for r in page]
    return json_response({"items": items, "nextCursor": cursor})


async def get_influencer(request: web.Request) -> web.StreamResponse:
    """GET /v1/influencers/{influencerId}."""
    state, org, _ = caller(request)
    record = _influencer_or_404(state, org, request.match_info["influencerId"])
    return json_response(influencer_json(state, record))


async def patch_influencer(request: web.Request) -> web.StreamResponse:
    """PATCH /v1/influencers/{influencerId}: strict, at least one field; the older docs'
    persona fields are accepted too; gender cannot be cleared."""
    state, org, _ = caller(request)
    record = _influencer_or_404(state, org, request.match_info["influencerId"])
    body = await read_object(request)
    check = Checker(body)
    known = {"name", "gender", "ageRange", "brandVoice", "language", *PERSONA}
    for field in sorted(set(body) - known):
        check.fail((field,), "Unknown field.")
    if not body:
        check.fail((), "At least one field is required.")
    name = check.string("name", min_len=1, max_len=128)
    gender = check.choice("gender", GENDERS)
    age = _age(check, nullable=True)
    voice = check.choice("brandVoice", BRAND_VOICES)
    language = check.string("language", min_len=2)
    check.done()
    for attribute, value in (("name", name), ("gender", gender), ("brand_voice", voice),
                             ("language", language)):
        if value is not None:
            setattr(record, attribute, value)
    if "ageRange" in body:
        record.age_range = age
    record.persona.update({k: body[k] for k in PERSONA if k in body})
    record.updated_at = state.clock.now()
    return json_response(influencer_json(state, record))


async def delete_influencer(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/influencers/{influencerId}: soft delete (optional ``reason``)."""
    state, org, _ = caller(request)
    record = _influencer_or_404(state, org, request.match_info["influencerId"])
    if (await request.read()).strip():
        check = Checker(await read_object(request))
        check.string("reason", max_len=1024)
        check.done()
    record.deleted_at = state.clock.now()
    return json_response({"influencerId": record.id, "status": "deleted",
                          "deletedAt": state.clock.iso(record.deleted_at)})


async def clone_influencer(request: web.Request) -> web.StreamResponse:
    """POST /v1/influencers/{influencerId}/clone (202 job): ``name`` required, ``overrides``
    of either generation, the older ``newInfluencerId``."""
    state, org, _ = caller(request)
    source = _influencer_or_404(state, org, request.match_info["influencerId"])
    check = Checker(await read_object(request))
    name = check.string("name", required=True, min_len=1, max_len=128)
    overrides = check.mapping("overrides") or {}
    chosen = check.string("newInfluencerId")
    if overrides.get("gender") is not None and overrides["gender"] not in GENDERS:
        check.fail(("overrides", "gender"), f"Must be one of: {', '.join(GENDERS)}.")
    check.done()
    assert name is not None
    project = org.projects[source.project_id]
    record = _record(state, project, _new_id(state, chosen), name=name,
                     gender=str(overrides.get("gender", source.gender)),
                     age_range=overrides.get("ageRange", source.age_range),
                     brand_voice=str(overrides.get("brandVoice", source.brand_voice)),
                     language=str(overrides.get("language", source.language)),
                     persona={**source.persona, **{k: v for k, v in overrides.items()
                                                   if k in PERSONA}})
    return _start(state, org, project, record, {"influencerId": record.id,
                                                "clonedFrom": source.id})
