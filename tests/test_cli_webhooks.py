"""``layers-async webhooks listen``: prints verified events, refuses others, hides the secret."""

from __future__ import annotations

import json
import socket

import aiohttp
import anyio
import pytest

from layers_async._cli import run
from layers_async.webhooks import signature_header

SECRET = "whsec_cli_test_secret"


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def delivery(event_id: str, event_type: str,
             data: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    """A signed delivery."""
    body = json.dumps({"id": event_id, "type": event_type, "data": data}).encode()
    return body, {"X-Layers-Signature": signature_header(body, SECRET),
                  "X-Layers-Event-Id": event_id}


async def listen_and_send(extra: list[str]) -> list[int]:
    """Run the command for two events; send a forged one between two good ones."""
    port = free_port()
    codes: list[int] = []
    statuses: list[int] = []

    async def command() -> None:
        codes.append(await run(["webhooks", "listen", "--port", str(port), "--secret", SECRET,
                                "--max-events", "2", *extra]))

    async with anyio.create_task_group() as tg:
        tg.start_soon(command)
        await anyio.wait_all_tasks_blocked()  # listening
        url = f"http://127.0.0.1:{port}/layers/webhooks"
        good = delivery("evt_1", "job.completed", {"jobId": "job_1", "kind": "ingest_github"})
        forged = (good[0], {"X-Layers-Signature": "t=1,v1=00"})
        other = delivery("evt_2", "content.approved", {"id": "cnt_9"})
        async with aiohttp.ClientSession() as session:
            for body, headers in (good, forged, other):
                async with session.post(url, data=body, headers=headers) as answer:
                    statuses.append(answer.status)
    assert [0] == codes
    return statuses


@pytest.mark.anyio
async def test_listen_prints_one_line_per_verified_event(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Two events, two lines; the forged delivery gets 400; the secret is never shown."""
    assert [200, 400, 200] == await listen_and_send([])
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("Listening for Layers webhooks on http://127.0.0.1:")
    assert ["evt_1 job.completed job=job_1", "evt_2 content.approved id=cnt_9"] == lines[1:]
    assert SECRET not in captured.out + captured.err


@pytest.mark.anyio
async def test_listen_prints_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """With --json each event is one JSON document on stdout; the notice goes to stderr."""
    await listen_and_send(["--json"])
    captured = capsys.readouterr()
    events = [json.loads(line) for line in captured.out.splitlines()]
    assert ["evt_1", "evt_2"] == [e["id"] for e in events]
    assert {"jobId": "job_1", "kind": "ingest_github"} == events[0]["data"]
    assert "Listening" in captured.err
    assert SECRET not in captured.out + captured.err


@pytest.mark.anyio
async def test_listen_without_a_secret_is_a_usage_error(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """No --secret and no LAYERS_WEBHOOK_SECRET: exit 2 before listening."""
    monkeypatch.delenv("LAYERS_WEBHOOK_SECRET", raising=False)
    assert 2 == await run(["webhooks", "listen", "--port", "0"])
    assert "--secret" in capsys.readouterr().err
