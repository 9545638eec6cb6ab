"""The audit trail: one event per mutation, tied to its request by ``request_id``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

__all__ = ["AuditEvent"]


@attrs.frozen(kw_only=True)
class AuditEvent:
    """One entry of ``GET /v1/audit-log``.

    ``request_id`` equals the ``X-Request-Id`` of the request that caused it. The docs
    print no example and no shape for ``data``, so it stays the raw mapping.
    """

    event_id: str
    event_type: str
    occurred_at: datetime
    request_id: str | None = None
    organization_id: str | None = None
    project_id: str | None = None
    api_key_id: str | None = None
    actor: str | None = None
    data: dict[str, Any] = attrs.field(factory=dict)
