"""Handlers: webhook endpoints (create, list, patch, delete, rotate, test, deliveries), replay.

Inferred (the docs print none of it): create answers 201; an ``http://`` URL is refused with 422
unless its host is loopback; ``scope: all_children`` without ``org:admin`` answers 403
``FORBIDDEN_SCOPE``; an unknown ``projectId`` answers 404; deleted endpoints vanish (404), their
pending deliveries are abandoned and their log can no longer be listed or replayed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ._api_projects import project_or_404
from ._context import caller
from ._errors import ApiError, json_response, not_found
from ._pagination import newest_first
from ._records import Org
from ._state import State
from ._validation import Checker, query_issue, read_object
from ._webhooks import EVENT_TYPES, ROTATION_OVERLAP, EndpointRecord

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_SCOPES = ("own", "all_children")
_LIST_STATUSES = ("active", "paused", "auto_paused")
_SET_STATUSES = ("active", "paused")
_DELIVERY_STATUSES = ("pending", "delivering", "delivered", "failed", "abandoned")
_WARNING = (
    "Signing secret shown once. The previous secret remains valid during the overlap window"
    " - dual-verify both in your handler during cutover."
)


def _endpoint_or_404(state: State, org: Org, endpoint_id: str) -> EndpointRecord:
    record = state.webhooks.endpoint(org, endpoint_id)
    if record is None:
        raise not_found("Webhook endpoint not found.")
    return record


def _check_url(check: Checker, *, required: bool) -> str | None:
    url = check.string("url", required=required, min_len=1, max_len=2048)
    if url is None:
        return None
    parts = urlsplit(url)
    loopback_http = parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK
    if not parts.netloc or (parts.scheme != "https" and not loopback_http):
        check.fail(("url",), "Must be an https URL (the fake also accepts http on loopback).")
    return url


def _check_events(check: Checker, *, required: bool) -> list[str] | None:
    if "events" not in check.body:
        if required:
            check.fail(("events",), "Required.")
        return None
    events = check.subset(("events",), check.body["events"], EVENT_TYPES)
    if events is not None and not 1 <= len(events) <= 50:
        check.fail(("events",), "Must list 1 to 50 event types.")
    return events


async def create_endpoint(request: web.Request) -> web.StreamResponse:
    """POST /v1/webhook-endpoints (201): the endpoint and its signing secret, once."""
    state, org, key = caller(request)
    check = Checker(await read_object(request))
    url = _check_url(check, required=True)
    events = _check_events(check, required=True)
    description = check.string("description", max_len=500)
    metadata = check.mapping("metadata")
    project_id = check.string("projectId", min_len=1)
    scope = check.choice("scope", _SCOPES) or "own"
    check.done()
    assert url is not None
    assert events is not None
    if scope == "all_children" and not key.grants("org:admin"):
        raise ApiError(403, "FORBIDDEN_SCOPE", "scope all_children needs org:admin.")
    if project_id is not None:
        project_id = project_or_404(state, org, project_id).id
    record = state.webhooks.add_endpoint(
        org,
        url=url,
        events=events,
        description=description,
        metadata=metadata,
        project_id=project_id,
        scope=scope,
    )
    body = {"endpoint": record.to_json(state), "signingSecret": record.secret}
    return json_response(body, status=201)


async def list_endpoints(request: web.Request) -> web.StreamResponse:
    """GET /v1/webhook-endpoints: newest first, cursor paginated."""
    state, org, _ = caller(request)
    status = request.query.get("status")
    if status is not None and status not in _LIST_STATUSES:
        raise query_issue("status", "Must be one of: active, paused, auto_paused.")
    project_id = request.query.get("projectId")
    filters = {"status": status, "projectId": project_id}
    page, cursor = newest_first(
        request,
        "webhook-endpoints",
        filters,
        (
            e
            for e in state.webhooks.endpoints.values()
            if e.org_id == org.id
            and (status is None or e.status == status)
            and (project_id is None or e.project_id == project_id)
        ),
        default=25,
        maximum=100,
    )
    return json_response({"items": [e.to_json(state) for e in page], "nextCursor": cursor})


async def update_endpoint(request: web.Request) -> web.StreamResponse:
    """PATCH /v1/webhook-endpoints/{endpointId}; ``status: active`` resumes and resets."""
    state, org, _ = caller(request)
    record = _endpoint_or_404(state, org, request.match_info["endpointId"])
    body = await read_object(request)
    check = Checker(body)
    if not body:
        check.fail((), "At least one field is required.")
    url = _check_url(check, required=False)
    events = _check_events(check, required=False)
    description = check.string("description", max_len=500, nullable=True)
    status = check.choice("status", _SET_STATUSES)
    check.done()
    if url is not None:
        record.url = url
    if events is not None:
        record.events = events
    if "description" in body:
        record.description = description
    if status == "active":
        state.webhooks.resume(record)
    elif status == "paused":
        record.status = "paused"
    record.updated_at = state.clock.now()
    return json_response(record.to_json(state))


async def delete_endpoint(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/webhook-endpoints/{endpointId}."""
    state, org, _ = caller(request)
    record = _endpoint_or_404(state, org, request.match_info["endpointId"])
    del state.webhooks.endpoints[record.id]
    state.webhooks.poke()
    return json_response({"id": record.id, "deleted": True})


