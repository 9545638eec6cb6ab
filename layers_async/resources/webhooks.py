"""``layers.webhook_endpoints`` and ``layers.webhook_deliveries``: where events are sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from .._converter import UNSET
from .._http import Timeout
from .._operations import (
    WEBHOOK_DELIVERIES_REPLAY,
    WEBHOOK_ENDPOINTS_CREATE,
    WEBHOOK_ENDPOINTS_DELETE,
    WEBHOOK_ENDPOINTS_DELIVERIES,
    WEBHOOK_ENDPOINTS_LIST,
    WEBHOOK_ENDPOINTS_ROTATE_SECRET,
    WEBHOOK_ENDPOINTS_TEST,
    WEBHOOK_ENDPOINTS_UPDATE,
)
from .._pagination import AsyncPaginator
from ..models.webhooks import (
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEndpointCreateResult,
    WebhookEndpointDeleteResult,
    WebhookEventType,
    WebhookReplayResult,
    WebhookRotateSecretResult,
    WebhookTestResult,
)
from ._base import Resource

__all__ = ["WebhookDeliveries", "WebhookEndpoints"]

EVENT_TYPES = tuple(str(t) for t in WebhookEventType)
_SCOPES = ("own", "all_children")
_LIST_STATUSES = ("active", "paused", "auto_paused")
_SET_STATUSES = ("active", "paused")
_DELIVERY_STATUSES = tuple(str(s) for s in WebhookDeliveryStatus)


def _url(url: object) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"url must be an absolute http(s) URL, got {url!r}")
    assert isinstance(url, str)
    return url


def _events(events: object) -> list[str]:
    if isinstance(events, str) or not isinstance(events, Sequence):
        raise TypeError("events must be a sequence of event type names, not a string")
    names = [str(e) for e in events]
    if not 1 <= len(names) <= 50:
        raise ValueError(f"events takes 1 to 50 event types, got {len(names)}")
    unknown = sorted(set(names) - set(EVENT_TYPES))
    if unknown:  # the API refuses them at subscribe time
        raise ValueError(f"unknown event type(s) {unknown}; known: {list(EVENT_TYPES)}")
    return names


def _choice(value: object, allowed: tuple[str, ...], what: str) -> None:
    if value is not None and value is not UNSET and value not in allowed:
        raise ValueError(f"{what} must be one of {allowed}, got {value!r}")


class WebhookEndpoints(Resource):
    """Register, change, rotate, test and inspect webhook endpoints."""

    async def create(
        self,
        *,
        url: str,
        events: Sequence[WebhookEventType | str],
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        project_id: str | None = None,
        scope: str | None = None,
        idempotency_key: str | None = None,
        timeout: float | Timeout | None = None,
    ) -> WebhookEndpointCreateResult:
        """``POST /v1/webhook-endpoints``. The answer's ``signing_secret`` (a
        :class:`~layers_async.Secret`, ``whsec_…``) is shown once: store its ``.value``.
        ``scope="all_children"`` (org:admin) receives every child org's events."""
        _choice(scope, _SCOPES, "scope")
        return await self._call(WEBHOOK_ENDPOINTS_CREATE, body=dict(
            url=_url(url), events=_events(events), description=description, metadata=metadata,
            project_id=project_id, scope=scope), idempotency_key=idempotency_key,
            timeout=timeout)

    def list(self, *, project_id: str | None = None, status: str | None = None,
             limit: int | None = None,
             timeout: float | Timeout | None = None) -> AsyncPaginator[WebhookEndpoint]:
        """``GET /v1/webhook-endpoints``, filtered by project or status."""
        _choice(status, _LIST_STATUSES, "status")
        return self._page(WEBHOOK_ENDPOINTS_LIST, query=dict(project_id=project_id,
                                                             status=status),
                          limit=limit, timeout=timeout)

    async def update(
        self,
        endpoint_id: str,
        *,
        url: str = UNSET,
        events: Sequence[WebhookEventType | str] = UNSET,
        description: str | None = UNSET,
        status: str = UNSET,
        idempotency_key: str | None = None,
        timeout: float | Timeout | None = None,
    ) -> WebhookEndpoint:
        """``PATCH /v1/webhook-endpoints/{id}`` with only the fields given
        (``description=None`` clears; ``status="active"`` resumes an ``auto_paused`` one
        and resets its failure count)."""
        fields: dict[str, Any] = dict(url=url, events=events, description=description,
                                      status=status)
        if all(value is UNSET for value in fields.values()):
            raise ValueError("update() needs at least one field to change")
        _choice(status, _SET_STATUSES, "status")
        if url is not UNSET:
            fields["url"] = _url(url)
        if events is not UNSET:
            fields["events"] = _events(events)
        return await self._call(WEBHOOK_ENDPOINTS_UPDATE, endpoint_id, body=fields,
                                idempotency_key=idempotency_key, timeout=timeout)

    async def delete(self, endpoint_id: str, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> WebhookEndpointDeleteResult:
        """``DELETE /v1/webhook-endpoints/{id}``."""
        return await self._call(WEBHOOK_ENDPOINTS_DELETE, endpoint_id,
                                idempotency_key=idempotency_key, timeout=timeout)

    async def rotate_secret(self, endpoint_id: str, *, idempotency_key: str | None = None,
                            timeout: float | Timeout | None = None
                            ) -> WebhookRotateSecretResult:
        """``POST /v1/webhook-endpoints/{id}/rotate-secret``: a new secret, shown once.
        Until ``previous_secret_expires_at`` deliveries carry both signatures: verify
        with ``secret=[new, old]`` during the cutover."""
        return await self._call(WEBHOOK_ENDPOINTS_ROTATE_SECRET, endpoint_id,
                                idempotency_key=idempotency_key, timeout=timeout)

    async def test(self, endpoint_id: str, *, payload: Mapping[str, Any] | None = None,
                   idempotency_key: str | None = None,
                   timeout: float | Timeout | None = None) -> WebhookTestResult:
        """``POST /v1/webhook-endpoints/{id}/test``: queue a ``test.ping`` (``payload``
        replaces its ``data``)."""
        if payload is not None and not isinstance(payload, Mapping):
            raise TypeError("payload must be a mapping")
        return await self._call(WEBHOOK_ENDPOINTS_TEST, endpoint_id, body=dict(payload=payload),
                                idempotency_key=idempotency_key, timeout=timeout)

    def deliveries(self, endpoint_id: str, *, event_type: str | None = None,
                   status: str | None = None, limit: int | None = None,
                   timeout: float | Timeout | None = None) -> AsyncPaginator[WebhookDelivery]:
        """``GET /v1/webhook-endpoints/{id}/deliveries``: newest first, payloads omitted."""
        _choice(status, _DELIVERY_STATUSES, "status")
        return self._page(WEBHOOK_ENDPOINTS_DELIVERIES, endpoint_id,
                          query=dict(event_type=event_type, status=status), limit=limit,
                          timeout=timeout)


class WebhookDeliveries(Resource):
    """Replay a past delivery."""

    async def replay(self, delivery_id: str, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> WebhookReplayResult:
        """``POST /v1/webhook-deliveries/{id}/replay``: the event is sent again with a new
        event id and ``replayOf`` naming this delivery (receivers dedupe on event ids, so
        a replay is not dropped)."""
        return await self._call(WEBHOOK_DELIVERIES_REPLAY, delivery_id,
                                idempotency_key=idempotency_key, timeout=timeout)
