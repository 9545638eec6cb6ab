"""Cursor pagination: ``async for`` over items, pages fetched only when reached."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import attrs

from ._converter import structure
from ._errors import DecodeError
from ._http import excerpt

__all__ = ["AsyncPaginator", "Page"]

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a list: its items and the cursor of the next page (None: last)."""

    items: Sequence[T]
    next_cursor: str | None


def decode_page(data: Any, item_type: type[T], *, secrets: tuple[str, ...] = ()) -> Page[T]:
    """A ``{"items": [...], "nextCursor": ...}`` body as a typed page."""
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise DecodeError("list response has no 'items' array", path="$.items",
                          excerpt=excerpt(json.dumps(data, default=str), secrets))
    cursor = data.get("nextCursor")
    if cursor is not None and not isinstance(cursor, str):
        raise DecodeError("'nextCursor' is neither a string nor null", path="$.nextCursor",
                          excerpt=excerpt(json.dumps(data, default=str), secrets))
    items = []
    for index, raw in enumerate(data["items"]):
        try:
            items.append(structure(raw, item_type, secrets=secrets))
        except DecodeError as exc:
            exc.path = f"$.items[{index}]{(exc.path or '$')[1:]}"
            raise
    return Page(items=tuple(items), next_cursor=cursor or None)


class AsyncPaginator(Generic[T]):
    """Iterate a cursor-paginated list lazily.

    ``async for item in paginator`` walks every item, fetching the next page
    only when the previous one is used up; ``pages()`` walks whole pages. The
    cursor is passed back exactly as the API sent it.
    """

    def __init__(self, fetch: Callable[[str | None], Awaitable[Page[T]]]) -> None:
        self._fetch = fetch

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Each page in order, starting with the first."""
        cursor: str | None = None
        while True:
            page = await self._fetch(cursor)
            yield page
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def collect(self, limit: int | None = None) -> list[T]:
        """Up to ``limit`` items (all when None) in a list, fetching no more pages than needed."""
        found: list[T] = []
        if limit is not None and limit <= 0:
            return found
        async for page in self.pages():
            found.extend(page.items)
            if limit is not None and len(found) >= limit:
                return found[:limit]
        return found
