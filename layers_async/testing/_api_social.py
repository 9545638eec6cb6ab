"""Handlers: social OAuth hand-offs, connected accounts, leased accounts, and metrics.

An OAuth state stays ``pending`` until a test hook completes or fails it, or until 120 API
seconds pass (it then completes by itself; inferred) or it expires (10 min, inferred: then
``failed``). Lease requests stay ``requested`` until a test hook assigns or rejects them.

Connected accounts (OAuth, leases, or ``FakeLayers.connect_social_account``) are one set:
each is listed and revoked here and is a publishing target of the content routes until it is
revoked.

Webhook events: ``social_account.connected`` when a hand-off completes (the self-completion
fires at its time on the fake's clock), ``social_account.revoked`` on a revoke,
``lease_request.assigned`` / ``rejected`` from the hooks (see ``_events.py``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ._api_projects import project_or_404
from ._content import SocialAccount
from ._context import caller
from ._errors import ApiError, json_response, not_found, validation_error
from ._events import account_event, lease_event
from ._pagination import decode_cursor, encode_cursor, parse_limit
from ._rest_state import (
    OAUTH_AUTO_COMPLETE,
    OAUTH_TTL,
    LeaseRecord,
    OAuthRecord,
    SocialAccountRecord,
)
from ._state import State
from ._validation import Checker, read_object

PLATFORMS = ("tiktok", "instagram")
_ACCOUNT_STATUSES = ("connected", "reauth_required", "disconnected")
_ACCOUNT_ID = re.compile(
    r"^(sa_)?[0-9A-Za-z]{26}$|^(sa_)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_MONTHLY_CENTS = 15000
_METRICS = ("views", "engagement_rate", "conversions", "roas", "watch_time_ms")
_WINDOWS = ("7d", "30d", "90d")
_SOURCE_TYPES = ("content_container", "platform_post", "manual")
_METRIC_PLATFORMS = ("instagram", "tiktok", "youtube", "meta_ads", "tiktok_ads", "apple_ads")
_SCOPES = ("platform_post", "social_account", "project", "project_layer", "organization")
_GRANULARITIES = ("hour", "day", "week")


def publish_to(state: State, account: SocialAccountRecord) -> None:
    """Make ``account`` a publishing target of its project's organization."""
    for org in state.orgs.values():
        if account.project_id in org.projects:
            org.content.accounts[account.id] = SocialAccount(
                id=account.id, project_id=account.project_id, platform=account.platform,
                display_name=f"@{account.handle}", connected_at=account.connected_at)


# -- OAuth ------------------------------------------------------------------------------------


def settle_oauth(state: State, record: OAuthRecord) -> None:
    """Move a pending hand-off on by the fake's clock."""
    if record.status != "pending":
        return
    now = state.clock.now()
    if now >= record.expires_at:
        record.status, record.ended_at, record.error = "failed", record.expires_at, "expired"
    elif now >= record.created_at + OAUTH_AUTO_COMPLETE:
        complete_oauth(state, record, None)


def complete_oauth(state: State, record: OAuthRecord, handle: str | None) -> str:
    """Connect an account for ``record`` and return its id."""
    account = SocialAccountRecord(id=state.ids.id("sa"), project_id=record.project_id,
                                  platform=record.platform, handle=handle or "acmecoffee",
                                  connected_at=state.clock.now())
    state.rest.accounts[account.id] = account
    publish_to(state, account)
    record.status, record.ended_at, record.social_account_id = ("completed", state.clock.now(),
                                                                account.id)
    _account_event(state, "social_account.connected", account)
    return account.id


def _account_event(state: State, event_type: str, account: SocialAccountRecord) -> None:
    account_event(state, event_type, project_id=account.project_id, account_id=account.id,
                  platform=account.platform, display_name=f"@{account.handle}",
                  connected_at=account.connected_at)


