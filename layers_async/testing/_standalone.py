"""Run a FakeLayers server until cancelled (the CLI's ``fake`` command calls this)."""

from __future__ import annotations

import anyio

from ._server import FakeLayers


async def serve(*, port: int, time_scale: float, tier: str, host: str = "127.0.0.1") -> None:
    """Serve a fake on ``host:port`` and print where, and with which key, until cancelled."""
    async with FakeLayers(time_scale=time_scale, tier=tier, host=host, port=port) as fake:
        print(f"Layers fake server listening on {fake.base_url}", flush=True)
        print(f"API key: {fake.api_key}", flush=True)
        await anyio.sleep_forever()
