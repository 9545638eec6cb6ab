"""Waiting on many jobs at once: ``jobs.wait_all`` and ``jobs.as_completed``.

Both run a :class:`Sweep`: a few worker tasks (as many as polls may be in flight)
poll every job from one schedule ordered by when each job's next poll is due, instead
of one waiting task per job. Thousands of jobs then cost a schedule entry each, not a
task, a timer and a chain of coroutines, and every poll is a worker's next turn
rather than a sleeping task woken up. The cadence is the one ``job.wait()``
follows: the scheduler's policy sets each job's next poll (``JobState.next_at``).

A job another task is already driving (its own ``job.wait()``) is not polled
twice: the sweep watches it and takes over if that driver leaves. Leaving the
sweep (done, cancelled, first error) hands every job it drove back to any other
waiter.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from heapq import heappop, heappush
from typing import Any, TypeVar

import anyio
import anyio.abc

from ._errors import LayersError
from ._job import Job, JobDriver, JobState, deadline_after, timeout_error

__all__ = ["Sweep", "as_completed", "wait_all"]

R = TypeVar("R")

#: ``on_done(state, error)``: ``state`` finished (``error`` None: it is terminal) or its
#: polling failed with ``error``.
OnDone = Callable[[JobState, LayersError | None], None]


async def wait_all(jobs: Sequence[Job[R]], *, limit: int | None = None,
                   timeout: float | None = None,
                   return_exceptions: bool = False) -> list[R | LayersError]:
    """Wait for every job; results in the order given (see :meth:`Jobs.wait_all`)."""
    _check_limit(limit)
    results: list[R | LayersError] = [None] * len(jobs)  # type: ignore[list-item]
    first_error: list[LayersError] = []

    def settle(index: int, job: Job[R], error: LayersError | None) -> None:
        if error is None:
            try:
                results[index] = job._driver.result_of(job._state)
                return
            except LayersError as exc:
                error = exc
        if return_exceptions:
            results[index] = error
        elif not first_error:
            first_error.append(error)
            sweep.stop()

    def on_done(state: JobState, error: LayersError | None) -> None:
        for index in sweep.indices(state):
            settle(index, jobs[index], error)

    sweep = Sweep(jobs, limit=limit, on_done=on_done)
    for state in await sweep.run_for(timeout):
        for index in sweep.indices(state):
            settle(index, jobs[index], timeout_error(state, timeout))
    if first_error:
        raise first_error[0]
    return results


@asynccontextmanager
async def as_completed(jobs: Sequence[Job[R]], *, limit: int | None = None,
                       timeout: float | None = None) -> AsyncIterator[AsyncIterator[Job[R]]]:
    """Jobs in the order they finish (see :meth:`Jobs.as_completed`)."""
    _check_limit(limit)
    send, receive = anyio.create_memory_object_stream[Job[R]](max_buffer_size=len(jobs) or 1)

    def on_done(state: JobState, error: LayersError | None) -> None:
        # A job whose polling failed comes out too: its job.wait() raises the error again.
        for index in sweep.indices(state):
            send.send_nowait(jobs[index])

    sweep = Sweep(jobs, limit=limit, on_done=on_done)

    async def run() -> None:
        with send:
            for state in await sweep.run_for(timeout):
                on_done(state, None)  # out of time: it comes out unfinished

    with _unwrapped():
        async with anyio.create_task_group() as group, receive:
            group.start_soon(run)
            yield receive
            group.cancel_scope.cancel()


class Sweep:
    """Polls many jobs from a few worker tasks, each job when its next poll is due.

    Jobs are admitted ``limit`` at a time (all at once without a limit); each is
    reported once to ``on_done`` as it ends. The sweep is single-use.
    """

    def __init__(self, jobs: Sequence[Job[Any]], *, limit: int | None, on_done: OnDone) -> None:
        self._on_done = on_done
        self._drivers: dict[JobState, JobDriver] = {}
        self._indices: dict[JobState, list[int]] = {}
        for index, job in enumerate(jobs):
            state = job._state
            if state in self._indices:
                self._indices[state].append(index)
            else:
                self._indices[state] = [index]
                self._drivers[state] = job._driver
        self._queue = deque(self._indices)   # states not yet admitted, in the order given
        self._limit = limit if limit is not None else len(self._queue)
        self._active: set[JobState] = set()  # admitted and not yet reported
        self._mine: set[JobState] = set()    # driven by this sweep (state.driving is ours)
        self._busy: set[JobState] = set()    # a worker is polling it right now
        self._due: dict[JobState, float] = {}  # when its live entry is due
        # Jobs are filed by due time: a heap of the distinct due times, and the jobs due at
        # each. Polls fall due on the policy's grid, so thousands of jobs share a few dozen
        # times: taking and filing a job is a deque operation, not a sift through a heap of
        # thousands (and no entry object is left per poll for the collector to walk).
        self._times: list[float] = []        # heap of the due times that have jobs filed
        self._filed: dict[float, deque[JobState]] = {}  # due time -> jobs, first filed first
        self._final = False                  # the last round at the deadline
        self._late: set[JobState] = set()    # looked at in that round: still running
        self._idle: list[asyncio.Future[None]] = []  # wakers of the idle workers
        self._timer: asyncio.TimerHandle | None = None  # wakes one when the first poll is due
        self._timer_at = math.inf
        self._group: anyio.abc.TaskGroup | None = None
        self._stopped = False

    def indices(self, state: JobState) -> list[int]:
        """Where ``state``'s jobs are in the sequence given."""
        return self._indices[state]

    def stop(self) -> None:
        """End the sweep now (cancelling the polls in flight)."""
        self._stopped = True
        if self._group is not None:
            self._group.cancel_scope.cancel()

    async def run_for(self, timeout: float | None) -> list[JobState]:
        """Sweep until every job is reported, or ``timeout``; return the jobs still
        unfinished then (each had one last poll, as ``job.wait(timeout)`` gives)."""
        deadline = deadline_after(timeout)
        try:
            if deadline is None:
                await self._run()
                return []
            with anyio.move_on_at(deadline):
                await self._run()
            if self._stopped or not (self._active or self._queue):
                return []
            # Out of time: one last look at each job still waited on, no later than a
            # poll delay past the deadline, as each job.wait(timeout) does.
            self._final = True  # and no more jobs admitted: limit bounds this round too
            for state in self._active:
                self._due.pop(state, None)
                self._schedule(state, -math.inf)
            grace = max((state.pipeline.config.poll.initial for state in self._active),
                        default=0.0)
            with anyio.move_on_at(deadline + grace):
                await self._run()
            unfinished = self._active | self._late | set(self._queue)
            return [state for state in self._indices if state in unfinished]
        finally:
            self._release_all()

    # -- the loop ------------------------------------------------------------------------

    async def _run(self) -> None:
        self._admit()
        capacity = max((d.poll_capacity for d in self._drivers.values()), default=1)
        workers = min(capacity, len(self._active) + len(self._queue))
        if not workers or self._stopped:
            return
        try:
            with _unwrapped():
                async with anyio.create_task_group() as group:
                    self._group = group
                    for _ in range(workers):
                        group.start_soon(self._work)
        finally:
            self._group = None

    async def _work(self) -> None:
        while self._active and not self._stopped:
            state = self._take()
            if state is None:
                await self._doze()
                continue
            self._kick()  # the next poll due may be another idle worker's
            self._busy.add(state)
            error: LayersError | None = None
            try:
                await self._drivers[state].poll(state, scheduled=True)
            except LayersError as exc:
                error = exc
            finally:
                self._busy.discard(state)
            if error is not None:
                self._finish(state, error)
            elif state.terminal:
                self._finish(state, None)
            elif self._final:
                self._active.discard(state)  # looked at once more: still running
                self._late.add(state)
            else:
                self._schedule(state, state.next_at)

    def _take(self) -> JobState | None:
        """The next job whose poll is due, or None."""
        times, filed, due = self._times, self._filed, self._due
        now = asyncio.get_running_loop().time()
        while times and times[0] <= now:
            at = times[0]
            jobs = filed[at]
            if not jobs:  # every job filed for ``at`` is taken: on to the next time
                heappop(times)
                del filed[at]
                continue
            state = jobs.popleft()
            if due.get(state) != at:
                continue  # a stale entry: the job was rescheduled or is done
            del due[state]
            if state.terminal:
                self._finish(state, None)
            elif not self._final and state.next_at > now:
                self._schedule(state, state.next_at)  # someone else's poll moved it later
            else:
                return state
        return None

    def _schedule(self, state: JobState, at: float) -> None:
        """Poll ``state`` at loop time ``at`` (unless an earlier poll is already set)."""
        due = self._due
        current = due.get(state)
        if current is not None and current <= at:
            return
        due[state] = at
        jobs = self._filed.get(at)
        if jobs is None:
            self._filed[at] = deque((state,))
            heappush(self._times, at)
        else:
            jobs.append(state)
        if self._idle:
            self._kick()

    def _kick(self) -> None:
        """See that an idle worker wakes when the first job filed is due: now, or by the
        one timer of the sweep. Each worker woken that finds a poll due wakes the next, so
        a tick with k polls due wakes k workers, not every idle one."""
        times = self._times
        if not self._idle or not times:
            return
        at = times[0]
        loop = asyncio.get_running_loop()
        if at <= loop.time():
            self._wake_one()
        elif self._timer is None or at < self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer_at = at
            self._timer = loop.call_at(at, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = math.inf
        self._wake_one()

    async def _doze(self) -> None:
        """Sleep until woken (a poll is due, news, or the end)."""
        waker = asyncio.get_running_loop().create_future()
        self._idle.append(waker)
        self._kick()
        await waker

    def _wake_one(self) -> None:
        idle = self._idle
        while idle:
            waker = idle.pop()  # the most recently idle: its memory is the warmest
            if not waker.done():
                waker.set_result(None)
                return

    def _wake_all(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._timer_at = math.inf
        idle, self._idle = self._idle, []
        for waker in idle:
            if not waker.done():
                waker.set_result(None)

    # -- jobs coming and going -----------------------------------------------------------

    def _admit(self) -> None:
        while self._queue and len(self._active) < self._limit and not self._stopped \
                and not self._final:
            state = self._queue.popleft()
            if state.terminal:  # already known to have ended: nothing to poll
                self._on_done(state, None)
                continue
            self._active.add(state)
            if state.watchers is None:
                state.watchers = []
            state.watchers.append(self)
            self._claim(state)

    def _claim(self, state: JobState) -> None:
        """Drive ``state`` unless another waiter already does (then watch it)."""
        if state in self._mine:
            self._schedule(state, state.next_at)
        elif not state.driving:
            state.driving = True
            self._mine.add(state)
            self._schedule(state, state.next_at)

    def changed(self, state: JobState) -> None:
        """News of ``state`` from outside this sweep's polls (``JobState.signal``)."""
        if state not in self._active or state in self._busy:
            return  # a worker's own poll: the worker takes it from here
        if state.terminal:
            self._finish(state, None)
        else:
            self._claim(state)

    def _finish(self, state: JobState, error: LayersError | None) -> None:
        if state not in self._active:
            return
        self._active.discard(state)
        self._due.pop(state, None)
        self._release(state)
        self._on_done(state, error)
        self._admit()
        if not self._active:
            self._wake_all()  # idle workers see there is nothing left

    def _release(self, state: JobState) -> None:
        watchers = state.watchers
        if watchers is not None and self in watchers:
            watchers.remove(self)
            if not watchers:
                state.watchers = None
        if state in self._mine:
            self._mine.discard(state)
            state.driving = False
            if not state.terminal:
                state.signal()  # another waiter may have to take over

    def _release_all(self) -> None:
        self._wake_all()
        for state in list(self._indices):
            self._release(state)


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


def _check_limit(limit: int | None) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 1):
        raise ValueError(f"limit must be an int >= 1, got {limit!r}")
