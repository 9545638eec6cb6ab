"""The fake's webhooks: endpoint management and real signed deliveries with retries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import anyio
import attrs
import pytest
from aiohttp import web

from layers_async import AsyncLayers, IngestGithubResult, WebhookEndpointCreateResult
from layers_async.testing import FakeLayers
from layers_async.webhooks import WebhookEvent, WebhookReceiver, verify

pytestmark = pytest.mark.anyio


@attrs.define
class Sink:
    """A loopback endpoint answering scripted statuses and keeping every request."""

    url: str = ""
    statuses: Iterator[int] = attrs.field(factory=lambda: iter(()))
    requests: list[tuple[dict[str, str], bytes]] = attrs.Factory(list)

    async def handle(self, request: web.Request) -> web.Response:
        """Record the request, answer the next scripted status (200 when none is left)."""
        self.requests.append((dict(request.headers), await request.read()))
        return web.Response(status=next(self.statuses, 200))


@asynccontextmanager
async def sink(*statuses: int) -> AsyncIterator[Sink]:
    """A :class:`Sink` served on a free loopback port."""
    target = Sink(statuses=iter(statuses))
    app = web.Application()
    app.router.add_post("/hook", target.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    target.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield target
    finally:
        await runner.cleanup()


async def endpoint(layers: AsyncLayers, url: str,
                   events: tuple[str, ...] = ("job.completed", "content.approved")
                   ) -> WebhookEndpointCreateResult:
    """Register ``url`` for ``events``."""
    return await layers.webhook_endpoints.create(url=url, events=list(events))


async def test_an_ingest_completion_arrives_once_verified_and_a_duplicate_is_dropped() -> None:
    """Receiver and fake together: job.completed of an ingest, then the same event again."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers:
        received: list[WebhookEvent] = []
        arrived = anyio.Event()
        created = await endpoint(layers, "http://127.0.0.1:9/unused")
        receiver = WebhookReceiver(created.signing_secret, client=layers)

        @receiver.on("job.completed")
        def completed(event: WebhookEvent) -> None:
            received.append(event)
            arrived.set()

        async with receiver.serve() as url:
            await layers.webhook_endpoints.update(created.endpoint.id, url=url)
            await layers.github.register_installation(installation_id=1, state="s")
            project = await layers.projects.create(name="Acme")
            job = await layers.ingest.github(project.id, repo_full_name="acme/app")
            result = await job.wait()
            with anyio.fail_after(5):
                await arrived.wait()
            [delivery] = await layers.webhook_endpoints.deliveries(created.endpoint.id).collect()
            fake.redeliver_webhook(delivery.id)
            with anyio.fail_after(5):
                await fake.wait_for_webhook_attempts(2)
        assert isinstance(result, IngestGithubResult)
        assert [job.id] == [event.job_id for event in received]
        assert [200, 200] == [status for _, status in fake.webhook_attempts]
        assert 1 == len(received)  # the second copy was acknowledged, not handled again


async def test_deliveries_are_signed_and_rotation_adds_a_second_v1() -> None:
    """Before rotation one v1 (old secret); after it two, and the old secret still verifies."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers, sink() as target:
        created = await endpoint(layers, target.url)
        old = created.signing_secret.value
        assert old.startswith("whsec_")
        fake.emit_event("content.approved", {"id": "cnt_1", "projectId": "prj_1"})
        with anyio.fail_after(5):
            await fake.wait_for_webhook_attempts(1)
        rotated = await layers.webhook_endpoints.rotate_secret(created.endpoint.id)
        fake.emit_event("content.approved", {"id": "cnt_2", "projectId": "prj_1"})
        with anyio.fail_after(5):
            await fake.wait_for_webhook_attempts(2)
    (first_headers, first), (second_headers, second) = target.requests
    assert 1 == first_headers["X-Layers-Signature"].count("v1=")
    assert 2 == second_headers["X-Layers-Signature"].count("v1=")
    assert "cnt_1" == verify(first, first_headers, old).raw["data"]["id"]
    assert verify(second, second_headers, old).id == verify(second, second_headers,
                                                            rotated.signing_secret).id
    assert first_headers["X-Layers-Event-Id"] == json.loads(first)["id"]


async def test_a_5xx_is_retried_on_the_schedule_with_the_same_event_id() -> None:
    """500 then 200: two attempts, 30 API seconds apart, one event id; the log says so."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers, \
            sink(500) as target:
        created = await endpoint(layers, target.url)
        fake.emit_event("content.approved", {"id": "cnt_1"})
        with anyio.fail_after(5):
            await fake.wait_for_webhook_attempts(2)
        [delivery] = await layers.webhook_endpoints.deliveries(created.endpoint.id).collect()
    assert 1 == len({headers["X-Layers-Event-Id"] for headers, _ in target.requests})
    assert ("delivered", 2, 200) == (delivery.status, delivery.attempts,
                                     delivery.last_response_status)
    assert delivery.delivered_at is not None
    assert delivery.created_at is not None
    assert 30 <= (delivery.delivered_at - delivery.created_at).total_seconds()


@pytest.mark.parametrize(("policy", "final"),
                         [("schedule", "failed"), ("product", "abandoned")])
