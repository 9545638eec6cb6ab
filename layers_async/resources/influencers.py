"""``layers.influencers``: create (a job), list, read, update, delete and clone influencers.

Both generations of the docs are accepted (README section 12.14): the newest create body
(``gender``, ``age_range``, ``prompt``) and the older one (``name`` plus persona fields such as
``vibe`` or ``personality``, passed as ``persona=`` with their wire names), and both spellings
of gender (``non_binary`` / ``nonbinary``, ``unspecified``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import attrs

from .._converter import UNSET, decode
from .._http import Request, Timeout, encode_json
from .._job import Job
from .._operations import (
    INFLUENCERS_CLONE,
    INFLUENCERS_CREATE,
    INFLUENCERS_DELETE,
    INFLUENCERS_GET,
    INFLUENCERS_LIST,
    INFLUENCERS_UPDATE,
)
from .._pagination import AsyncPaginator
from ..models.influencers import AgeRange, Gender, Influencer, InfluencerDeleteResult
from ._base import Resource

__all__ = ["PERSONA_FIELDS", "Influencers"]

#: The older docs' persona fields (wire names), accepted on create and update.
PERSONA_FIELDS = frozenset({"ethnicity", "bodyType", "hairColor", "hairStyle", "style", "vibe",
                            "voiceDescription", "personality"})
_GENDERS = tuple(g.value for g in Gender)
_AGE_RANGES = tuple(a.value for a in AgeRange)
_LEGACY_AGE = re.compile(r"^\d{2}-\d{2}$|^\d{2}\+$")  # the older lists print "25-34"
_BRAND_VOICES = ("authentic", "witty", "professional", "warm", "casual", "educational")
_STATUSES = ("draft", "pending", "training", "ready", "failed")


def _choice(value: object, allowed: tuple[str, ...], what: str) -> None:
    if value is not None and value is not UNSET and value not in allowed:
        raise ValueError(f"{what} must be one of {list(allowed)}, got {value!r}")


def _age(value: object) -> None:
    if value is None or value is UNSET:
        return
    if value not in _AGE_RANGES and not (isinstance(value, str) and _LEGACY_AGE.match(value)):
        raise ValueError(f"age_range must be one of {list(_AGE_RANGES)}, got {value!r}")


def _name(value: object) -> None:
    if value is None or value is UNSET:
        return
    if not isinstance(value, str) or not 1 <= len(value) <= 128 or not value.strip():
        raise ValueError("name must be a string of 1 to 128 characters")


def _persona(persona: Mapping[str, Any] | None) -> dict[str, Any]:
    if persona is None:
        return {}
    if not isinstance(persona, Mapping):
        raise TypeError("persona must be a mapping of the older docs' persona fields")
    unknown = sorted(set(persona) - PERSONA_FIELDS)
    if unknown:
        raise ValueError(f"unknown persona field(s) {unknown}; known: {sorted(PERSONA_FIELDS)}")
    return {str(k): v for k, v in persona.items() if v is not None}


def _merge(request: Request, extra: Mapping[str, Any]) -> Request:
    """``request`` with the persona fields added to its JSON body."""
    if not extra:
        return request
    assert isinstance(request.body, bytes | None)
    body = json.loads(request.body) if request.body else {}
    headers = {**request.headers, "Content-Type": "application/json"}
    return attrs.evolve(request, body=encode_json({**body, **extra}), headers=headers)


class Influencers(Resource):
    """Influencers of a project (ids ``inf_…`` are global)."""

    async def create(self, project_id: str, *, gender: str | None = None,
                     age_range: str | None = None, prompt: str | None = None,
                     name: str | None = None, influencer_id: str | None = None,
                     persona: Mapping[str, Any] | None = None,
                     idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> Job[dict[str, Any]]:
        """``POST /v1/projects/{projectId}/influencers`` (202, job ``influencer_create``,
        about a minute). Newest body: all optional. Older: ``name`` (required there),
        ``influencer_id`` and ``persona``. The docs print no job result: ``wait()`` returns
        the raw mapping (its ``influencerId``); read the influencer with :meth:`get`."""
        _choice(gender, _GENDERS, "gender")
        _age(age_range)
        _name(name)
        request = self._request(INFLUENCERS_CREATE, (project_id,), None, dict(
            gender=gender, age_range=age_range, prompt=prompt, name=name,
            influencer_id=influencer_id), idempotency_key, timeout)
        return await self._scheduler.start(self._pipeline, _merge(request, _persona(persona)),
                                           "influencer_create")

    def list(self, project_id: str, *, status: str | None = None, limit: int | None = None,
             timeout: float | Timeout | None = None) -> AsyncPaginator[Influencer]:
        """Influencers of a project, newest first (deleted ones excluded)."""
        _choice(status, _STATUSES, "status")
        return self._page(INFLUENCERS_LIST, project_id, query=dict(status=status), limit=limit,
                          timeout=timeout)

    async def get(self, influencer_id: str, *,
                  timeout: float | Timeout | None = None) -> Influencer:
        """``GET /v1/influencers/{influencerId}``."""
        return await self._call(INFLUENCERS_GET, influencer_id, timeout=timeout)

    async def update(self, influencer_id: str, *, name: str = UNSET, gender: str = UNSET,
                     age_range: str | None = UNSET, brand_voice: str = UNSET,
                     language: str = UNSET, persona: Mapping[str, Any] | None = None,
                     idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> Influencer:
        """``PATCH /v1/influencers/{influencerId}``: at least one field (``age_range=None``
        clears it; gender cannot be cleared). ``persona`` takes the older docs' fields."""
        fields = dict(name=name, gender=gender, age_range=age_range, brand_voice=brand_voice,
                      language=language)
        extra = _persona(persona)
        if all(value is UNSET for value in fields.values()) and not extra:
            raise ValueError("update() needs at least one field to change")
        if gender is None:
            raise ValueError("gender cannot be cleared")
        _name(name)
        _choice(gender, _GENDERS, "gender")
        _age(age_range)
        _choice(brand_voice, _BRAND_VOICES, "brand_voice")
        request = self._request(INFLUENCERS_UPDATE, (influencer_id,), None, fields,
                                idempotency_key, timeout)
        request = _merge(request, extra)
        return await self._send(request, Influencer)

    async def delete(self, influencer_id: str, *, reason: str | None = None,
                     idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> InfluencerDeleteResult:
        """``DELETE /v1/influencers/{influencerId}``: soft delete (``reason`` ≤ 1024 chars)."""
        if reason is not None and (not isinstance(reason, str) or len(reason) > 1024):
            raise ValueError("reason must be a string of at most 1024 characters")
        return await self._call(INFLUENCERS_DELETE, influencer_id,
                                body=dict(reason=reason) if reason is not None else None,
                                idempotency_key=idempotency_key, timeout=timeout)

    async def clone(self, influencer_id: str, *, name: str,
                    overrides: Mapping[str, Any] | None = None,
                    new_influencer_id: str | None = None, idempotency_key: str | None = None,
                    timeout: float | Timeout | None = None) -> Job[dict[str, Any]]:
        """``POST /v1/influencers/{influencerId}/clone`` (202, job ``influencer_create``).
        ``overrides`` takes wire keys of either generation (``language``, ``brandVoice``,
        older ``vibe``); ``new_influencer_id`` is the older docs' chosen id."""
        if name is None:
            raise ValueError("name is required")
        _name(name)
        if overrides is not None and not isinstance(overrides, Mapping):
            raise TypeError("overrides must be a mapping with the API's keys")
        return await self._start(INFLUENCERS_CLONE, influencer_id, body=dict(
            name=name, overrides=dict(overrides) if overrides is not None else None,
            new_influencer_id=new_influencer_id), idempotency_key=idempotency_key,
            timeout=timeout)

    async def _send(self, request: Request, model: type[Influencer]) -> Influencer:
        response = await self._pipeline.send(request)
        return decode(response, model, secrets=request.secrets)
