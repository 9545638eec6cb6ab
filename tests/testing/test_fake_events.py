"""The fake's content, post, social-account and lease-request webhooks, received for real."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio
import attrs
import pytest

from layers_async import AsyncLayers
from layers_async.models.webhooks import (
    ContentEventData,
    LeaseRequestEventData,
    PostEventData,
    SocialAccountEventData,
)
from layers_async.testing import FakeLayers
from layers_async.webhooks import WebhookEvent, WebhookReceiver

pytestmark = pytest.mark.anyio

CONTENT_AND_POSTS = ("content.generated", "content.approved", "content.rejected",
                     "post.scheduled", "post.published", "post.failed", "post.canceled")
ACCOUNTS = ("social_account.connected", "social_account.revoked",
            "lease_request.assigned", "lease_request.rejected")


@attrs.define
class Inbox:
    """Every verified event a receiver handled, and a way to wait for more."""

    events: list[WebhookEvent] = attrs.Factory(list)
    changed: anyio.Event = attrs.Factory(anyio.Event)

    def add(self, event: WebhookEvent) -> None:
        """A handler: keep the event."""
        self.events.append(event)
        self.changed.set()
        self.changed = anyio.Event()

    def of(self, event_type: str) -> list[WebhookEvent]:
        """The events of one type, in arrival order."""
        return [e for e in self.events if str(e.type) == event_type]

    async def wait(self, event_type: str, count: int = 1) -> list[WebhookEvent]:
        """Wait (5 s at most) until ``count`` events of ``event_type`` arrived."""
        with anyio.fail_after(5):
            while len(self.of(event_type)) < count:
                await self.changed.wait()
        return self.of(event_type)


@asynccontextmanager
async def inbox(layers: AsyncLayers, events: tuple[str, ...]) -> AsyncIterator[Inbox]:
    """A receiver served on loopback, registered with the fake for ``events``."""
    received = Inbox()
    created = await layers.webhook_endpoints.create(url="http://127.0.0.1:9/unused",
                                                    events=list(events))
    receiver = WebhookReceiver(created.signing_secret)
    receiver.add_handler(received.add, "*")
    async with receiver.serve() as url:
        await layers.webhook_endpoints.update(created.endpoint.id, url=url)
        yield received


async def test_generation_approval_and_publishing_arrive_typed_and_on_the_clock() -> None:
    """content.generated at the job's end and post.published at the post's end arrive without
    any read; approval promotes a held schedule (post.scheduled); all typed."""
    async with FakeLayers(time_scale=1000, job_duration=60) as fake, fake.client() as layers, \
            inbox(layers, CONTENT_AND_POSTS) as got:
        project = (await layers.projects.create(name="Acme", timezone="UTC")).id
        account = fake.connect_social_account(project, display_name="@acme")
        await layers.content.update_review_policy(project, policy="review_all")
        await layers.content.generate(project, format="ugc_remix")
        [generated] = await got.wait("content.generated")  # no read of the job or container
        assert isinstance(generated.data, ContentEventData)
        container = generated.data.id
        held = await layers.content.schedule(
            container, scheduled_for=fake.utcnow() + timedelta(seconds=60),
            targets=[{"socialAccountId": account, "mode": "direct_publish"}])
        approval = await layers.content.approve(container)
        [scheduled] = await got.wait("post.scheduled")
        [published] = await got.wait("post.published")  # no read of the post
        [approved] = await got.wait("content.approved")
        assert isinstance(scheduled.data, PostEventData)
        post = await layers.scheduled_posts.get(scheduled.data.scheduled_post_id)
        made = await layers.content.get(container)
    assert "blocked_on_approval" == held.gate_status
    assert project == generated.data.project_id
    assert 1 <= len(generated.data.assets)
    assert generated.created_at is not None
    assert made.completed_at is not None
    lag = (generated.created_at - made.completed_at).total_seconds()
    assert 0 <= lag < 5  # sent at the job's end on the fake's clock, not at a later read
    assert isinstance(approved.data, ContentEventData)
    assert (container, approval.approved_by) == (approved.data.id, approved.data.approved_by)
    assert approved.data.approved_at is not None
    assert (post.id, container) == (scheduled.data.scheduled_post_id, scheduled.data.container_id)
    assert isinstance(published.data, PostEventData)
    assert (post.id, post.external_id, post.external_url) == (
        published.data.scheduled_post_id, published.data.external_id,
        published.data.external_url)
    assert published.data.external_id is not None
    assert scheduled.data.scheduled_for is not None
    assert published.created_at is not None
    ended = (published.created_at - scheduled.data.scheduled_for).total_seconds()
    assert 6 <= ended < 6 + 10  # at scheduledFor + 6 s of API time


async def test_rejection_failure_and_cancel_arrive_typed() -> None:
    """content.rejected (with reason), post.failed (with an error), post.canceled."""
    async with FakeLayers(time_scale=1000, job_duration=10) as fake, fake.client() as layers, \
            inbox(layers, CONTENT_AND_POSTS) as got:
        project = (await layers.projects.create(name="Acme", timezone="UTC")).id
        failing = fake.connect_social_account(project, outcome="failed")
        await layers.content.update_review_policy(project, policy="review_first_n", first_n=1)
        rejected_id = (await (await layers.content.generate(project)).wait()).containers[0]
        kept = (await (await layers.content.generate(project)).wait()).containers[0]
        await layers.content.reject(rejected_id, reason="Off brand")
        target = [{"socialAccountId": failing, "mode": "direct_publish"}]
        now = await layers.content.publish(kept, targets=target)
        later = await layers.content.schedule(
            kept, scheduled_for=fake.utcnow() + timedelta(hours=1), targets=target)
        await layers.scheduled_posts.cancel(later.scheduled_post_ids[0])
        [failed] = await got.wait("post.failed")
        [canceled] = await got.wait("post.canceled")  # deliveries may arrive in any order
        [rejected] = await got.wait("content.rejected")
    assert isinstance(rejected.data, ContentEventData)
    assert (rejected_id, "Off brand") == (rejected.data.id, rejected.data.reason)
    assert rejected.data.rejected_at is not None
    assert rejected.data.rejected_by is not None
    assert isinstance(failed.data, PostEventData)
    assert now.scheduled_post_ids[0] == failed.data.scheduled_post_id
    assert failed.data.error is not None
    assert "PUBLISH_FAILED" == failed.data.error.code
    assert isinstance(canceled.data, PostEventData)
    assert (later.scheduled_post_ids[0], kept) == (canceled.data.scheduled_post_id,
                                                  canceled.data.container_id)


async def test_only_subscribed_endpoints_get_an_event() -> None:
    """An endpoint for post.published alone hears nothing of the content events before it."""
    async with FakeLayers(time_scale=1000, job_duration=10) as fake, fake.client() as layers, \
            inbox(layers, CONTENT_AND_POSTS) as every, inbox(layers, ("post.published",)) as one:
        project = (await layers.projects.create(name="Acme", timezone="UTC")).id
        account = fake.connect_social_account(project)
        container = (await (await layers.content.generate(project)).wait()).containers[0]
        await layers.content.publish(container, targets=[{"socialAccountId": account,
                                                          "mode": "direct_publish"}])
        await every.wait("post.published")
        await one.wait("post.published")
    # Deliveries are concurrent POSTs: they may arrive in any order.
    assert sorted(["content.generated", "post.scheduled", "post.published"]) == sorted(
        str(e.type) for e in every.events)
    assert ["post.published"] == [str(e.type) for e in one.events]


async def test_social_accounts_and_lease_requests_arrive_typed() -> None:
    """Connected (a hook, and the 120 s self-completion with no read), revoked, lease
    assigned and rejected."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers, \
            inbox(layers, ACCOUNTS) as got:
        project = (await layers.projects.create(name="Acme", timezone="UTC")).id
        first = await layers.social_accounts.oauth_url(
            project, platform="tiktok", return_url="https://app.example.com/done")
        account = fake.complete_oauth(first.state, handle="acme")
        await layers.social_accounts.oauth_url(
            project, platform="instagram", return_url="https://app.example.com/done")
        connected = await got.wait("social_account.connected", 2)  # the second by itself
        await layers.social_accounts.revoke(account)
        lease = await layers.leased_accounts.request(project, count=2,
                                                     niche={"vertical": "coffee"})
        other = await layers.leased_accounts.request(project, count=1,
                                                     niche={"vertical": "tea"})
        assigned_ids = fake.assign_lease(lease.request_id)
        fake.reject_lease(other.request_id, note="None left")
        [revoked] = await got.wait("social_account.revoked")
        [assigned] = await got.wait("lease_request.assigned")
        [rejected] = await got.wait("lease_request.rejected")
    datas = [e.data for e in connected]
    assert all(isinstance(d, SocialAccountEventData) for d in datas)
    first_data, second_data = (d for d in datas if isinstance(d, SocialAccountEventData))
    assert (account, "tiktok", "@acme") == (first_data.social_account_id, first_data.platform,
                                            first_data.display_name)
    assert "instagram" == second_data.platform
    assert second_data.connected_at is not None
    assert isinstance(revoked.data, SocialAccountEventData)
    assert account == revoked.data.social_account_id
    assert isinstance(assigned.data, LeaseRequestEventData)
    assert (lease.request_id, "assigned", tuple(assigned_ids)) == (
        assigned.data.request_id, assigned.data.status,
        assigned.data.assigned_social_account_ids)
    assert isinstance(rejected.data, LeaseRequestEventData)
    assert (other.request_id, "None left") == (rejected.data.request_id, rejected.data.reason)
