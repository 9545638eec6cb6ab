"""layers_async.webhooks: verification, the receiver, its stores, and waking job waiters."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest

from layers_async import (
    JobEventData,
    LayersError,
    Secret,
    TestPingData,
    WebhookEventType,
    WebhookVerificationError,
)
from layers_async.testing import FakeLayers
from layers_async.webhooks import (
    EventStore,
    MemoryEventStore,
    SqliteEventStore,
    WebhookEvent,
    WebhookReceiver,
    sign,
    signature_header,
    verify,
)

SECRET = "whsec_test_secret"
NOW = 1_767_000_000


def payload(**fields: Any) -> bytes:
    """A job.completed delivery body (compact JSON, as a sender would write it)."""
    event = {"id": "evt_01KPM7QZEC6NJF4XJTCZRR6S3N", "type": "job.completed",
             "data": {"jobId": "job_1", "kind": "ingest_github", "result": {"prNumber": 7}}}
    return json.dumps(event | fields, separators=(",", ":")).encode()


def headers(body: bytes, *secrets: str, t: int = NOW, **extra: str) -> dict[str, str]:
    """Signed headers for ``body``."""
    return {"X-Layers-Signature": signature_header(body, list(secrets or [SECRET]), timestamp=t),
            "X-Layers-Event-Id": "evt_01KPM7QZEC6NJF4XJTCZRR6S3N", **extra}


def reason(body: bytes, sent: dict[str, str], secret: Any = SECRET, **options: Any) -> str:
    """The reason ``verify`` refuses a delivery."""
    with pytest.raises(WebhookVerificationError) as caught:
        verify(body, sent, secret, now=NOW, **options)
    return caught.value.reason


def test_a_signed_delivery_verifies_to_a_typed_event() -> None:
    """The docs' scheme: v1 = hex HMAC-SHA256 of "<t>.<raw body>"; data is typed."""
    body = payload()
    event = verify(body, headers(body), SECRET, now=NOW)
    assert WebhookEventType.JOB_COMPLETED == event.type
    assert JobEventData(job_id="job_1", kind="ingest_github", result={"prNumber": 7}) == event.data
    assert "job_1" == event.job_id
    assert json.loads(body) == event.raw
    assert sign(body, SECRET, timestamp=NOW) in headers(body)["X-Layers-Signature"]


def test_the_signature_covers_the_raw_bytes_not_reserialised_json() -> None:
    """The same JSON with other whitespace is another message."""
    body = payload()
    spaced = json.dumps(json.loads(body)).encode()
    assert "signature_mismatch" == reason(spaced, headers(body))


def test_any_v1_matching_any_secret_is_enough_during_a_rotation() -> None:
    """Two v1 values (new, old) and a verifier holding only the old one, or both."""
    body = payload()
    both = headers(body, "whsec_new", SECRET)
    assert 2 == both["X-Layers-Signature"].count("v1=")
    assert "evt_01KPM7QZEC6NJF4XJTCZRR6S3N" == verify(body, both, SECRET, now=NOW).id
    assert verify(body, headers(body), ["whsec_other", Secret(SECRET)], now=NOW).id


def test_unknown_schemes_are_ignored_and_no_v1_fails() -> None:
    """A v0 beside a good v1 is fine; a v0 alone is refused."""
    body = payload()
    good = sign(body, SECRET, timestamp=NOW)
    assert verify(body, {"X-Layers-Signature": f"t={NOW},v0=abc,v1={good}"}, SECRET, now=NOW)
    assert "no_v1_signature" == reason(body, {"X-Layers-Signature": f"t={NOW},v0={good}"})


@pytest.mark.parametrize(("header", "expected"), [
    (None, "missing_signature"),
    ("", "missing_signature"),
    ("v1=abc", "malformed_signature"),
    (f"t=soon,v1={'0' * 64}", "malformed_signature"),
    (f"t={NOW},garbage", "malformed_signature"),
    (f"t={NOW},v1={'0' * 64}", "signature_mismatch"),
    (f"t={NOW},v1=ünïcode", "signature_mismatch"),
])
def test_bad_headers_are_refused_with_a_reason(header: str | None, expected: str) -> None:
    """Missing, malformed and wrong signatures each have their reason."""
    sent = {} if header is None else {"X-Layers-Signature": header}
    assert expected == reason(payload(), sent)


def test_the_wrong_secret_is_refused() -> None:
    """A delivery signed for another endpoint does not verify."""
    body = payload()
    assert "signature_mismatch" == reason(body, headers(body), secret="whsec_other")


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_beyond_the_tolerance_either_way_is_refused(offset: int) -> None:
    """Five minutes by default, in the past and in the future."""
    body = payload()
    sent = headers(body, t=NOW + offset)
    assert "timestamp_out_of_tolerance" == reason(body, sent)
    assert verify(body, sent, SECRET, now=NOW, tolerance=400)


