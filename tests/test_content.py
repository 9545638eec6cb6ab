"""Content, approval and publishing through the library, over loopback to FakeLayers."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import anyio
import pytest
from apidocs import EXAMPLES

from layers_async import (
    ApprovalRequiredError,
    AsyncLayers,
    BillingExhaustedError,
    ConflictError,
    Container,
    ContainerProgress,
    ContentConflictError,
    ContentGenerateResult,
    ContentRejectedError,
    Job,
    PostPollPolicy,
    PostWaitTimeoutError,
    PublishTarget,
    ScheduledPost,
    ScheduleResult,
)
from layers_async._errors import error_from_response
from layers_async._http import Response
from layers_async.testing import FakeLayers

pytestmark = pytest.mark.anyio


def example(name: str) -> Any:
    """One docs example payload."""
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


@asynccontextmanager
async def world(**options: Any) -> AsyncIterator[tuple[FakeLayers, AsyncLayers, str, str]]:
    """A fake, a client on it, a project and a social account connected to it."""
    options.setdefault("job_duration", 60)
    async with FakeLayers(time_scale=1000, **options) as fake, fake.client() as layers:
        project = await layers.projects.create(name="Acme Coffee", timezone="UTC")
        yield fake, layers, project.id, fake.connect_social_account(project.id)


def target(account: str) -> list[PublishTarget]:
    """One direct-publish target."""
    return [PublishTarget(social_account_id=account, mode="direct_publish")]


async def made(layers: AsyncLayers, project_id: str, **options: Any) -> Container:
    """A generated, completed container."""
    result = await (await layers.content.generate(project_id, **options)).wait()
    return await layers.content.get(result.containers[0])


async def test_generate_waits_to_a_result_naming_its_containers() -> None:
    """generate() is a Job; its typed result names every container it made."""
    async with world() as (_, layers, project_id, _):
        job = await layers.content.generate(project_id, format="video_remix", variant_count=2,
                                            brief={"topic": "Cold brew at home"})
        assert isinstance(job, Job)
        result = await job.wait()
        listed = await layers.content.list(project_id).collect()
    assert isinstance(result, ContentGenerateResult)
    assert 2 == len(result.containers)
    assert set(result.containers) == {c.id for c in listed}
    assert {"completed"} == {str(c.status) for c in listed}


async def test_every_content_call_answers_its_typed_model() -> None:
    """The format calls start jobs; get, progress, asset, hooks, sources, uploads decode."""
    async with world() as (_, layers, project_id, account):
        jobs = [
            await layers.content.video_remix(project_id, tiktok_video_id="72345",
                                             influencer_id="inf_1"),
            await layers.content.slideshow_remix(project_id, tiktok_video_id="72346",
                                                 social_account_id=account),
            await layers.content.ugc_remix(project_id, influencer_id="inf_1", hook="wait..."),
            await layers.content.slideshow_builder(project_id, hook="3 apps",
                                                   influencer_id="inf_1"),
        ]
        results = [await job.wait() for job in jobs]
        containers = [await layers.content.get(r.containers[0]) for r in results]
        first = containers[0]
        progress = await layers.content.progress(first.id)
        asset = await layers.content.asset(first.id, first.assets[0].asset_id)
        hooks = await layers.content.hooks(project_id)
        sources = await layers.content.source_recommendations(project_id, kind="video",
                                                              limit=3).collect()
        upload = await layers.content.create_upload(project_id, grouping="per-file", files=[
            {"filename": "teaser.mp4", "contentType": "video/mp4", "sizeBytes": 48211234}])
        again = await (await layers.content.regenerate(first.id, preserve_assets=True)).wait()
        clone = await (await layers.content.clone_from_post(
            "7d18b9a1-8b2c-4f3e-a4d5-6e7f8a9b0c1d", project_id=project_id,
            source_platform_post_id="738591")).wait()
    assert ["video-remix", "slideshow-remix", "ugc-remix", "slideshow-builder"] == [
        str(c.format) for c in containers]
    assert isinstance(progress, ContainerProgress)
    assert "completed" == progress.status
    assert first.assets[0].url == asset.url
    assert 5 == len(hooks.hooks)
    assert 3 == len(sources)
    assert 1 == len(upload["files"])
    assert (first.id,) == again.containers
    assert clone.containers[0].endswith("7d18b9a1-8b2c-4f3e-a4d5-6e7f8a9b0c1d")


Call = Callable[[AsyncLayers, str], Awaitable[Any]]
NAIVE = datetime(2026, 4, 19, 14, 0)


@pytest.mark.parametrize("call", [
    lambda c, p: c.content.video_remix(p, tiktok_video_id="1"),
    lambda c, p: c.content.slideshow_remix(p, tiktok_video_id="1", influencer_id="inf_1",
                                           social_account_id="sa_1"),
    lambda c, p: c.content.ugc_remix(p),
    lambda c, p: c.content.slideshow_builder(p, hook="h", influencer_id="i",
                                             social_account_id="s"),
    lambda c, p: c.content.generate(p, format="reel"),
    lambda c, p: c.content.generate(p, variant_count=6),
    lambda c, p: c.content.generate(p, id="not-a-uuid"),
    lambda c, p: c.content.list(p, format="reel").collect(),
    lambda c, p: c.content.schedule("cnt_1", scheduled_for=NAIVE, targets=target("sa_1")),
    lambda c, p: c.content.schedule("cnt_1", scheduled_for="2026-04-19T14:00:00Z",
                                    targets=target("sa_1")),
    lambda c, p: c.content.schedule("cnt_1", scheduled_for=NAIVE.astimezone(), targets=[]),
    lambda c, p: c.content.publish("cnt_1", targets=[{"socialAccountId": "sa", "mode": "x"}]),
    lambda c, p: c.scheduled_posts.reschedule("sp_1", scheduled_for=NAIVE),
    lambda c, p: c.content.update_review_policy(p, policy="review_first_n"),
    lambda c, p: c.content.update_review_policy(p, policy="review_all", first_n=3),
    lambda c, p: c.content.create_upload(p, grouping="per-file", files=[
        {"filename": "a.gif", "contentType": "image/gif", "sizeBytes": 1}]),
], ids=["remix-no-poster", "remix-both", "ugc-no-poster", "builder-both", "unknown-format",
        "too-many-variants", "id-not-uuid", "list-unknown-format", "naive-schedule",
        "string-schedule", "no-targets", "unknown-mode", "naive-reschedule",
        "first-n-missing", "first-n-extra", "unknown-upload-type"])
async def test_bad_input_is_refused_before_any_request(call: Call) -> None:
    """Exactly-one-of poster ids, aware datetimes, known formats: checked client-side."""
    async with world() as (fake, layers, project_id, _):
        sent = len(fake.journal)
        with pytest.raises((ValueError, TypeError)):
            await call(layers, project_id)
        assert sent == len(fake.journal)


async def test_short_wallet_is_billing_exhausted_with_details() -> None:
    """402 when available credits can't cover the reservation; details say how short."""
    async with world(credits=200, job_duration=3600) as (_, layers, project_id, _):
        await layers.content.generate(project_id)  # reserves 120 of 200
        with pytest.raises(BillingExhaustedError) as caught:
            await layers.content.generate(project_id)
    assert 402 == caught.value.status
    assert {"required": 120, "available": 80} == dict(caught.value.details)


