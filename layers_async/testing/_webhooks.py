"""Webhook endpoints and real deliveries: signed HTTP POSTs from inside the fake.

Written from README section 7 of the API docs, not from the library. The fake accepts plain
``http://`` URLs on loopback hosts (the real API wants https): a receiver in the same test
process is the point. Signatures use the real wall clock (``time.time()``), not the fake's
scaled one, so a receiver checking timestamps against its own clock accepts them at any
``time_scale``.

Retries (README section 12.10: two documented policies):

- ``"schedule"`` (the default; the older copy, and the deliveries example's ``failed`` after 8
  attempts): attempts at 0 s, 30 s, 1 min, 5 min, 15 min, 1 h, 6 h, 24 h after the event, then
  ``failed``.
- ``"product"`` (the product page): at most 5 attempts (the first five of that schedule: the page
  prints no intervals, inferred), then ``abandoned``.

Both stop at once on a 4xx other than 429 (the product page's rule; the older copy says nothing
about 4xx). Intervals are API seconds, so ``time_scale`` shrinks them. 20 consecutive failed
attempts on an endpoint set it ``auto_paused``; PATCH ``status: active`` resumes it and resets the
count. Inferred: a paused endpoint gets no new deliveries and its pending retries wait until it is
resumed; a delivery attempt times out after 10 s of real time; ``test`` delivers regardless of the
endpoint's status and subscriptions.

A pump task (started and stopped with the server) fires at each running job's ``terminal_at()``
on the fake's clock, settles it (which emits ``job.completed``/``failed``/``canceled``, and
``content.generated`` for a generation), runs the timers other parts of the fake set with
:meth:`Webhooks.at` (a post's end, an OAuth hand-off completing by itself: see ``_events.py``),
and sends due deliveries, each in its own task.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import hmac
import itertools
import json
import math
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import aiohttp
import anyio
import attrs

from ._clock import Clock
from ._ids import Ids
from ._records import Org


class State(Protocol):
    """What the webhooks need of the fake's state (a Protocol: ``_state`` imports this)."""

    clock: Clock
    ids: Ids
    orgs: dict[str, Org]

    def settle(self, org: Org) -> None:
        """Apply the ends of ``org``'s finished jobs (emitting their events)."""

EVENT_TYPES = (
    "job.completed",
    "job.failed",
    "job.canceled",
    "content.generated",
    "content.approved",
    "content.rejected",
    "post.scheduled",
    "post.published",
    "post.failed",
    "post.canceled",
    "social_account.connected",
    "social_account.needs_reauth",
    "social_account.revoked",
    "lease_request.assigned",
    "lease_request.rejected",
    "test.ping",
)
RETRY_POLICIES = ("schedule", "product")
#: Offsets (API seconds) of each attempt from the event, older copy of the docs.
SCHEDULE = (0.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0)
PRODUCT_ATTEMPTS = 5
AUTO_PAUSE_AFTER = 20
#: Rotation overlap (the legacy rotate answer says 24 hours; the newer one names no length).
ROTATION_OVERLAP = 86400.0
ATTEMPT_TIMEOUT = 10.0  # real seconds (inferred)


@attrs.define(kw_only=True, eq=False)
class EndpointRecord:
    """A registered webhook endpoint."""

    id: str
    seq: int
    org_id: str
    url: str
    events: list[str]
    secret: str
    created_at: float
    updated_at: float
    description: str | None = None
    metadata: dict[str, Any] | None = None
    project_id: str | None = None
    scope: str = "own"
    status: str = "active"
    previous_secret: str | None = None
    previous_expires_at: float | None = None
    last_success_at: float | None = None
    last_failure_at: float | None = None
    consecutive_failures: int = 0

    def secrets(self, now: float) -> list[str]:
        """The secrets that sign a delivery now (two during a rotation overlap)."""
        live = [self.secret]
        if self.previous_secret and (self.previous_expires_at or 0.0) > now:
            live.append(self.previous_secret)
        return live

    def to_json(self, state: State) -> dict[str, Any]:
        """The endpoint as the docs print it."""
        clock = state.clock
        return {
            "id": self.id,
            "organizationId": self.org_id,
            "projectId": self.project_id,
            "url": self.url,
            "description": self.description,
            "status": self.status,
            "events": list(self.events),
            "apiVersion": "v1",
            "scope": self.scope,
            "metadata": self.metadata,
            "createdAt": clock.iso(self.created_at),
            "updatedAt": clock.iso(self.updated_at),
            "lastSuccessAt": None
            if self.last_success_at is None
            else clock.iso(self.last_success_at),
            "lastFailureAt": None
            if self.last_failure_at is None
            else clock.iso(self.last_failure_at),
            "consecutiveFailureCount": self.consecutive_failures,
        }