async def create_oauth_url(request: web.Request) -> web.StreamResponse:
    """POST …/social/oauth-url: ``returnUrl`` https on the key's allowlist (else 403
    RETURN_URL_NOT_ALLOWED)."""
    state, org, key = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    check = Checker(await read_object(request))
    platform = check.choice("platform", PLATFORMS)
    if "platform" not in check.body:
        check.fail(("platform",), "Required.")
    return_url = check.string("returnUrl", required=True)
    scopes = check.body.get("scopes")
    if scopes is not None and (not isinstance(scopes, list)
                               or not all(isinstance(s, str) for s in scopes)):
        check.fail(("scopes",), "Expected an array of strings.")
    check.string("usageNote", max_len=500)
    parts = urlsplit(return_url or "")
    if return_url is not None and (parts.scheme != "https" or not parts.hostname):
        check.fail(("returnUrl",), "Must be an https URL.")
    check.done()
    assert platform is not None
    assert parts.hostname is not None
    if not key.allows_return_host(parts.hostname, parts.port):
        raise ApiError(403, "RETURN_URL_NOT_ALLOWED",
                       "The returnUrl host is not on this API key's allowlist.",
                       details={"host": parts.hostname})
    now = state.clock.now()
    record = OAuthRecord(state=f"st_{state.ids.ulid(state.clock.epoch_ms(now))}",
                         project_id=project.id, platform=platform, created_at=now,
                         expires_at=now + OAUTH_TTL)
    state.rest.oauth[record.state] = record
    # The self-completion happens on the fake's clock, event included, read or not.
    state.webhooks.at(now + OAUTH_AUTO_COMPLETE, lambda: settle_oauth(state, record))
    host = "www.tiktok.com/auth/authorize" if platform == "tiktok" else \
        "www.instagram.com/oauth/authorize"
    return json_response({"authorizeUrl": f"https://{host}?state={record.state}",
                          "state": record.state,
                          "expiresAt": state.clock.iso(record.expires_at)})


async def get_oauth_status(request: web.Request) -> web.StreamResponse:
    """GET /v1/social/oauth-status/{state} (case-sensitive)."""
    state, org, _ = caller(request)
    record = state.rest.oauth.get(request.match_info["state"])
    if record is None or record.project_id not in org.projects:
        raise not_found("OAuth state not found.")
    settle_oauth(state, record)
    body: dict[str, Any] = {"state": record.state, "status": record.status,
                            "expiresAt": state.clock.iso(record.expires_at)}
    if record.social_account_id is not None:
        body["socialAccountId"] = record.social_account_id
    if record.status == "failed":
        body["error"] = {"message": record.error or "The user declined."}
    return json_response(body)


def _account_json(state: State, account: SocialAccountRecord) -> dict[str, Any]:
    return {
        "socialAccountId": account.id,
        "platform": account.platform,
        "handle": account.handle,
        "avatarUrl": f"https://media.layers.com/{account.platform}/{account.handle}/avatar.jpg",
        "status": account.status,
        "leased": account.leased,
        "connectedAt": state.clock.iso(account.connected_at),
        "tokenExpiresAt": state.clock.iso(account.connected_at + 30 * 86400),
    }


async def list_social_accounts(request: web.Request) -> web.StreamResponse:
    """GET …/social-accounts: connected and leased, filters ``platform``/``status``/``leased``
    (the cursor and limit are inferred: the docs show no paging fields here)."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    for record in state.rest.oauth.values():
        settle_oauth(state, record)
    platform = request.query.get("platform")
    status = request.query.get("status")
    leased = request.query.get("leased")
    issues = []
    if platform is not None and platform not in PLATFORMS:
        issues.append((("platform",), "Must be tiktok or instagram."))
    if status is not None and status not in _ACCOUNT_STATUSES:
        issues.append((("status",), f"Must be one of: {', '.join(_ACCOUNT_STATUSES)}."))
    if leased is not None and leased not in ("true", "false"):
        issues.append((("leased",), "Must be true or false."))
    if issues:
        raise validation_error(issues)
    limit = parse_limit(request, default=50, maximum=100)
    filters = {"platform": platform, "status": status, "leased": leased, "p": project.id}
    start = decode_cursor(request, "social-accounts", filters) or 0
    rows = [a for a in state.rest.accounts.values() if a.project_id == project.id
            and (platform is None or a.platform == platform)
            and (status is None or a.status == status)
            and (leased is None or a.leased == (leased == "true"))][start:]
    page = rows[:limit]
    cursor = encode_cursor("social-accounts", filters, start + limit) if len(rows) > limit \
        else None
    return json_response({"items": [_account_json(state, a) for a in page],
                          "nextCursor": cursor})


async def revoke_social_account(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/social-accounts/{id}: a malformed id answers 400 VALIDATION (README 12.3)."""
    state, org, _ = caller(request)
    ident = request.match_info["socialAccountId"]
    if not _ACCOUNT_ID.match(ident):
        raise validation_error([(("socialAccountId",), "Malformed id.")], status=400)
    account = state.rest.accounts.get(ident) or state.rest.accounts.get(f"sa_{ident}")
    if account is None or account.project_id not in org.projects:
        raise not_found("Social account not found.")
    if account.disconnected_at is None:
        account.status, account.disconnected_at = "disconnected", state.clock.now()
        _account_event(state, "social_account.revoked", account)
    org.content.accounts.pop(account.id, None)  # no longer a publishing target
    return json_response({"socialAccountId": account.id, "status": "disconnected",
                          "disconnectedReason": "revoked_by_partner",
                          "canceledScheduledPosts": 0,
                          "disconnectedAt": state.clock.iso(account.disconnected_at)})


