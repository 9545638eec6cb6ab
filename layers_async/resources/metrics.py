"""``layers.metrics``: top performers and unified organic metrics."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .._http import Timeout
from .._operations import METRICS_GET, METRICS_TOP_PERFORMERS
from ..models import metrics as models
from ._base import Resource, check_limit
from ._checks import utc_z

__all__ = ["Metrics"]

_METRICS = ("views", "engagement_rate", "conversions", "roas", "watch_time_ms")
_WINDOWS = ("7d", "30d", "90d")
_SOURCE_TYPES = ("content_container", "platform_post", "manual")
_PLATFORMS = ("instagram", "tiktok", "youtube", "meta_ads", "tiktok_ads", "apple_ads")
_SCOPES = ("platform_post", "social_account", "project", "project_layer", "organization")
_GRANULARITIES = ("hour", "day", "week")


def _one(value: object, allowed: tuple[str, ...], what: str) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{what} must be one of {list(allowed)}, got {value!r}")


def _many(values: Iterable[str] | None, allowed: tuple[str, ...] | None,
          what: str) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        raise TypeError(f"{what} must be a list of strings, not a single string")
    found = list(values)
    for value in found:
        if allowed is not None:
            _one(value, allowed, what)
        elif not isinstance(value, str) or not value:
            raise ValueError(f"{what} must hold non-empty strings, got {value!r}")
    return found or None


class Metrics(Resource):
    """Metrics of a project. List filters travel repeated (``platform=a&platform=b``)."""

    async def top_performers(self, project_id: str, *, metric: str, window: str | None = None,
                             source_type: Iterable[str] | None = None,
                             platform: Iterable[str] | None = None, limit: int | None = None,
                             include_ineligible: bool | None = None,
                             timeout: float | Timeout | None = None) -> models.TopPerformers:
        """``GET /v1/projects/{projectId}/top-performers``: creatives ranked by ``metric``."""
        if metric is None:
            raise ValueError("metric is required")
        _one(metric, _METRICS, "metric")
        _one(window, _WINDOWS, "window")
        return await self._call(METRICS_TOP_PERFORMERS, project_id, query=dict(
            metric=metric, window=window,
            source_type=_many(source_type, _SOURCE_TYPES, "source_type"),
            platform=_many(platform, _PLATFORMS, "platform"), limit=check_limit(limit, 100),
            include_ineligible=include_ineligible), timeout=timeout)

    async def get(self, project_id: str, *, scope: str, id: str,
                  metrics: Iterable[str] | None = None, since: datetime | None = None,
                  until: datetime | None = None, granularity: str | None = None,
                  timeout: float | Timeout | None = None) -> models.Metrics:
        """``GET /v1/projects/{projectId}/metrics``: series and totals of ``scope`` ``id``
        (default window: the last 30 days; ``since`` inclusive, ``until`` exclusive)."""
        if scope is None:
            raise ValueError("scope is required")
        _one(scope, _SCOPES, "scope")
        if not isinstance(id, str) or not id.strip():
            raise ValueError("id must be a non-empty string")
        _one(granularity, _GRANULARITIES, "granularity")
        start, end = utc_z(since, "since"), utc_z(until, "until")
        if since is not None and until is not None and not since < until:
            raise ValueError("since must be before until")
        return await self._call(METRICS_GET, project_id, query=dict(
            scope=scope, id=id, metrics=_many(metrics, None, "metrics"), since=start, until=end,
            granularity=granularity), timeout=timeout)
