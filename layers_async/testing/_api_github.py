"""Handlers: GitHub App install URL, installation registration, repositories."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from aiohttp import web

from ._context import caller
from ._errors import ApiError, json_response, not_found
from ._pagination import decode_cursor, encode_cursor, parse_limit
from ._records import Installation, Org
from ._validation import Checker, query_issue, read_object

INSTALLATION_MISSING = "No GitHub App installation is registered for this organization."
GITHUB_LOGIN = "acme"  # the account the fake installation belongs to (owner of seeded repos)
_INSTALL_URL_TTL = 15 * 60.0


def installation_or_404(org: Org) -> Installation:
    """The org's installation, or the documented 404."""
    if org.installation is None:
        raise not_found(INSTALLATION_MISSING)
    return org.installation


async def get_install_url(request: web.Request) -> web.StreamResponse:
    """GET /v1/github/installation/install-url: ``returnUrl`` must be https (else 422) on a host
    of the key's allowlist (else 403 RETURN_URL_NOT_ALLOWED)."""
    state, _, key = caller(request)
    return_url = request.query.get("returnUrl")
    if not return_url:
        raise query_issue("returnUrl", "Required.")
    parts = urlsplit(return_url)
    try:
        port = parts.port
    except ValueError:
        raise query_issue("returnUrl", "Must be an https URL.") from None
    if parts.scheme != "https" or not parts.hostname:
        raise query_issue("returnUrl", "Must be an https URL.")
    if not key.allows_return_host(parts.hostname, port):
        raise ApiError(
            403,
            "RETURN_URL_NOT_ALLOWED",
            "The returnUrl host is not on this API key's allowlist.",
            details={"host": parts.hostname},
        )
    token = request.query.get("state") or state.ids.state_token()
    url = f"https://github.com/apps/layers/installations/new?state={quote(token, safe='')}"
    return json_response(
        {
            "authUrl": url,
            "installUrl": url,
            "state": token,
            "expiresAt": state.clock.iso(state.clock.now() + _INSTALL_URL_TTL),
        }
    )


async def register_installation(request: web.Request) -> web.StreamResponse:
    """POST /v1/github/installation (201); the same id again is a no-op."""
    state, org, _ = caller(request)
    body = await read_object(request)
    check = Checker(body)
    for extra in sorted(set(body) - {"installationId", "state"}):
        check.fail((extra,), "Unknown property.")
    if "installationId" not in body:
        check.fail(("installationId",), "Required.")
    installation_id = check.integer("installationId", low=1, high=2**63 - 1)
    check.string("state", required=True, min_len=1)
    check.done()
    assert installation_id is not None  # check.done() raised otherwise
    current = org.installation
    if current is None or current.installation_id != installation_id:
        now = state.clock.now()
        org.installation = Installation(
            installation_id=installation_id,
            login=GITHUB_LOGIN,
            registered_at=now,
            last_verified_at=now,
        )
    return json_response(installation_or_404(org).to_json(state.clock), status=201)


async def get_installation(request: web.Request) -> web.StreamResponse:
    """GET /v1/github/installation: 404 until one is registered."""
    state, org, _ = caller(request)
    return json_response(installation_or_404(org).to_json(state.clock))


async def list_repos(request: web.Request) -> web.StreamResponse:
    """GET /v1/github/repos: the seeded repos plus any named in an ingest (limit 1-200, 30)."""
    _, org, _ = caller(request)
    installation_or_404(org)
    search = request.query.get("search")
    limit = parse_limit(request, default=30, maximum=200)
    filters = {"search": search}
    start = decode_cursor(request, "github.repos", filters) or 0
    matching = [
        repo
        for repo in org.repos
        if search is None or search.lower() in str(repo["fullName"]).lower()
    ]
    more = start + limit < len(matching)
    return json_response(
        {
            "items": matching[start : start + limit],
            "nextCursor": encode_cursor("github.repos", filters, start + limit) if more else None,
        }
    )
