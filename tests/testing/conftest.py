"""Fixtures for the FakeLayers tests: a fake at time_scale=1000 and a raw HTTP helper."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from layers_async.testing import FakeLayers

from .fakehttp import Api, StartFake


@pytest.fixture
async def start_fake() -> AsyncIterator[StartFake]:
    """Start fakes with custom options (time_scale 1000 unless given); all stop at teardown."""
    async with contextlib.AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())

        async def start(**options: Any) -> Api:
            options.setdefault("time_scale", 1000)
            fake = await stack.enter_async_context(FakeLayers(**options))
            return Api(session, fake)

        yield start


@pytest.fixture
async def api(start_fake: StartFake) -> Api:
    """A default fake (standard tier, both auth forms) and a session to talk to it."""
    return await start_fake()


@pytest.fixture
def fake(api: Api) -> FakeLayers:
    """The fake behind ``api``."""
    return api.fake
