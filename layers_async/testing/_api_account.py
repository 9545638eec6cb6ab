"""Handlers: whoami, credits, credit events, API-key kill / delete / rotate."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ._context import caller
from ._errors import ApiError, json_response, not_found
from ._pagination import decode_cursor, encode_cursor, parse_limit
from ._records import KeyRecord, Org
from ._state import State
from ._validation import query_issue

_EVENT_TYPES = ("usage", "refund", "grant", "purchase", "adjustment", "allocation")
_UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
_ROTATE_WARNING = (
    "Store this secret now. It cannot be retrieved again. Rotate the key if it's lost."
)


async def whoami(request: web.Request) -> web.StreamResponse:
    """GET /v1/whoami: the newest fields plus the older docs' ``killSwitch``/``apiAccessRevoked``.

    Both booleans are false on every 200 (a killed key or revoked org gets 503 instead), as
    the quickstart prints them. The organization is the one the request acts as (a child under
    X-Layers-Organization); the key fields (scopes, tier, id) stay the calling key's.
    """
    _, org, key = caller(request)
    return json_response(
        {
            "organizationId": org.id,
            "workspaceId": org.id,
            "organizationName": org.name,
            "parentOrganizationId": org.parent_id,
            "scopes": list(key.scopes),
            "rateLimitTier": key.tier,
            "killSwitch": key.killed or key.deleted,
            "apiAccessRevoked": org.api_access_revoked,
            "apiKeyId": key.id,
            "creditBalance": org.credits,
        }
    )


async def get_credits(request: web.Request) -> web.StreamResponse:
    """GET /v1/credits: the wallet; running generations hold ``reservedCredits``."""
    state, org, _ = caller(request)
    state.settle(org)
    return json_response(wallet_json(state, org))


def included_credits(org: Org) -> int:
    """The subscription-included part of ``org``'s balance; the rest is prepaid.

    A child organization has no subscription of its own (inferred): its balance is all
    prepaid, moved in by its parent's allocations.
    """
    return 0 if org.parent_id is not None else min(600, max(org.credits, 0))


def wallet_json(state: State, org: Org) -> dict[str, Any]:
    """The CreditWallet object of ``org`` (running generations hold ``reservedCredits``)."""
    reserved = org.content.reserved
    now = state.clock.wall(state.clock.now())
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
    included = included_credits(org)
    return {
        "organizationId": org.id,
        "balance": org.credits,
        "available": max(org.credits - reserved, 0),
        "includedRemaining": included,
        "prepaidBalance": org.credits - included,
        "reservedCredits": reserved,
        "includedThisPeriod": 1000,
        "usedThisPeriod": 400,
        "currentPeriod": {
            "start": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "end": end.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "usedCredits": 400,
        },
        "subscriptionTier": "pro",
        "billingStatus": "active",
        "estimatedCreditsPerFormat": {
            "slideshow_builder": 50,
            "slideshow_remix": 50,
            "video_remix": 120,
            "ugc_remix": 120,
            "auto": 120,
        },
        "ingestCostsBilled": {"github": False, "website": False, "appstore": False},
    }


def _instant(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if not _UTC_Z.match(raw):
        raise query_issue(name, "Must be a UTC timestamp ending in 'Z'.")
    return datetime.fromisoformat(raw)


async def list_credit_events(request: web.Request) -> web.StreamResponse:
    """GET /v1/credits/events: newest first, cursor paginated (limit 1-100, default 25)."""
    _, org, _ = caller(request)
    return credit_events_page(request, org)


def credit_events_page(request: web.Request, org: Org) -> web.StreamResponse:
    """One page of ``org``'s ledger under the request's filters."""
    event_type = request.query.get("eventType")
    if event_type is not None and event_type not in _EVENT_TYPES:
        raise query_issue("eventType", f"Must be one of: {', '.join(_EVENT_TYPES)}.")
    project_id = request.query.get("projectId")
    since, until = _instant(request, "since"), _instant(request, "until")
    limit = parse_limit(request, default=25, maximum=100)
    filters = {
        "eventType": event_type,
        "projectId": project_id,
        "since": request.query.get("since"),
        "until": request.query.get("until"),
    }
    start = decode_cursor(request, "credits.events", filters) or 0

    def keep(event: dict[str, Any]) -> bool:
        created = datetime.fromisoformat(event["createdAt"])
        return (
            (event_type is None or event["eventType"] == event_type)
            and (project_id is None or event["projectId"] == project_id)
            and (since is None or created >= since)
            and (until is None or created <= until)
        )

    matching = [event for event in org.credit_events if keep(event)]
    page = matching[start : start + limit]
    more = start + limit < len(matching)
    return json_response(
        {
            "items": page,
            "nextCursor": encode_cursor("credits.events", filters, start + limit) if more else None,
        }
    )


def api_key_json(state: State, key: KeyRecord) -> dict[str, Any]:
    """The ApiKey object (never the secret)."""
    return {
        "id": key.id,
        "organizationId": key.org_id,
        "name": key.name,
        "prefix": key.prefix,
        "killSwitch": key.killed,
        "isActive": not (key.killed or key.deleted),
        "rotatedAt": state.clock.iso(key.rotated_at) if key.rotated_at is not None else None,
        "revokedAt": state.clock.iso(key.revoked_at) if key.revoked_at is not None else None,
    }


def _target(request: web.Request) -> tuple[State, KeyRecord]:
    state, org, _ = caller(request)
    key = state.find_key(org, request.match_info["keyId"])
    if key is None:
        raise not_found("API key not found.")
    return state, key


async def kill_api_key(request: web.Request) -> web.StreamResponse:
    """POST /v1/api-keys/{keyId}/kill: the key gets 503 KILL_SWITCH from now on."""
    return _retire(request, "killed")


async def delete_api_key(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/api-keys/{keyId}: retire the key (it then gets 503 KILL_SWITCH)."""
    return _retire(request, "deleted")


def _retire(request: web.Request, flag: str) -> web.StreamResponse:
    """Set ``flag`` (killed or deleted) on the target key; a repeat changes nothing."""
    state, key = _target(request)
    if not getattr(key, flag):
        setattr(key, flag, True)
        if key.revoked_at is None:
            key.revoked_at = state.clock.now()
    return json_response({"apiKey": api_key_json(state, key), flag: True})


async def rotate_api_key(request: web.Request) -> web.StreamResponse:
    """POST /v1/api-keys/{keyId}/rotate: new secret now, the old one answers 401."""
    state, key = _target(request)
    if key.killed or key.deleted:
        raise ApiError(409, "CONFLICT", "A killed or deleted key cannot be rotated.")
    state.rotate_key(key)
    return json_response(
        {"apiKey": api_key_json(state, key), "secret": key.full_key, "warning": _ROTATE_WARNING}
    )
