"""``layers.audit_log``: what was changed, by which key, in which request."""

from __future__ import annotations

from datetime import datetime

from .._http import Timeout, segment
from .._operations import AUDIT_LOG_LIST
from .._pagination import AsyncPaginator
from ..models.audit_log import AuditEvent
from ._base import Resource
from ._checks import utc_z

__all__ = ["AuditLog"]


class AuditLog(Resource):
    """The organization's audit trail (one event per mutation)."""

    def list(self, *, event_type: str | None = None, project_id: str | None = None,
             api_key_id: str | None = None, since: datetime | None = None,
             until: datetime | None = None, limit: int | None = None,
             timeout: float | Timeout | None = None) -> AsyncPaginator[AuditEvent]:
        """``GET /v1/audit-log``, newest first, 50 a page by default (``limit`` up to 200).

        Each event's ``request_id`` is the ``X-Request-Id`` of the request that caused it;
        ``since``/``until`` must be timezone-aware (sent as UTC with ``Z``).
        """
        for what, value in (("event_type", event_type), ("project_id", project_id),
                            ("api_key_id", api_key_id)):
            if value is not None:
                segment(value, what)
        return self._page(AUDIT_LOG_LIST, query=dict(
            event_type=event_type, project_id=project_id, api_key_id=api_key_id,
            since=utc_z(since, "since"), until=utc_z(until, "until")),
            limit=limit, timeout=timeout)
