"""``layers.keywords``: the project's hashtag bank, and its refresh job."""

from __future__ import annotations

from typing import Any

from .._http import Timeout
from .._job import Job
from .._operations import KEYWORDS_LIST, KEYWORDS_REFRESH
from ..models.keywords import KeywordBank
from ._base import Resource

__all__ = ["Keywords"]


class Keywords(Resource):
    """Read the keyword bank; refresh it (a 4-5 minute job)."""

    async def list(self, project_id: str, *,
                   timeout: float | Timeout | None = None) -> KeywordBank:
        """``GET /v1/projects/{projectId}/keywords``."""
        return await self._call(KEYWORDS_LIST, project_id, timeout=timeout)

    async def refresh(self, project_id: str, *, idempotency_key: str | None = None,
                      timeout: float | Timeout | None = None) -> Job[dict[str, Any]]:
        """``POST …/keywords/refresh`` (202): re-run keyword research. The docs print no
        result, so ``wait()`` returns the raw mapping; read the bank again afterwards."""
        return await self._start(KEYWORDS_REFRESH, project_id, body={},
                                 idempotency_key=idempotency_key, timeout=timeout)
