"""The project's keyword bank: curated hashtags."""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["Hashtag", "KeywordBank"]


@attrs.frozen(kw_only=True)
class Hashtag:
    """One hashtag of the bank (no leading ``#``), scored 0-100."""

    hashtag: str
    phrase: str | None = None
    score: int | None = None
    view_count: int | None = None
    use_count: int | None = None


@attrs.frozen(kw_only=True)
class KeywordBank:
    """``GET /v1/projects/{projectId}/keywords``: the curated hashtag bank."""

    project_id: str
    hashtags: list[Hashtag] = attrs.field(factory=list)
    refreshed_at: datetime | None = None
