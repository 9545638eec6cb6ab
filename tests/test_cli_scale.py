"""A ``fake-server`` at any time scale works with the commands pointed at it by its own output."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import anyio
import pytest
from cli_support import write_csv

CLI = [sys.executable, "-m", "layers_async"]


@asynccontextmanager
async def fake_server(*options: str) -> AsyncIterator[dict[str, str]]:
    """``layers-async fake-server`` in a subprocess; yields the variables of its export line."""
    argv = [*CLI, "fake-server", "--port", "0", *options]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAYERS_")}
    async with await anyio.open_process(argv, env=env, stdout=subprocess.PIPE,
                                        stderr=None) as server:
        assert server.stdout is not None
        text = ""
        with anyio.fail_after(20):
            while not re.search(r"^export .*\n", text, re.M):
                text += (await server.stdout.receive()).decode()
        line = re.search(r"^export (.*)$", text, re.M)
        assert line is not None
        yield dict(word.split("=", 1) for word in shlex.split(line.group(1)))
        server.terminate()
        with anyio.fail_after(20):
            await server.wait()


@pytest.mark.anyio
@pytest.mark.parametrize(("scale", "rows"), [("1", 3), ("20", 40), ("1000", 40)])
async def test_ingest_works_against_a_fake_server_at_any_time_scale(
        scale: str, rows: int, tmp_path: Path) -> None:
    """Zero failed rows: the commands take the server's time scale from its export line."""
    csv = write_csv(tmp_path / "c.csv", *(f"c{n},Customer {n},acme/repo-{n},,,,"
                                          for n in range(rows)))
    async with fake_server("--time-scale", scale, "--job-duration", "2") as exported:
        assert {"LAYERS_BASE_URL", "LAYERS_API_KEY", "LAYERS_TIME_SCALE"} == set(exported)
        assert scale == exported["LAYERS_TIME_SCALE"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAYERS_")}
        begun = time.monotonic()
        with anyio.fail_after(60):
            done = await anyio.run_process(
                [*CLI, "ingest", str(csv), "--json", "--state-file", str(tmp_path / "s.db")],
                env={**env, **exported}, check=False)
        elapsed = time.monotonic() - begun
    summary = json.loads(done.stdout.decode().splitlines()[-1])["summary"]
    assert (0, rows, 0) == (done.returncode, summary["ok"], summary["failed"]), (
        done.stderr.decode())
    assert f"time scale {scale}" in done.stderr.decode()
    print(f"scale {scale}, {rows} rows: {elapsed:.1f} s")


@pytest.mark.anyio
async def test_fake_server_json_names_everything_a_client_needs() -> None:
    """--json: one document with baseUrl, apiKey, timeScale and tier."""
    argv = [*CLI, "fake-server", "--port", "0", "--json", "--time-scale", "50"]
    async with await anyio.open_process(argv, stdout=subprocess.PIPE) as server:
        assert server.stdout is not None
        text = ""
        with anyio.fail_after(20):
            while not text.rstrip().endswith("}"):
                text += (await server.stdout.receive()).decode()
        server.terminate()
        await server.wait()
    document = json.loads(text)
    assert ["apiKey", "baseUrl", "tier", "timeScale"] == sorted(document)
    assert 50 == document["timeScale"]


@pytest.mark.anyio
async def test_a_port_in_use_is_a_usage_error() -> None:
    """Exit 2 and one line naming the port, not an unexpected OSError."""
    with socket_in_use() as port:
        with anyio.fail_after(20):
            done = await anyio.run_process([*CLI, "fake-server", "--port", str(port)],
                                           check=False)
    assert 2 == done.returncode
    assert [f"layers-async: error: cannot listen on 127.0.0.1:{port}: the port is already "
            "in use"] == done.stderr.decode().splitlines()


@contextmanager
def socket_in_use() -> Iterator[int]:
    """A listening socket on a free loopback port, for the duration of a ``with``."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.mark.anyio
async def test_fake_server_serves_the_quickstart_spellings_on_request() -> None:
    """--docs quickstart: bare UUIDs and the quickstart's job kind; --customer-ids not-enforced
    lets two projects share a customerExternalId (the docs disagree, README §12.6)."""
    import uuid

    from layers_async import AsyncLayers

    options = ("--docs", "quickstart", "--customer-ids", "not-enforced", "--time-scale", "1000")
    async with fake_server(*options) as exported, AsyncLayers(
            api_key=exported["LAYERS_API_KEY"], base_url=exported["LAYERS_BASE_URL"]) as layers:
        first = await layers.projects.create(name="Acme", customer_external_id="acme_42")
        second = await layers.projects.create(name="Acme 2", customer_external_id="acme_42")
        await layers.github.register_installation(56781234, "state")
        job = await layers.ingest.github(first.id, repo_full_name="acme/acme-mobile")
    assert first.id != second.id
    assert str(uuid.UUID(first.id)) == first.id  # a bare UUID, no prj_ prefix
    assert "project_ingest_github" == job.kind
