"""The audit trail: every executed mutation, recorded in the acting organization's log.

Inferred (the docs print the AuditEvent schema but no example and no event names):
``eventType`` is the operation's openapi ``operationId`` (``createOrganization``), ``actor`` is
``"api_key"``, ``eventId`` a bare UUID, and ``data`` holds ``method``, ``path``, ``status`` and
``targetId`` (the id in the path, else the id of what the call created). A replayed
Idempotency-Key executes nothing, so it records nothing; nor do refused calls (4xx/5xx).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from ._context import STATE, Handler, context
from ._errors import json_response
from ._idempotency import MUTATING
from ._pagination import decode_cursor, encode_cursor, parse_limit
from ._records import Org
from ._state import State
from ._validation import query_issue

#: Path placeholders that name a project.
_PROJECT_PARAMS = ("id", "projectId")


@web.middleware
async def audit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record a successful mutation (innermost: replays never get here)."""
    response = await handler(request)
    ctx = context(request)
    if (
        request.method in MUTATING
        and ctx.route is not None
        and ctx.key is not None
        and response.status < 400
    ):
        state = request.app[STATE]
        org = state.orgs[ctx.org_id if ctx.org_id is not None else ctx.key.org_id]
        body = _json(response)
        params = dict(request.match_info)
        record(
            state,
            org,
            event_type=ctx.route.operation_id,
            request_id=ctx.request_id,
            api_key_id=ctx.key.id,
            project_id=_project_id(state, ctx.route.path, params, body),
            data={
                "method": request.method,
                "path": request.path,
                "status": response.status,
                "targetId": next(reversed(params.values()), None)
                or body.get("id")
                or body.get("jobId"),
            },
        )
    return response


def record(
    state: State,
    org: Org,
    *,
    event_type: str,
    request_id: str | None,
    api_key_id: str | None,
    project_id: str | None,
    data: dict[str, Any],
) -> None:
    """Append one event to ``org``'s audit log."""
    state.audit_seq += 1
    event = {
        "eventId": state.ids.uuid(),
        "eventType": event_type,
        "occurredAt": state.clock.iso(state.clock.now()),
        "requestId": request_id,
        "organizationId": org.id,
        "projectId": project_id,
        "apiKeyId": api_key_id,
        "actor": "api_key",
        "data": data,
    }
    org.audit.append((state.audit_seq, event))


def _json(response: web.StreamResponse) -> dict[str, Any]:
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
        return {}
    try:
        data = json.loads(response.body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _project_id(
    state: State, template: str, params: dict[str, str], body: dict[str, Any]
) -> str | None:
    if template.startswith("/v1/projects"):
        for name in _PROJECT_PARAMS:
            if name in params:
                return state.ids.canonical("prj", params[name])
        if template == "/v1/projects" and isinstance(body.get("id"), str):
            return str(body["id"])
    found = body.get("projectId")
    return found if isinstance(found, str) else None


def _instant(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise query_issue(name, "Must be an ISO 8601 timestamp with a timezone (UTC 'Z').")
    return value


async def list_audit_log(request: web.Request) -> web.StreamResponse:
    """GET /v1/audit-log: newest first, 50 a page by default, 200 at most; filters by
    ``eventType``, ``projectId``, ``apiKeyId``, ``since`` and ``until`` (inclusive)."""
    state = request.app[STATE]
    ctx = context(request)
    assert ctx.key is not None  # the auth middleware ran
    org = state.orgs[ctx.org_id if ctx.org_id is not None else ctx.key.org_id]
    filters = {
        name: request.query.get(name)
        for name in ("eventType", "projectId", "apiKeyId", "since", "until")
    }
    since, until = _instant(request, "since"), _instant(request, "until")
    limit = parse_limit(request, default=50, maximum=200)
    before = decode_cursor(request, "audit-log", filters)
    project = filters["projectId"]
    if project is not None:
        project = state.ids.canonical("prj", project)
    key = filters["apiKeyId"]
    if key is not None:
        key = state.ids.canonical("key", key)

    def keep(seq: int, event: dict[str, Any]) -> bool:
        at = datetime.fromisoformat(event["occurredAt"])
        return (
            (before is None or seq < before)
            and (filters["eventType"] is None or event["eventType"] == filters["eventType"])
            and (project is None or event["projectId"] == project)
            and (key is None or event["apiKeyId"] == key)
            and (since is None or at >= since)
            and (until is None or at <= until)
        )

    matching = [(seq, event) for seq, event in reversed(org.audit) if keep(seq, event)]
    page = matching[:limit]
    more = len(matching) > limit
    return json_response(
        {
            "items": [event for _, event in page],
            "nextCursor": encode_cursor("audit-log", filters, page[-1][0]) if more else None,
        }
    )
