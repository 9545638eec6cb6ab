"""Handlers: child organizations, their credits, credit config and keys (org:admin routes).

A top-level organization funds its children from its prepaid balance (allocations), caps
their monthly spend and refills them automatically; archiving sweeps a child's unreserved
balance back. A suspended child answers 503 KILL_SWITCH to its keys and to its parent acting
in it (see ``_middleware``). Child keys: the secret is shown once, a rotation mints a new key
and leaves the old one working for 24 h, a revoke answers 401 from the next call.

Inferred (the docs print none of it): 409 ``CONFLICT`` for any change to an archived child;
402 ``BILLING_EXHAUSTED`` for an allocation the parent's prepaid balance cannot cover and for
a charge over the monthly cap (``details.reason`` ``"monthly_cap"``); a child's balance is all
prepaid; the archive sweep and auto-refill recorded as ``adjustment`` / ``allocation`` ledger
rows on both sides; test child keys stay on their org's tier (the ``sandbox`` tier's numbers
are not printed); ``graceUntil`` and ``supersededBy`` at the top level of a rotation's answer.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._api_account import credit_events_page, included_credits, wallet_json
from ._audit import record
from ._context import caller, context
from ._errors import ApiError, json_response, not_found, validation_error
from ._pagination import decode_cursor, encode_cursor, parse_limit
from ._records import KeyRecord, Org
from ._state import State
from ._validation import Checker, Path, query_issue, read_object

GRACE = 24 * 3600.0
_STATUSES = ("active", "suspended", "archived")


# -- helpers -------------------------------------------------------------------------------


def _child(request: web.Request, *, writable: bool = False) -> tuple[State, Org, Org]:
    """(state, parent, child) for the ``orgId`` in the path; 404 for anything but a direct
    child, 409 for a change to an archived one."""
    state, parent, _ = caller(request)
    child = state.child_org(parent, request.match_info["orgId"])
    if child is None:
        raise not_found("Organization not found.")
    if writable and child.status == "archived":
        raise ApiError(409, "CONFLICT", "This organization is archived.")
    return state, parent, child


def org_json(state: State, org: Org, *, summary: bool = False) -> dict[str, Any]:
    """The Organization object (timestamps with microseconds and ``+00:00``, as printed)."""
    iso = state.clock.iso_micro
    data: dict[str, Any] = {
        "id": org.id,
        "parentOrganizationId": org.parent_id,
        "name": org.name,
        "status": org.status,
        "metadata": org.metadata,
        "billingEmail": org.billing_email,
        "archivedAt": iso(org.archived_at) if org.archived_at is not None else None,
        "createdAt": iso(org.created_at),
        "updatedAt": iso(org.updated_at),
    }
    if summary:
        data["summary"] = {
            "projectCount": len(org.projects),
            "balance": org.credits,
            "available": max(org.credits, 0),
            "creditConfig": _config_json(org),
        }
    return data


def _config_json(org: Org) -> dict[str, Any]:
    return {
        "monthlyCreditCap": org.monthly_credit_cap,
        "refillThreshold": org.refill_threshold,
        "refillAmount": org.refill_amount,
        "autoRefillEnabled": org.refill_threshold is not None and org.refill_amount is not None,
    }


def _metadata(check: Checker, *, nullable: bool) -> dict[str, Any] | None:
    """The Metadata map: string values of at most 500, keys of at most 40, 50 keys."""
    if nullable and check.body.get("metadata", ...) is None:
        return None
    value = check.mapping("metadata")
    if value is None:
        return None
    if len(value) > 50:
        check.fail(("metadata",), "At most 50 keys.")
    for key, item in value.items():
        where: Path = ("metadata", key)
        if len(key) > 40 or not key:
            check.fail(where, "Keys are 1-40 characters.")
        if not isinstance(item, str):
            check.fail(where, "Values are strings (a per-key null is not allowed).")
        elif len(item) > 500:
            check.fail(where, "Values are at most 500 characters.")
    return value


def _move(state: State, source: Org, target: Org, credits: int, event_type: str) -> None:
    """Move ``credits`` from ``source`` to ``target`` with a ledger row on each side."""
    source.credits -= credits
    target.credits += credits
    for org, signed in ((source, -credits), (target, credits)):
        org.credit_events.insert(
            0,
            {
                "eventId": state.ids.uuid(),
                "projectId": None,
                "credits": signed,
                "eventType": event_type,
                "format": None,
                "containerId": None,
                "workflowId": None,
                "balanceAfterPrepaid": org.credits - included_credits(org),
                "usageAfterPeriod": None,
                "createdAt": state.clock.iso(state.clock.now()),
            },
        )


def prepaid(org: Org) -> int:
    """What ``org`` can allocate: its prepaid balance."""
    return max(org.credits - included_credits(org), 0)


def charge(state: State, org: Org, credits: int, *, project_id: str | None = None) -> None:
    """Spend ``credits`` of ``org`` (what a paid operation does), then auto-refill.

    402 BILLING_EXHAUSTED when ``available`` cannot cover it or it would pass the monthly
    cap. After the spend, a child whose available balance is below its refill threshold
    gets the refill amount from its parent's prepaid balance (skipped if the parent can't).
    """
    wall = state.clock.wall(state.clock.now())
    period = (wall.year, wall.month)
    if org.period != period:
        org.period, org.period_used = period, 0
    cap = org.monthly_credit_cap
    if cap is not None and org.period_used + credits > cap:
        raise ApiError(
            402,
            "BILLING_EXHAUSTED",
            f"This organization's monthly credit cap of {cap} is reached.",
            details={"reason": "monthly_cap", "cap": cap, "used": org.period_used},
        )
    if credits > max(org.credits, 0):
        raise ApiError(
            402,
            "BILLING_EXHAUSTED",
            "Available credits cannot cover this charge.",
            details={"available": max(org.credits, 0), "required": credits},
        )
    org.credits -= credits
    org.period_used += credits
    org.credit_events.insert(
        0,
        {
            "eventId": state.ids.uuid(),
            "projectId": project_id,
            "credits": -credits,
            "eventType": "usage",
            "format": None,
            "containerId": None,
            "workflowId": None,
            "balanceAfterPrepaid": org.credits - included_credits(org),
            "usageAfterPeriod": org.period_used,
            "createdAt": state.clock.iso(state.clock.now()),
        },
    )
    refill(state, org)


def refill(state: State, org: Org) -> bool:
    """Auto-refill ``org`` from its parent if it is configured and due; whether it fired."""
    threshold, amount = org.refill_threshold, org.refill_amount
    if org.parent_id is None or threshold is None or amount is None:
        return False
    parent = state.orgs[org.parent_id]
    if max(org.credits, 0) >= threshold or prepaid(parent) < amount:
        return False
    _move(state, parent, org, amount, "allocation")
    record(
        state,
        parent,
        event_type="autoRefill",
        request_id=None,
        api_key_id=None,
        project_id=None,
        data={"targetId": org.id, "credits": amount},
    )
    return True


def child_key_json(state: State, key: KeyRecord) -> dict[str, Any]:
    """The ChildApiKey object (masked: the prefix, never the secret)."""
    iso = state.clock.iso
    revoked = key.killed or key.deleted or key.expired(state.clock.now())
    return {
        "id": key.id,
        "organizationId": key.org_id,
        "name": key.name,
        "prefix": key.prefix,
        "env": key.env,
        "scopes": list(key.scopes),
        "rateLimitTier": key.tier,
        "status": "revoked" if revoked else "active",
        "createdAt": iso(key.created_at),
        "lastUsedAt": iso(key.last_used_at) if key.last_used_at is not None else None,
        "rotatedAt": iso(key.rotated_at) if key.rotated_at is not None else None,
        "revokedAt": iso(key.revoked_at) if key.revoked_at is not None else None,
        "graceUntil": iso(key.grace_until) if key.grace_until is not None else None,
        "supersededBy": key.superseded_by,
    }


def _child_key(state: State, child: Org, key_id: str) -> KeyRecord:
    key = state.find_key(child, key_id)
    if key is None:
        raise not_found("API key not found.")
    return key


# -- organizations -------------------------------------------------------------------------


async def create_organization(request: web.Request) -> web.StreamResponse:
    """POST /v1/organizations (201): a child, active, with an empty wallet."""
    state, parent, _ = caller(request)
    check = Checker(await read_object(request))
    name = check.string("name", required=True, min_len=1, max_len=128)
    metadata = _metadata(check, nullable=False)
    email = check.string("billingEmail")
    check.done()
    assert name is not None
    if parent.parent_id is not None:
        raise validation_error([((), "Only a top-level organization can create children.")])
    child = state.add_org(name=name, tier=parent.tier, credits=0, parent_id=parent.id)
    child.credit_events = []
    child.metadata = metadata if metadata is not None else {}
    child.billing_email = email
    return json_response(org_json(state, child), status=201)


async def list_organizations(request: web.Request) -> web.StreamResponse:
    """GET /v1/organizations: the caller's children, newest first (limit 1-200, default 25)."""
    state, parent, _ = caller(request)
    status = request.query.get("status")
    if status is not None and status not in _STATUSES:
        raise query_issue("status", f"Must be one of: {', '.join(_STATUSES)}.")
    limit = parse_limit(request, default=25, maximum=200)
    filters = {"status": status}
    before = decode_cursor(request, "organizations", filters)
    ordered = list(enumerate(state.orgs.values()))
    matching = [
        (n, org)
        for n, org in reversed(ordered)
        if org.parent_id == parent.id
        and (status is None or org.status == status)
        and (before is None or n < before)
    ]
    page = matching[:limit]
    more = len(matching) > limit
    return json_response(
        {
            "items": [org_json(state, org) for _, org in page],
            "nextCursor": encode_cursor("organizations", filters, page[-1][0]) if more else None,
        }
    )


