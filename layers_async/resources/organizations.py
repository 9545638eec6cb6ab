"""``layers.organizations``: child organizations, their credits, credit config and keys.

Acting *inside* a child (its projects, ingests, jobs) is not here: use
``layers.with_options(organization=child.id)``, which shares this client's session and pacer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from .._converter import UNSET
from .._errors import DecodeError
from .._http import Timeout, segment
from .._operations import (
    ORGS_API_KEYS_CREATE,
    ORGS_API_KEYS_LIST,
    ORGS_API_KEYS_REVOKE,
    ORGS_API_KEYS_ROTATE,
    ORGS_ARCHIVE,
    ORGS_CREATE,
    ORGS_CREDIT_CONFIG_GET,
    ORGS_CREDIT_CONFIG_UPDATE,
    ORGS_CREDITS_ALLOCATE,
    ORGS_CREDITS_EVENTS,
    ORGS_CREDITS_GET,
    ORGS_GET,
    ORGS_LIST,
    ORGS_MIGRATE,
    ORGS_RESUME,
    ORGS_SUSPEND,
    ORGS_UPDATE,
    Operation,
)
from .._pagination import AsyncPaginator
from .._pipeline import Pipeline
from .._scheduler import JobScheduler
from ..models.account import CreditEvent, Credits
from ..models.organizations import (
    ChildApiKey,
    ChildApiKeyRevokeResult,
    ChildApiKeySecret,
    CreditAllocation,
    CreditConfigResult,
    Organization,
    OrganizationArchiveResult,
    OrganizationMigrateResult,
)
from ._base import Resource
from ._checks import utc_z

__all__ = ["ChildApiKeys", "ChildCreditConfig", "ChildCredits", "Organizations"]

T = TypeVar("T")

_STATUSES = ("active", "suspended", "archived")
_EVENT_TYPES = ("usage", "refund", "grant", "purchase", "adjustment", "allocation")
_ENVS = ("live", "test")
_HIDDEN = "<hidden: the answer holds a one-time secret>"


def _name(value: object, what: str = "name", maximum: int = 128) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > maximum:
        raise ValueError(f"{what} must be a non-empty string of at most {maximum} characters,"
                         f" got {value!r}")
    return value


def _metadata(value: object, *, patch: bool) -> Mapping[str, str] | None:
    """Metadata as the docs bound it: ≤ 50 keys of ≤ 40 characters, string values ≤ 500."""
    if value is None or value is UNSET:
        return value
    if not isinstance(value, Mapping):
        raise TypeError(f"metadata must be a mapping of strings, got {type(value).__name__}")
    if len(value) > 50:
        raise ValueError("metadata holds at most 50 keys")
    for key, item in value.items():
        if not isinstance(key, str) or not key or len(key) > 40:
            raise ValueError(f"metadata keys must be strings of 1-40 characters, got {key!r}")
        if item is None:
            hint = ' (use "" to delete the key, or metadata=None to clear all)' if patch else ""
            raise ValueError(f"metadata[{key!r}] is None: a per-key null is refused{hint}")
        if not isinstance(item, str) or len(item) > 500:
            raise ValueError(f"metadata[{key!r}] must be a string of at most 500 characters")
    return value


def _count(value: object, what: str, *, minimum: int, nullable: bool = False) -> None:
    if value is UNSET or (value is None and nullable):
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        clear = " or None (clear)" if nullable else ""
        raise ValueError(f"{what} must be an int >= {minimum}{clear}, got {value!r}")


def _status(value: object) -> None:
    if value is not None and value not in _STATUSES:
        raise ValueError(f"status must be one of {_STATUSES}, got {value!r}")


class Organizations(Resource):
    """Create, list, change, suspend, resume, archive and migrate child organizations.

    Every call needs a key with ``org:admin`` on the parent (top-level) organization.
    """

    def __init__(self, pipeline: Pipeline, scheduler: JobScheduler) -> None:
        super().__init__(pipeline, scheduler)
        self.credits = ChildCredits(pipeline, scheduler)
        self.credit_config = ChildCreditConfig(pipeline, scheduler)
        self.api_keys = ChildApiKeys(pipeline, scheduler)

    async def create(self, *, name: str, metadata: Mapping[str, str] | None = None,
                     billing_email: str | None = None, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> Organization:
        """``POST /v1/organizations``: a child, active with an empty wallet (fund it with
        ``organizations.credits.allocate``). Only a top-level organization has children."""
        _name(name)
        _metadata(metadata, patch=False)
        return await self._call(ORGS_CREATE, body=dict(
            name=name, metadata=metadata, billing_email=billing_email),
            idempotency_key=idempotency_key, timeout=timeout)

    def list(self, *, status: str | None = None, limit: int | None = None,
             timeout: float | Timeout | None = None) -> AsyncPaginator[Organization]:
        """``GET /v1/organizations``: the children, newest first, page by page."""
        _status(status)
        return self._page(ORGS_LIST, query=dict(status=status), limit=limit, timeout=timeout)

    async def get(self, org_id: str, *,
                  timeout: float | Timeout | None = None) -> Organization:
        """``GET /v1/organizations/{orgId}``: a direct child, with its ``summary``."""
        return await self._call(ORGS_GET, org_id, timeout=timeout)

    async def update(self, org_id: str, *, name: str = UNSET,
                     metadata: Mapping[str, str] | None = UNSET,
                     billing_email: str | None = UNSET, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> Organization:
        """``PATCH /v1/organizations/{orgId}`` with only the fields given.

        ``metadata`` merges key by key: ``{"plan": "scale"}`` sets one key and keeps the
        others, ``{"plan": ""}`` deletes it, ``metadata=None`` clears them all (a per-key
        None is refused). ``billing_email=None`` clears the email.
        """
        if name is not UNSET:
            _name(name)
        _metadata(metadata, patch=True)
        if name is UNSET and metadata is UNSET and billing_email is UNSET:
            raise ValueError("update() needs at least one field to change")
        return await self._call(ORGS_UPDATE, org_id, body=dict(
            name=name, metadata=metadata, billing_email=billing_email),
            idempotency_key=idempotency_key, timeout=timeout)

    async def archive(self, org_id: str, *, idempotency_key: str | None = None,
                      timeout: float | Timeout | None = None) -> OrganizationArchiveResult:
        """``DELETE /v1/organizations/{orgId}``: offboard a child for good; its keys are
        revoked and its unreserved balance swept back to the parent (``reclaimed_credits``)."""
        return await self._call(ORGS_ARCHIVE, org_id, idempotency_key=idempotency_key,
                                timeout=timeout)

    async def suspend(self, org_id: str, *, idempotency_key: str | None = None,
                      timeout: float | Timeout | None = None) -> Organization:
        """``POST /v1/organizations/{orgId}/suspend``: the child's kill switch; every call
        in it (its keys, or yours acting in it) then fails with ``KillSwitchError``."""
        return await self._call(ORGS_SUSPEND, org_id, idempotency_key=idempotency_key,
                                timeout=timeout)

    async def resume(self, org_id: str, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> Organization:
        """``POST /v1/organizations/{orgId}/resume``: a suspended child works again."""
        return await self._call(ORGS_RESUME, org_id, idempotency_key=idempotency_key,
                                timeout=timeout)

    async def migrate(self, mapping: Mapping[str, str], *, idempotency_key: str | None = None,
                      timeout: float | Timeout | None = None) -> OrganizationMigrateResult:
        """``POST /v1/organizations/migrate``: move flat projects (project id → child name)
        into new children, all or nothing (refused while a mapped project runs a job)."""
        if not isinstance(mapping, Mapping) or not mapping:
            raise ValueError("mapping must be a non-empty mapping of project id to child name")
        for project_id, child in mapping.items():
            segment(project_id, "project id")
            _name(child, f"mapping[{project_id!r}]")
        return await self._call(ORGS_MIGRATE, body=dict(mapping=dict(mapping)),
                                idempotency_key=idempotency_key, timeout=timeout)


class ChildCredits(Resource):
    """``layers.organizations.credits``: a child's wallet, its funding and its ledger."""

    async def get(self, org_id: str, *, timeout: float | Timeout | None = None) -> Credits:
        """``GET /v1/organizations/{orgId}/credits``: the child's wallet."""
        return await self._call(ORGS_CREDITS_GET, org_id, timeout=timeout)

    async def allocate(self, org_id: str, *, credits: int, description: str | None = None,
                       metadata: Mapping[str, str] | None = None,
                       idempotency_key: str | None = None,
                       timeout: float | Timeout | None = None) -> CreditAllocation:
        """``POST /v1/organizations/{orgId}/credits/allocate``: move ``credits`` from the
        parent's prepaid balance to the child.

        The API refuses this call without an Idempotency-Key; one is always sent (pass your
        own to make a re-run safe). A repeat with the same key moves nothing and answers
        the first transfer with ``replayed=True``.
        """
        _count(credits, "credits", minimum=1)
        if description is not None and (not isinstance(description, str)
                                        or len(description) > 500):
            raise ValueError("description must be a string of at most 500 characters")
        _metadata(metadata, patch=False)
        return await self._call(ORGS_CREDITS_ALLOCATE, org_id, body=dict(
            credits=credits, description=description, metadata=metadata),
            idempotency_key=idempotency_key, timeout=timeout)

    def events(self, org_id: str, *, project_id: str | None = None,
               event_type: str | None = None, since: datetime | None = None,
               until: datetime | None = None, limit: int | None = None,
               timeout: float | Timeout | None = None) -> AsyncPaginator[CreditEvent]:
        """``GET /v1/organizations/{orgId}/credits/events``: the child's ledger, newest first."""
        if event_type is not None and event_type not in _EVENT_TYPES:
            raise ValueError(f"event_type must be one of {_EVENT_TYPES}, got {event_type!r}")
        return self._page(ORGS_CREDITS_EVENTS, org_id, query=dict(
            project_id=segment(project_id, "project_id") if project_id is not None else None,
            event_type=event_type, since=utc_z(since, "since"), until=utc_z(until, "until")),
            limit=limit, timeout=timeout)


