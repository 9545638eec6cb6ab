"""Shared fixtures: every async test runs on asyncio through anyio's plugin."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """aiohttp only runs on asyncio."""
    return "asyncio"


pytest_plugins = ["pytester"]
