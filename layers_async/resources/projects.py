"""``layers.projects``: one project per end customer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._http import Timeout, segment
from .._pagination import AsyncPaginator
from ..models.projects import Project, ProjectArchiveResult
from ._base import Resource, check_limit

__all__ = ["UNSET", "Projects"]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: "Leave this field alone" in :meth:`Projects.update` (``None`` clears nullable fields).
UNSET: Final[Any] = _Unset()

_STATUSES = ("active", "archived")


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value


class Projects(Resource):
    """Create, find, change and archive projects."""

    async def create(
        self,
        *,
        name: str,
        timezone: str = "UTC",
        customer_external_id: str | None = None,
        primary_language: str | None = None,
        owner_email: str | None = None,
        app_name: str | None = None,
        app_description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        timeout: float | Timeout | None = None,
    ) -> Project:
        """``POST /v1/projects``. Pass an ``idempotency_key`` derived from your customer
        so a retried or re-run create can never make a second project."""
        body: dict[str, Any] = {"name": _text(name, "name"),
                                "timezone": _text(timezone, "timezone")}
        optional = {
            "customerExternalId": customer_external_id,
            "primaryLanguage": primary_language,
            "ownerEmail": owner_email,
            "appName": app_name,
            "appDescription": app_description,
        }
        for wire_name, value in optional.items():
            if value is not None:
                body[wire_name] = _text(value, wire_name)
        if metadata is not None:
            body["metadata"] = dict(metadata)
        return await self._client.call("POST", "/v1/projects", Project, json=body,
                                       idempotency_key=idempotency_key, timeout=timeout)

    async def get(self, project_id: str, *, timeout: float | Timeout | None = None) -> Project:
        """``GET /v1/projects/{id}``."""
        path = f"/v1/projects/{segment(project_id, 'project_id')}"
        return await self._client.call("GET", path, Project, timeout=timeout)

    def list(self, *, customer_external_id: str | None = None, status: str | None = None,
             search: str | None = None, limit: int | None = None,
             timeout: float | Timeout | None = None) -> AsyncPaginator[Project]:
        """Projects, newest first; ``customer_external_id`` finds your customer's project."""
        if status is not None and status not in _STATUSES:
            raise ValueError(f"status must be one of {_STATUSES}, got {status!r}")
        params = {
            "customerExternalId": (_text(customer_external_id, "customer_external_id")
                                   if customer_external_id is not None else None),
            "status": status,
            "search": search,
            "limit": check_limit(limit, 200),
        }
        return self._paginate("/v1/projects", Project, params, timeout)

    async def find(self, customer_external_id: str, *,
                   timeout: float | Timeout | None = None) -> Project | None:
        """The project bound to ``customer_external_id``, or None (first one if several)."""
        found = await self.list(customer_external_id=customer_external_id, limit=1,
                                timeout=timeout).collect(limit=1)
        return found[0] if found else None

    async def update(
        self,
        project_id: str,
        *,
        name: str = UNSET,
        status: str = UNSET,
        owner_email: str = UNSET,
        timezone: str = UNSET,
        primary_language: str = UNSET,
        customer_external_id: str = UNSET,
        app_name: str | None = UNSET,
        app_description: str | None = UNSET,
        tagline: str = UNSET,
        brand_voice: str = UNSET,
        target_gender: str = UNSET,
        metadata: Mapping[str, Any] = UNSET,
        idempotency_key: str | None = None,
        timeout: float | Timeout | None = None,
    ) -> Project:
        """``PATCH /v1/projects/{id}`` with only the fields given (``metadata`` replaces)."""
        fields = {
            "name": name, "status": status, "ownerEmail": owner_email, "timezone": timezone,
            "primaryLanguage": primary_language, "customerExternalId": customer_external_id,
            "appName": app_name, "appDescription": app_description, "tagline": tagline,
            "brandVoice": brand_voice, "targetGender": target_gender,
            "metadata": dict(metadata) if metadata is not UNSET else UNSET,
        }
        body = {k: v for k, v in fields.items() if v is not UNSET}
        if not body:
            raise ValueError("update() needs at least one field to change")
        if "status" in body and body["status"] not in _STATUSES:
            raise ValueError(f"status must be one of {_STATUSES}, got {body['status']!r}")
        path = f"/v1/projects/{segment(project_id, 'project_id')}"
        return await self._client.call("PATCH", path, Project, json=body,
                                       idempotency_key=idempotency_key, timeout=timeout)

    async def archive(self, project_id: str, *, idempotency_key: str | None = None,
                      timeout: float | Timeout | None = None) -> ProjectArchiveResult:
        """``DELETE /v1/projects/{id}``: archive (repeat refreshes ``archived_at``)."""
        path = f"/v1/projects/{segment(project_id, 'project_id')}"
        return await self._client.call("DELETE", path, ProjectArchiveResult,
                                       idempotency_key=idempotency_key, timeout=timeout)
