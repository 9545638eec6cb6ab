"""Reruns really retry: refused calls get a new idempotency key, dead quickstart jobs a new job."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cli_support import HEADER, POLL, results

from layers_async import AsyncLayers, MockTransport, Request, Response
from layers_async._cli import build_parser, run
from layers_async._cli._commands import start_ingest
from layers_async.testing import FakeLayers

INGEST = "POST /v1/projects/{id}/ingest/github"


def ingest_keys(fake: FakeLayers) -> list[str]:
    """The Idempotency-Key of every ingest start the fake received, in order."""
    return [e.headers["Idempotency-Key"] for e in fake.journal
            if e.method == "POST" and e.path.endswith("/ingest/github")]


def row_state(state: Path) -> tuple[Any, ...]:
    """(attempt, project_id, status) of the one row of a state file."""
    db = sqlite3.connect(state)
    try:
        return tuple(db.execute("SELECT attempt, project_id, status FROM rows").fetchone())
    finally:
        db.close()


@pytest.fixture
def one_row(tmp_path: Path, fake: FakeLayers) -> tuple[list[str], Path, Path]:
    """A one-row CSV and the ingest arguments for it: (argv, results file, state file)."""
    csv = tmp_path / "c.csv"
    csv.write_text(HEADER + "c1,One,acme/one,,,,\n")
    out, state = tmp_path / "r.jsonl", tmp_path / "s.sqlite"
    argv = ["ingest", str(csv), "--base-url", fake.base_url, *POLL, "--out", str(out),
            "--state-file", str(state)]
    return argv, out, state


# -- ingest: a refusal moves the row to a new key ---------------------------------------------

@pytest.mark.anyio
async def test_a_row_the_api_refused_is_retried_under_a_new_key(
        fake: FakeLayers, one_row: tuple[list[str], Path, Path]) -> None:
    """The handler's own 409 (no installation) is stored under its key; the rerun uses a new one."""
    argv, out, state = one_row
    assert await run([*argv, "--no-register"]) == 3
    [refused] = results(out)
    assert ("error", "CONFLICT") == (refused["status"], refused["error"]["code"])
    assert (2, refused["projectId"], "error") == row_state(state)
    assert await run(argv) == 0
    [done] = results(out)
    assert ("completed", refused["projectId"]) == (done["status"], done["projectId"])
    first, second = ingest_keys(fake)
    assert first != second


@pytest.mark.anyio
async def test_a_row_whose_outcome_is_unknown_keeps_its_key(
        fake: FakeLayers, one_row: tuple[list[str], Path, Path]) -> None:
    """A 5xx may have started the job: the rerun sends the same key, to replay it if it did."""
    fake.faults.add(status=503, code="KILL_SWITCH", message="Paused.", times=1, route=INGEST)
    argv, out, state = one_row
    assert await run(argv) == 3
    assert "error" == results(out)[0]["status"]
    assert 1 == row_state(state)[0]
    assert await run(argv) == 0
    assert "completed" == results(out)[0]["status"]
    first, second = ingest_keys(fake)
    assert first == second


@pytest.mark.anyio
async def test_a_row_whose_project_is_gone_finds_it_again(
        fake: FakeLayers, one_row: tuple[list[str], Path, Path]) -> None:
    """A 404 for the row's project forgets it: the rerun finds the customer's project again."""
    argv, out, state = one_row
    assert await run([*argv, "--no-register"]) == 3
    project_id = results(out)[0]["projectId"]
    with sqlite3.connect(state) as db:
        db.execute("UPDATE rows SET project_id = 'prj_00000000000000000000000000'")
    db.close()
    assert await run(argv) == 3
    assert ("error", "NOT_FOUND") == (results(out)[0]["status"],
                                      results(out)[0]["error"]["code"])
    assert (3, None, "error") == row_state(state)
    assert await run(argv) == 0
    assert ("completed", project_id) == (results(out)[0]["status"], results(out)[0]["projectId"])
    async with fake.client() as layers:
        assert 1 == len(await layers.projects.list().collect())


# -- quickstart: an ended job is not replayed -------------------------------------------------

@pytest.mark.anyio
@pytest.mark.parametrize("outcome", ["failed", "canceled"])
async def test_a_quickstart_whose_job_ended_badly_runs_again(
        fake: FakeLayers, outcome: str, capsys: pytest.CaptureFixture[str]) -> None:
    """After a failed or canceled job a rerun starts a new job, not a replay of the dead one."""
    fake.script_job(outcome=outcome, repo_full_name="acme/flaky")
    argv = ["quickstart", "--repo", "acme/flaky", "--base-url", fake.base_url, *POLL]
    assert await run(argv) == 4
    first = capsys.readouterr().out
    assert await run(argv) == 0
    second = capsys.readouterr().out
    [dead] = re.findall(r"4\. ingest: job (job_\w+) started", first)
    [fresh] = re.findall(r"4\. ingest: job (job_\w+) started", second)
    assert dead != fresh
    assert "5. ingest completed" in second
    first_key, second_key = ingest_keys(fake)
    assert first_key != second_key


KEY = "lp_test_AAAAAAAAAAAAAAAA_" + "a" * 43


def server(last: dict[str, Any]) -> MockTransport:
    """An API whose project prj_1 last ran the GitHub ingest job ``last`` (as it is now)."""
    project = {"id": "prj_1", "name": "Acme", "ingestState": {
        "github": {"status": "running", "jobId": last["jobId"]}, "website": None,
        "appstore": None}}

    def answer(request: Request) -> Response:
        status, body = 200, project
        if request.path == f"/v1/jobs/{last['jobId']}":
            body = last
        elif request.path != "/v1/projects/prj_1":
            assert ("POST", "/v1/projects/prj_1/ingest/github") == (request.method, request.path)
            status, body = 202, {"jobId": "job_new", "kind": "ingest_github", "status": "running"}
        return Response(status=status, headers={"content-type": "application/json"},
                        body=json.dumps(body).encode())

    return MockTransport(answer)


async def quickstart_ingest(transport: MockTransport) -> tuple[str, str]:
    """(job id, how it was had) from the quickstart's ingest step against ``transport``."""
    args = build_parser().parse_args(["quickstart"])
    async with AsyncLayers(api_key=KEY, base_url="https://api.layers.test",
                           transport=transport) as layers:
        job, how = await start_ingest(layers, "prj_1", args, ["ios"])
    return job.id, how


@pytest.mark.anyio
async def test_a_quickstart_rerun_while_its_job_runs_resumes_it() -> None:
    """The project's last GitHub ingest still runs: the quickstart waits for it, no new start."""
    transport = server({"jobId": "job_1", "kind": "ingest_github", "status": "running",
                        "stage": "analyzing", "progress": 0.4})
    assert ("job_1", "resuming (still running analyzing 40%)") == \
        await quickstart_ingest(transport)
    assert ["GET", "GET"] == [r.method for r in transport.requests]


@pytest.mark.anyio
async def test_a_quickstart_start_is_keyed_by_the_last_ended_job() -> None:
    """Each ended job gives the next start its own key; the same one always the same key."""
    keys = []
    for last in ("job_1", "job_1", "job_2"):
        transport = server({"jobId": last, "kind": "ingest_github", "status": "failed"})
        assert ("job_new", "started") == await quickstart_ingest(transport)
        keys.append(transport.requests[-1].headers["Idempotency-Key"])
    assert keys[0] == keys[1] != keys[2]
