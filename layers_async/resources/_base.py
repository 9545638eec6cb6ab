"""What every resource namespace shares: its client, and the paginator helper."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._converter import decode_json
from .._http import Timeout
from .._pagination import AsyncPaginator, Page, decode_page

if TYPE_CHECKING:
    from .._client import AsyncLayers

__all__ = ["Resource", "check_limit"]

T = TypeVar("T")


def check_limit(limit: int | None, maximum: int) -> int | None:
    """A page size checked against the route's documented range."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= maximum:
        raise ValueError(f"limit must be an int from 1 to {maximum}, got {limit!r}")
    return limit


class Resource:
    """A namespace of calls bound to one client."""

    def __init__(self, client: AsyncLayers) -> None:
        self._client = client

    def _paginate(self, path: str, item_type: type[T], params: Mapping[str, Any],
                  timeout: float | Timeout | None = None) -> AsyncPaginator[T]:
        client = self._client

        async def fetch(cursor: str | None) -> Page[T]:
            query = {**params, "cursor": cursor}
            request = client.build("GET", path, params=query, timeout=timeout)
            response = await client.send(request)
            return decode_page(decode_json(response, secrets=request.secrets), item_type,
                               secrets=request.secrets)

        return AsyncPaginator(fetch)
