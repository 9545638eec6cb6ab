"""pytest plugin (a ``pytest11`` entry point): the ``layers_fake`` and ``layers_client`` fixtures.

Both are async generator fixtures run by anyio's pytest plugin, so use them from tests marked
``@pytest.mark.anyio`` with an ``anyio_backend`` of ``"asyncio"``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from ._server import FakeLayers

if TYPE_CHECKING:
    from layers_async import AsyncLayers


@pytest.fixture
async def layers_fake() -> AsyncIterator[FakeLayers]:
    """A started ``FakeLayers(time_scale=1000)``."""
    async with FakeLayers(time_scale=1000) as fake:
        yield fake


@pytest.fixture
async def layers_client(layers_fake: FakeLayers) -> AsyncIterator[AsyncLayers]:
    """An ``AsyncLayers`` client wired to ``layers_fake``."""
    async with layers_fake.client() as client:
        yield client
