"""The calling key, its organization's wallet, and API keys."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from .._secret import Secret

__all__ = [
    "ApiKey",
    "ApiKeyDeleteResult",
    "ApiKeyKillResult",
    "ApiKeyRotateResult",
    "CreditEvent",
    "CreditPeriod",
    "Credits",
    "RateLimitTier",
    "WhoAmI",
]


class RateLimitTier(enum.StrEnum):
    """A key's rate-limit tier (docs README §3)."""

    STANDARD = "standard"
    PILOT = "pilot"
    PARTNER = "partner"


@attrs.frozen(kw_only=True)
class WhoAmI:
    """``GET /v1/whoami``: the calling key and its organization.

    ``kill_switch`` and ``api_access_revoked`` exist only in the older docs;
    newer ones answer 503 ``KILL_SWITCH`` instead, so a 200 means "not killed".
    """

    organization_id: str
    api_key_id: str | None = None
    organization_name: str | None = None
    workspace_id: str | None = None
    parent_organization_id: str | None = None
    scopes: tuple[str, ...] = ()
    rate_limit_tier: RateLimitTier | str = RateLimitTier.STANDARD
    credit_balance: int | None = None
    kill_switch: bool | None = None
    api_access_revoked: bool | None = None


@attrs.frozen(kw_only=True)
class CreditPeriod:
    """The current billing period of a wallet."""

    start: datetime
    end: datetime
    used_credits: int = 0


@attrs.frozen(kw_only=True)
class Credits:
    """``GET /v1/credits``: the wallet. Gate generations on ``available``."""

    organization_id: str
    balance: int
    included_remaining: int = 0
    prepaid_balance: int = 0
    available: int | None = None
    reserved_credits: int | None = None
    included_this_period: int | None = None
    used_this_period: int | None = None
    current_period: CreditPeriod | None = None
    subscription_tier: str | None = None
    billing_status: str | None = None
    estimated_credits_per_format: dict[str, int] = attrs.field(factory=dict)
    ingest_costs_billed: dict[str, bool] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class CreditEvent:
    """One ledger movement from ``GET /v1/credits/events``."""

    event_id: str
    credits: int
    event_type: str
    created_at: datetime
    project_id: str | None = None
    format: str | None = None
    container_id: str | None = None
    workflow_id: str | None = None
    balance_after_prepaid: int | None = None
    usage_after_period: int | None = None


@attrs.frozen(kw_only=True)
class ApiKey:
    """An API key's public record (never its secret)."""

    id: str
    organization_id: str | None = None
    name: str | None = None
    prefix: str | None = None
    kill_switch: bool = False
    is_active: bool = True
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None


@attrs.frozen(kw_only=True)
class ApiKeyKillResult:
    """``POST /v1/api-keys/{keyId}/kill``."""

    api_key: ApiKey
    killed: bool


@attrs.frozen(kw_only=True)
class ApiKeyDeleteResult:
    """``DELETE /v1/api-keys/{keyId}``."""

    api_key: ApiKey
    deleted: bool


@attrs.frozen(kw_only=True)
class ApiKeyRotateResult:
    """``POST /v1/api-keys/{keyId}/rotate``: the new key, shown once (``secret.value``)."""

    api_key: ApiKey
    secret: Secret
    warning: str | None = None