class ChildCreditConfig(Resource):
    """``layers.organizations.credit_config``: a child's monthly cap and auto-refill."""

    async def get(self, org_id: str, *,
                  timeout: float | Timeout | None = None) -> CreditConfigResult:
        """``GET /v1/organizations/{orgId}/credit-config``."""
        return await self._call(ORGS_CREDIT_CONFIG_GET, org_id, timeout=timeout)

    async def update(self, org_id: str, *, monthly_credit_cap: int | None = UNSET,
                     refill_threshold: int | None = UNSET, refill_amount: int | None = UNSET,
                     idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> CreditConfigResult:
        """``PATCH /v1/organizations/{orgId}/credit-config``: a number sets, ``None``
        clears, an omitted field stays as it is.

        Auto-refill moves ``refill_amount`` from the parent whenever the child's available
        balance drops below ``refill_threshold``; the two go together (both numbers, or
        both None to turn auto-refill off), so one without the other is refused here.
        """
        _count(monthly_credit_cap, "monthly_credit_cap", minimum=0, nullable=True)
        _count(refill_threshold, "refill_threshold", minimum=0, nullable=True)
        _count(refill_amount, "refill_amount", minimum=1, nullable=True)
        if (refill_threshold is UNSET) != (refill_amount is UNSET) or (
                (refill_threshold is None) != (refill_amount is None)):
            raise ValueError("refill_threshold and refill_amount go together: give both "
                             "numbers, or both None to turn auto-refill off")
        if all(v is UNSET for v in (monthly_credit_cap, refill_threshold, refill_amount)):
            raise ValueError("update() needs at least one field to change")
        return await self._call(ORGS_CREDIT_CONFIG_UPDATE, org_id, body=dict(
            monthly_credit_cap=monthly_credit_cap, refill_threshold=refill_threshold,
            refill_amount=refill_amount), idempotency_key=idempotency_key, timeout=timeout)


class ChildApiKeys(Resource):
    """``layers.organizations.api_keys``: mint, list, rotate and revoke a child's keys.

    Minted and rotated keys come back once, as a ``Secret``: read ``.secret.value``, store
    it, drop it. It shows in no repr, log or error.
    """

    async def create(self, org_id: str, *, name: str, scopes: Sequence[str],
                     env: str = "live", idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> ChildApiKeySecret:
        """``POST /v1/organizations/{orgId}/api-keys``: a key for the child with 1-64 of
        your scopes (``org:admin`` is refused)."""
        _name(name, maximum=120)
        if isinstance(scopes, str) or not isinstance(scopes, Sequence):
            raise TypeError("scopes must be a sequence of scope strings, not "
                            f"{type(scopes).__name__}")
        if not 1 <= len(scopes) <= 64 or not all(isinstance(s, str) and s for s in scopes):
            raise ValueError("scopes must hold 1 to 64 non-empty scope strings")
        if "org:admin" in scopes:
            raise ValueError("a child key cannot carry org:admin")
        if env not in _ENVS:
            raise ValueError(f"env must be one of {_ENVS}, got {env!r}")
        return await self._secret_call(ORGS_API_KEYS_CREATE, org_id, body=dict(
            name=name, scopes=list(scopes), env=env), idempotency_key=idempotency_key,
            timeout=timeout)

    def list(self, org_id: str, *, limit: int | None = None,
             timeout: float | Timeout | None = None) -> AsyncPaginator[ChildApiKey]:
        """``GET /v1/organizations/{orgId}/api-keys``: the child's keys, masked, newest first."""
        return self._page(ORGS_API_KEYS_LIST, org_id, limit=limit, timeout=timeout)

    async def rotate(self, org_id: str, key_id: str, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> ChildApiKeySecret:
        """``POST /v1/organizations/{orgId}/api-keys/{keyId}/rotate``: a new key (new id and
        secret); the old secret keeps working for 24 h (``grace_until``, ``superseded_by``).

        A retry with the same idempotency key returns the same new secret.
        """
        return await self._secret_call(ORGS_API_KEYS_ROTATE, org_id, key_id,
                                       idempotency_key=idempotency_key, timeout=timeout)

    async def revoke(self, org_id: str, key_id: str, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> ChildApiKeyRevokeResult:
        """``DELETE /v1/organizations/{orgId}/api-keys/{keyId}``: at once; the next call with
        the key gets 401 (``AuthenticationError``). A repeat answers the same."""
        return await self._call(ORGS_API_KEYS_REVOKE, org_id, key_id,
                                idempotency_key=idempotency_key, timeout=timeout)

    async def _secret_call(self, op: Operation[T], *ids: str, **options: Any) -> T:
        """``_call`` for answers holding a one-time secret: a decode failure must not quote
        the body (its excerpt would show the secret)."""
        try:
            return await self._call(op, *ids, **options)
        except DecodeError as exc:
            exc.excerpt = _HIDDEN
            raise
