"""The one poll scheduler of a client (shared by its ``with_options`` children).

No background task ever runs: whoever awaits a job drives its polling. For
each job id the client keeps one shared :class:`JobState`; among the tasks
waiting on it, one at a time is the *driver* (it sleeps until the next poll is
due, polls, and publishes the snapshot), the others wait for the driver's news.
If the driver is cancelled, another waiter takes over. Cancelling every waiter
stops all polling at once and leaves nothing behind.

``wait_all`` and ``as_completed`` drive their jobs differently but by the same
rules: their :class:`~layers_async._many.Sweep` is the driver of every job it
waits on (a few worker tasks and one heap, see ``_many``), watches the jobs
another waiter already drives, and hands its own back when it ends.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import weakref
from typing import Any

import anyio
import attrs

from ._converter import decode, structure
from ._errors import ConflictError, JobCanceledError, JobFailedError, RateLimitError
from ._http import Request, Response, Timeout, build_url, segment
from ._job import Job, JobState, Poll, decode_token
from ._operations import JOBS_CANCEL, JOBS_GET, RESULT_TYPES
from ._pipeline import Pipeline
from ._poll import KindStats, Track
from .models.jobs import CancelResult, JobSnapshot, JobStatus

__all__ = ["JobScheduler"]

logger = logging.getLogger("layers_async")


class JobScheduler:
    """The registry of job states, the poll limiter and the 429 pause of one API key."""

    def __init__(self, *, max_concurrent_polls: int = 32) -> None:
        if isinstance(max_concurrent_polls, bool) or not isinstance(max_concurrent_polls, int) \
                or max_concurrent_polls < 1:
            raise ValueError(f"max_concurrent_polls must be an int >= 1, "
                             f"got {max_concurrent_polls!r}")
        self._states: weakref.WeakValueDictionary[str, JobState] = weakref.WeakValueDictionary()
        self._max_polls = max_concurrent_polls
        self._limiter: anyio.Semaphore | None = None
        self._paused_until = -math.inf
        self._random = random.Random()
        self._rand = self._random.random
        #: What jobs of each known kind taught the poll policy (kinds of the table only).
        self._stats: dict[str, KindStats] = {}
        #: The first poll request of each pipeline: the others share its headers.
        self._poll_templates: weakref.WeakKeyDictionary[Pipeline, Request] = \
            weakref.WeakKeyDictionary()
        #: Polls sent (HTTP requests to GET /v1/jobs/{id}), for tests and benchmarks.
        self.polls_sent = 0

    @property
    def poll_capacity(self) -> int:
        """How many polls may be in flight at once (``max_concurrent_polls``)."""
        return self._max_polls

    def state(self, pipeline: Pipeline, job_id: str, kind: str | None = None) -> JobState:
        """The shared state of ``job_id`` (made on first use, polled through ``pipeline``)."""
        state = self._states.get(job_id)
        if state is None:
            state = JobState(job_id, kind, pipeline)
            self._states[job_id] = state
        elif state.kind is None and kind is not None:
            state.kind = kind
        return state

    def attach(self, pipeline: Pipeline, job_id: str, kind: str | None = None) -> Job[Any]:
        """A handle on ``job_id``; its first wait polls at once."""
        return Job(self, self.state(pipeline, segment(job_id, "job_id"), kind))

    def resume(self, pipeline: Pipeline, token: str) -> Job[Any]:
        """A handle from :meth:`Job.resume_token`, keeping the job's poll cadence."""
        data = decode_token(token)
        job_id = segment(data["id"], "job id in the resume token")
        state = self.state(pipeline, job_id, data.get("kind"))
        if state.snapshot is None:
            state.observations = int(data.get("n", 0))
            if data.get("status") is not None:
                state.show(JobSnapshot(id=job_id, kind=data.get("kind"),
                                       status=data["status"], stage=data.get("stage"),
                                       progress=data.get("progress")))
                state.etag = data.get("etag")
        return Job(self, state)

    async def start(self, pipeline: Pipeline, request: Request, kind: str) -> Job[Any]:
        """Send a job-starting request and return a handle on the job it started."""
        sent = anyio.current_time()
        response = await pipeline.send(request)
        snapshot = decode(response, JobSnapshot, secrets=request.secrets)
        state = self.state(pipeline, snapshot.id, str(snapshot.kind or kind))
        if state.snapshot is None:
            # The 202 envelope is the first look (at progress 0: the job just started);
            # the next one is a full delay away.
            state.last_sent = sent
            self._look(state, snapshot, started=True)
        return Job(self, state)

    def notify(self, job_id: str, snapshot: JobSnapshot | None = None) -> bool:
        """News of a job from outside the poll loop (a webhook, a stream event).

        With a ``snapshot`` it is published as if a poll had brought it (a terminal
        one ends every ``wait()`` at once); without one, "this job changed": the
        next poll goes out now. Either way the cadence starts again from ``initial``.
        Returns whether anyone here knows the job (False: nothing to wake).
        """
        state = self._states.get(job_id)
        if state is None or state.terminal:
            return False
        state.observations = 0
        if snapshot is not None:
            if snapshot.id != job_id:
                raise ValueError(f"snapshot of job {snapshot.id} given as news of {job_id}")
            self._look(state, snapshot)
        else:
            state.next_at = state.last_sent = -math.inf  # news is not a scheduled poll
            state.signal()  # a sleeping driver wakes, sees no new version, and polls
        return True

    # -- polling -----------------------------------------------------------------------

    def _stats_of(self, state: JobState) -> KindStats | None:
        """What jobs of ``state``'s kind taught (looked up until its kind is known; then
        kept on the state, which ``_look`` reads first)."""
        snapshot = state.snapshot
        kind = str(snapshot.kind if snapshot is not None and snapshot.kind else state.kind)
        if kind not in RESULT_TYPES:
            return None  # an unknown kind (so far): the plain backoff
        stats = self._stats.get(kind)
        if stats is None:
            stats = self._stats[kind] = KindStats()
        state.stats = stats
        return stats

    def _look(self, state: JobState, snapshot: JobSnapshot | None, *,
              started: bool = False) -> None:
        """Take in one look at the job (None: a 304) and schedule the next poll."""
        now = _now()
        if snapshot is not None:
            self._publish(state, snapshot)
        current = state.snapshot
        stats = state.stats
        if stats is None:
            stats = self._stats_of(state)
        track = state.track
        if current is not None:
            stage = current.stage
            if track is None:
                track = state.track = Track.start(now, 0.0 if started else current.progress,
                                                  stage)
            else:  # in place: one track per job, not one per poll
                track.advance(now, None if snapshot is None else current.progress, stage)
            if stats is not None:
                if not state.terminal:
                    stats.seen(stage, current.progress)
                elif current.status == JobStatus.COMPLETED:
                    stats.completed(stage)
        policy = state.pipeline.config.poll
        delay = policy.next_delay(state.observations, track, stats, self._rand)
        # From when the last poll went out: every scheduled gap is inside [initial, maximum].
        anchor = state.last_sent if state.last_sent > -math.inf else now
        state.next_at = policy.due(anchor, delay)
        state.observations += 1

    def _publish(self, state: JobState, snapshot: JobSnapshot) -> None:
        current = state.snapshot
        if state.terminal and current is not None:
            if snapshot.status != current.status:
                logger.warning("job %s went from terminal %r to %r; keeping %r", state.id,
                               str(current.status), str(snapshot.status), str(current.status))
            return
        if current is not None and current.progress is not None and snapshot.progress is not None \
                and snapshot.progress < current.progress:
            snapshot = attrs.evolve(snapshot, progress=current.progress)
        # Most polls bring new progress: that settles it without comparing every field.
        if current is None or snapshot.progress != current.progress or snapshot != current:
            state.show(snapshot)
            state.version += 1
            state.signal()

    async def poll(self, state: JobState, *, scheduled: bool = False) -> None:
        """Poll ``state`` now, or join the poll already in flight for it.

        A joiner gets the same outcome as the poll's owner: its error is raised
        again, and if the owner was cancelled the joiner polls itself. A
        ``scheduled`` poll (a waiter's, not a ``refresh()``) never goes out sooner
        than the policy's ``initial`` after the previous one.

        One coroutine does the whole poll (joining, the limiter, the 429 pause, the
        send): at scale every coroutine on this path is made tens of thousands of times.
        """
        while not state.terminal:
            joined = state.inflight
            if joined is not None:
                if joined is _OWNED:  # the first to join makes what the others wait on
                    joined = state.inflight = Poll()
                await joined.wait()
                if joined.error is not None:
                    raise joined.error
                if joined.finished:
                    return
                continue  # the owner was cancelled: poll again, maybe as the owner
            # Most polls have no joiner: the owner only marks the poll as in flight.
            state.inflight = _OWNED
            finished, error = False, None
            try:
                pipeline = state.pipeline
                limiter = self._limiter
                if limiter is None:
                    limiter = self._limiter = anyio.Semaphore(self._max_polls)
                base = state.request
                if base is None:
                    base = state.request = self._poll_request(state)
                while True:
                    earliest = self._paused_until
                    if scheduled:  # e.g. after a driver was cancelled with its poll in flight
                        earliest = max(earliest, state.last_sent + pipeline.config.poll.initial)
                    now = _now()
                    if now < earliest:
                        await anyio.sleep(earliest - now)
                        now = _now()
                    etag = state.etag
                    request = (base if etag is None or state.snapshot is None
                               else base.with_header("If-None-Match", etag))
                    # A free slot is taken without a trip through the event loop (``async
                    # with`` would add four calls per poll, and a CapacityLimiter a yield).
                    try:
                        limiter.acquire_nowait()
                    except anyio.WouldBlock:
                        await limiter.acquire()
                        now = _now()
                    try:
                        self.polls_sent += 1
                        state.last_sent = now
                        response = await pipeline.send(request, retry_rate_limits=False)
                        break
                    except RateLimitError as exc:
                        self._pause(pipeline, exc)
                    finally:
                        limiter.release()
                self._answered(state, response)
                finished = True
            except Exception as exc:
                error = exc
                raise
            finally:
                joined = state.inflight
                state.inflight = None
                if joined is not None and joined is not _OWNED:
                    joined.finished, joined.error = finished, error
                    joined.end()
            return

    def _poll_request(self, state: JobState) -> Request:
        """``GET /v1/jobs/{id}`` of ``state``, made once per job. The polls of one pipeline
        share its headers (one dict, never changed: a conditional poll copies it)."""
        pipeline = state.pipeline
        path = JOBS_GET.path.replace("{jobId}", segment(state.id, "job_id"))
        first = self._poll_templates.get(pipeline)
        if first is None:
            first = pipeline.build("GET", path, rate_class=JOBS_GET.rate_class)
            self._poll_templates[pipeline] = first
            return first
        return attrs.evolve(first, url=build_url(pipeline.config.base_url, path), path=path)

    def _pause(self, pipeline: Pipeline, exc: RateLimitError) -> None:
        """Pause every poll of this client after a 429 (or raise it: too long a pause).

        One pause for every job, not one retry per job; never shorter than a poll delay
        (a Retry-After of 0 must not become a busy loop) and never longer than the retry
        policy accepts.
        """
        retry = pipeline.config.retry
        if exc.retry_after is not None and exc.retry_after > retry.max_retry_after:
            raise exc
        wait = max((exc.retry_after or 0.0) * retry.scale, pipeline.config.poll.initial)
        now = _now()
        self._paused_until = max(self._paused_until, now + wait)
        logger.warning("job polling paused %.3f s after a 429 (request id %s)",
                       self._paused_until - now, exc.request_id)

    def _answered(self, state: JobState, response: Response) -> None:
        """Take in a poll's answer: a 304 (no news) or a new snapshot."""
        if response.status == 304:
            self._look(state, None)
            return
        # The key is the only secret a poll carries (the request's headers hold nothing else).
        snapshot = decode(response, JobSnapshot, secrets=state.pipeline.config.secrets)
        state.etag = response.headers.get("etag")
        self._look(state, snapshot)

    async def wait_change(self, state: JobState, seen: int, deadline: float | None) -> bool:
        """Return True once ``state`` changed past version ``seen``, False at ``deadline``.

        A deadline that falls before the next poll gets one last poll at the
        deadline. No poll outlives the deadline by more than the policy's
        ``initial`` delay, so ``wait(timeout=t)`` returns by ``t + initial``.
        """
        grace = state.pipeline.config.poll.initial
        while state.version == seen:
            now = _now()
            if deadline is not None and now >= deadline:
                return False
            if not state.driving:
                state.driving = True
                try:
                    due = state.next_at if deadline is None else min(state.next_at, deadline)
                    if due > now:
                        # Woken early when another task (a refresh) brings news.
                        await _doze(state, due)
                        if state.version != seen:
                            return True
                    if deadline is None:  # one coroutine less on the way to every poll
                        await self.poll(state, scheduled=True)
                    else:
                        await self._bounded_poll(state, deadline, grace)
                finally:
                    state.driving = False
                    state.signal()  # wake the others: one of them may have to take over
            else:
                event = state.changed()
                if deadline is None:
                    await event.wait()
                else:
                    with anyio.move_on_after(deadline - now):
                        await event.wait()
                if deadline is not None and anyio.current_time() >= deadline \
                        and state.version == seen:
                    await self._bounded_poll(state, deadline, grace)
                    return state.version != seen
        return True

    async def _bounded_poll(self, state: JobState, deadline: float | None,
                            grace: float) -> None:
        if deadline is None:
            await self.poll(state, scheduled=True)
            return
        with anyio.move_on_after(deadline + grace - anyio.current_time()):
            await self.poll(state, scheduled=True)

    def result_of(self, state: JobState) -> Any:
        """The outcome of a terminal job: its typed result, or the matching error."""
        snapshot = state.snapshot
        if snapshot is None or not snapshot.terminal:
            raise RuntimeError(f"job {state.id} has not finished")
        if snapshot.status == JobStatus.COMPLETED:
            result_type = RESULT_TYPES.get(str(snapshot.kind or state.kind))
            raw = snapshot.result or {}
            if result_type is None:
                return raw
            return structure(raw, result_type, secrets=state.pipeline.config.secrets)
        if snapshot.status == JobStatus.FAILED:
            error = snapshot.error
            what = f"{error.code}: {error.message}" if error is not None else "no error given"
            raise JobFailedError(f"job {snapshot.id} failed ({what})", snapshot=snapshot,
                                 error=error)
        raise JobCanceledError(f"job {snapshot.id} was canceled", snapshot=snapshot)

    async def cancel_job(self, state: JobState, *, idempotency_key: str | None = None,
                         timeout: float | Timeout | None = None,
                         max_retries: int | None = None) -> CancelResult:
        """Cancel ``state``'s job through the pipeline it is polled with."""
        return await self.cancel(state.pipeline, state.id, idempotency_key=idempotency_key,
                                 timeout=timeout, max_retries=max_retries)

    async def cancel(self, pipeline: Pipeline, job_id: str, *,
                     idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None,
                     max_retries: int | None = None) -> CancelResult:
        """``POST /v1/jobs/{id}/cancel``; a stage that can't be interrupted is not an error."""
        path = JOBS_CANCEL.path.replace("{jobId}", segment(job_id, "job_id"))
        request = pipeline.build("POST", path, idempotency_key=idempotency_key, timeout=timeout,
                                 rate_class=JOBS_CANCEL.rate_class)
        try:
            response = await pipeline.send(request, max_retries=max_retries)
        except ConflictError as exc:
            if exc.subcode != "JOB_CANCEL_UNAVAILABLE":
                raise
            stage = exc.details.get("stage")
            return CancelResult(job_id=job_id, accepted=False, reason="JOB_CANCEL_UNAVAILABLE",
                                stage=stage if isinstance(stage, str) else None)
        return decode(response, CancelResult, secrets=request.secrets)


#: ``JobState.inflight`` of a poll no one has joined yet (never waited on itself).
_OWNED = Poll()


def _now() -> float:
    """``anyio.current_time()`` (the event loop's clock) without its backend lookup (a third
    of the cost); every poll reads the clock four or five times."""
    return asyncio.get_running_loop().time()


async def _doze(state: JobState, due: float) -> None:
    """Sleep until loop time ``due``, or until ``state.signal()`` if that comes sooner.

    Every driver ends nearly every sleep at its due time, so that must be cheap: a
    cancel scope's timeout cancels the task and unwinds a CancelledError (about five
    times the CPU of a plain timer, and two sets and an Event held per sleeping job).
    This is a future and a timer on the event loop's clock instead (aiohttp already
    ties the client to asyncio); cancelling the task still ends it at once.
    """
    loop = asyncio.get_running_loop()
    waker = state.waker = loop.create_future()
    timer = loop.call_at(due, _wake, waker)
    try:
        await waker
    finally:
        timer.cancel()
        state.waker = None


def _wake(waker: asyncio.Future[None]) -> None:
    if not waker.done():
        waker.set_result(None)
