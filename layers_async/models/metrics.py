"""Metrics: pre-ranked top performers and unified organic metrics."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["Metrics", "TopPerformer", "TopPerformers"]


@attrs.frozen(kw_only=True)
class TopPerformer:
    """One ranked creative (only these four fields are named in the docs)."""

    rank: int
    metric_value: float | None = None
    source_type: str | None = None
    source_id: str | None = None


@attrs.frozen(kw_only=True)
class TopPerformers:
    """``GET …/top-performers``: sorted items."""

    items: list[TopPerformer] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class Metrics:
    """``GET …/metrics``: bucketed series and window totals. The docs print neither inner
    shape, so both stay raw mappings."""

    series: list[dict[str, Any]] = attrs.field(factory=list)
    totals: dict[str, Any] = attrs.field(factory=dict)
