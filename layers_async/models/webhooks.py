"""Webhook endpoints, their delivery log, and the payloads of the events they receive."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from .._secret import Secret
from .jobs import JobError

__all__ = [
    "ContentEventData",
    "JobEventData",
    "LeaseRequestEventData",
    "PostEventData",
    "SocialAccountEventData",
    "TestPingData",
    "WebhookDelivery",
    "WebhookDeliveryStatus",
    "WebhookEndpoint",
    "WebhookEndpointCreateResult",
    "WebhookEndpointDeleteResult",
    "WebhookEndpointStatus",
    "WebhookEventType",
    "WebhookReplayResult",
    "WebhookRotateSecretResult",
    "WebhookTestResult",
]


class WebhookEventType(enum.StrEnum):
    """Every event an endpoint may subscribe to (README section 7); others are refused."""

    JOB_COMPLETED = "job.completed"
    JOB_FAILED = "job.failed"
    JOB_CANCELED = "job.canceled"
    CONTENT_GENERATED = "content.generated"
    CONTENT_APPROVED = "content.approved"
    CONTENT_REJECTED = "content.rejected"
    POST_SCHEDULED = "post.scheduled"
    POST_PUBLISHED = "post.published"
    POST_FAILED = "post.failed"
    POST_CANCELED = "post.canceled"
    SOCIAL_ACCOUNT_CONNECTED = "social_account.connected"
    SOCIAL_ACCOUNT_NEEDS_REAUTH = "social_account.needs_reauth"
    SOCIAL_ACCOUNT_REVOKED = "social_account.revoked"
    LEASE_REQUEST_ASSIGNED = "lease_request.assigned"
    LEASE_REQUEST_REJECTED = "lease_request.rejected"
    TEST_PING = "test.ping"


class WebhookEndpointStatus(enum.StrEnum):
    """``auto_paused``: 20 consecutive failures; PATCH ``status="active"`` resumes."""

    ACTIVE = "active"
    PAUSED = "paused"
    AUTO_PAUSED = "auto_paused"


class WebhookDeliveryStatus(enum.StrEnum):
    """A delivery's state: ``failed`` (older docs) and ``abandoned`` (newer) both end retries."""

    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"
    ABANDONED = "abandoned"


@attrs.frozen(kw_only=True)
class WebhookEndpoint:
    """A registered endpoint (``createdAt`` is inferred)."""

    id: str
    url: str
    status: WebhookEndpointStatus | str
    events: tuple[WebhookEventType | str, ...] = ()
    organization_id: str | None = None
    project_id: str | None = None
    description: str | None = None
    api_version: str | None = None
    scope: str | None = None
    metadata: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    consecutive_failure_count: int | None = None


@attrs.frozen(kw_only=True)
class WebhookEndpointCreateResult:
    """``POST /v1/webhook-endpoints``: the endpoint and its signing secret, shown once
    (``signing_secret.value``, ``whsec_…``)."""

    endpoint: WebhookEndpoint
    signing_secret: Secret


@attrs.frozen(kw_only=True)
class WebhookRotateSecretResult:
    """``POST /v1/webhook-endpoints/{id}/rotate-secret``: the new secret, shown once; the old
    one keeps signing (a second ``v1``) until ``previous_secret_expires_at``."""

    endpoint_id: str
    signing_secret: Secret
    previous_secret_expires_at: datetime
    warning: str | None = None


@attrs.frozen(kw_only=True)
class WebhookEndpointDeleteResult:
    """``DELETE /v1/webhook-endpoints/{id}``."""

    id: str
    deleted: bool


@attrs.frozen(kw_only=True)
class WebhookTestResult:
    """``POST /v1/webhook-endpoints/{id}/test``: a ``test.ping`` delivery is queued."""

    event_id: str
    delivery_id: str
    scheduled_at: datetime | None = None


@attrs.frozen(kw_only=True)
class WebhookDelivery:
    """One delivery of the log (payloads are omitted by the API)."""

    id: str
    event_id: str
    event_type: WebhookEventType | str
    status: WebhookDeliveryStatus | str
    endpoint_id: str | None = None
    attempts: int = 0
    next_retry_at: datetime | None = None
    delivered_at: datetime | None = None
    abandoned_at: datetime | None = None
    last_response_status: int | None = None
    last_response_at: datetime | None = None
    last_error_message: str | None = None
    created_at: datetime | None = None


@attrs.frozen(kw_only=True)
class WebhookReplayResult:
    """``POST /v1/webhook-deliveries/{id}/replay``: the replay carries a new event id and
    ``replayOf`` naming the original delivery."""

    original_delivery_id: str
    replay_delivery_id: str
    scheduled_at: datetime | None = None


# -- event payloads (``data`` of a delivery) -------------------------------------------------


@attrs.frozen(kw_only=True)
class JobEventData:
    """``job.completed`` (``result``), ``job.failed`` (``error``), ``job.canceled``."""

    job_id: str
    kind: str | None = None
    result: dict[str, Any] | None = None
    error: JobError | None = None
    organization_id: str | None = None


@attrs.frozen(kw_only=True)
class ContentEventData:
    """``content.generated`` (``assets``), ``content.approved`` (``approved_at/by``),
    ``content.rejected`` (``rejected_at/by``, ``reason``)."""

    id: str
    project_id: str | None = None
    assets: tuple[dict[str, Any], ...] = ()
    approved_at: datetime | None = None
    approved_by: str | None = None
    rejected_at: datetime | None = None
    rejected_by: str | None = None
    reason: str | None = None
    organization_id: str | None = None


@attrs.frozen(kw_only=True)
class PostEventData:
    """``post.scheduled``, ``post.published`` (``external_id/url``), ``post.failed``,
    ``post.canceled`` (``error`` is inferred)."""

    scheduled_post_id: str
    container_id: str | None = None
    scheduled_for: datetime | None = None
    external_id: str | None = None
    external_url: str | None = None
    error: JobError | None = None
    organization_id: str | None = None


@attrs.frozen(kw_only=True)
class SocialAccountEventData:
    """``social_account.connected`` / ``needs_reauth`` / ``revoked``."""

    social_account_id: str
    platform: str | None = None
    display_name: str | None = None
    connected_at: datetime | None = None
    organization_id: str | None = None


@attrs.frozen(kw_only=True)
class LeaseRequestEventData:
    """``lease_request.assigned`` / ``rejected``. The docs name no fields: all inferred
    (taken to be the LeaseRequest object, ``reason`` added on a rejection; the raw mapping
    stays on ``WebhookEvent.raw``)."""

    request_id: str | None = None
    project_id: str | None = None
    status: str | None = None
    submitted_at: datetime | None = None
    assigned_at: datetime | None = None
    assigned_social_account_ids: tuple[str, ...] = ()
    note: str | None = None
    social_account_id: str | None = None
    reason: str | None = None
    organization_id: str | None = None


@attrs.frozen(kw_only=True)
class TestPingData:
    """``test.ping``. The docs print no fields (inferred; ``test(payload=...)`` replaces them,
    the raw mapping stays on ``WebhookEvent.raw``)."""

    __test__ = False  # not a pytest test class

    endpoint_id: str | None = None
    message: str | None = None
    organization_id: str | None = None
