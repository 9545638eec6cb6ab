"""``layers.credits`` and ``layers.api_keys``."""

from __future__ import annotations

from datetime import UTC, datetime

from .._http import Timeout, segment
from .._pagination import AsyncPaginator
from ..models.account import (
    ApiKeyDeleteResult,
    ApiKeyKillResult,
    ApiKeyRotateResult,
    CreditEvent,
)
from ..models.account import Credits as Wallet
from ._base import Resource, check_limit

__all__ = ["ApiKeys", "Credits"]

_EVENT_TYPES = ("usage", "refund", "grant", "purchase", "adjustment", "allocation")


def utc_z(value: datetime, what: str) -> str:
    """An aware datetime as UTC with a ``Z`` suffix (the only form the filters accept)."""
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware (the API filters on UTC instants)")
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")
    return text + "Z"


class Credits(Resource):
    """The organization's credit wallet and ledger."""

    async def get(self, *, timeout: float | Timeout | None = None) -> Wallet:
        """``GET /v1/credits``: the wallet. Gate generations on ``available``."""
        return await self._client.call("GET", "/v1/credits", Wallet, timeout=timeout)

    def events(self, *, project_id: str | None = None, event_type: str | None = None,
               since: datetime | None = None, until: datetime | None = None,
               limit: int | None = None,
               timeout: float | Timeout | None = None) -> AsyncPaginator[CreditEvent]:
        """``GET /v1/credits/events``, newest first, fetched page by page."""
        if event_type is not None and event_type not in _EVENT_TYPES:
            raise ValueError(f"event_type must be one of {_EVENT_TYPES}, got {event_type!r}")
        params = {
            "projectId": segment(project_id, "project_id") if project_id is not None else None,
            "eventType": event_type,
            "since": utc_z(since, "since") if since is not None else None,
            "until": utc_z(until, "until") if until is not None else None,
            "limit": check_limit(limit, 100),
        }
        return self._paginate("/v1/credits/events", CreditEvent, params, timeout)


class ApiKeys(Resource):
    """Lifecycle of the organization's own API keys (by key id, never the secret)."""

    async def kill(self, key_id: str, *, idempotency_key: str | None = None,
                   timeout: float | Timeout | None = None) -> ApiKeyKillResult:
        """Kill a key at once: it then gets 503 KILL_SWITCH on every call. Irreversible here."""
        path = f"/v1/api-keys/{segment(key_id, 'key_id')}/kill"
        return await self._client.call("POST", path, ApiKeyKillResult,
                                       idempotency_key=idempotency_key, timeout=timeout)

    async def delete(self, key_id: str, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> ApiKeyDeleteResult:
        """Retire a key cleanly."""
        path = f"/v1/api-keys/{segment(key_id, 'key_id')}"
        return await self._client.call("DELETE", path, ApiKeyDeleteResult,
                                       idempotency_key=idempotency_key, timeout=timeout)

    async def rotate(self, key_id: str, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> ApiKeyRotateResult:
        """Rotate a key in place: the old secret dies at once; store ``.secret`` now.

        A retry with the same idempotency key returns the same new secret.
        """
        path = f"/v1/api-keys/{segment(key_id, 'key_id')}/rotate"
        return await self._client.call("POST", path, ApiKeyRotateResult,
                                       idempotency_key=idempotency_key, timeout=timeout)
