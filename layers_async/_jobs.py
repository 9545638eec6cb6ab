"""Job handles, waiting, and the one poll scheduler of a client.

No background task ever runs: whoever awaits a job drives its polling. For
each job id the client keeps one shared state; among the tasks waiting on it,
one at a time is the *driver* (it sleeps until the next poll is due, polls,
and publishes the snapshot), the others wait for the driver's news. If the
driver is cancelled, another waiter takes over. Cancelling every waiter stops
all polling at once and leaves nothing behind.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import json
import logging
import math
import random
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Sequence,
)
from contextlib import aclosing, asynccontextmanager, contextmanager, suppress
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar
from urllib.parse import quote

import anyio
import attrs
from anyio.streams.memory import MemoryObjectSendStream

from ._converter import decode, structure
from ._errors import (
    ConflictError,
    JobCanceledError,
    JobFailedError,
    JobTimeoutError,
    LayersError,
    RateLimitError,
)
from ._http import Timeout, segment
from .models.jobs import RESULT_TYPES, CancelResult, JobSnapshot, JobStatus

if TYPE_CHECKING:
    from ._client import AsyncLayers

__all__ = ["Job", "JobScheduler"]

logger = logging.getLogger("layers_async")

ProgressCallback = Callable[[JobSnapshot], Awaitable[None] | None]
R = TypeVar("R")
_TOKEN_PREFIX = "lj1."


class _Poll:
    """One poll in flight: others join it and learn how it ended."""

    __slots__ = ("done", "error", "finished")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.finished = False                 # False: its owner was cancelled mid-way
        self.error: BaseException | None = None


class _JobState:
    """What the client knows of one job, shared by every handle and waiter."""

    __slots__ = ("__weakref__", "driving", "etag", "event", "id", "inflight", "kind",
                 "next_at", "observations", "snapshot", "version")

    def __init__(self, job_id: str, kind: str | None) -> None:
        self.id = job_id
        self.kind = kind
        self.snapshot: JobSnapshot | None = None
        self.etag: str | None = None
        self.observations = 0          # envelopes seen so far: picks the next poll delay
        self.next_at = -math.inf       # loop time the next poll is due (-inf: now)
        self.version = 0               # bumped on every change of snapshot
        self.driving = False
        self.inflight: _Poll | None = None
        self.event: anyio.Event | None = None

    @property
    def terminal(self) -> bool:
        return self.snapshot is not None and self.snapshot.terminal

    def changed(self) -> anyio.Event:
        """The event set at the next change (or driver hand-over)."""
        if self.event is None:
            self.event = anyio.Event()
        return self.event

    def signal(self) -> None:
        if self.event is not None:
            self.event.set()
            self.event = None


class JobScheduler:
    """One per client: the registry of job states, the poll limiter and the 429 pause."""

    def __init__(self, client: AsyncLayers, *, max_concurrent_polls: int = 32) -> None:
        if isinstance(max_concurrent_polls, bool) or not isinstance(max_concurrent_polls, int) \
                or max_concurrent_polls < 1:
            raise ValueError(f"max_concurrent_polls must be an int >= 1, "
                             f"got {max_concurrent_polls!r}")
        self._client = client
        self._states: weakref.WeakValueDictionary[str, _JobState] = weakref.WeakValueDictionary()
        self._max_polls = max_concurrent_polls
        self._limiter: anyio.CapacityLimiter | None = None
        self._paused_until = -math.inf
        self._random = random.Random()
        #: Polls sent (HTTP requests to GET /v1/jobs/{id}), for tests and benchmarks.
        self.polls_sent = 0

    def state(self, job_id: str, kind: str | None = None) -> _JobState:
        """The shared state of ``job_id`` (made on first use)."""
        state = self._states.get(job_id)
        if state is None:
            state = _JobState(job_id, kind)
            self._states[job_id] = state
        elif state.kind is None and kind is not None:
            state.kind = kind
        return state

    def attach(self, job_id: str, kind: str | None = None) -> Job[Any]:
        """A handle on ``job_id``; its first wait polls at once."""
        return Job(self, self.state(segment(job_id, "job_id"), kind))

    async def start(self, path: str, body: Any, kind: str, *, idempotency_key: str | None,
                    timeout: float | Timeout | None) -> Job[Any]:
        """POST a job-starting call and return a handle on the job it started."""
        client = self._client
        request = client.build("POST", path, json=body, idempotency_key=idempotency_key,
                               timeout=timeout)
        response = await client.send(request)
        snapshot = decode(response, JobSnapshot, secrets=request.secrets)
        state = self.state(snapshot.id, str(snapshot.kind or kind))
        if state.snapshot is None:
            self._publish(state, snapshot)
            # The 202 envelope is the first look: the next one is a full delay away.
            self._schedule(state)
        return Job(self, state)

    # -- polling -----------------------------------------------------------------

    def _schedule(self, state: _JobState) -> None:
        policy = self._client.config.poll
        state.next_at = anyio.current_time() + policy.delay(state.observations,
                                                            self._random.random)
        state.observations += 1

    def _publish(self, state: _JobState, snapshot: JobSnapshot) -> None:
        current = state.snapshot
        if current is not None and current.terminal:
            if snapshot.status != current.status:
                logger.warning("job %s went from terminal %r to %r; keeping %r", state.id,
                               str(current.status), str(snapshot.status), str(current.status))
            return
        if current is not None and current.progress is not None and snapshot.progress is not None \
                and snapshot.progress < current.progress:
            snapshot = attrs.evolve(snapshot, progress=current.progress)
        if snapshot != current:
            state.snapshot = snapshot
            state.version += 1
            state.signal()

    async def poll(self, state: _JobState) -> None:
        """Poll ``state`` now, or join the poll already in flight for it.

        A joiner gets the same outcome as the poll's owner: its error is raised
        again, and if the owner was cancelled the joiner polls itself.
        """
        while not state.terminal:
            joined = state.inflight
            if joined is not None:
                await joined.done.wait()
                if joined.error is not None:
                    raise joined.error
                if joined.finished:
                    return
                continue  # the owner was cancelled: poll again, maybe as the owner
            current = state.inflight = _Poll()
            try:
                await self._poll_now(state)
                current.finished = True
            except Exception as exc:
                current.error = exc
                raise
            finally:
                state.inflight = None
                current.done.set()
            return

    async def _poll_now(self, state: _JobState) -> None:
        client = self._client
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self._max_polls)
        path = f"/v1/jobs/{quote(state.id, safe='')}"
        while True:
            now = anyio.current_time()
            if now < self._paused_until:
                await anyio.sleep(self._paused_until - now)
            headers = ({"If-None-Match": state.etag}
                       if state.etag is not None and state.snapshot is not None else None)
            request = client.build("GET", path, headers=headers)
            try:
                async with self._limiter:
                    self.polls_sent += 1
                    response = await client.send(request, retry_rate_limits=False)
            except RateLimitError as exc:
                # One pause for every job of this client, not one retry per job; never
                # shorter than a poll delay (a Retry-After of 0 must not become a busy loop)
                # and never longer than the retry policy accepts.
                retry = client.config.retry
                if exc.retry_after is not None and exc.retry_after > retry.max_retry_after:
                    raise
                wait = max((exc.retry_after or 0.0) * retry.scale, client.config.poll.initial)
                until = anyio.current_time() + wait
                self._paused_until = max(self._paused_until, until)
                logger.warning("job polling paused %.3f s after a 429 (request id %s)",
                               self._paused_until - anyio.current_time(), exc.request_id)
                continue
            break
        if response.status == 304:
            self._schedule(state)
            return
        snapshot = decode(response, JobSnapshot, secrets=request.secrets)
        state.etag = response.headers.get("etag")
        self._publish(state, snapshot)
        self._schedule(state)

    async def wait_change(self, state: _JobState, seen: int, deadline: float | None) -> bool:
        """Return True once ``state`` changed past version ``seen``, False at ``deadline``.

        A deadline that falls before the next poll gets one last poll at the
        deadline. No poll outlives the deadline by more than the policy's
        ``initial`` delay, so ``wait(timeout=t)`` returns by ``t + initial``.
        """
        grace = self._client.config.poll.initial
        while state.version == seen:
            now = anyio.current_time()
            if deadline is not None and now >= deadline:
                return False
            event = state.changed()
            if not state.driving:
                state.driving = True
                try:
                    due = state.next_at if deadline is None else min(state.next_at, deadline)
                    if due > now:
                        # Woken early when another task (a refresh) brings news.
                        with anyio.move_on_after(due - now):
                            await event.wait()
                        if state.version != seen:
                            return True
                    await self._bounded_poll(state, deadline, grace)
                finally:
                    state.driving = False
                    state.signal()  # wake the others: one of them may have to take over
            else:
                with anyio.move_on_after(math.inf if deadline is None else deadline - now):
                    await event.wait()
                if deadline is not None and anyio.current_time() >= deadline \
                        and state.version == seen:
                    await self._bounded_poll(state, deadline, grace)
                    return state.version != seen
        return True

    async def _bounded_poll(self, state: _JobState, deadline: float | None,
                            grace: float) -> None:
        if deadline is None:
            await self.poll(state)
            return
        with anyio.move_on_after(deadline + grace - anyio.current_time()):
            await self.poll(state)

    def result_of(self, state: _JobState) -> Any:
        """The outcome of a terminal job: its typed result, or the matching error."""
        snapshot = state.snapshot
        if snapshot is None or not snapshot.terminal:
            raise RuntimeError(f"job {state.id} has not finished")
        if snapshot.status == JobStatus.COMPLETED:
            result_type = RESULT_TYPES.get(str(snapshot.kind or state.kind))
            raw = snapshot.result or {}
            if result_type is None:
                return raw
            return structure(raw, result_type, secrets=self._client.config.secrets)
        if snapshot.status == JobStatus.FAILED:
            error = snapshot.error
            what = f"{error.code}: {error.message}" if error is not None else "no error given"
            raise JobFailedError(f"job {snapshot.id} failed ({what})", snapshot=snapshot,
                                 error=error)
        raise JobCanceledError(f"job {snapshot.id} was canceled", snapshot=snapshot)

    async def cancel(self, job_id: str, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None,
                     max_retries: int | None = None) -> CancelResult:
        """``POST /v1/jobs/{id}/cancel``; a stage that can't be interrupted is not an error."""
        client = self._client
        request = client.build("POST", f"/v1/jobs/{segment(job_id, 'job_id')}/cancel",
                               idempotency_key=idempotency_key, timeout=timeout)
        try:
            response = await client.send(request, max_retries=max_retries)
        except ConflictError as exc:
            if exc.subcode != "JOB_CANCEL_UNAVAILABLE":
                raise
            stage = exc.details.get("stage")
            return CancelResult(job_id=job_id, accepted=False, reason="JOB_CANCEL_UNAVAILABLE",
                                stage=stage if isinstance(stage, str) else None)
        return decode(response, CancelResult, secrets=request.secrets)

    # -- many jobs -------------------------------------------------------------------

    async def wait_all(self, jobs: Sequence[Job[R]], *, limit: int | None = None,
                       timeout: float | None = None,
                       return_exceptions: bool = False) -> list[R | LayersError]:
        """Wait for every job; results in the order given (see :meth:`Jobs.wait_all`)."""
        self._check_open()
        deadline = _deadline(timeout)
        results: list[R | LayersError] = [None] * len(jobs)  # type: ignore[list-item]
        first_error: list[LayersError] = []
        limiter = anyio.CapacityLimiter(_check_limit(limit, len(jobs)))

        async def run(index: int, job: Job[R], group: anyio.abc.TaskGroup) -> None:
            async with limiter:
                try:
                    results[index] = await job.wait(timeout=_remaining(deadline))
                except LayersError as exc:
                    if return_exceptions:
                        results[index] = exc
                    elif not first_error:
                        first_error.append(exc)
                        group.cancel_scope.cancel()

        with _unwrapped():
            async with anyio.create_task_group() as group:
                for index, job in enumerate(jobs):
                    group.start_soon(run, index, job, group)
        if first_error:
            raise first_error[0]
        return results

    @asynccontextmanager
    async def as_completed(self, jobs: Sequence[Job[R]], *, limit: int | None = None,
                           timeout: float | None = None) -> AsyncIterator[AsyncIterator[Job[R]]]:
        """Jobs in the order they finish (see :meth:`Jobs.as_completed`)."""
        self._check_open()
        deadline = _deadline(timeout)
        send, receive = anyio.create_memory_object_stream[Job[R]](max_buffer_size=len(jobs) or 1)
        limiter = anyio.CapacityLimiter(_check_limit(limit, len(jobs)))

        async def run(job: Job[R], out: MemoryObjectSendStream[Job[R]]) -> None:
            async with out, limiter:
                # The caller sees any error again from job.wait(), which is cached.
                with suppress(LayersError):
                    await job.wait(timeout=_remaining(deadline))
                out.send_nowait(job)

        with _unwrapped():
            async with anyio.create_task_group() as group, receive:
                async with send:
                    for job in jobs:
                        group.start_soon(run, job, send.clone())
                yield receive
                group.cancel_scope.cancel()

    def _check_open(self) -> None:
        if self._client.closed:
            raise RuntimeError("this AsyncLayers client is closed; make a new one")

    def resume(self, token: str) -> Job[Any]:
        """A handle from :meth:`Job.resume_token`, keeping the job's poll cadence."""
        data = _decode_token(token)
        state = self.state(segment(data["id"], "job id in the resume token"), data.get("kind"))
        if state.snapshot is None:
            state.observations = int(data.get("n", 0))
            if data.get("status") is not None:
                state.snapshot = JobSnapshot(id=data["id"], kind=data.get("kind"),
                                             status=data["status"], stage=data.get("stage"),
                                             progress=data.get("progress"))
                state.etag = data.get("etag")
        return Job(self, state)


