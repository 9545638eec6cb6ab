"""What every resource namespace shares: the one call / start / page path over a table row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .._converter import decode, decode_json, encode_fields, wire_to_snake
from .._http import Request, Timeout, segment
from .._job import Job
from .._operations import Operation
from .._pagination import AsyncPaginator, Page, decode_page
from .._pipeline import Pipeline
from .._scheduler import JobScheduler

__all__ = ["Resource", "check_limit"]

T = TypeVar("T")

#: Python names of path placeholders that are not plain snake_case of the spec's name.
_ARG_NAMES = {"id": "project_id"}


def check_limit(limit: int | None, maximum: int) -> int | None:
    """A page size checked against the route's documented range."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= maximum:
        raise ValueError(f"limit must be an int from 1 to {maximum}, got {limit!r}")
    return limit


def fill_path(op: Operation[Any], ids: tuple[str, ...]) -> str:
    """``op``'s path with each placeholder replaced by its checked, quoted id."""
    names = op.placeholders
    if len(ids) != len(names):
        raise TypeError(f"{op.name} takes {len(names)} id(s), got {len(ids)}")
    path = op.path
    for name, value in zip(names, ids, strict=True):
        what = _ARG_NAMES.get(name, wire_to_snake(name))
        path = path.replace("{" + name + "}", segment(value, what), 1)
    return path


class Resource:
    """A namespace of calls over a pipeline (and the scheduler, for jobs)."""

    def __init__(self, pipeline: Pipeline, scheduler: JobScheduler) -> None:
        self._pipeline = pipeline
        self._scheduler = scheduler

    async def _call(self, op: Operation[T], *ids: str, query: Mapping[str, Any] | None = None,
                    body: Mapping[str, Any] | None = None, idempotency_key: str | None = None,
                    timeout: float | Timeout | None = None) -> T:
        """Send one call of ``op`` and decode its answer."""
        request = self._request(op, ids, query, body, idempotency_key, timeout)
        response = await self._pipeline.send(request)
        return decode(response, op.response, secrets=request.secrets)

    async def _start(self, op: Operation[Any], *ids: str, body: Mapping[str, Any] | None = None,
                     idempotency_key: str | None = None,
                     timeout: float | Timeout | None = None) -> Job[Any]:
        """Start ``op``'s job and return a handle on it."""
        if op.job is None:
            raise TypeError(f"{op.name} does not start a job")
        request = self._request(op, ids, None, body, idempotency_key, timeout)
        return await self._scheduler.start(self._pipeline, request, op.job.kinds[0])

    def _page(self, op: Operation[T], *ids: str, query: Mapping[str, Any] | None = None,
              limit: int | None = None,
              timeout: float | Timeout | None = None) -> AsyncPaginator[T]:
        """``op``'s items, page by page, fetched only when reached."""
        if op.max_limit is None:
            raise TypeError(f"{op.name} does not page")
        path = fill_path(op, ids)
        params = encode_fields(op.query, query or {})
        params["limit"] = check_limit(limit, op.max_limit)
        pipeline = self._pipeline

        async def fetch(cursor: str | None) -> Page[T]:
            request = pipeline.build(op.method, path, params={**params, "cursor": cursor},
                                     timeout=timeout, rate_class=op.rate_class)
            response = await pipeline.send(request)
            return decode_page(decode_json(response, secrets=request.secrets), op.response,
                               secrets=request.secrets)

        return AsyncPaginator(fetch)

    def _request(self, op: Operation[Any], ids: tuple[str, ...],
                 query: Mapping[str, Any] | None, body: Mapping[str, Any] | None,
                 idempotency_key: str | None, timeout: float | Timeout | None) -> Request:
        path = fill_path(op, ids)
        params = encode_fields(op.query, query) if query else None
        json = encode_fields(op.body, body, nullable=op.nullable) if body is not None else None
        return self._pipeline.build(op.method, path, params=params, json=json,
                                    idempotency_key=idempotency_key, timeout=timeout,
                                    rate_class=op.rate_class)
