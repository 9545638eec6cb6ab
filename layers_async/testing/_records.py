"""The rows the fake keeps (keys, projects, installations, organizations) and their JSON."""

from __future__ import annotations

import re
from typing import Any

import attrs

from ._clock import Clock
from ._content import ContentBook

KEY_PATTERN = re.compile(r"^lp_(live|test)_([A-Z0-9]{16})_([A-Za-z0-9_-]{43})$")


@attrs.define(kw_only=True, eq=False)
class KeyRecord:
    """An API key. ``public_id`` and ``secret`` change on rotation, ``id`` never does."""

    id: str
    org_id: str
    env: str
    public_id: str
    secret: str
    scopes: tuple[str, ...]
    tier: str
    name: str
    created_at: float
    killed: bool = False
    deleted: bool = False
    rotated_at: float | None = None
    revoked_at: float | None = None
    return_url_hosts: frozenset[str] | None = None  # None: any host may be a returnUrl
    # Child keys (Organizations): revoked keys answer 401; a rotated-away key works until
    # grace_until (24 h), then 401 too.
    revoked: bool = False
    grace_until: float | None = None
    superseded_by: str | None = None
    last_used_at: float | None = None

    def expired(self, now: float) -> bool:
        """Whether the key no longer authenticates (revoked, or its rotation grace is over)."""
        return self.revoked or (self.grace_until is not None and now >= self.grace_until)

    @property
    def full_key(self) -> str:
        """The whole key string a caller sends."""
        return f"lp_{self.env}_{self.public_id}_{self.secret}"

    @property
    def prefix(self) -> str:
        """The public prefix shown in listings."""
        return f"lp_{self.env}_{self.public_id}"

    def grants(self, scope: str) -> bool:
        """Whether this key carries ``scope`` (``*`` grants everything)."""
        return "*" in self.scopes or scope in self.scopes

    def allows_return_host(self, host: str, port: int | None) -> bool:
        """Whether a returnUrl on ``host`` (and ``port``) is on this key's allowlist."""
        if self.return_url_hosts is None:
            return True
        host = host.lower()
        return host in self.return_url_hosts or (
            port is not None and f"{host}:{port}" in self.return_url_hosts
        )


@attrs.define(kw_only=True, eq=False)
class Project:
    """A project row, rendered in the newest docs' shape."""

    id: str
    seq: int
    organization_id: str
    name: str
    timezone: str
    primary_language: str
    customer_external_id: str | None
    owner_email: str | None
    metadata: dict[str, Any] | None
    created_at: float
    updated_at: float
    status: str = "active"
    archived_at: float | None = None
    brand_context: dict[str, Any] | None = None
    ingest_state: dict[str, dict[str, Any] | None] = attrs.Factory(
        lambda: {"github": None, "website": None, "appstore": None}
    )
    platform_ios_bundle_id: str | None = None
    platform_android_bundle_id: str | None = None
    platform_web_domain: str | None = None
    first_n_posts_blocked: int | None = 0
    extra: dict[str, Any] = attrs.Factory(dict)

    def to_json(self, clock: Clock) -> dict[str, Any]:
        """The full Project object."""
        return {
            "id": self.id,
            "organizationId": self.organization_id,
            "name": self.name,
            "status": self.status,
            "customerExternalId": self.customer_external_id,
            "timezone": self.timezone,
            "primaryLanguage": self.primary_language,
            "ownerEmail": self.owner_email,
            "brand": None,
            "brandContext": self.brand_context,
            "platformIosBundleId": self.platform_ios_bundle_id,
            "platformAndroidBundleId": self.platform_android_bundle_id,
            "platformWebDomain": self.platform_web_domain,
            "ingestState": self.ingest_state,
            "requiresApproval": False,
            "firstNPostsBlocked": self.first_n_posts_blocked,
            "currentBlockedCount": 0,
            "metadata": self.metadata,
            "createdAt": clock.iso(self.created_at),
            "updatedAt": clock.iso(self.updated_at),
        }

    def to_summary(self, clock: Clock) -> dict[str, Any]:
        """The ProjectSummary object used in lists: a subset of the full object."""
        full = self.to_json(clock)
        return {name: full[name] for name in _SUMMARY_FIELDS}


#: The fields of a ProjectSummary (openapi.yaml), in its order.
_SUMMARY_FIELDS = (
    "id",
    "name",
    "status",
    "customerExternalId",
    "timezone",
    "primaryLanguage",
    "ownerEmail",
    "createdAt",
    "updatedAt",
)


@attrs.define(kw_only=True, eq=False)
class Installation:
    """The org's GitHub App installation."""

    installation_id: int
    login: str
    registered_at: float
    last_verified_at: float

    def to_json(self, clock: Clock) -> dict[str, Any]:
        """GithubInstallation (timestamps in the microsecond ``+00:00`` form)."""
        return {
            "installationId": self.installation_id,
            "githubAccount": {"login": self.login, "type": "Organization"},
            "orgLogin": self.login,
            "status": "active",
            "registeredAt": clock.iso_micro(self.registered_at),
            "lastVerifiedAt": clock.iso_micro(self.last_verified_at),
        }


@attrs.define(kw_only=True, eq=False)
class Org:
    """An organization and everything it owns."""

    id: str
    name: str
    tier: str
    credits: int
    parent_id: str | None = None
    api_access_revoked: bool = False
    projects: dict[str, Project] = attrs.Factory(dict)
    project_seq: int = 0
    installation: Installation | None = None
    repos: list[dict[str, Any]] = attrs.Factory(list)
    credit_events: list[dict[str, Any]] = attrs.Factory(list)
    running: list[tuple[float, int, str]] = attrs.Factory(list)  # heap of (terminal_at, n, id)
    running_count: int = 0
    default_project_id: str | None = None
    # Organizations area: lifecycle, metadata, credit config and the audit trail.
    status: str = "active"  # active | suspended | archived
    metadata: dict[str, str] | None = None
    billing_email: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    archived_at: float | None = None
    archive_result: dict[str, Any] | None = None
    monthly_credit_cap: int | None = None
    refill_threshold: int | None = None
    refill_amount: int | None = None
    period: tuple[int, int] | None = None  # (year, month) that period_used counts
    period_used: int = 0
    audit: list[tuple[int, dict[str, Any]]] = attrs.Factory(list)  # (seq, event), oldest first
    content: ContentBook = attrs.Factory(ContentBook)
