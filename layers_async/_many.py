"""Waiting on many jobs at once: ``jobs.wait_all`` and ``jobs.as_completed``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, suppress
from typing import TypeVar

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectSendStream

from ._errors import LayersError
from ._job import Job, deadline_after

__all__ = ["as_completed", "wait_all"]

R = TypeVar("R")


async def wait_all(jobs: Sequence[Job[R]], *, limit: int | None = None,
                   timeout: float | None = None,
                   return_exceptions: bool = False) -> list[R | LayersError]:
    """Wait for every job; results in the order given (see :meth:`Jobs.wait_all`)."""
    deadline = deadline_after(timeout)
    results: list[R | LayersError] = [None] * len(jobs)  # type: ignore[list-item]
    first_error: list[LayersError] = []
    limiter = _limiter(limit)

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
async def as_completed(jobs: Sequence[Job[R]], *, limit: int | None = None,
                       timeout: float | None = None) -> AsyncIterator[AsyncIterator[Job[R]]]:
    """Jobs in the order they finish (see :meth:`Jobs.as_completed`)."""
    deadline = deadline_after(timeout)
    send, receive = anyio.create_memory_object_stream[Job[R]](max_buffer_size=len(jobs) or 1)
    limiter = _limiter(limit)

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


def _limiter(limit: int | None) -> AbstractAsyncContextManager[object]:
    """A CapacityLimiter of ``limit``; with no limit, nothing to hold (every job has its
    own waiter, and a limiter would cost each one a borrower entry and a checkpoint)."""
    if limit is None:
        return _NO_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be an int >= 1, got {limit!r}")
    return anyio.CapacityLimiter(limit)


class _NoLimit:
    """An async context manager that does nothing (shared: it holds no state)."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


_NO_LIMIT = _NoLimit()
