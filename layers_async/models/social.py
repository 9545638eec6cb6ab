"""Social accounts (OAuth hand-offs, connected accounts) and leased TikTok accounts."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

__all__ = ["LeaseRequest", "LeaseRequestStatus", "LeasedAccount", "LeasedAccounts",
           "OAuthFailure", "OAuthState", "OAuthStatus", "OAuthUrl", "SocialAccount",
           "SocialAccountRevokeResult", "SocialAccountStatus", "SocialPlatform"]


class SocialPlatform(enum.StrEnum):
    """Platforms an account connects through OAuth."""

    TIKTOK = "tiktok"
    INSTAGRAM = "instagram"


class OAuthState(enum.StrEnum):
    """Where an OAuth hand-off is."""

    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


class SocialAccountStatus(enum.StrEnum):
    """A connected account's state."""

    CONNECTED = "connected"
    REAUTH_REQUIRED = "reauth_required"
    DISCONNECTED = "disconnected"


class LeaseRequestStatus(enum.StrEnum):
    """A lease request's state (a richer vocabulary is announced; unknown values stay str)."""

    REQUESTED = "requested"
    ASSIGNED = "assigned"
    PARTIAL = "partial"
    REJECTED = "rejected"


@attrs.frozen(kw_only=True)
class OAuthUrl:
    """``POST …/social/oauth-url``: send the user to ``authorize_url``; poll ``state``."""

    authorize_url: str
    state: str
    expires_at: datetime | None = None


@attrs.frozen(kw_only=True)
class OAuthFailure:
    """Why a hand-off failed."""

    message: str | None = None


@attrs.frozen(kw_only=True)
class OAuthStatus:
    """``GET /v1/social/oauth-status/{state}``; ``social_account_id`` once completed."""

    state: str
    status: OAuthState | str
    expires_at: datetime | None = None
    social_account_id: str | None = None
    error: OAuthFailure | None = None

    @property
    def done(self) -> bool:
        """Whether the hand-off is over (completed or failed)."""
        return self.status in (OAuthState.COMPLETED, OAuthState.FAILED)


@attrs.frozen(kw_only=True)
class SocialAccount:
    """A connected (or leased) social account ``sa_…``."""

    social_account_id: str
    platform: SocialPlatform | str
    status: SocialAccountStatus | str
    handle: str | None = None
    avatar_url: str | None = None
    leased: bool | None = None
    connected_at: datetime | None = None
    token_expires_at: datetime | None = None


@attrs.frozen(kw_only=True)
class SocialAccountRevokeResult:
    """``DELETE /v1/social-accounts/{id}``: disconnected, queued posts canceled."""

    social_account_id: str
    status: str
    disconnected_reason: str | None = None
    canceled_scheduled_posts: int | None = None
    disconnected_at: datetime | None = None


@attrs.frozen(kw_only=True)
class LeaseRequest:
    """A request for leased accounts (``lreq_…``): 202 on create, then polled (about hourly)."""

    request_id: str
    status: LeaseRequestStatus | str
    project_id: str | None = None
    submitted_at: datetime | None = None
    assigned_at: datetime | None = None
    assigned_social_account_ids: list[str] = attrs.field(factory=list)
    note: str | None = None


@attrs.frozen(kw_only=True)
class LeasedAccount:
    """A leased account (``monthly_price_cents`` 15000 = $150/month)."""

    social_account_id: str
    status: str
    project_id: str | None = None
    handle: str | None = None
    platform: str | None = None
    followers: int | None = None
    assigned_at: datetime | None = None
    next_renewal_at: datetime | None = None
    monthly_price_cents: int | None = None


@attrs.frozen(kw_only=True)
class LeasedAccounts:
    """``GET …/leased-accounts``: every leased account of the project (not paged)."""

    items: list[LeasedAccount] = attrs.field(factory=list)