async def rotate_secret(request: web.Request) -> web.StreamResponse:
    """POST /v1/webhook-endpoints/{endpointId}/rotate-secret: new secret, old one overlaps."""
    state, org, _ = caller(request)
    record = _endpoint_or_404(state, org, request.match_info["endpointId"])
    state.webhooks.rotate(record)
    expires = record.previous_expires_at or state.clock.now() + ROTATION_OVERLAP
    return json_response(
        {
            "endpointId": record.id,
            "signingSecret": record.secret,
            "previousSecretExpiresAt": state.clock.iso(expires),
            "warning": _WARNING,
        }
    )


async def test_endpoint(request: web.Request) -> web.StreamResponse:
    """POST /v1/webhook-endpoints/{endpointId}/test: a ``test.ping`` goes out now."""
    state, org, _ = caller(request)
    record = _endpoint_or_404(state, org, request.match_info["endpointId"])
    payload: dict[str, Any] | None = None
    if (await request.read()).strip():
        check = Checker(await read_object(request))
        payload = check.mapping("payload")
        check.done()
    delivery = state.webhooks.ping(record, payload)
    return json_response(
        {
            "eventId": delivery.event_id,
            "deliveryId": delivery.id,
            "scheduledAt": state.clock.iso(delivery.created_at),
        }
    )


async def list_deliveries(request: web.Request) -> web.StreamResponse:
    """GET /v1/webhook-endpoints/{endpointId}/deliveries: newest first, payloads omitted."""
    state, org, _ = caller(request)
    record = _endpoint_or_404(state, org, request.match_info["endpointId"])
    status = request.query.get("status")
    if status is not None and status not in _DELIVERY_STATUSES:
        raise query_issue("status", f"Must be one of: {', '.join(_DELIVERY_STATUSES)}.")
    event_type = request.query.get("eventType")
    filters = {"endpoint": record.id, "status": status, "eventType": event_type}
    page, cursor = newest_first(
        request,
        "webhook-deliveries",
        filters,
        (
            d
            for d in state.webhooks.deliveries.values()
            if d.endpoint_id == record.id
            and (status is None or d.status == status)
            and (event_type is None or d.event_type == event_type)
        ),
        default=25,
        maximum=100,
    )
    return json_response({"items": [d.to_json(state) for d in page], "nextCursor": cursor})


async def replay_delivery(request: web.Request) -> web.StreamResponse:
    """POST /v1/webhook-deliveries/{deliveryId}/replay: same event, new id, ``replayOf``."""
    state, org, _ = caller(request)
    original = state.webhooks.deliveries.get(request.match_info["deliveryId"])
    if original is None or state.webhooks.endpoint(org, original.endpoint_id) is None:
        raise not_found("Webhook delivery not found.")
    again = state.webhooks.replay(original)
    return json_response(
        {
            "originalDeliveryId": original.id,
            "replayDeliveryId": again.id,
            "scheduledAt": state.clock.iso(again.created_at),
        }
    )
