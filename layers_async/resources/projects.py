"""``layers.projects``: one project per end customer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._converter import UNSET
from .._http import Timeout
from .._operations import (
    PROJECTS_ARCHIVE,
    PROJECTS_CREATE,
    PROJECTS_GET,
    PROJECTS_LIST,
    PROJECTS_UPDATE,
)
from .._pagination import AsyncPaginator
from ..models.projects import Project, ProjectArchiveResult
from ._base import Resource

__all__ = ["Projects"]

_STATUSES = ("active", "archived")


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value


def _texts(**values: object) -> None:
    for what, value in values.items():
        if value is not None and value is not UNSET:
            _text(value, what)


def _status(value: object) -> None:
    if value is not None and value is not UNSET and value not in _STATUSES:
        raise ValueError(f"status must be one of {_STATUSES}, got {value!r}")


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
        (``idempotency_key(customer_id, "project")``) so a retried or re-run create can
        never make a second project."""
        fields = dict(name=name, timezone=timezone, customer_external_id=customer_external_id,
                      primary_language=primary_language, owner_email=owner_email,
                      app_name=app_name, app_description=app_description)
        _texts(**fields)
        return await self._call(PROJECTS_CREATE, body={**fields, "metadata": metadata},
                                idempotency_key=idempotency_key, timeout=timeout)

    async def get(self, project_id: str, *, timeout: float | Timeout | None = None) -> Project:
        """``GET /v1/projects/{id}``."""
        return await self._call(PROJECTS_GET, project_id, timeout=timeout)

    def list(self, *, customer_external_id: str | None = None, status: str | None = None,
             search: str | None = None, limit: int | None = None,
             timeout: float | Timeout | None = None) -> AsyncPaginator[Project]:
        """Projects, newest first; ``customer_external_id`` finds your customer's project."""
        _status(status)
        _texts(customer_external_id=customer_external_id)
        return self._page(PROJECTS_LIST, query=dict(
            customer_external_id=customer_external_id, status=status, search=search),
            limit=limit, timeout=timeout)

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
        """``PATCH /v1/projects/{id}`` with only the fields given (``metadata`` replaces;
        ``app_name=None`` / ``app_description=None`` clear)."""
        fields = dict(name=name, status=status, owner_email=owner_email, timezone=timezone,
                      primary_language=primary_language,
                      customer_external_id=customer_external_id, app_name=app_name,
                      app_description=app_description, tagline=tagline,
                      brand_voice=brand_voice, target_gender=target_gender, metadata=metadata)
        if all(value is UNSET for value in fields.values()):
            raise ValueError("update() needs at least one field to change")
        _status(status)
        return await self._call(PROJECTS_UPDATE, project_id, body=fields,
                                idempotency_key=idempotency_key, timeout=timeout)

    async def archive(self, project_id: str, *, idempotency_key: str | None = None,
                      timeout: float | Timeout | None = None) -> ProjectArchiveResult:
        """``DELETE /v1/projects/{id}``: archive (repeat refreshes ``archived_at``)."""
        return await self._call(PROJECTS_ARCHIVE, project_id, idempotency_key=idempotency_key,
                                timeout=timeout)
