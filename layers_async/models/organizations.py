"""Child organizations, their credit configuration and keys (the Organizations area)."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from .._secret import Secret

__all__ = [
    "ChildApiKey",
    "ChildApiKeyRevokeResult",
    "ChildApiKeySecret",
    "ChildApiKeyStatus",
    "CreditAllocation",
    "CreditConfig",
    "CreditConfigResult",
    "MigratedChild",
    "Organization",
    "OrganizationArchiveResult",
    "OrganizationMigrateResult",
    "OrganizationStatus",
    "OrganizationSummary",
]


class OrganizationStatus(enum.StrEnum):
    """A child organization's state: suspended children get 503 KILL_SWITCH on every call."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"


class ChildApiKeyStatus(enum.StrEnum):
    """A child key's state (revoked, killed and soft-deleted all read as ``revoked``)."""

    ACTIVE = "active"
    REVOKED = "revoked"


@attrs.frozen(kw_only=True)
class CreditConfig:
    """A child's monthly spend cap and auto-refill (threshold and amount: both or neither)."""

    monthly_credit_cap: int | None = None
    refill_threshold: int | None = None
    refill_amount: int | None = None
    auto_refill_enabled: bool = False


@attrs.frozen(kw_only=True)
class OrganizationSummary:
    """The ``summary`` only ``GET /v1/organizations/{orgId}`` adds."""

    project_count: int | None = None
    balance: int | None = None
    available: int | None = None
    credit_config: CreditConfig | None = None


@attrs.frozen(kw_only=True)
class Organization:
    """A child organization (``summary`` only from ``organizations.get``)."""

    id: str
    name: str
    status: OrganizationStatus | str
    created_at: datetime
    updated_at: datetime
    parent_organization_id: str | None = None
    metadata: dict[str, str] | None = None
    billing_email: str | None = None
    archived_at: datetime | None = None
    summary: OrganizationSummary | None = None


@attrs.frozen(kw_only=True)
class OrganizationArchiveResult:
    """``DELETE /v1/organizations/{orgId}``: keys revoked, unreserved credits swept back."""

    id: str
    status: OrganizationStatus | str
    archived_at: datetime
    reclaimed_credits: int
    revoked_api_keys: int


@attrs.frozen(kw_only=True)
class MigratedChild:
    """A child created by a migration and the projects moved into it."""

    id: str
    name: str
    project_ids: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class OrganizationMigrateResult:
    """``POST /v1/organizations/migrate`` (all or nothing)."""

    projects_moved: int
    children_created: int
    children: tuple[MigratedChild, ...] = ()


@attrs.frozen(kw_only=True)
class CreditConfigResult:
    """``GET``/``PATCH /v1/organizations/{orgId}/credit-config``: the merged config."""

    organization_id: str
    config: CreditConfig
    balance: int | None = None
    available: int | None = None


@attrs.frozen(kw_only=True)
class CreditAllocation:
    """``POST /v1/organizations/{orgId}/credits/allocate``: the transfer.

    ``replayed`` is true when the API answered from its idempotency store (the same key
    sent again): no second transfer happened. The shape is inferred from the changelog
    (openapi.yaml ``x-inferred``); ``created`` is kept as the string the API sends.
    """

    allocated: int
    id: str | None = None
    created: str | None = None
    description: str | None = None
    metadata: dict[str, str] | None = None
    balance: int | None = None
    available: int | None = None
    replayed: bool = False


@attrs.frozen(kw_only=True)
class ChildApiKey:
    """A child organization's key, masked (never its secret).

    After a rotation the old key carries ``grace_until`` (its secret works until then)
    and ``superseded_by`` (the new key's id).
    """

    id: str
    organization_id: str
    name: str
    prefix: str
    env: str
    scopes: tuple[str, ...] = ()
    rate_limit_tier: str | None = None
    status: ChildApiKeyStatus | str = ChildApiKeyStatus.ACTIVE
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None
    grace_until: datetime | None = None
    superseded_by: str | None = None


@attrs.frozen(kw_only=True)
class ChildApiKeySecret:
    """A minted or rotated child key and its one-time ``secret`` (read ``.secret.value``
    once, store it, drop it: it is in no repr, log or error).

    On a rotation ``api_key`` is the new key; ``grace_until`` and ``superseded_by`` tell
    until when the old key's secret still works (24 h) and which key replaced it (None on
    a mint). Their place at the answer's top level is inferred: the docs' rotate body was
    cut off (openapi.yaml ``x-inferred``); ``organizations.api_keys.list`` shows them on
    the old key too.
    """

    api_key: ChildApiKey
    secret: Secret
    grace_until: datetime | None = None
    superseded_by: str | None = None


@attrs.frozen(kw_only=True)
class ChildApiKeyRevokeResult:
    """``DELETE /v1/organizations/{orgId}/api-keys/{keyId}``: the next call with it gets 401."""

    api_key: ChildApiKey
    deleted: bool
