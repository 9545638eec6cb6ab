"""The smallest server the overhead benchmark can talk to: ``GET /v1/whoami`` and nothing else.

Run in its own process (``python -m benchmarks._whoami_server``) so its CPU is not the
client's; it prints ``{"port": N}`` once it listens on 127.0.0.1, then serves until SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import signal

from aiohttp import web

#: ``examples/whoami.response.json`` from the API docs, verbatim.
WHOAMI: dict[str, object] = {
    "organizationId": "org_2481fa5c-a404-44ed-a561-565392499abc",
    "workspaceId": "org_2481fa5c-a404-44ed-a561-565392499abc",
    "organizationName": "Acme Growth",
    "parentOrganizationId": None,
    "scopes": [],
    "rateLimitTier": "standard",
    "apiKeyId": "key_c2037bb9-354d-4662-96b7-97a28ad6b6e1",
    "creditBalance": 2540,
}
BODY = json.dumps(WHOAMI).encode()


async def whoami(request: web.Request) -> web.Response:
    """The fixed whoami payload."""
    return web.Response(body=BODY, content_type="application/json")


async def serve() -> None:
    """Listen on a free loopback port, say which, and serve until SIGTERM or SIGINT."""
    app = web.Application()
    app.router.add_get("/v1/whoami", whoami)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({"port": runner.addresses[0][1]}), flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve())