@pytest.mark.parametrize("body", [b"[1, 2]", b"not json", b'{"type": "job.completed"}',
                                  b'{"id": "evt_1", "type": "x", "data": []}'])
def test_a_body_that_is_not_an_event_object_is_refused(body: bytes) -> None:
    """Signed, but not a JSON object with id, type and an object data."""
    sent = headers(body)
    del sent["X-Layers-Event-Id"]
    assert "malformed_body" == reason(body, sent)


def test_an_event_id_header_that_disagrees_with_the_body_is_refused() -> None:
    """X-Layers-Event-Id must name the payload's id."""
    body = payload()
    assert "event_id_mismatch" == reason(body, headers(body) | {"X-Layers-Event-Id": "evt_x"})


def test_headers_are_read_case_insensitively() -> None:
    """A plain dict with lower-case names works too."""
    body = payload()
    lower = {k.lower(): v for k, v in headers(body).items()}
    assert verify(body, lower, SECRET, now=NOW).id


def test_replay_of_is_read_from_the_top_level_or_older_data() -> None:
    """Both spellings of the docs."""
    top = payload(replayOf="dlv_1")
    assert "dlv_1" == verify(top, headers(top), SECRET, now=NOW).replay_of
    old = payload(data={"jobId": "job_1", "replayOf": "dlv_2"})
    assert "dlv_2" == verify(old, headers(old), SECRET, now=NOW).replay_of


def test_unknown_types_verify_and_keep_raw_data() -> None:
    """An event type the library does not know is still delivered, data untouched."""
    body = payload(type="content.remixed", data={"x": [1]})
    event = verify(body, headers(body), SECRET, now=NOW)
    assert ("content.remixed", {"x": [1]}) == (event.type, event.data)


def test_documented_types_get_their_data_models() -> None:
    """test.ping and content/post/social/lease events decode to their models."""
    for event_type, data, field, value in [
        ("test.ping", {"message": "hi"}, "message", "hi"),
        ("content.approved", {"id": "cnt_1", "approvedBy": "u"}, "approved_by", "u"),
        ("post.published", {"scheduledPostId": "sp_1", "externalUrl": "u"}, "external_url", "u"),
        ("social_account.connected", {"socialAccountId": "sa_1", "platform": "tiktok"},
         "platform", "tiktok"),
        ("lease_request.assigned", {"requestId": "lr_1"}, "request_id", "lr_1"),
    ]:
        body = payload(type=event_type, data=data)
        event = verify(body, headers(body), SECRET, now=NOW)
        assert value == getattr(event.data, field), event_type
    ping = payload(type="test.ping", data={})
    assert isinstance(verify(ping, headers(ping), SECRET, now=NOW).data, TestPingData)


def test_no_secret_appears_in_errors_or_reprs(caplog: pytest.LogCaptureFixture) -> None:
    """Refusals, the receiver and events never show a secret."""
    caplog.set_level(logging.DEBUG)
    body = payload()
    with pytest.raises(WebhookVerificationError) as caught:
        verify(body, headers(body, "whsec_other"), SECRET, now=NOW)
    assert isinstance(caught.value, LayersError)
    receiver = WebhookReceiver([SECRET, Secret("whsec_other")])
    text = " ".join([str(caught.value), repr(caught.value), repr(receiver),
                     repr(verify(body, headers(body), SECRET, now=NOW)), caplog.text])
    assert SECRET not in text
    assert "whsec_other" not in text


def test_verify_refuses_programming_errors_plainly() -> None:
    """No secret at all, or a str body, is a ValueError / TypeError, not a refusal."""
    with pytest.raises(ValueError, match="at least one secret"):
        verify(payload(), {}, [])
    with pytest.raises(TypeError, match="raw bytes"):
        verify("{}", {}, SECRET)  # type: ignore[arg-type]


# -- stores -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_memory_store_is_bounded() -> None:
    """The oldest ids are forgotten beyond maxsize."""
    store = MemoryEventStore(maxsize=2)
    for event_id in ("a", "b", "c"):
        await store.mark(event_id)
    assert (False, True, True) == (await store.seen("a"), await store.seen("b"),
                                   await store.seen("c"))
    assert 2 == len(store)


@pytest.mark.anyio
async def test_the_sqlite_store_survives_a_restart(tmp_path: Path) -> None:
    """A second store on the same file still knows the id."""
    path = str(tmp_path / "events.db")
    async with SqliteEventStore(path) as first:
        assert isinstance(first, EventStore)
        await first.mark("evt_1")
        await first.mark("evt_1")
    async with SqliteEventStore(path) as second:
        assert (True, False) == (await second.seen("evt_1"), await second.seen("evt_2"))


# -- the receiver -----------------------------------------------------------------------------