@attrs.define(kw_only=True, eq=False)
class DeliveryRecord:
    """One event on its way to one endpoint, with its attempts so far."""

    id: str
    seq: int
    endpoint_id: str
    event_id: str
    event_type: str
    body: bytes
    created_at: float
    next_at: float | None  # API time of the next attempt (None: none planned)
    status: str = "pending"
    attempts: int = 0
    delivered_at: float | None = None
    abandoned_at: float | None = None
    last_status: int | None = None
    last_at: float | None = None
    last_error: str | None = None

    def to_json(self, state: State) -> dict[str, Any]:
        """The delivery as the log prints it (payload omitted)."""

        def iso(value: float | None) -> str | None:
            return None if value is None else state.clock.iso(value)

        return {
            "id": self.id,
            "endpointId": self.endpoint_id,
            "eventId": self.event_id,
            "eventType": self.event_type,
            "status": self.status,
            "attempts": self.attempts,
            "nextRetryAt": iso(self.next_at if self.status == "pending" else None),
            "deliveredAt": iso(self.delivered_at),
            "abandonedAt": iso(self.abandoned_at),
            "lastResponseStatus": self.last_status,
            "lastResponseAt": iso(self.last_at),
            "lastErrorMessage": self.last_error,
            "createdAt": iso(self.created_at),
        }


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """``hex(HMAC-SHA256(secret, "<t>.<body>"))``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class Webhooks:
    """Every org's endpoints and deliveries, and the pump that sends them."""

    def __init__(self, state: State, *, retry: str = "schedule") -> None:
        if retry not in RETRY_POLICIES:
            raise ValueError(f"webhook_retry must be one of {RETRY_POLICIES}")
        self.state = state
        self.retry = retry
        self.endpoints: dict[str, EndpointRecord] = {}
        self.deliveries: dict[str, DeliveryRecord] = {}
        self._seq = 0
        self._wake = asyncio.Event()
        self._attempted = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: (API time, order, action): clock-driven events, fired by :meth:`fire_due`.
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_order = itertools.count()
        #: Every attempt made: (delivery id, HTTP status or None for a transport error).
        self.attempt_log: list[tuple[str, int | None]] = []

    # -- records ---------------------------------------------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def new_secret(self) -> str:
        """A fresh ``whsec_`` signing secret."""
        return "whsec_" + self.state.ids.hex(32)

    def add_endpoint(self, org: Org, **fields: Any) -> EndpointRecord:
        """Register an endpoint for ``org``."""
        now = self.state.clock.now()
        record = EndpointRecord(
            id=self.state.ids.uuid(),
            seq=self._next_seq(),
            org_id=org.id,
            secret=self.new_secret(),
            created_at=now,
            updated_at=now,
            **fields,
        )
        self.endpoints[record.id] = record
        self.poke()
        return record

    def endpoint(self, org: Org, endpoint_id: str) -> EndpointRecord | None:
        """An endpoint of ``org``; other orgs' are invisible."""
        record = self.endpoints.get(endpoint_id)
        return record if record is not None and record.org_id == org.id else None

    def rotate(self, record: EndpointRecord) -> None:
        """A new secret; the current one keeps signing for the overlap window."""
        now = self.state.clock.now()
        record.previous_secret = record.secret
        record.previous_expires_at = now + ROTATION_OVERLAP
        record.secret = self.new_secret()
        record.updated_at = now

    def resume(self, record: EndpointRecord) -> None:
        """``status: active``: failures forgotten, held retries go out."""
        record.status = "active"
        record.consecutive_failures = 0
        self.poke()

    # -- events ----------------------------------------------------------------------------

    def _event(
        self, event_type: str, data: Mapping[str, Any], replay_of: str | None
    ) -> dict[str, Any]:
        now = self.state.clock.now()
        event: dict[str, Any] = {
            "id": f"evt_{self.state.ids.ulid(self.state.clock.epoch_ms(now))}",
            "type": event_type,
            "createdAt": self.state.clock.iso(now),
            "data": dict(data),
        }
        if replay_of is not None:
            event["replayOf"] = replay_of
        return event

    def _deliver(self, record: EndpointRecord, event: Mapping[str, Any]) -> DeliveryRecord:
        now = self.state.clock.now()
        delivery = DeliveryRecord(
            id=self.state.ids.uuid(),
            seq=self._next_seq(),
            endpoint_id=record.id,
            event_id=event["id"],
            event_type=event["type"],
            body=json.dumps(event, separators=(",", ":")).encode(),
            created_at=now,
            next_at=now,
        )
        self.deliveries[delivery.id] = delivery
        self.poke()
        return delivery

    def emit(
        self, org: Org, event_type: str, data: Mapping[str, Any], *, project_id: str | None = None
    ) -> list[DeliveryRecord]:
        """An event in ``org``: one delivery per active endpoint subscribed to it (the parent's
        ``all_children`` endpoints too, tagged ``data.organizationId``)."""
        made: list[DeliveryRecord] = []
        for record in list(self.endpoints.values()):
            if record.status != "active" or event_type not in record.events:
                continue
            if record.project_id is not None and record.project_id != project_id:
                continue
            if record.org_id == org.id and record.scope == "own":
                made.append(self._deliver(record, self._event(event_type, data, None)))
            elif record.org_id == org.parent_id and record.scope == "all_children":
                tagged = {**data, "organizationId": org.id}
                made.append(self._deliver(record, self._event(event_type, tagged, None)))
        return made

    def ping(self, record: EndpointRecord, payload: Mapping[str, Any] | None) -> DeliveryRecord:
        """A ``test.ping`` to ``record`` only."""
        data = (
            dict(payload)
            if payload is not None
            else {
                "endpointId": record.id,
                "message": "test.ping from the Layers fake",
            }
        )
        return self._deliver(record, self._event("test.ping", data, None))

    def replay(self, original: DeliveryRecord) -> DeliveryRecord:
        """The original's event again, with a new id and ``replayOf`` (the delivery's id)."""
        event = json.loads(original.body)
        again = self._event(event["type"], event.get("data", {}), original.id)
        return self._deliver(self.endpoints[original.endpoint_id], again)

    def redeliver(self, delivery: DeliveryRecord) -> None:
        """Send ``delivery`` once more, same event id (a retry after a lost answer)."""
        delivery.status, delivery.next_at = "pending", self.state.clock.now()
        self.poke()

    def job_ended(
        self,
        org: Org,
        job_id: str,
        kind: str,
        status: str,
        *,
        result: Mapping[str, Any] | None,
        error: Mapping[str, Any] | None,
        project_id: str | None,
    ) -> None:
        """Called when the fake settles a job: ``job.<status>`` to subscribers."""
        if not self.endpoints:
            return
        data: dict[str, Any] = {"jobId": job_id, "kind": kind}
        if status == "completed":
            data["result"] = dict(result or {})
        elif status == "failed":
            data["error"] = dict(error or {})
        self.emit(org, f"job.{status}", data, project_id=project_id)

    # -- timers ----------------------------------------------------------------------------

    def at(self, when: float, action: Callable[[], None]) -> None:
        """Run ``action`` once the fake's clock reaches API time ``when`` (from the pump, or
        from the first state read after it). Actions check the state they act on when they
        run, so a timer made stale (a post moved or canceled) does nothing."""
        heapq.heappush(self._timers, (when, next(self._timer_order), action))
        self.poke()

    def fire_due(self) -> None:
        """Run every timer that is due, oldest first."""
        while self._timers and self._timers[0][0] <= self.state.clock.now():
            _, _, action = heapq.heappop(self._timers)
            action()

    # -- the pump --------------------------------------------------------------------------

    def poke(self) -> None:
        """Something changed (a job, a delivery, the clock): the pump looks again."""
        self._wake.set()

    def start(self) -> None:
        """Run the pump (with the server)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop the pump and every attempt in flight; no task is left behind."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait_attempts(self, count: int) -> None:
        """Return once ``count`` delivery attempts in all have been made."""
        while len(self.attempt_log) < count:
            self._attempted.clear()
            await self._attempted.wait()

    def _due(self, now: float) -> list[DeliveryRecord]:
        due = []
        for delivery in self.deliveries.values():
            if delivery.status != "pending" or delivery.next_at is None or delivery.next_at > now:
                continue
            record = self.endpoints.get(delivery.endpoint_id)
            if record is None:
                delivery.status, delivery.next_at = "abandoned", None  # endpoint deleted
                continue
            if record.status == "active" or delivery.event_type == "test.ping":
                due.append(delivery)
        return due

    def _next_wake(self, now: float) -> float:
        times = [
            d.next_at
            for d in self.deliveries.values()
            if d.status == "pending"
            and d.next_at is not None
            and (e := self.endpoints.get(d.endpoint_id)) is not None
            and (e.status == "active" or d.event_type == "test.ping")
        ]
        if self.endpoints:
            times.extend(org.running[0][0] for org in self.state.orgs.values() if org.running)
        if self._timers:
            times.append(self._timers[0][0])
        return min(times, default=math.inf) - now

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=ATTEMPT_TIMEOUT)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            anyio.create_task_group() as tg,
        ):
            while True:
                self._wake.clear()
                if self.endpoints:
                    for org in list(self.state.orgs.values()):
                        self.state.settle(org)  # emits job end events
                self.fire_due()
                now = self.state.clock.now()
                for delivery in self._due(now):
                    delivery.status = "delivering"
                    tg.start_soon(self._attempt, session, delivery)
                wait = self._next_wake(self.state.clock.now())
                if wait > 0:
                    with anyio.move_on_after(
                        None if math.isinf(wait) else wait / self.state.clock.time_scale
                    ):
                        await self._wake.wait()

    async def _attempt(self, session: aiohttp.ClientSession, delivery: DeliveryRecord) -> None:
        record = self.endpoints.get(delivery.endpoint_id)
        if record is None:
            delivery.status, delivery.next_at = "abandoned", None
            return
        stamp = int(time.time())
        signatures = ",".join(
            f"v1={sign(delivery.body, secret, stamp)}"
            for secret in record.secrets(self.state.clock.now())
        )
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Layers-Webhooks/1 (layers_async fake)",
            "X-Layers-Signature": f"t={stamp},{signatures}",
            "X-Layers-Event-Id": delivery.event_id,
        }
        status: int | None = None
        error: str | None = None
        try:
            async with session.post(record.url, data=delivery.body, headers=headers) as answer:
                status = answer.status
                await answer.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:200]
        self._record(record, delivery, status, error)

    def _record(
        self,
        record: EndpointRecord,
        delivery: DeliveryRecord,
        status: int | None,
        error: str | None,
    ) -> None:
        now = self.state.clock.now()
        delivery.attempts += 1
        delivery.last_at = now
        delivery.last_status = status
        delivery.last_error = error
        self.attempt_log.append((delivery.id, status))
        self._attempted.set()
        if status is not None and 200 <= status < 300:
            delivery.status, delivery.delivered_at, delivery.next_at = "delivered", now, None
            record.last_success_at = now
            record.consecutive_failures = 0
            return
        record.last_failure_at = now
        record.consecutive_failures += 1
        if record.consecutive_failures >= AUTO_PAUSE_AFTER and record.status == "active":
            record.status = "auto_paused"
        limit = len(SCHEDULE) if self.retry == "schedule" else PRODUCT_ATTEMPTS
        final = status is not None and 400 <= status < 500 and status != 429
        if final or delivery.attempts >= limit:
            delivery.status = "failed" if self.retry == "schedule" else "abandoned"
            delivery.abandoned_at, delivery.next_at = now, None
        else:
            delivery.status = "pending"
            delivery.next_at = delivery.created_at + SCHEDULE[delivery.attempts]
        self.poke()
