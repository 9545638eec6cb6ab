"""``layers.jobs``: poll, cancel, attach to and wait on jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, TypeVar, overload

from .._converter import structure
from .._errors import LayersError
from .._http import Timeout, segment
from .._job import Job
from .._many import as_completed, wait_all
from .._operations import JOBS_GET
from ..models.jobs import CancelResult, JobSnapshot
from ._base import Resource

__all__ = ["Jobs"]

R = TypeVar("R")


class Jobs(Resource):
    """Every long-running call answers with a job; these calls follow it."""

    async def get(self, job_id: str, *, timeout: float | Timeout | None = None) -> JobSnapshot:
        """``GET /v1/jobs/{id}``: one poll, the envelope as a typed snapshot."""
        return await self._call(JOBS_GET, job_id, timeout=timeout)

    async def cancel(self, job_id: str, *, idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> CancelResult:
        """Ask a job to stop. ``accepted`` is False (with ``reason``) when it is already
        terminal or in a stage that can't be interrupted (``JOB_CANCEL_UNAVAILABLE``)."""
        return await self._scheduler.cancel(self._pipeline, job_id,
                                            idempotency_key=idempotency_key, timeout=timeout)

    def attach(self, job_id: str, *, kind: str | None = None) -> Job[Any]:
        """A handle on a job started elsewhere (no request is made)."""
        return self._scheduler.attach(self._pipeline, job_id, kind)

    def notify(self, job_id: str, snapshot: JobSnapshot | Mapping[str, Any] | None = None) -> bool:
        """Hand the client news of a job from outside its polls (a verified webhook, a
        stream event): its waiters wake now and their cadence starts again at 5 s.

        ``snapshot`` (a :class:`JobSnapshot`, or the envelope as the API sends it) is
        published as if a poll had brought it; without one the next poll goes out at
        once. Returns False when no handle of this client knows the job.
        """
        if snapshot is not None and not isinstance(snapshot, JobSnapshot):
            snapshot = structure(dict(snapshot), JobSnapshot)
        return self._scheduler.notify(segment(job_id, "job_id"), snapshot)

    def resume(self, token: str) -> Job[Any]:
        """A handle from ``job.resume_token()``, resuming with the same poll cadence."""
        return self._scheduler.resume(self._pipeline, token)

    @overload
    async def wait_all(self, jobs: Sequence[Job[R]], *, limit: int | None = None,
                       timeout: float | None = None,
                       return_exceptions: Literal[False] = False) -> list[R]: ...

    @overload
    async def wait_all(self, jobs: Sequence[Job[R]], *, limit: int | None = None,
                       timeout: float | None = None,
                       return_exceptions: Literal[True]) -> list[R | LayersError]: ...

    async def wait_all(self, jobs: Sequence[Job[R]], *, limit: int | None = None,
                       timeout: float | None = None,
                       return_exceptions: bool = False) -> list[R] | list[R | LayersError]:
        """Wait on many jobs (``limit`` at a time); results in the order given.

        ``timeout`` bounds the whole call. The first failure cancels the rest and
        is raised as itself, unless ``return_exceptions`` puts each job's error
        in its place instead.
        """
        self._pipeline.connection.check_open()
        return await wait_all(jobs, limit=limit, timeout=timeout,
                              return_exceptions=return_exceptions)

    def as_completed(self, jobs: Sequence[Job[R]], *, limit: int | None = None,
                     timeout: float | None = None
                     ) -> AbstractAsyncContextManager[AsyncIterator[Job[R]]]:
        """Jobs as they finish::

            async with layers.jobs.as_completed(jobs) as finished:
                async for job in finished:
                    result = await job.wait()   # returns (or raises) at once

        Leaving the block early stops waiting on the rest.
        """
        self._pipeline.connection.check_open()
        return as_completed(jobs, limit=limit, timeout=timeout)