async def test_reservation_shows_in_credits_and_settles_at_the_end() -> None:
    """credits.get() shows the reservation while a job runs, then the charge."""
    async with world(job_duration=3600) as (fake, layers, project_id, _):
        before = await layers.credits.get()
        job = await layers.content.generate(project_id, format="slideshow_remix")
        during = await layers.credits.get()
        fake.advance(3600)
        await job.wait()
        after = await layers.credits.get()
    assert (50, before.balance - 50) == (during.reserved_credits, during.available)
    assert (0, before.balance - 50, before.balance - 50) == (
        after.reserved_credits, after.balance, after.available)


async def test_a_resent_container_id_is_idempotent_or_a_typed_conflict() -> None:
    """Same id and brief: the same job; same id, other brief: ContentConflictError."""
    chosen = "3b0d8f5e-1c2a-4b7d-9e8f-0a1b2c3d4e5f"
    async with world() as (_, layers, project_id, _):
        first = await layers.content.generate(project_id, id=chosen, brief={"topic": "a"})
        again = await layers.content.generate(project_id, id=chosen, brief={"topic": "a"})
        with pytest.raises(ContentConflictError) as caught:
            await layers.content.generate(project_id, id=chosen, brief={"topic": "b"})
    assert first.id == again.id
    assert isinstance(caught.value, ConflictError)
    assert caught.value.container_id is not None
    assert caught.value.container_id.endswith(chosen)


