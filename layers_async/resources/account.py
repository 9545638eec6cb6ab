"""``layers.credits`` and ``layers.api_keys``."""

from __future__ import annotations

from datetime import datetime

from .._http import Timeout, segment
from .._operations import (
    API_KEYS_DELETE,
    API_KEYS_KILL,
    API_KEYS_ROTATE,
    CREDITS_EVENTS,
    CREDITS_GET,
)
from .._pagination import AsyncPaginator
from ..models.account import (
    ApiKeyDeleteResult,
    ApiKeyKillResult,
    ApiKeyRotateResult,
    CreditEvent,
)
from ..models.account import Credits as Wallet
from ._base import Resource
from ._checks import utc_z

__all__ = ["ApiKeys", "Credits"]

_EVENT_TYPES = ("usage", "refund", "grant", "purchase", "adjustment", "allocation")


class Credits(Resource):
    """The organization's credit wallet and ledger."""

    async def get(self, *, timeout: float | Timeout | None = None) -> Wallet:
        """``GET /v1/credits``: the wallet. Gate generations on ``available``."""
        return await self._call(CREDITS_GET, timeout=timeout)

    def events(self, *, project_id: str | None = None, event_type: str | None = None,
               since: datetime | None = None, until: datetime | None = None,
               limit: int | None = None,
               timeout: float | Timeout | None = None) -> AsyncPaginator[CreditEvent]:
        """``GET /v1/credits/events``, newest first, fetched page by page."""
        if event_type is not None and event_type not in _EVENT_TYPES:
            raise ValueError(f"event_type must be one of {_EVENT_TYPES}, got {event_type!r}")
        return self._page(CREDITS_EVENTS, query=dict(
            project_id=segment(project_id, "project_id") if project_id is not None else None,
            event_type=event_type, since=utc_z(since, "since"), until=utc_z(until, "until")),
            limit=limit, timeout=timeout)


class ApiKeys(Resource):
    """Lifecycle of the organization's own API keys (by key id, never the secret)."""

    async def kill(self, key_id: str, *, idempotency_key: str | None = None,
                   timeout: float | Timeout | None = None) -> ApiKeyKillResult:
        """Kill a key at once: it then gets 503 KILL_SWITCH on every call. Irreversible here."""
        return await self._call(API_KEYS_KILL, key_id, idempotency_key=idempotency_key,
                                timeout=timeout)

    async def delete(self, key_id: str, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> ApiKeyDeleteResult:
        """Retire a key cleanly."""
        return await self._call(API_KEYS_DELETE, key_id, idempotency_key=idempotency_key,
                                timeout=timeout)

    async def rotate(self, key_id: str, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> ApiKeyRotateResult:
        """Rotate a key in place: the old secret dies at once; store ``.secret.value`` now.

        A retry with the same idempotency key returns the same new secret.
        """
        return await self._call(API_KEYS_ROTATE, key_id, idempotency_key=idempotency_key,
                                timeout=timeout)
