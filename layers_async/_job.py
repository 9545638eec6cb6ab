"""The job handle, the shared state it reads, and resume tokens.

A :class:`Job` only reads its :class:`JobState` and asks a :class:`JobDriver`
(the client's scheduler) to poll, wait or cancel, so this module never names
the scheduler itself.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import inspect
import json
import logging
import math
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from typing import Any, Generic, Literal, Protocol, TypeVar

import anyio

from ._errors import JobTimeoutError, LayersError
from ._http import Request, Timeout
from ._pipeline import Pipeline
from ._poll import KindStats, Track
from .models.jobs import CancelResult, JobSnapshot

__all__ = ["Job", "JobDriver", "JobState", "Watcher"]

logger = logging.getLogger("layers_async")

ProgressCallback = Callable[[JobSnapshot], Awaitable[None] | None]
R = TypeVar("R")
TOKEN_PREFIX = "lj1."


class Poll:
    """One poll in flight: others join it and learn how it ended."""

    __slots__ = ("_done", "error", "finished", "over")

    def __init__(self) -> None:
        self.over = False                     # the owner is done, one way or the other
        self.finished = False                 # False: its owner was cancelled mid-way
        self.error: BaseException | None = None
        # Made only when someone joins: most polls have no joiner.
        self._done: anyio.Event | None = None

    async def wait(self) -> None:
        """Return once the owner is done with this poll."""
        if self.over:
            return
        if self._done is None:
            self._done = anyio.Event()
        await self._done.wait()

    def end(self) -> None:
        """The owner is done: wake whoever joined."""
        self.over = True
        if self._done is not None:
            self._done.set()


class JobState:
    """What the client knows of one job, shared by every handle and waiter."""

    __slots__ = ("__weakref__", "driving", "etag", "event", "id", "inflight", "kind",
                 "last_sent", "next_at", "observations", "pipeline", "request", "snapshot",
                 "stats", "terminal", "track", "version", "waker", "watchers")

    def __init__(self, job_id: str, kind: str | None, pipeline: Pipeline) -> None:
        self.id = job_id
        self.kind = kind
        #: Polls go out through this pipeline (the organization the job belongs to).
        self.pipeline = pipeline
        #: The latest snapshot; set through :meth:`show`, which keeps ``terminal`` with it.
        self.snapshot: JobSnapshot | None = None
        #: Whether a terminal snapshot was seen (read on every turn of every waiter: a
        #: plain attribute, not a property over the snapshot's status).
        self.terminal = False
        self.etag: str | None = None
        self.observations = 0          # envelopes seen so far: the backoff's step
        self.track: Track | None = None  # what was seen of its progress, for the policy
        #: What finished jobs of its kind taught the policy (looked up at the first look
        #: that names a kind the client knows; None until then).
        self.stats: KindStats | None = None
        self.last_sent = -math.inf     # loop time the last poll went out
        self.next_at = -math.inf       # loop time the next poll is due (-inf: now)
        self.version = 0               # bumped on every change of snapshot
        self.driving = False
        self.inflight: Poll | None = None
        #: Set at the next change, for the waiters that are not driving (made on demand).
        self.event: anyio.Event | None = None
        #: Resolved at the next change, to wake the driver from its sleep before a poll.
        self.waker: asyncio.Future[None] | None = None
        #: ``GET /v1/jobs/{id}`` of this job (without ``If-None-Match``), made at its first
        #: poll and reused by every later one.
        self.request: Request | None = None
        #: Whoever drives many jobs at once (``wait_all``) and must hear of every change.
        self.watchers: list[Watcher] | None = None

    def show(self, snapshot: JobSnapshot) -> None:
        """Make ``snapshot`` the latest one (it does not signal: see :meth:`signal`)."""
        self.snapshot = snapshot
        self.terminal = snapshot.terminal

    def changed(self) -> anyio.Event:
        """The event set at the next change (or driver hand-over)."""
        if self.event is None:
            self.event = anyio.Event()
        return self.event

    def signal(self) -> None:
        """Wake every waiter: something changed, or the driver handed over."""
        if self.event is not None:
            self.event.set()
            self.event = None
        waker = self.waker
        if waker is not None and not waker.done():
            waker.set_result(None)
        watchers = self.watchers
        if watchers:
            if len(watchers) == 1:  # nearly always (one wait_all), and no copy to make
                watchers[0].changed(self)
            else:
                for watcher in tuple(watchers):
                    watcher.changed(self)


class Watcher(Protocol):
    """Told synchronously of every change of a job's state (see ``JobState.signal``)."""

    def changed(self, state: JobState) -> None: ...


class JobDriver(Protocol):
    """What a handle asks of the client's scheduler."""

    @property
    def poll_capacity(self) -> int:
        """How many polls may be in flight at once."""
        ...

    async def poll(self, state: JobState, *, scheduled: bool = False) -> None: ...

    async def wait_change(self, state: JobState, seen: int, deadline: float | None) -> bool: ...

    def result_of(self, state: JobState) -> Any: ...

    async def cancel_job(self, state: JobState, *, idempotency_key: str | None = None,
                         timeout: float | Timeout | None = None,
                         max_retries: int | None = None) -> CancelResult: ...