async def test_a_lost_generate_answer_is_replayed_not_paid_twice() -> None:
    """Applied, then the connection dropped: the retry replays the Idempotency-Key's answer:
    one reservation, one job, one container."""
    async with world(job_duration=3600) as (fake, layers, project_id, _):
        fake.faults.add(drop=True, after=True, times=1,
                        route="POST /v1/projects/{projectId}/content")
        job = await layers.content.generate(project_id, format="video_remix")
        reserved = (await layers.credits.get()).reserved_credits
        containers = await layers.content.list(project_id).collect()
        posts = [e for e in fake.journal if e.method == "POST" and e.route
                 == "/v1/projects/{projectId}/content"]
        fake.advance(3600)
        result = await job.wait()
    assert 120 == reserved
    assert 1 == len(containers)
    assert (containers[0].id,) == result.containers
    assert 2 == len(posts)
    assert posts[0].headers["Idempotency-Key"] == posts[1].headers["Idempotency-Key"]
    assert (None, True) == (posts[0].status, posts[1].replayed)


async def test_review_policy_gates_publish_schedule_and_rejection() -> None:
    """Unapproved: publish raises ApprovalRequiredError, schedule answers blocked (not a job,
    not an error) and approval promotes it; rejected: ContentRejectedError."""
    async with world() as (fake, layers, project_id, account):
        await layers.content.update_review_policy(project_id, policy="review_all")
        pending = await made(layers, project_id)
        rejected = await made(layers, project_id)
        with pytest.raises(ApprovalRequiredError) as refused:
            await layers.content.publish(pending.id, targets=target(account))
        blocked = await layers.content.schedule(
            pending.id, scheduled_for=fake.utcnow() + timedelta(minutes=1),
            targets=target(account))
        approved = await layers.content.approve(pending.id, note="ok")
        await layers.content.reject(rejected.id, reason="off-brand")
        with pytest.raises(ContentRejectedError) as rejection:
            await layers.content.schedule(
                rejected.id, scheduled_for=fake.utcnow() + timedelta(minutes=1),
                targets=target(account))
    assert (pending.id, "pending") == (refused.value.container_id, refused.value.approval_status)
    assert isinstance(blocked, ScheduleResult)
    assert blocked.blocked_on_approval
    assert () == blocked.scheduled_post_ids
    assert approved.pending_schedule_promotion is not None
    assert 1 == len(approved.pending_schedule_promotion.scheduled_post_ids)
    assert rejected.id == rejection.value.container_id


async def test_a_scheduled_post_is_waited_on_to_published_at_the_documented_cadence() -> None:
    """wait() polls 30 s apart while queued, 5 s apart while publishing (API time)."""
    async with world() as (fake, layers, project_id, account):
        container = await made(layers, project_id)
        scheduled = await layers.content.schedule(
            container.id, scheduled_for=fake.utcnow() + timedelta(seconds=65),
            targets=target(account))
        seen: list[str] = []
        post = await layers.scheduled_posts.wait(
            scheduled.scheduled_post_ids[0], on_progress=lambda p: seen.append(str(p.status)))
        polls = [e for e in fake.journal if e.route == "/v1/scheduled-posts/{scheduledPostId}"]
    assert isinstance(post, ScheduledPost)
    assert "published" == post.status
    assert ["queued", "published"] == [seen[0], seen[-1]]
    gaps = [b.at - a.at for a, b in itertools.pairwise(polls)]
    assert all(gap >= 4.9 for gap in gaps)
    assert gaps[0] >= 29.9  # the first answer was queued


