"""Receive Layers webhooks: verify a delivery, and an aiohttp.web receiver that dispatches them.

Verification (README section 7 of the API docs)::

    event = verify(await request.read(), request.headers, secret="whsec_...")

checks ``X-Layers-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`` where
``v1 = hex(HMAC-SHA256(secret, "<t>.<raw body>"))`` over the bytes exactly as received,
in constant time; any ``v1`` matching any of the given secrets is enough (several appear
during a rotation overlap), other schemes are ignored. The timestamp must lie within
``tolerance`` seconds of now, either way, so an old delivery cannot be replayed.

Receiving::

    receiver = WebhookReceiver(secret="whsec_...", client=layers)

    @receiver.on("content.approved")
    async def approved(event: WebhookEvent) -> None: ...

    app = receiver.app()          # or: app.router.add_post(path, receiver.handle)

The receiver answers 400 to anything unverified (no handler runs), drops a delivery whose
``X-Layers-Event-Id`` it has already handled (retries re-send the same id; replays carry a
new one), and answers 500 when a handler raises, so Layers retries it; the event is then not
marked as seen. Handlers run before the answer: keep them short (hand long work to a queue).
With ``client=`` (or :meth:`WebhookReceiver.wake`), a verified ``job.completed`` /
``job.failed`` / ``job.canceled`` wakes that client's ``job.wait()`` on the job at once;
polling stays on as the safety net.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import logging
import sqlite3
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

import anyio
import anyio.to_thread
import attrs
from aiohttp import web

from ._converter import structure
from ._errors import WebhookVerificationError
from ._secret import Secret
from .models.webhooks import (
    ContentEventData,
    JobEventData,
    LeaseRequestEventData,
    PostEventData,
    SocialAccountEventData,
    TestPingData,
    WebhookEventType,
)

if TYPE_CHECKING:
    from ._client import AsyncLayers

__all__ = [
    "DEFAULT_TOLERANCE",
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "EventData",
    "EventStore",
    "MemoryEventStore",
    "SqliteEventStore",
    "WebhookEvent",
    "WebhookHandler",
    "WebhookReceiver",
    "WebhookVerificationError",
    "parse_event",
    "sign",
    "signature_header",
    "verify",
]

logger = logging.getLogger("layers_async.webhooks")

SIGNATURE_HEADER = "X-Layers-Signature"
EVENT_ID_HEADER = "X-Layers-Event-Id"
#: Five minutes either way, as the docs advise.
DEFAULT_TOLERANCE = 300.0

#: The typed ``data`` of an event; unknown types (and odd shapes) keep the raw mapping.
EventData: TypeAlias = (JobEventData | ContentEventData | PostEventData | SocialAccountEventData
                        | LeaseRequestEventData | TestPingData | dict[str, Any])

_DATA_MODELS: Mapping[str, type[Any]] = {
    "job": JobEventData,
    "content": ContentEventData,
    "post": PostEventData,
    "social_account": SocialAccountEventData,
    "lease_request": LeaseRequestEventData,
    "test": TestPingData,
}
_KNOWN_TYPES = frozenset(str(t) for t in WebhookEventType)
JOB_END_EVENTS = frozenset({"job.completed", "job.failed", "job.canceled"})

SecretLike: TypeAlias = str | Secret


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """One verified delivery: ``data`` is typed for the documented event types.

    ``replay_of`` names the original delivery when this is a replay (read from the top
    level, or from ``data.replayOf`` in older deliveries); ``raw`` is the whole payload.
    """

    id: str
    type: WebhookEventType | str
    data: EventData
    replay_of: str | None = None
    created_at: datetime | None = None
    raw: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @property
    def job_id(self) -> str | None:
        """The job a ``job.*`` event is about."""
        return self.data.job_id if isinstance(self.data, JobEventData) else None


# -- signing and verification (pure) ----------------------------------------------------------


def _secret_bytes(secret: SecretLike) -> bytes:
    value = secret.value if isinstance(secret, Secret) else secret
    if not isinstance(value, str) or not value:
        raise ValueError("a webhook secret must be a non-empty string or Secret")
    return value.encode()


def _secrets(secret: SecretLike | Sequence[SecretLike]) -> list[bytes]:
    many = [secret] if isinstance(secret, str | Secret) else list(secret)
    if not many:
        raise ValueError("verify() needs at least one secret")
    return [_secret_bytes(s) for s in many]


def sign(body: bytes, secret: SecretLike, *, timestamp: int) -> str:
    """The ``v1`` value: ``hex(HMAC-SHA256(secret, "<timestamp>.<body>"))``."""
    message = str(int(timestamp)).encode() + b"." + bytes(body)
    return hmac.new(_secret_bytes(secret), message, hashlib.sha256).hexdigest()


def signature_header(body: bytes, secret: SecretLike | Sequence[SecretLike], *,
                     timestamp: int | None = None) -> str:
    """An ``X-Layers-Signature`` value signing ``body`` with each secret (for tests)."""
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    many = [secret] if isinstance(secret, str | Secret) else list(secret)
    return ",".join([f"t={stamp}", *(f"v1={sign(body, s, timestamp=stamp)}" for s in many)])


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def _fail(reason: str, message: str) -> WebhookVerificationError:
    return WebhookVerificationError(message, reason=reason)


def _parse_signature(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    v1: list[str] = []
    for item in header.split(","):
        scheme, sep, value = item.strip().partition("=")
        if not sep or not scheme:
            raise _fail("malformed_signature", f"{SIGNATURE_HEADER} has a malformed element")
        if scheme == "t":
            if timestamp is not None or not value.isascii() or not value.isdigit():
                raise _fail("malformed_signature", f"{SIGNATURE_HEADER} has a bad timestamp")
            timestamp = int(value)
        elif scheme == "v1":
            v1.append(value)
        # other schemes (v0, future ones) are ignored
    if timestamp is None:
        raise _fail("malformed_signature", f"{SIGNATURE_HEADER} has no timestamp")
    if not v1:
        raise _fail("no_v1_signature", f"{SIGNATURE_HEADER} carries no v1 signature")
    return timestamp, v1


def _data(event_type: str, data: dict[str, Any]) -> EventData:
    model = _DATA_MODELS.get(event_type.split(".", 1)[0]) if event_type in _KNOWN_TYPES else None
    if model is None:
        return data
    try:
        typed: EventData = structure(data, model)
    except Exception:  # a verified event of an unexpected shape: keep it, raw
        logger.warning("webhook %s data does not match %s; kept raw", event_type, model.__name__)
        return data
    return typed


def parse_event(payload: Mapping[str, Any]) -> WebhookEvent:
    """A payload (already verified) as a :class:`WebhookEvent`."""
    event_id, event_type = payload.get("id"), payload.get("type")
    data = payload.get("data", {})
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise _fail("malformed_body", "the payload has no string id and type")
    if not isinstance(data, dict):
        raise _fail("malformed_body", "the payload's data is not an object")
    replay_of = payload.get("replayOf")
    if replay_of is None:
        replay_of = data.get("replayOf")  # older deliveries
    created = payload.get("createdAt")
    created_at = None
    if isinstance(created, str):
        try:
            created_at = structure(created, datetime)
        except Exception:
            created_at = None
    known = WebhookEventType(event_type) if event_type in _KNOWN_TYPES else event_type
    return WebhookEvent(id=event_id, type=known, data=_data(event_type, data),
                        replay_of=replay_of if isinstance(replay_of, str) else None,
                        created_at=created_at, raw=dict(payload))


def verify(body: bytes, headers: Mapping[str, str], secret: SecretLike | Sequence[SecretLike],
           *, tolerance: float = DEFAULT_TOLERANCE, now: float | None = None) -> WebhookEvent:
    """Check one delivery and return its event, or raise :class:`WebhookVerificationError`.

    ``body`` is the raw request body (never re-serialised JSON); ``headers`` any mapping
    (looked up case-insensitively); ``secret`` one secret or several (current and previous
    during a rotation overlap), each a ``str`` or :class:`~layers_async.Secret`; ``now`` the
    current Unix time (default: the wall clock).
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError("body must be the raw bytes as received")
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0 seconds")
    keys = _secrets(secret)
    raw = bytes(body)
    header = _header(headers, SIGNATURE_HEADER)
    if header is None or not header.strip():
        raise _fail("missing_signature", f"no {SIGNATURE_HEADER} header")
    timestamp, given = _parse_signature(header)
    message = str(timestamp).encode() + b"." + raw
    expected = [hmac.new(key, message, hashlib.sha256).hexdigest().encode() for key in keys]
    matched = False
    for candidate in given:
        mine = candidate.strip().encode("utf-8", "replace")
        for wanted in expected:  # no early exit: the time taken says nothing about a match
            matched |= hmac.compare_digest(wanted, mine)
    if not matched:
        raise _fail("signature_mismatch", "no v1 signature matches the given secret(s)")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise _fail("timestamp_out_of_tolerance",
                    f"the signature's timestamp is {current - timestamp:.0f} s from now "
                    f"(tolerance {tolerance:.0f} s)")
    try:
        payload = json.loads(raw)
    except ValueError:
        raise _fail("malformed_body", "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise _fail("malformed_body", "the body is not a JSON object")
    event = parse_event(payload)
    header_id = _header(headers, EVENT_ID_HEADER)
    if header_id is not None and header_id != event.id:
        raise _fail("event_id_mismatch", f"{EVENT_ID_HEADER} differs from the payload's id")
    return event


# -- seen-event stores --------------------------------------------------------------------------


@runtime_checkable
class EventStore(Protocol):
    """Where a receiver remembers handled event ids (to drop retried duplicates).

    ``seen`` answers whether an id was marked; ``mark`` records it once every handler of
    the event succeeded. A durable store (a database table with the id as primary key)
    keeps duplicates out across restarts and replicas; both calls may do I/O.
    """

    async def seen(self, event_id: str) -> bool:
        """Whether ``event_id`` was handled before."""
        ...

    async def mark(self, event_id: str) -> None:
        """Remember ``event_id`` as handled."""
        ...


class MemoryEventStore:
    """The default store: the last ``maxsize`` event ids, in memory (lost on restart)."""

    def __init__(self, maxsize: int = 10_000) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be >= 1")
        self.maxsize = maxsize
        self._ids: OrderedDict[str, None] = OrderedDict()

    async def seen(self, event_id: str) -> bool:
        """Whether ``event_id`` is among the remembered ids."""
        return event_id in self._ids

    async def mark(self, event_id: str) -> None:
        """Remember ``event_id``, forgetting the oldest beyond ``maxsize``."""
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self.maxsize:
            self._ids.popitem(last=False)

    def __len__(self) -> int:
        return len(self._ids)


class SqliteEventStore:
    """A durable store in a stdlib ``sqlite3`` file (one table, the event id its key).

    Its blocking calls run in a worker thread (``anyio.to_thread``), never on the event loop.
    ``close()`` when done (or use it as an async context manager).
    """

    def __init__(self, path: str, *, table: str = "layers_webhook_events") -> None:
        if not table.isidentifier():
            raise ValueError("table must be a plain identifier")
        self.path = path
        self._table = table
        self._lock = anyio.Lock()
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            db = sqlite3.connect(self.path, check_same_thread=False)
            db.execute(f"CREATE TABLE IF NOT EXISTS {self._table} "
                       "(event_id TEXT PRIMARY KEY, seen_at REAL NOT NULL)")
            db.commit()
            self._db = db
        return self._db

    def _seen(self, event_id: str) -> bool:
        row = self._connect().execute(
            f"SELECT 1 FROM {self._table} WHERE event_id = ?", (event_id,)).fetchone()
        return row is not None

    def _mark(self, event_id: str) -> None:
        db = self._connect()
        db.execute(f"INSERT OR IGNORE INTO {self._table} (event_id, seen_at) VALUES (?, ?)",
                   (event_id, time.time()))
        db.commit()

    async def seen(self, event_id: str) -> bool:
        """Whether ``event_id`` is in the table."""
        async with self._lock:
            return await anyio.to_thread.run_sync(self._seen, event_id)

    async def mark(self, event_id: str) -> None:
        """Insert ``event_id`` (a repeat is ignored)."""
        async with self._lock:
            await anyio.to_thread.run_sync(self._mark, event_id)

    async def close(self) -> None:
        """Close the database connection."""
        async with self._lock:
            db, self._db = self._db, None
            if db is not None:
                await anyio.to_thread.run_sync(db.close)

    async def __aenter__(self) -> SqliteEventStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


# -- the receiver -----------------------------------------------------------------------------

#: A handler: ``def`` or ``async def``, taking the event.
WebhookHandler: TypeAlias = Callable[[WebhookEvent], Awaitable[None] | None]


class WebhookReceiver:
    """An aiohttp.web endpoint for Layers webhooks: verify, dedupe, dispatch, wake waiters.

    ``secret`` is one secret or several (during a rotation overlap); ``store`` remembers
    handled event ids (default: a :class:`MemoryEventStore`); ``client`` (or :meth:`wake`)
    joins an :class:`~layers_async.AsyncLayers` whose waiters a ``job.*`` end event wakes;
    ``clock`` returns the Unix time signatures are checked against.
    """

    def __init__(self, secret: SecretLike | Sequence[SecretLike], *,
                 store: EventStore | None = None, tolerance: float = DEFAULT_TOLERANCE,
                 client: AsyncLayers | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        _secrets(secret)  # fail now, not on the first delivery
        self._secret = secret
        self.store: EventStore = store if store is not None else MemoryEventStore()
        self.tolerance = tolerance
        self._clock = clock or time.time
        self._handlers: dict[str, list[WebhookHandler]] = {}
        self._clients: list[AsyncLayers] = [] if client is None else [client]
        self._in_flight: dict[str, anyio.Event] = {}

    def __repr__(self) -> str:
        return f"<WebhookReceiver handlers={sorted(self._handlers)}>"

    @property
    def secrets(self) -> SecretLike | Sequence[SecretLike]:
        """The secret(s) deliveries are checked against (never printed)."""
        return self._secret

    @secrets.setter
    def secrets(self, secret: SecretLike | Sequence[SecretLike]) -> None:
        _secrets(secret)
        self._secret = secret

    def on(self, *event_types: str) -> Callable[[WebhookHandler], WebhookHandler]:
        """Decorator: call the handler for these event types (``"*"``: every event)."""
        if not event_types:
            raise TypeError("on() needs at least one event type (or '*')")

        def register(handler: WebhookHandler) -> WebhookHandler:
            self.add_handler(handler, *event_types)
            return handler

        return register

    def add_handler(self, handler: WebhookHandler, *event_types: str) -> None:
        """Call ``handler`` for these event types (``"*"``: every event)."""
        for event_type in event_types or ("*",):
            if event_type != "*" and event_type not in _KNOWN_TYPES:
                logger.info("handler registered for undocumented event type %r", event_type)
            self._handlers.setdefault(str(event_type), []).append(handler)

    def wake(self, client: AsyncLayers) -> None:
        """Join ``client``: a verified job end event wakes its ``wait()`` on that job."""
        if client not in self._clients:
            self._clients.append(client)

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp.web handler (mount it on a POST route)."""
        body = await request.read()
        try:
            event = verify(body, request.headers, self._secret, tolerance=self.tolerance,
                           now=self._clock())
        except WebhookVerificationError as exc:
            logger.warning("webhook rejected: %s", exc.reason)
            return web.json_response({"error": exc.reason}, status=400)
        status, answer = await self.dispatch(event)
        return web.json_response(answer, status=status)

    async def dispatch(self, event: WebhookEvent) -> tuple[int, dict[str, Any]]:
        """Handle a verified event once: the status and body to answer with."""
        self._wake_waiters(event)
        while (running := self._in_flight.get(event.id)) is not None:
            await running.wait()  # the same delivery, still being handled elsewhere
        if await self.store.seen(event.id):
            return 200, {"received": True, "duplicate": True}
        done = self._in_flight[event.id] = anyio.Event()
        try:
            for handler in [*self._handlers.get(str(event.type), ()),
                            *self._handlers.get("*", ())]:
                outcome = handler(event)
                if inspect.isawaitable(outcome):
                    await outcome
        except Exception:
            logger.exception("webhook handler failed on %s %s", event.type, event.id)
            return 500, {"error": "handler_failed"}
        else:
            await self.store.mark(event.id)
            return 200, {"received": True}
        finally:
            del self._in_flight[event.id]
            done.set()

    def _wake_waiters(self, event: WebhookEvent) -> None:
        job_id = event.job_id
        if job_id is None or str(event.type) not in JOB_END_EVENTS:
            return
        for client in self._clients:
            client.jobs.notify(job_id)

    def app(self, path: str = "/layers/webhooks") -> web.Application:
        """A small aiohttp application serving this receiver at ``POST path``."""
        app = web.Application()
        app.router.add_post(path, self.handle)
        return app

    @asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0, *,
                    path: str = "/layers/webhooks") -> AsyncIterator[str]:
        """Serve :meth:`app` on ``host:port`` (0: a free port); yields the endpoint's URL."""
        runner = web.AppRunner(self.app(path), access_log=None, shutdown_timeout=0.25)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound = runner.addresses[0][1]
            shown = f"[{host}]" if ":" in host else host
            yield f"http://{shown}:{bound}{path}"
        finally:
            await runner.cleanup()