# -- leased accounts --------------------------------------------------------------------------


def lease_json(state: State, lease: LeaseRecord) -> dict[str, Any]:
    """The LeaseRequest object."""
    return {
        "requestId": lease.id,
        "projectId": lease.project_id,
        "status": lease.status,
        "submittedAt": state.clock.iso(lease.submitted_at),
        "assignedAt": state.clock.iso(lease.assigned_at) if lease.assigned_at else None,
        "assignedSocialAccountIds": list(lease.account_ids),
        "note": lease.note,
    }


def assign_lease(state: State, lease: LeaseRecord, count: int | None, note: str | None) -> None:
    """Assign ``count`` (default: all requested) warmed accounts; fewer makes it ``partial``."""
    wanted = lease.count if count is None else count
    for index in range(wanted):
        account = SocialAccountRecord(id=state.ids.id("sa"), project_id=lease.project_id,
                                      platform="tiktok", handle=f"leased.{lease.id[-6:]}.{index}",
                                      connected_at=state.clock.now(), leased=True,
                                      followers=12840 + index)
        state.rest.accounts[account.id] = account
        publish_to(state, account)
        lease.account_ids.append(account.id)
    lease.status = "assigned" if wanted >= lease.count else "partial"
    lease.assigned_at, lease.note = state.clock.now(), note
    lease_event(state, lease, lease_json(state, lease))


def reject_lease(state: State, lease: LeaseRecord, note: str) -> None:
    """Reject a lease request (``lease_request.rejected``)."""
    lease.status, lease.note = "rejected", note
    lease_event(state, lease, lease_json(state, lease))


async def request_leased_accounts(request: web.Request) -> web.StreamResponse:
    """POST …/leased-accounts/request (202, a LeaseRequest): ``projectId`` must equal the
    path's; ``count`` 1-50; ``niche.vertical`` required."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    check = Checker(await read_object(request))
    body_project = check.string("projectId", required=True)
    if body_project is not None and state.find_project(org, body_project) is not project:
        check.fail(("projectId",), "Must equal the path projectId.")
    count = check.integer("count", low=1, high=50)
    if "count" not in check.body:
        check.fail(("count",), "Required.")
    niche = check.mapping("niche")
    if "niche" not in check.body:
        check.fail(("niche",), "Required.")
    elif niche is not None and not isinstance(niche.get("vertical"), str):
        check.fail(("niche", "vertical"), "Required.")
    check.string("target")
    note = check.string("note", max_len=2000)
    chosen = check.string("requestId", min_len=1)
    check.done()
    assert count is not None
    assert niche is not None
    now = state.clock.now()
    lease = LeaseRecord(id=chosen or f"lreq_{state.ids.ulid(state.clock.epoch_ms(now))}",
                        project_id=project.id, count=count, niche=niche,
                        submitted_at=state.clock.now(), note=note)
    state.rest.leases[lease.id] = lease
    return json_response(lease_json(state, lease), status=202)


async def get_lease_request(request: web.Request) -> web.StreamResponse:
    """GET …/leased-accounts/requests/{requestId}."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    lease = state.rest.leases.get(request.match_info["requestId"])
    if lease is None or lease.project_id != project.id:
        raise not_found("Lease request not found.")
    return json_response(lease_json(state, lease))