async def test_post_wait_sleeps_by_the_status_it_just_saw(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """After a queued answer the next poll is 30 s away, after a publishing one 5 s (here
    scaled by 1/1000, on the loop's clock, no HTTP)."""
    answers = iter(["queued", "queued", "publishing", "publishing", "failed"])
    times: list[float] = []

    async def get(self: Any, post_id: str, **_: Any) -> ScheduledPost:
        times.append(anyio.current_time())
        return ScheduledPost(id=post_id, status=next(answers))

    monkeypatch.setattr("layers_async.resources.content.ScheduledPosts.get", get)
    async with AsyncLayers(api_key="lp_test_x", base_url="http://127.0.0.1:9",
                           post_poll=PostPollPolicy().scaled(0.001)) as layers:
        post = await layers.scheduled_posts.wait("sp_1")
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert "failed" == post.status
    assert all(gap >= 0.030 for gap in gaps[:2])
    assert all(0.005 <= gap < 0.030 for gap in gaps[2:])


async def test_waiting_for_a_post_is_cancellable_and_can_time_out() -> None:
    """Cancelling the awaiting task stops polling; a timeout raises with the last post."""
    async with world() as (fake, layers, project_id, account):
        container = await made(layers, project_id)
        scheduled = await layers.content.schedule(
            container.id, scheduled_for=fake.utcnow() + timedelta(hours=1),
            targets=target(account))
        post_id = scheduled.scheduled_post_ids[0]
        first = anyio.Event()
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: layers.scheduled_posts.wait(
                post_id, on_progress=lambda _: first.set()))
            await first.wait()
            group.cancel_scope.cancel()
        polls = sum(1 for e in fake.journal if e.path == f"/v1/scheduled-posts/{post_id}")
        with pytest.raises(PostWaitTimeoutError) as caught:
            await layers.scheduled_posts.wait(post_id, timeout=0.05,
                                              policy=PostPollPolicy().scaled(0.001))
    assert 1 == polls
    assert isinstance(caught.value, TimeoutError)
    assert "queued" == caught.value.post.status


async def test_cancel_and_reschedule_of_a_post_no_longer_queued_conflict() -> None:
    """A queued post moves and cancels; once publishing, both answer ConflictError."""
    async with world() as (fake, layers, project_id, account):
        container = await made(layers, project_id)
        now = await layers.content.publish(container.id, targets=target(account))
        later = await layers.content.schedule(
            container.id, scheduled_for=fake.utcnow() + timedelta(hours=1),
            targets=target(account))
        moved = await layers.scheduled_posts.reschedule(
            later.scheduled_post_ids[0], scheduled_for=fake.utcnow() + timedelta(hours=2))
        canceled = await layers.scheduled_posts.cancel(later.scheduled_post_ids[0],
                                                       reason="hold")
        with pytest.raises(ConflictError):
            await layers.scheduled_posts.cancel(now.scheduled_post_ids[0])
        with pytest.raises(ConflictError):
            await layers.scheduled_posts.reschedule(
                now.scheduled_post_ids[0], scheduled_for=fake.utcnow() + timedelta(hours=1))
        listed = await layers.scheduled_posts.list(project_id, status="canceled").collect()
    assert "queued" == moved.status
    assert "canceled" == canceled.status
    assert [canceled.id] == [p.id for p in listed]


@pytest.mark.parametrize(("name", "cls"), [
    ("errors.approval_required.json", ApprovalRequiredError),
    ("errors.approval_required.legacy.json", ApprovalRequiredError),
    ("errors.content.not_found.json", Exception),
    ("errors.content.reject.already_rejected.json", ConflictError),
    ("errors.content.reject.not_required.json", ConflictError),
])
def test_the_docs_error_examples_decode_to_their_classes(name: str, cls: type[Exception]) -> None:
    """Each printed error envelope of these areas becomes its class, details kept."""
    data = example(name)
    status = {"APPROVAL_REQUIRED": 403, "NOT_FOUND": 404}.get(data["error"]["code"], 409)
    error = error_from_response(Response(status=status, headers={},
                                         body=json.dumps(data).encode(), method="POST",
                                         path="/v1/content/cnt_1/publish"))
    assert isinstance(error, cls)
    assert data["error"].get("details", {}) == dict(error.details)
    assert data["error"]["code"] == error.code


def test_post_poll_policy_has_the_documented_cadence_and_scales() -> None:
    """30 s while queued, 5 s while publishing; scaled() multiplies both."""
    policy = PostPollPolicy()
    assert (30.0, 5.0, 5.0) == (policy.delay("queued"), policy.delay("publishing"),
                                policy.delay("something_new"))
    assert (0.03, 0.005) == (policy.scaled(0.001).queued, policy.scaled(0.001).publishing)
    with pytest.raises(ValueError, match="factor"):
        policy.scaled(0)