async def test_a_4xx_other_than_429_is_not_retried(policy: str, final: str) -> None:
    """400 ends the delivery at once (both policies); 429 is retried."""
    async with FakeLayers(time_scale=1000, webhook_retry=policy) as fake, \
            fake.client() as layers, sink(400, 429) as target:
        created = await endpoint(layers, target.url)
        fake.emit_event("content.approved", {"id": "cnt_1"})
        fake.emit_event("content.approved", {"id": "cnt_2"})
        with anyio.fail_after(5):
            await fake.wait_for_webhook_attempts(3)
        deliveries = await layers.webhook_endpoints.deliveries(created.endpoint.id).collect()
    by_status = sorted((d.status, d.attempts, d.last_response_status) for d in deliveries)
    assert sorted([("delivered", 2, 200), (final, 1, 400)]) == by_status


async def test_the_product_policy_gives_up_after_five_attempts() -> None:
    """Five 503s, then ``abandoned`` (the schedule policy would try eight times)."""
    async with FakeLayers(time_scale=100_000, webhook_retry="product") as fake, \
            fake.client() as layers, sink(*[503] * 9) as target:
        created = await endpoint(layers, target.url)
        fake.emit_event("content.approved", {"id": "cnt_1"})
        with anyio.fail_after(10):
            await fake.wait_for_webhook_attempts(5)
        [delivery] = await layers.webhook_endpoints.deliveries(created.endpoint.id).collect()
    assert ("abandoned", 5) == (delivery.status, delivery.attempts)
    assert 5 == len(target.requests)


async def test_twenty_consecutive_failures_auto_pause_until_patched_active() -> None:
    """auto_paused after 20 failed attempts; no deliveries then; PATCH active resets."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers, \
            sink(*[410] * 20) as target:
        created = await endpoint(layers, target.url)
        for n in range(20):
            fake.emit_event("content.approved", {"id": f"cnt_{n}"})
        with anyio.fail_after(5):
            await fake.wait_for_webhook_attempts(20)
        [paused] = await layers.webhook_endpoints.list(status="auto_paused").collect()
        assert [] == fake.emit_event("content.approved", {"id": "cnt_late"})
        resumed = await layers.webhook_endpoints.update(created.endpoint.id, status="active")
        fake.emit_event("content.approved", {"id": "cnt_after"})
        with anyio.fail_after(5):
            await fake.wait_for_webhook_attempts(21)
    assert (20, "auto_paused") == (paused.consecutive_failure_count, paused.status)
    assert ("active", 0) == (resumed.status, resumed.consecutive_failure_count)
    assert "cnt_after" == json.loads(target.requests[-1][1])["data"]["id"]


async def test_test_sends_a_ping_and_replay_sends_a_new_event_id_with_replay_of() -> None:
    """test.ping arrives; its replay carries another id and replayOf the delivery's id."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers, sink() as target:
        created = await endpoint(layers, target.url)
        ping = await layers.webhook_endpoints.test(created.endpoint.id)
        with anyio.fail_after(5):
            await fake.wait_for_webhook_attempts(1)
        replay = await layers.webhook_deliveries.replay(ping.delivery_id)
        with anyio.fail_after(5):
            await fake.wait_for_webhook_attempts(2)
    events = [verify(body, headers, created.signing_secret) for headers, body in target.requests]
    assert ["test.ping", "test.ping"] == [str(e.type) for e in events]
    assert ping.event_id == events[0].id
    assert events[1].id != events[0].id
    assert (ping.delivery_id, ping.delivery_id) == (replay.original_delivery_id,
                                                    events[1].replay_of)


async def test_endpoint_management_checks_input_and_forgets_deleted_endpoints() -> None:
    """Unknown events and plain http off loopback are 422; a deleted endpoint is 404."""
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers:
        with pytest.raises(ValueError, match="unknown event type"):
            await endpoint(layers, "https://example.com/h", ("job.exploded",))
        reply = await fake_post(fake, {"url": "http://example.com/h", "events": ["test.ping"]})
        assert 422 == reply
        created = await endpoint(layers, "https://example.com/h")
        assert (await layers.webhook_endpoints.delete(created.endpoint.id)).deleted
        assert [] == await layers.webhook_endpoints.list().collect()
        from layers_async import NotFoundError

        with pytest.raises(NotFoundError):
            await layers.webhook_endpoints.test(created.endpoint.id)


async def fake_post(fake: FakeLayers, body: dict[str, object]) -> int:
    """POST /v1/webhook-endpoints with a raw body; the status."""
    import aiohttp

    async with aiohttp.ClientSession() as session, session.post(
            fake.base_url + "/v1/webhook-endpoints", json=body,
            headers={"Authorization": f"Bearer {fake.api_key}"}) as answer:
        return answer.status


async def test_stopping_the_fake_leaves_no_task_behind() -> None:
    """The pump and any attempt in flight end with the server."""
    before = set(asyncio.all_tasks())
    async with FakeLayers(time_scale=1000) as fake, fake.client() as layers, sink() as target:
        await endpoint(layers, target.url)
        fake.create_job(duration=10_000)  # the pump sleeps until this job's end
    assert set() == set(asyncio.all_tasks()) - before
