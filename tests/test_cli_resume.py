"""Killing ``layers-async ingest`` at any moment and rerunning it duplicates nothing.

Everything runs in separate processes, as a user would: ``fake-server`` in one, each
``ingest`` in another. The checks go through the server's journal (written by
``fake-server --journal`` when it stops), the API (projects, jobs) and the state file.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import pytest

from layers_async import AsyncLayers

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "customers.csv"
#: Runs the CLI with Ctrl-C enabled even if this test runs where SIGINT is ignored.
CLI_WITH_SIGINT = ("import runpy, signal, sys; signal.signal(signal.SIGINT, "
                   "signal.default_int_handler); sys.argv[0] = 'layers-async'; "
                   "runpy.run_module('layers_async', run_name='__main__')")


@dataclass
class Server:
    """A ``layers-async fake-server`` subprocess: its URL and test key, and its journal."""

    url: str
    key: str
    process: anyio.abc.Process
    journal_file: Path

    async def journal(self) -> list[dict[str, Any]]:
        """Stop the server (SIGTERM) and read the journal it writes on the way out."""
        self.process.terminate()
        with anyio.fail_after(20):
            assert await self.process.wait() == 0
        return [json.loads(line) for line in self.journal_file.read_text().splitlines()]


@pytest.fixture
async def fake_server(tmp_path: Path) -> AsyncIterator[Server]:
    """``layers-async fake-server`` in a subprocess, its URL and key read from its stdout."""
    journal = tmp_path / "journal.jsonl"
    argv = [sys.executable, "-m", "layers_async", "fake-server", "--port", "0",
            "--time-scale", "200", "--journal", str(journal)]
    async with await anyio.open_process(argv, stdout=subprocess.PIPE, stderr=None) as server:
        assert server.stdout is not None
        text = ""
        with anyio.fail_after(20):
            while not re.search(r"^API key: \S+$", text, re.M):
                text += (await server.stdout.receive()).decode()
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)$", text, re.M)
        key = re.search(r"^API key: (\S+)$", text, re.M)
        assert url is not None
        assert key is not None
        yield Server(url.group(1), key.group(1), server, journal)
        if server.returncode is None:
            server.terminate()
            await server.wait()


def progress(state: Path) -> tuple[int, int]:
    """(rows with a job started, rows finished) in the state file; (0, 0) before it exists."""
    try:
        db = sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=1)
    except sqlite3.OperationalError:  # not created yet
        return 0, 0
    try:
        row = db.execute("SELECT COUNT(job_id), COALESCE(SUM(status IN "
                         "('completed', 'failed', 'canceled')), 0) FROM rows").fetchone()
    except sqlite3.OperationalError:  # mid-creation
        return 0, 0
    finally:
        db.close()
    return int(row[0]), int(row[1])


async def wait_for_jobs(state: Path, at_least: int) -> tuple[int, int]:
    """Poll the state file (bounded by a wall-clock timeout) until enough jobs started."""
    with anyio.fail_after(20):
        # Another process writes the file: there is no event to wait on, only the file.
        while (seen := progress(state))[0] < at_least:  # noqa: ASYNC110
            await anyio.sleep(0.01)
    return seen


@pytest.mark.anyio
async def test_interrupted_and_killed_ingest_resumes_without_duplicates(
        fake_server: Server, tmp_path: Path) -> None:
    """Ctrl-C (exit 130), then SIGKILL mid-run, then a rerun: one project and one job per row."""
    url, key = fake_server.url, fake_server.key
    env = {**os.environ, "LAYERS_API_KEY": key}
    env.pop("LAYERS_BASE_URL", None)
    csv, out, state = tmp_path / "customers.csv", tmp_path / "results.jsonl", tmp_path / "s.db"
    csv.write_text(EXAMPLE.read_text())
    rows = len(csv.read_text().splitlines()) - 1
    ingest = ["ingest", str(csv), "--base-url", url, "--poll-interval", "0.02",
              "--concurrency", "4", "--out", str(out), "--state-file", str(state)]

    # 1. Ctrl-C once jobs are running: exit 130, a hint to rerun.
    async with await anyio.open_process([sys.executable, "-c", CLI_WITH_SIGINT, *ingest],
                                        env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE) as first:
        await wait_for_jobs(state, 2)
        first.send_signal(signal.SIGINT)
        assert first.stderr is not None
        with anyio.fail_after(20):
            errors = b"".join([chunk async for chunk in first.stderr]).decode()
            assert await first.wait() == 130, errors
    assert "interrupted; rerun the same command to resume" in errors

    # 2. SIGKILL mid-run: no cleanup at all.
    started_before, _ = progress(state)
    async with await anyio.open_process([sys.executable, "-m", "layers_async", *ingest],
                                        env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL) as second:
        await wait_for_jobs(state, started_before + 2)
        second.kill()
        assert await second.wait() == -signal.SIGKILL
    started, finished = progress(state)
    assert finished < rows, "the kill came too late to test anything"

    # 3. Rerun to completion: started jobs are re-attached, finished rows skipped.
    with anyio.fail_after(30):
        third = await anyio.run_process([sys.executable, "-m", "layers_async", *ingest],
                                        env=env, check=False)
    output = third.stdout.decode()
    assert third.returncode == 0, third.stderr.decode()
    assert f"{finished} finished in an earlier run" in output
    assert len(re.findall(r": resuming job job_\w+$", output, re.M)) == started - finished

    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["line"] for line in lines] == list(range(2, rows + 2))
    assert {line["status"] for line in lines} == {"completed"}
    job_ids = {line["jobId"] for line in lines}
    assert len(job_ids) == rows
    with sqlite3.connect(state) as db:
        assert {r[0] for r in db.execute("SELECT job_id FROM rows")} == job_ids
    db.close()

    async with AsyncLayers(api_key=key, base_url=url) as layers:
        projects = await layers.projects.list().collect()
        assert Counter(p.customer_external_id for p in projects) == {
            line["customerExternalId"]: 1 for line in lines}
        for line in lines:
            project = await layers.projects.get(str(line["projectId"]))
            assert project.customer_external_id == line["customerExternalId"]
            github = project.ingest_state.github if project.ingest_state else None
            assert github is not None
            assert github.job_id == line["jobId"]
            snapshot = await layers.jobs.get(str(line["jobId"]))
            assert (snapshot.status, snapshot.project_id) == ("completed", line["projectId"])

    # The server's own record: one project made and one ingest started per row, whatever the
    # kills; every repeat of those calls was a replay of its first answer.
    journal = await fake_server.journal()
    made = [e for e in journal if e["method"] == "POST" and e["path"] == "/v1/projects"
            and e["status"] == 201 and not e["replayed"]]
    started_jobs = [e for e in journal if e["method"] == "POST"
                    and e["path"].endswith("/ingest/github") and e["status"] == 202
                    and not e["replayed"]]
    assert rows == len(made)
    assert rows == len(started_jobs)
    assert rows == len({e["headers"]["Idempotency-Key"] for e in started_jobs})
    assert all(key not in json.dumps(e) for e in journal)