@contextmanager
def _unwrapped() -> Iterator[None]:
    """Let a task group's lone error out as itself, not inside an ExceptionGroup."""
    try:
        yield
    except BaseExceptionGroup as group:
        errors = group.exceptions
        while len(errors) == 1 and isinstance(errors[0], BaseExceptionGroup):
            errors = errors[0].exceptions
        if len(errors) == 1:
            raise errors[0] from None
        raise


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - anyio.current_time())


def _check_limit(limit: int | None, count: int) -> int:
    if limit is None:
        return max(1, count)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be an int >= 1, got {limit!r}")
    return limit


def _decode_token(token: str) -> dict[str, Any]:
    if not isinstance(token, str) or not token.startswith(_TOKEN_PREFIX):
        raise ValueError("not a layers-async job resume token (expected 'lj1.…')")
    body = token[len(_TOKEN_PREFIX):]
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, binascii.Error):
        raise ValueError("job resume token is damaged (not valid base64 JSON)") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise ValueError("job resume token has no job id")
    return data


class Job(Generic[R]):
    """A handle on one job: wait for it, watch it, cancel it.

    ``R`` is the type ``wait()`` returns (``Job[IngestGithubResult]`` from
    ``ingest.github``; ``Job[Any]`` from ``attach``). Handles are cheap; every
    handle on the same id within a client shares one state, so their polls are
    shared too.
    """

    def __init__(self, scheduler: JobScheduler, state: _JobState) -> None:
        self._scheduler = scheduler
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
        await self._scheduler.poll(self._state)
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
        deadline = _deadline(timeout)
        async with aclosing(self._follow(deadline)) as snapshots:
            async for snapshot in snapshots:
                if on_progress is not None:
                    outcome = on_progress(snapshot)
                    if inspect.isawaitable(outcome):
                        await outcome
        if self._state.terminal:
            result: R = self._scheduler.result_of(self._state)
            return result
        if on_timeout == "cancel":
            await self._bounded_cancel()
        last = self._state.snapshot
        where = f"{last.status}/{last.stage}" if last is not None else "unknown"
        raise JobTimeoutError(f"job {self.id} not finished after {timeout} s (last seen {where})",
                              snapshot=last)

    async def watch(self, timeout: float | None = None) -> AsyncGenerator[JobSnapshot, None]:
        """Each change of status, stage or progress, ending with the terminal snapshot.

        Stops quietly at ``timeout`` (no error): check ``snapshot.terminal``.
        """
        async with aclosing(self._follow(_deadline(timeout))) as snapshots:
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
            if not await self._scheduler.wait_change(state, state.version, deadline):
                return

    async def _bounded_cancel(self) -> None:
        timeout = self._scheduler._client.config.timeout
        try:
            with anyio.move_on_after(timeout.total if timeout.total is not None else 60.0):
                await self._scheduler.cancel(self.id, max_retries=0)
        except LayersError as exc:
            logger.warning("cancel of job %s after its wait timed out failed: %s", self.id, exc)

    async def cancel(self, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> CancelResult:
        """Ask the job to stop (cooperative: it ends ``canceled`` at a stage boundary)."""
        return await self._scheduler.cancel(self.id, idempotency_key=idempotency_key,
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
        return _TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _deadline(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) \
            or not timeout >= 0 or math.isnan(timeout):
        raise ValueError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
    return anyio.current_time() + timeout