class Job(Generic[R]):
    """A handle on one job: wait for it, watch it, cancel it.

    ``R`` is the type ``wait()`` returns (``Job[IngestGithubResult]`` from
    ``ingest.github``; ``Job[Any]`` from ``attach``). Handles are cheap; every
    handle on the same id within a client shares one state, so their polls are
    shared too.
    """

    def __init__(self, driver: JobDriver, state: JobState) -> None:
        self._driver = driver
        self._state = state

    def __repr__(self) -> str:
        status = self.snapshot.status if self.snapshot is not None else "unknown"
        return f"Job(id={self.id!r}, kind={self.kind!r}, status={str(status)!r})"

    @property
    def id(self) -> str:
        """The job id (``job_…``)."""
        return self._state.id

    @property
    def kind(self) -> str | None:
        """The job kind as the API names it (either docs spelling)."""
        snapshot = self._state.snapshot
        if snapshot is not None and snapshot.kind is not None:
            return str(snapshot.kind)
        return self._state.kind

    @property
    def snapshot(self) -> JobSnapshot | None:
        """The latest envelope seen (None before the first poll of an attached job)."""
        return self._state.snapshot

    @property
    def done(self) -> bool:
        """Whether a terminal snapshot was seen."""
        return self._state.terminal

    async def refresh(self) -> JobSnapshot:
        """Poll now (joining a poll in flight) and return the latest snapshot."""
        await self._driver.poll(self._state)
        snapshot = self._state.snapshot
        if snapshot is None:  # only when a 304 answered a resumed handle with no snapshot
            raise RuntimeError(f"no snapshot of job {self.id} yet")
        return snapshot

    async def wait(self, timeout: float | None = None,
                   on_progress: ProgressCallback | None = None,
                   on_timeout: Literal["detach", "cancel"] = "detach") -> R:
        """Wait until the job finishes and return its typed result.

        Raises :class:`JobFailedError` or :class:`JobCanceledError` (with the final
        snapshot), or :class:`JobTimeoutError` after ``timeout`` seconds; then the
        job keeps running unless ``on_timeout="cancel"``, which sends one bounded
        cancel first. ``on_progress`` gets each new snapshot (sync or async).
        """
        if on_timeout not in ("detach", "cancel"):
            raise ValueError(f"on_timeout must be 'detach' or 'cancel', got {on_timeout!r}")
        deadline = deadline_after(timeout)
        if on_progress is None:
            # No snapshot to hand out: wait for the end without the generator of _follow
            # (thousands of concurrent waiters each keep one alive for the whole wait).
            state = self._state
            while not state.terminal:
                if not await self._driver.wait_change(state, state.version, deadline):
                    break
        else:
            async with aclosing(self._follow(deadline)) as snapshots:
                async for snapshot in snapshots:
                    outcome = on_progress(snapshot)
                    if inspect.isawaitable(outcome):
                        await outcome
        if self._state.terminal:
            result: R = self._driver.result_of(self._state)
            return result
        if on_timeout == "cancel":
            await self._bounded_cancel()
        raise timeout_error(self._state, timeout)

    async def watch(self, timeout: float | None = None) -> AsyncGenerator[JobSnapshot, None]:
        """Each change of status, stage or progress, ending with the terminal snapshot.

        Stops quietly at ``timeout`` (no error): check ``snapshot.terminal``.
        """
        async with aclosing(self._follow(deadline_after(timeout))) as snapshots:
            async for snapshot in snapshots:
                yield snapshot

    async def _follow(self, deadline: float | None) -> AsyncGenerator[JobSnapshot, None]:
        state = self._state
        reported = -1
        while True:
            snapshot = state.snapshot
            if snapshot is not None and state.version != reported:
                reported = state.version
                yield snapshot
                if snapshot.terminal:
                    return
            if not await self._driver.wait_change(state, state.version, deadline):
                return

    async def _bounded_cancel(self) -> None:
        timeout = self._state.pipeline.config.timeout
        try:
            with anyio.move_on_after(timeout.total if timeout.total is not None else 60.0):
                await self._driver.cancel_job(self._state, max_retries=0)
        except LayersError as exc:
            logger.warning("cancel of job %s after its wait timed out failed: %s", self.id, exc)

    async def cancel(self, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> CancelResult:
        """Ask the job to stop (cooperative: it ends ``canceled`` at a stage boundary)."""
        return await self._driver.cancel_job(self._state, idempotency_key=idempotency_key,
                                             timeout=timeout)

    def resume_token(self) -> str:
        """A short string from which ``jobs.resume()`` (in any process) picks up the wait."""
        state = self._state
        data: dict[str, Any] = {"id": state.id, "kind": self.kind, "n": state.observations}
        snapshot = state.snapshot
        if snapshot is not None and not snapshot.terminal:
            data.update(status=str(snapshot.status), stage=snapshot.stage,
                        progress=snapshot.progress, etag=state.etag)
        raw = json.dumps({k: v for k, v in data.items() if v is not None},
                         separators=(",", ":")).encode()
        return TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any]:
    """The fields of a resume token (a clear ValueError when it is not one)."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        raise ValueError("not a layers-async job resume token (expected 'lj1.…')")
    body = token[len(TOKEN_PREFIX):]
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, binascii.Error):
        raise ValueError("job resume token is damaged (not valid base64 JSON)") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise ValueError("job resume token has no job id")
    return data


def timeout_error(state: JobState, timeout: float | None) -> JobTimeoutError:
    """The error of a wait on ``state`` that ran out of time."""
    last = state.snapshot
    where = f"{last.status}/{last.stage}" if last is not None else "unknown"
    return JobTimeoutError(f"job {state.id} not finished after {timeout} s (last seen {where})",
                           snapshot=last)


def deadline_after(timeout: float | None) -> float | None:
    """The loop time ``timeout`` seconds from now (None: no deadline), checked."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) \
            or not timeout >= 0 or math.isnan(timeout):
        raise ValueError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
    return anyio.current_time() + timeout
