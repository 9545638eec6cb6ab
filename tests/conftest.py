"""Shared fixtures: every async test runs on asyncio through anyio's plugin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from layers_async.testing import FakeLayers


@pytest.fixture
def anyio_backend() -> str:
    """aiohttp only runs on asyncio."""
    return "asyncio"


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeLayers]:
    """A fake in the test's own loop that commands reach with --base-url and LAYERS_API_KEY."""
    async with FakeLayers(time_scale=5000) as server:
        monkeypatch.setenv("LAYERS_API_KEY", server.api_key)
        monkeypatch.delenv("LAYERS_BASE_URL", raising=False)
        yield server


pytest_plugins = ["pytester"]
