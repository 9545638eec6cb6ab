"""``layers.social_accounts`` (OAuth hand-offs, connected accounts) and
``layers.leased_accounts`` (warmed TikTok accounts Layers leases to a project)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import anyio

from .._http import Timeout
from .._operations import (
    LEASED_ACCOUNTS_GET_REQUEST,
    LEASED_ACCOUNTS_LIST,
    LEASED_ACCOUNTS_REQUEST,
    SOCIAL_ACCOUNTS_LIST,
    SOCIAL_ACCOUNTS_OAUTH_STATUS,
    SOCIAL_ACCOUNTS_OAUTH_URL,
    SOCIAL_ACCOUNTS_REVOKE,
)
from .._pagination import AsyncPaginator
from ..models.social import (
    LeasedAccounts,
    LeaseRequest,
    OAuthStatus,
    OAuthUrl,
    SocialAccount,
    SocialAccountRevokeResult,
)
from ._base import Resource

__all__ = ["LeasedAccountsResource", "SocialAccounts"]

_PLATFORMS = ("tiktok", "instagram")
_STATUSES = ("connected", "reauth_required", "disconnected")
_LEASED_STATUSES = ("assigned", "disconnected")


def _one(value: object, allowed: tuple[str, ...], what: str) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{what} must be one of {list(allowed)}, got {value!r}")


class SocialAccounts(Resource):
    """Connect accounts through OAuth, list them, revoke them."""

    async def oauth_url(self, project_id: str, *, platform: str, return_url: str,
                        scopes: Iterable[str] | None = None, usage_note: str | None = None,
                        idempotency_key: str | None = None,
                        timeout: float | Timeout | None = None) -> OAuthUrl:
        """``POST /v1/projects/{projectId}/social/oauth-url``: send the user to
        ``authorize_url``, then :meth:`wait_for_oauth` on ``state``. ``return_url``'s host must
        be on the key's allowlist (else ``PermissionDeniedError``,
        ``RETURN_URL_NOT_ALLOWED``)."""
        _one(platform, _PLATFORMS, "platform")
        parts = urlsplit(return_url) if isinstance(return_url, str) else None
        if parts is None or parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"return_url must be an https URL, got {return_url!r}")
        if isinstance(scopes, str):
            raise TypeError("scopes must be a list of strings, not a single string")
        return await self._call(SOCIAL_ACCOUNTS_OAUTH_URL, project_id, body=dict(
            platform=platform, return_url=return_url,
            scopes=list(scopes) if scopes is not None else None, usage_note=usage_note),
            idempotency_key=idempotency_key, timeout=timeout)

    async def oauth_status(self, state: str, *,
                           timeout: float | Timeout | None = None) -> OAuthStatus:
        """``GET /v1/social/oauth-status/{state}``: pending, completed or failed."""
        return await self._call(SOCIAL_ACCOUNTS_OAUTH_STATUS, state, timeout=timeout)

    async def wait_for_oauth(self, state: str, *, interval: float | None = None,
                             timeout: float | None = None) -> OAuthStatus:
        """Poll ``state`` until the hand-off completes or fails, and return that status.

        The cadence is the docs': every 2 s (plus up to 10 % jitter, never more than once a
        second) for up to 10 minutes, taken from the client's ``PollPolicy``
        (``oauth_interval`` / ``oauth_timeout``, scaled with it); ``interval`` / ``timeout``
        override them. Runs on the event loop's clock; cancelling the caller stops it at
        once. Raises ``TimeoutError`` when the time is up.
        """
        policy = self._pipeline.config.poll
        every = policy.oauth_interval if interval is None else interval
        limit = policy.oauth_timeout if timeout is None else timeout
        for what, value in (("interval", every), ("timeout", limit)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{what} must be a positive number of seconds, got {value!r}")
        jitter = random.Random()
        with anyio.move_on_after(limit) as scope:
            while True:
                status = await self.oauth_status(state)
                if status.done:
                    return status
                await anyio.sleep(every * (1.0 + 0.1 * jitter.random()))
        assert scope.cancelled_caught
        raise TimeoutError(f"the OAuth hand-off {state!r} did not finish within {limit} s")

    def list(self, project_id: str, *, platform: str | None = None, status: str | None = None,
             leased: bool | None = None, limit: int | None = None,
             timeout: float | Timeout | None = None) -> AsyncPaginator[SocialAccount]:
        """Connected and leased accounts of a project (the docs show no paging fields; the
        cursor is followed when one comes)."""
        _one(platform, _PLATFORMS, "platform")
        _one(status, _STATUSES, "status")
        return self._page(SOCIAL_ACCOUNTS_LIST, project_id, query=dict(
            platform=platform, status=status, leased=leased), limit=limit, timeout=timeout)

    async def revoke(self, social_account_id: str, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> SocialAccountRevokeResult:
        """``DELETE /v1/social-accounts/{socialAccountId}``: disconnect; queued posts are
        canceled (a malformed id answers 400 ``VALIDATION``)."""
        return await self._call(SOCIAL_ACCOUNTS_REVOKE, social_account_id,
                                idempotency_key=idempotency_key, timeout=timeout)


class LeasedAccountsResource(Resource):
    """Request leased accounts ($150 per account per month, billed on assignment)."""

    async def request(self, project_id: str, *, count: int, niche: Mapping[str, Any],
                      target: str | None = None, note: str | None = None,
                      request_id: str | None = None, idempotency_key: str | None = None,
                      timeout: float | Timeout | None = None) -> LeaseRequest:
        """``POST …/leased-accounts/request`` (202): a :class:`LeaseRequest` (not a job) to
        poll with :meth:`get_request` (about hourly) or to learn of by webhook.
        ``niche`` needs ``vertical`` (and takes ``audience``, ``language``, ``geo``)."""
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 50:
            raise ValueError(f"count must be an int from 1 to 50, got {count!r}")
        if not isinstance(niche, Mapping):
            raise TypeError("niche must be a mapping such as {'vertical': 'coffee'}")
        unknown = sorted(set(niche) - {"vertical", "audience", "language", "geo"})
        if unknown:
            raise ValueError(f"unknown niche field(s) {unknown}")
        if not isinstance(niche.get("vertical"), str) or not niche["vertical"]:
            raise ValueError("niche needs a 'vertical'")
        if isinstance(niche.get("geo"), str):
            raise TypeError("niche['geo'] must be a list of strings")
        if note is not None and (not isinstance(note, str) or len(note) > 2000):
            raise ValueError("note must be a string of at most 2000 characters")
        return await self._call(LEASED_ACCOUNTS_REQUEST, project_id, body=dict(
            project_id=project_id, count=count, niche=dict(niche), target=target, note=note,
            request_id=request_id), idempotency_key=idempotency_key, timeout=timeout)

    async def get_request(self, project_id: str, request_id: str, *,
                          timeout: float | Timeout | None = None) -> LeaseRequest:
        """``GET …/leased-accounts/requests/{requestId}``."""
        return await self._call(LEASED_ACCOUNTS_GET_REQUEST, project_id, request_id,
                                timeout=timeout)

    async def list(self, project_id: str, *, status: str | None = None,
                   timeout: float | Timeout | None = None) -> LeasedAccounts:
        """``GET /v1/projects/{projectId}/leased-accounts`` (one answer, not paged)."""
        _one(status, _LEASED_STATUSES, "status")
        return await self._call(LEASED_ACCOUNTS_LIST, project_id, query=dict(status=status),
                                timeout=timeout)