async def post(url: str, body: bytes, sent: dict[str, str]) -> tuple[int, Any]:
    """POST a delivery to a receiver."""
    async with aiohttp.ClientSession() as session, \
            session.post(url, data=body, headers=sent) as answer:
        return answer.status, await answer.json()


def live_headers(body: bytes, event_id: str = "evt_01KPM7QZEC6NJF4XJTCZRR6S3N") -> dict[str, str]:
    """Headers signed now (the receiver checks against the wall clock)."""
    return {"X-Layers-Signature": signature_header(body, SECRET),
            "X-Layers-Event-Id": event_id}


@pytest.mark.anyio
async def test_the_receiver_dispatches_by_type_and_drops_duplicates() -> None:
    """Sync and async handlers run once; a retry of the same event id is acknowledged only."""
    receiver = WebhookReceiver(SECRET)
    seen: list[str] = []

    @receiver.on("job.completed")
    async def completed(event: WebhookEvent) -> None:
        seen.append(f"async {event.type}")

    receiver.add_handler(lambda event: seen.append(f"any {event.id}"), "*")
    receiver.add_handler(lambda event: seen.append("wrong"), "job.failed")
    body = payload()
    async with receiver.serve() as url:
        first = await post(url, body, live_headers(body))
        again = await post(url, body, live_headers(body))
    assert (200, {"received": True}) == first
    assert (200, {"received": True, "duplicate": True}) == again
    assert ["async job.completed", "any evt_01KPM7QZEC6NJF4XJTCZRR6S3N"] == seen


@pytest.mark.anyio
async def test_a_bad_signature_gets_400_and_no_handler_runs() -> None:
    """Forged deliveries never reach a handler."""
    receiver = WebhookReceiver(SECRET)
    receiver.add_handler(lambda event: pytest.fail("handler called"), "*")
    body = payload()
    async with receiver.serve() as url:
        status, answer = await post(url, body, {"X-Layers-Signature": f"t={NOW},v1=00"})
    assert (400, {"error": "signature_mismatch"}) == (status, answer)


@pytest.mark.anyio
async def test_a_failing_handler_gets_the_delivery_retried() -> None:
    """A handler that raises answers 500, and the retry is handled again (not a duplicate)."""
    receiver = WebhookReceiver(SECRET)
    calls: list[int] = []

    def flaky(event: WebhookEvent) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database down")

    receiver.add_handler(flaky, "job.completed")
    body = payload()
    async with receiver.serve() as url:
        first = await post(url, body, live_headers(body))
        retry = await post(url, body, live_headers(body))
    assert (500, 200) == (first[0], retry[0])
    assert 2 == len(calls)


@pytest.mark.anyio
async def test_concurrent_copies_of_one_event_run_the_handler_once() -> None:
    """A retry arriving while the first copy is still handled waits, then is a duplicate."""
    receiver = WebhookReceiver(SECRET)
    release = anyio.Event()
    calls: list[str] = []

    async def slow(event: WebhookEvent) -> None:
        calls.append(event.id)
        await release.wait()

    receiver.add_handler(slow, "*")
    results: list[tuple[int, dict[str, Any]]] = []

    async def deliver() -> None:
        results.append(await receiver.dispatch(event))

    event = verify(payload(), headers(payload()), SECRET, now=NOW)
    async with anyio.create_task_group() as tg:
        tg.start_soon(deliver)
        tg.start_soon(deliver)
        await anyio.wait_all_tasks_blocked()
        release.set()
    assert ["evt_01KPM7QZEC6NJF4XJTCZRR6S3N"] == calls
    assert [False, True] == sorted("duplicate" in answer for _, answer in results)


@pytest.mark.anyio
async def test_a_job_event_ends_wait_within_one_request() -> None:
    """A verified job.completed ends wait() sooner than the shortest poll could, with one GET."""
    async with FakeLayers(time_scale=10) as fake, fake.client() as layers:
        receiver = WebhookReceiver(SECRET, client=layers)
        job_id = fake.create_job(duration=40)
        job = layers.jobs.attach(job_id)
        done = anyio.Event()

        async def waiter() -> None:
            await job.wait()
            done.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()  # first poll made; the next is >= 0.5 s away
            before = len(fake.journal)
            fake.advance(40)  # the job is over
            body = json.dumps({"id": "evt_01KPM7QZEC6NJF4XJTCZRR6S3N", "type": "job.completed",
                               "data": {"jobId": job_id, "kind": "ingest_github"}}).encode()
            status, _ = await receiver.dispatch(verify(body, headers(body), SECRET, now=NOW))
            with anyio.fail_after(0.4):  # under the 0.5 s (5 API s) minimum poll delay
                await done.wait()
        assert 200 == status
        assert [("GET", f"/v1/jobs/{job_id}")] == [
            (entry.method, entry.path) for entry in fake.journal[before:]]