async def list_leased_accounts(request: web.Request) -> web.StreamResponse:
    """GET …/leased-accounts: every leased account of the project (``status`` filter)."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    status = request.query.get("status")
    if status is not None and status not in ("assigned", "disconnected"):
        raise validation_error([(("status",), "Must be assigned or disconnected.")])
    items = []
    for account in state.rest.accounts.values():
        if not account.leased or account.project_id != project.id:
            continue
        shown = "assigned" if account.status == "connected" else "disconnected"
        if status is not None and shown != status:
            continue
        items.append({
            "socialAccountId": account.id,
            "projectId": account.project_id,
            "handle": account.handle,
            "platform": account.platform,
            "followers": account.followers,
            "status": shown,
            "assignedAt": state.clock.iso(account.connected_at),
            "nextRenewalAt": state.clock.iso(account.connected_at + 30 * 86400),
            "monthlyPriceCents": _MONTHLY_CENTS,
        })
    return json_response({"items": items})


# -- metrics ----------------------------------------------------------------------------------


def _enum_list(request: web.Request, name: str, allowed: tuple[str, ...],
               issues: list[tuple[tuple[str | int, ...], str]]) -> list[str]:
    values = request.query.getall(name, [])
    for index, value in enumerate(values):
        if value not in allowed:
            issues.append(((name, index), f"Must be one of: {', '.join(allowed)}."))
    return values


async def list_top_performers(request: web.Request) -> web.StreamResponse:
    """GET …/top-performers: ``metric`` required; repeated ``sourceType`` / ``platform``."""
    state, org, _ = caller(request)
    project = project_or_404(state, org, request.match_info["projectId"])
    issues: list[tuple[tuple[str | int, ...], str]] = []
    metric = request.query.get("metric")
    if metric not in _METRICS:
        issues.append((("metric",), f"Required, one of: {', '.join(_METRICS)}."))
    window = request.query.get("window")
    if window is not None and window not in _WINDOWS:
        issues.append((("window",), "Must be 7d, 30d or 90d."))
    sources = _enum_list(request, "sourceType", _SOURCE_TYPES, issues)
    _enum_list(request, "platform", _METRIC_PLATFORMS, issues)
    if request.query.get("includeIneligible") not in (None, "true", "false"):
        issues.append((("includeIneligible",), "Must be true or false."))
    if issues:
        raise validation_error(issues)
    limit = parse_limit(request, default=10, maximum=100)
    kinds = sources or list(_SOURCE_TYPES[:2])
    items = [{"rank": n + 1, "metricValue": round(1000.0 / (n + 1), 2),
              "sourceType": kinds[n % len(kinds)],
              "sourceId": f"cnt_{project.id[-12:]}{n:02d}"} for n in range(min(limit, 5))]
    return json_response({"items": items})


def _instant(request: web.Request, name: str,
             issues: list[tuple[tuple[str | int, ...], str]]) -> None:
    raw = request.query.get(name)
    if raw is None:
        return
    try:
        datetime.fromisoformat(raw)
    except ValueError:
        issues.append(((name,), "Must be an ISO 8601 UTC instant."))
    else:
        if not raw.endswith("Z"):
            issues.append(((name,), "Must be UTC with a Z suffix."))


async def get_metrics(request: web.Request) -> web.StreamResponse:
    """GET …/metrics: ``scope`` and ``id`` required, repeated ``metrics``; the series and
    totals shapes are inferred (the docs print neither)."""
    state, org, _ = caller(request)
    project_or_404(state, org, request.match_info["projectId"])
    issues: list[tuple[tuple[str | int, ...], str]] = []
    if request.query.get("scope") not in _SCOPES:
        issues.append((("scope",), f"Required, one of: {', '.join(_SCOPES)}."))
    if not request.query.get("id"):
        issues.append((("id",), "Required."))
    granularity = request.query.get("granularity", "day")
    if granularity not in _GRANULARITIES:
        issues.append((("granularity",), "Must be hour, day or week."))
    _instant(request, "since", issues)
    _instant(request, "until", issues)
    if issues:
        raise validation_error(issues)
    names = request.query.getall("metrics", []) or ["views", "likes"]
    now = state.clock.now()
    step = {"hour": 3600, "day": 86400, "week": 7 * 86400}[granularity]
    series = [{"bucketStart": state.clock.iso(now - (3 - n) * step),
               "values": dict.fromkeys(names, 100 * (n + 1))} for n in range(3)]
    return json_response({"series": series, "totals": dict.fromkeys(names, 600)})