async def get_organization(request: web.Request) -> web.StreamResponse:
    """GET /v1/organizations/{orgId}: the child with its ``summary``."""
    state, _, child = _child(request)
    return json_response(org_json(state, child, summary=True))


async def patch_organization(request: web.Request) -> web.StreamResponse:
    """PATCH /v1/organizations/{orgId}: metadata merges key by key (``""`` deletes a key,
    null clears all, a per-key null is 422); ``billingEmail: null`` clears it."""
    state, _, child = _child(request, writable=True)
    check = Checker(await read_object(request))
    name = check.string("name", min_len=1, max_len=128)
    metadata = _metadata(check, nullable=True)
    email = check.string("billingEmail", nullable=True)
    check.done()
    if name is not None:
        child.name = name
    if "metadata" in check.body:
        if metadata is None:
            child.metadata = None
        else:
            merged = dict(child.metadata or {})
            for key, value in metadata.items():
                if value == "":
                    merged.pop(key, None)
                else:
                    merged[key] = value
            child.metadata = merged
    if "billingEmail" in check.body:
        child.billing_email = email
    child.updated_at = state.clock.now()
    return json_response(org_json(state, child))


async def archive_organization(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/organizations/{orgId}: revoke the child's keys, sweep its unreserved
    balance back to the parent; a repeat answers the first result."""
    state, parent, child = _child(request)
    if child.archive_result is not None:
        return json_response(child.archive_result)
    now = state.clock.now()
    reclaimed = max(child.credits - child.content.reserved, 0)  # running generations keep theirs
    if reclaimed:
        _move(state, child, parent, reclaimed, "adjustment")
    revoked = 0
    for key in state.keys.values():
        if key.org_id == child.id and not key.expired(now):
            key.revoked = True
            key.revoked_at = now
            revoked += 1
    child.status = "archived"
    child.archived_at = child.updated_at = now
    child.archive_result = {
        "id": child.id,
        "status": "archived",
        "archivedAt": state.clock.iso_micro(now),
        "reclaimedCredits": reclaimed,
        "revokedApiKeys": revoked,
    }
    return json_response(child.archive_result)


async def suspend_organization(request: web.Request) -> web.StreamResponse:
    """POST /v1/organizations/{orgId}/suspend: the child's kill switch (repeat: no change)."""
    return _set_status(request, "suspended")


async def resume_organization(request: web.Request) -> web.StreamResponse:
    """POST /v1/organizations/{orgId}/resume: the child works again (repeat: no change)."""
    return _set_status(request, "active")


def _set_status(request: web.Request, status: str) -> web.StreamResponse:
    state, _, child = _child(request, writable=True)
    if child.status != status:
        child.status = status
        child.updated_at = state.clock.now()
    return json_response(org_json(state, child))


async def migrate_organizations(request: web.Request) -> web.StreamResponse:
    """POST /v1/organizations/migrate (201): projects into new children, all or nothing."""
    state, parent, _ = caller(request)
    check = Checker(await read_object(request))
    mapping = check.mapping("mapping")
    if "mapping" not in check.body:
        check.fail(("mapping",), "Required.")
    projects = []
    for project_id, name in (mapping or {}).items():
        project = state.find_project(parent, project_id)
        if project is None:
            check.fail(("mapping", project_id), "No such project in this organization.")
        if not isinstance(name, str) or not 1 <= len(name) <= 128:
            check.fail(("mapping", project_id), "Child names are 1-128 characters.")
        if project is not None and isinstance(name, str):
            projects.append((project, name))
    if mapping == {}:
        check.fail(("mapping",), "Map at least one project.")
    check.done()
    if parent.parent_id is not None:
        raise validation_error([((), "Only a top-level organization can migrate projects.")])
    state.settle(parent)
    moving = {project.id for project, _ in projects}
    if any(job.project_id in moving and not job.settled for job in state.jobs.values()):
        raise ApiError(409, "CONFLICT", "A mapped project has a job in flight.")
    children: dict[str, Org] = {}
    moved: dict[str, list[str]] = {}
    for project, name in projects:
        if name not in children:
            child = state.add_org(name=name, tier=parent.tier, credits=0, parent_id=parent.id)
            child.credit_events = []
            child.metadata = {}
            children[name] = child
        child = children[name]
        del parent.projects[project.id]
        if parent.default_project_id == project.id:
            parent.default_project_id = None
        child.project_seq += 1
        project.seq = child.project_seq
        project.organization_id = child.id
        child.projects[project.id] = project
        moved.setdefault(name, []).append(project.id)
    return json_response(
        {
            "projectsMoved": len(projects),
            "childrenCreated": len(children),
            "children": [
                {"id": child.id, "name": name, "projectIds": moved[name]}
                for name, child in children.items()
            ],
        },
        status=201,
    )


# -- credits and credit config -------------------------------------------------------------


async def get_child_credits(request: web.Request) -> web.StreamResponse:
    """GET /v1/organizations/{orgId}/credits: the child's wallet."""
    state, _, child = _child(request)
    state.settle(child)
    return json_response(wallet_json(state, child))


async def list_child_credit_events(request: web.Request) -> web.StreamResponse:
    """GET /v1/organizations/{orgId}/credits/events: the child's ledger (25/100)."""
    _, _, child = _child(request)
    return credit_events_page(request, child)


async def allocate_child_credits(request: web.Request) -> web.StreamResponse:
    """POST /v1/organizations/{orgId}/credits/allocate: 400 IDEMPOTENCY_REQUIRED without a
    key; moves credits from the parent's prepaid balance (402 when it can't cover them)."""
    if request.headers.get("Idempotency-Key") is None:
        raise ApiError(
            400, "IDEMPOTENCY_REQUIRED", "This route requires an Idempotency-Key header."
        )
    state, parent, child = _child(request, writable=True)
    check = Checker(await read_object(request))
    credits = check.integer("credits", low=1, high=10**9)
    if "credits" not in check.body:
        check.fail(("credits",), "Required.")
    description = check.string("description", max_len=500)
    metadata = _metadata(check, nullable=False)
    check.done()
    assert credits is not None
    if credits > prepaid(parent):
        raise ApiError(
            402,
            "BILLING_EXHAUSTED",
            "The parent's prepaid balance cannot cover this allocation.",
            details={"prepaidBalance": prepaid(parent), "required": credits},
        )
    _move(state, parent, child, credits, "allocation")
    return json_response(
        {
            "id": state.ids.id("txn"),
            "created": state.clock.iso(state.clock.now()),
            "allocated": credits,
            "description": description,
            "metadata": metadata,
            "balance": child.credits,
            "available": max(child.credits, 0),
            "replayed": False,
        }
    )


async def get_child_credit_config(request: web.Request) -> web.StreamResponse:
    """GET /v1/organizations/{orgId}/credit-config."""
    _, _, child = _child(request)
    return json_response(_config_response(child))


def _config_response(child: Org) -> dict[str, Any]:
    return {
        "organizationId": child.id,
        "config": _config_json(child),
        "balance": child.credits,
        "available": max(child.credits, 0),
    }


async def patch_child_credit_config(request: web.Request) -> web.StreamResponse:
    """PATCH /v1/organizations/{orgId}/credit-config: a number sets, null clears, omitted
    leaves; threshold and amount must end up both set or both null (422)."""
    state, _, child = _child(request, writable=True)
    check = Checker(await read_object(request))
    values: dict[str, int | None] = {}
    for name, low in (("monthlyCreditCap", 0), ("refillThreshold", 0), ("refillAmount", 1)):
        if name in check.body and check.body[name] is None:
            values[name] = None
        elif name in check.body:
            values[name] = check.integer(name, low=low, high=10**9)
    check.done()
    cap = values.get("monthlyCreditCap", child.monthly_credit_cap)
    threshold = values.get("refillThreshold", child.refill_threshold)
    amount = values.get("refillAmount", child.refill_amount)
    if (threshold is None) != (amount is None):
        raise validation_error(
            [(("refillThreshold",), "refillThreshold and refillAmount go together.")]
        )
    child.monthly_credit_cap, child.refill_threshold, child.refill_amount = cap, threshold, amount
    child.updated_at = state.clock.now()
    return json_response(_config_response(child))


# -- child keys ------------------------------------------------------------------------------


async def mint_child_api_key(request: web.Request) -> web.StreamResponse:
    """POST /v1/organizations/{orgId}/api-keys (201): the secret, shown this once."""
    state, _, child = _child(request, writable=True)
    key = context(request).key
    assert key is not None
    check = Checker(await read_object(request))
    name = check.string("name", required=True, min_len=1, max_len=120)
    env = check.choice("env", ("live", "test")) or "live"
    scopes = check.body.get("scopes")
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
        check.fail(("scopes",), "Required: an array of scope strings.")
        scopes = []
    elif not 1 <= len(scopes) <= 64:
        check.fail(("scopes",), "Between 1 and 64 scopes.")
    check.done()
    assert name is not None
    if "org:admin" in scopes or "*" in scopes:
        raise ApiError(403, "FORBIDDEN_SCOPE", "A child key cannot carry org:admin.")
    missing = [scope for scope in scopes if not key.grants(scope)]
    if missing:
        raise ApiError(
            403,
            "FORBIDDEN_SCOPE",
            "A child key's scopes must be a subset of the caller's.",
            details={"scopes": missing},
        )
    minted = state.add_key(child, env=env, scopes=tuple(scopes), tier=child.tier, name=name)
    return json_response(
        {"apiKey": child_key_json(state, minted), "secret": minted.full_key}, status=201
    )


async def list_child_api_keys(request: web.Request) -> web.StreamResponse:
    """GET /v1/organizations/{orgId}/api-keys: masked, newest first (limit 1-100, default 25)."""
    state, _, child = _child(request)
    limit = parse_limit(request, default=25, maximum=100)
    before = decode_cursor(request, "child-api-keys", {"orgId": child.id})
    ordered = [
        (n, key)
        for n, key in reversed(list(enumerate(state.keys.values())))
        if key.org_id == child.id and (before is None or n < before)
    ]
    page = ordered[:limit]
    more = len(ordered) > limit
    return json_response(
        {
            "items": [child_key_json(state, key) for _, key in page],
            "nextCursor": (
                encode_cursor("child-api-keys", {"orgId": child.id}, page[-1][0]) if more else None
            ),
        }
    )


async def rotate_child_api_key(request: web.Request) -> web.StreamResponse:
    """POST /v1/organizations/{orgId}/api-keys/{keyId}/rotate: a new key (new id, secret
    shown once); the old secret works for 24 h more. A superseded or revoked key: 409."""
    state, _, child = _child(request, writable=True)
    old = _child_key(state, child, request.match_info["keyId"])
    now = state.clock.now()
    if old.superseded_by is not None or old.expired(now):
        raise ApiError(409, "CONFLICT", "This key was already rotated or revoked.")
    new = state.add_key(child, env=old.env, scopes=old.scopes, tier=old.tier, name=old.name)
    new.created_at = now  # one instant: the grace is exactly 24 h from the new key's birth
    old.rotated_at = now
    old.grace_until = now + GRACE
    old.superseded_by = new.id
    return json_response(
        {
            "apiKey": child_key_json(state, new),
            "secret": new.full_key,
            "graceUntil": state.clock.iso(old.grace_until),
            "supersededBy": new.id,
        }
    )


async def revoke_child_api_key(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/organizations/{orgId}/api-keys/{keyId}: at once (next call 401); a repeat
    answers the same terminal shape."""
    state, _, child = _child(request)
    key = _child_key(state, child, request.match_info["keyId"])
    if not key.revoked:
        key.revoked = True
        key.revoked_at = state.clock.now()
    return json_response({"apiKey": child_key_json(state, key), "deleted": True})
