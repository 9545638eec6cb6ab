"""Webhook events of content, posts, social accounts and lease requests (README section 7).

Written from the docs, not from the library. Each function builds one event's ``data`` and
hands it to ``state.webhooks.emit`` (which delivers it to the org's active endpoints
subscribed to that type, and to a parent's ``all_children`` endpoints); the project is passed
along so project-scoped endpoints only get their project's events.

The docs print these fields: ``content.generated`` (id, projectId, assets),
``content.approved`` (id, projectId, approvedAt, approvedBy), ``content.rejected`` (id,
projectId, rejectedAt, rejectedBy, reason), ``post.scheduled`` (scheduledPostId, containerId,
scheduledFor), ``post.published`` (the same plus externalId, externalUrl),
``social_account.connected`` (socialAccountId, platform, displayName, connectedAt).

When they fire: ``content.generated`` once per container when its generation job completes,
on the fake's clock (the job's end; a regeneration fires it again); ``content.approved`` /
``rejected`` when the call is made; ``post.scheduled`` when a post is made (schedule,
publish-now, a schedule promoted by an approval); ``post.published`` / ``post.failed`` at the
post's end on the fake's clock (``scheduledFor`` + 6 s), ``post.canceled`` when the call is
made; ``social_account.connected`` when an OAuth hand-off completes (a test hook, or by
itself 120 API s after it began, fired at that time) or ``FakeLayers.connect_social_account``
connects one; ``social_account.revoked`` on ``DELETE /v1/social-accounts/{id}``;
``lease_request.assigned`` / ``rejected`` from the ``FakeLayers.assign_lease`` /
``reject_lease`` hooks.

Inferred (the docs print none of it): ``post.failed`` and ``post.canceled`` carry the
``post.scheduled`` fields, ``post.failed`` adds ``error`` (``code`` ``PUBLISH_FAILED``,
``message``); a ``draft_to_device`` post that reaches the inbox sends ``post.published`` with
``externalId``/``externalUrl`` null; publish-now sends ``post.scheduled`` too (``scheduledFor``
is now); a reschedule sends ``post.scheduled`` again with the new time; no
``content.generated`` for a failed or canceled generation (its ``job.*`` event says so);
re-approving approved content sends nothing; ``social_account.revoked`` carries the
``connected`` fields and an OAuth account's ``displayName`` is ``@<handle>``; a lease
request's ``data`` is the LeaseRequest object (requestId, projectId, status, submittedAt,
assignedAt, assignedSocialAccountIds, note), ``rejected`` adds ``reason`` (the note).
``social_account.needs_reauth`` is never sent (nothing in the fake expires a token).
"""

from __future__ import annotations

from typing import Any, Protocol

from ._clock import Clock
from ._content import PUBLISH_SECONDS, ContainerRecord, PostRecord
from ._records import Org
from ._rest_state import LeaseRecord
from ._webhooks import Webhooks


class State(Protocol):
    """What the events need of the fake's state (a Protocol: ``_state`` imports this)."""

    clock: Clock
    orgs: dict[str, Org]
    webhooks: Webhooks

_ENDED = ("published", "draft", "failed")


def org_of(state: State, project_id: str) -> Org | None:
    """The organization owning ``project_id``."""
    return next((org for org in state.orgs.values() if project_id in org.projects), None)


# -- content ---------------------------------------------------------------------------------


def content_generated(state: State, org: Org, job_id: str) -> None:
    """``content.generated`` for each container the completed job ``job_id`` made."""
    for container in org.content.containers.values():
        if container.job_id == job_id:
            data = {"id": container.id, "projectId": container.project_id,
                    "assets": [dict(asset) for asset in container.assets]}
            state.webhooks.emit(org, "content.generated", data, project_id=container.project_id)


def content_approved(state: State, org: Org, container: ContainerRecord) -> None:
    """``content.approved`` (a pending container was just approved)."""
    assert container.approved_at is not None
    data = {"id": container.id, "projectId": container.project_id,
            "approvedAt": state.clock.iso(container.approved_at),
            "approvedBy": container.approved_by}
    state.webhooks.emit(org, "content.approved", data, project_id=container.project_id)


def content_rejected(state: State, org: Org, container: ContainerRecord) -> None:
    """``content.rejected`` (the container was just rejected)."""
    assert container.rejected_at is not None
    data = {"id": container.id, "projectId": container.project_id,
            "rejectedAt": state.clock.iso(container.rejected_at),
            "rejectedBy": container.rejected_by, "reason": container.reason}
    state.webhooks.emit(org, "content.rejected", data, project_id=container.project_id)


# -- posts -----------------------------------------------------------------------------------


def _post_data(state: State, post: PostRecord) -> dict[str, Any]:
    return {"scheduledPostId": post.id, "containerId": post.container_id,
            "scheduledFor": state.clock.iso(post.scheduled_for)}


def post_scheduled(state: State, org: Org, post: PostRecord) -> None:
    """``post.scheduled`` now, and a timer for the post's end (``scheduledFor`` + 6 s)."""
    state.webhooks.emit(org, "post.scheduled", _post_data(state, post),
                        project_id=post.project_id)
    state.webhooks.at(post.scheduled_for + PUBLISH_SECONDS, lambda: post_ended(state, org, post))


def post_ended(state: State, org: Org, post: PostRecord) -> None:
    """At the post's end: ``post.published`` or ``post.failed``, once. A stale timer (the
    post was moved later, or canceled) does nothing."""
    status = post.status(state.clock.now())
    if post.end_announced or status not in _ENDED:
        return
    post.end_announced = True
    data = _post_data(state, post)
    if status == "failed":
        data["error"] = {"code": "PUBLISH_FAILED", "message": "The platform rejected the post."}
        state.webhooks.emit(org, "post.failed", data, project_id=post.project_id)
        return
    shown = post.to_json(state.clock, legacy=False)
    data["externalId"], data["externalUrl"] = shown["externalId"], shown["externalUrl"]
    state.webhooks.emit(org, "post.published", data, project_id=post.project_id)


def post_canceled(state: State, org: Org, post: PostRecord) -> None:
    """``post.canceled`` (a queued post was just canceled)."""
    state.webhooks.emit(org, "post.canceled", _post_data(state, post),
                        project_id=post.project_id)


# -- social accounts and lease requests ------------------------------------------------------


def account_event(state: State, event_type: str, *, project_id: str, account_id: str,
                  platform: str, display_name: str, connected_at: float) -> None:
    """``social_account.connected`` / ``revoked`` in the project's organization."""
    org = org_of(state, project_id)
    if org is None:
        return
    data = {"socialAccountId": account_id, "platform": platform, "displayName": display_name,
            "connectedAt": state.clock.iso(connected_at)}
    state.webhooks.emit(org, event_type, data, project_id=project_id)


def lease_event(state: State, lease: LeaseRecord, body: dict[str, Any]) -> None:
    """``lease_request.assigned`` or ``rejected`` (by ``body["status"]``; ``partial`` counts
    as assigned), ``body`` being the LeaseRequest object."""
    org = org_of(state, lease.project_id)
    if org is None:
        return
    data = dict(body)
    if lease.status == "rejected":
        data["reason"] = lease.note
    event_type = "lease_request.rejected" if lease.status == "rejected" \
        else "lease_request.assigned"
    state.webhooks.emit(org, event_type, data, project_id=lease.project_id)
