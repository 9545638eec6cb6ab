"""What a newcomer sees: JSON on every command, one key style, clear names and failures."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import POLL, write_csv

from layers_async._cli import run
from layers_async.testing import FakeLayers

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--time-scale", "5000"]


@pytest.fixture(autouse=True)
def _no_layers_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own LAYERS_* settings must not steer these runs."""
    for name in ("LAYERS_BASE_URL", "LAYERS_TIME_SCALE"):
        monkeypatch.delenv(name, raising=False)


#: Mappings whose keys are data (format names, statuses), not field names.
DATA = frozenset({"estimatedCreditsPerFormat", "byStatus", "details"})


def keys(value: Any) -> Iterator[str]:
    """Every field name of every mapping in ``value``, recursively."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            if key not in DATA:
                yield from keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys(item)


def snake(document: Any) -> list[str]:
    """The snake_case keys of ``document`` (there should be none)."""
    return [key for key in keys(document) if "_" in key]


@pytest.mark.anyio
@pytest.mark.parametrize("where", ["before", "after"])
async def test_every_command_takes_json_before_or_after_its_name(
        where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each command prints parseable JSON with camelCase keys only, ``--json`` on either side."""
    csv = write_csv(tmp_path / "c.csv", "c1,One,acme/one,,,,", "c2,Two,acme/two,,,,")
    commands = [["whoami"], ["credits"], ["projects", "list"], ["quickstart"],
                ["ingest", str(csv), "--out", str(tmp_path / "r.jsonl")]]
    for command in commands:
        argv = ["--json", *command, *FAST] if where == "before" else [*command, "--json", *FAST]
        assert 0 == await run(argv), capsys.readouterr().err
        lines = capsys.readouterr().out.splitlines()
        documents = ([json.loads(line) for line in lines] if command[0] == "ingest"
                     else [json.loads("\n".join(lines))])
        assert [] == snake(documents), command


@pytest.mark.anyio
async def test_ingest_json_is_one_line_per_row_then_a_summary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON lines: each row as it ends (like the results file), then ``{"summary": ...}``."""
    csv = write_csv(tmp_path / "c.csv", "c1,One,acme/one,,,,", "c2,Two,not a repo,,,,")
    assert 5 == await run(["ingest", str(csv), "--json", "--out", str(tmp_path / "r.jsonl"),
                           *FAST])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [("completed", 2), ("invalid", 3)] == [(d["status"], d["line"]) for d in lines[:-1]]
    assert {"rows": 2, "ok": 1, "failed": 0, "skipped": 1} == {
        k: lines[-1]["summary"][k] for k in ("rows", "ok", "failed", "skipped")}


@pytest.mark.anyio
async def test_quickstart_json_is_one_document(capsys: pytest.CaptureFixture[str]) -> None:
    """The steps go to stderr; stdout is one document with the project, job and PR."""
    assert 0 == await run(["quickstart", "--json", *FAST])
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert "1. whoami:" in captured.err
    assert "completed" == document["job"]["status"]
    assert document["result"]["prUrl"].startswith("https://github.com/")
    assert document["project"]["customerExternalId"] == "acme_42"


@pytest.mark.anyio
async def test_jobs_get_json_has_one_key_style(fake: FakeLayers,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The API's wire names throughout (jobId); the result's repo is the envelope's too."""
    job_id = fake.create_job(duration=0, repo_full_name="acme/acme-mobile")
    assert 0 == await run(["jobs", "get", job_id, "--base-url", fake.base_url, "--json", *POLL])
    snapshot = json.loads(capsys.readouterr().out)
    assert [] == snake(snapshot)
    assert "acme/acme-mobile" == snapshot["repoFullName"] == snapshot["result"]["repoFullName"]
    assert {"jobId", "status", "projectId", "startedAt"} <= set(snapshot)


@pytest.mark.anyio
async def test_results_file_uses_the_same_key_style(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The results file's lines are camelCase like every other JSON the command writes."""
    csv, out = write_csv(tmp_path / "c.csv", "c1,One,acme/one,,,,"), tmp_path / "r.jsonl"
    assert 0 == await run(["ingest", str(csv), "--out", str(out), *FAST])
    line = json.loads(out.read_text())
    assert ["customerExternalId", "error", "jobId", "line", "prUrl", "projectId", "repo",
            "status"] == sorted(line)
    assert "1 row: 1 to ingest" in capsys.readouterr().out


@pytest.mark.anyio
async def test_old_state_spellings_still_work_with_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``ingest --state FILE`` and ``quickstart --state S`` work and say the new name."""
    csv, state = write_csv(tmp_path / "c.csv", "c1,One,acme/one,,,,"), tmp_path / "s.sqlite"
    assert 0 == await run(["ingest", str(csv), "--state", str(state), *FAST])
    assert ("layers-async: warning: --state is deprecated; use --state-file"
            in capsys.readouterr().err)
    assert 0 == await run(["quickstart", "--state", "gh_state", *FAST])
    assert ("layers-async: warning: --state is deprecated; use --install-state"
            in capsys.readouterr().err)
    assert 0 == await run(["ingest", str(csv), "--state-file", str(tmp_path / "t.sqlite"),
                           "--install-state", "gh_state", *FAST])
    assert "deprecated" not in capsys.readouterr().err


@pytest.mark.anyio
async def test_connection_failure_names_the_server_and_the_attempts(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 3: ``cannot reach URL (connection refused) after 4 attempts``, no aiohttp jargon."""
    monkeypatch.setenv("LAYERS_API_KEY", "lp_test_0000000000000000_key")
    assert 3 == await run(["whoami", "--base-url", "http://127.0.0.1:1", *FAST])
    error = capsys.readouterr().err.splitlines()[-1]
    assert ("layers-async: error: cannot reach http://127.0.0.1:1 (connection refused) after 4 "
            "attempts (GET /v1/whoami)") == error


@pytest.mark.anyio
async def test_time_scale_comes_from_the_environment(
        fake: FakeLayers, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A loopback LAYERS_BASE_URL is used with LAYERS_TIME_SCALE; a bad scale exits 2."""
    monkeypatch.setenv("LAYERS_BASE_URL", fake.base_url)
    monkeypatch.setenv("LAYERS_TIME_SCALE", "5000")
    assert 0 == await run(["whoami"])
    assert (f"Using the Layers API at {fake.base_url} from LAYERS_BASE_URL (key from "
            "LAYERS_API_KEY, time scale 5000).") in capsys.readouterr().err
    monkeypatch.setenv("LAYERS_TIME_SCALE", "fast")
    assert 2 == await run(["whoami"])
    assert "LAYERS_TIME_SCALE must be a number > 0, got 'fast'" in capsys.readouterr().err


@pytest.mark.anyio
async def test_quickstart_ends_with_the_way_to_a_real_key(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The last lines name LAYERS_API_KEY, --live and what a real run costs; no credit warning."""
    assert 0 == await run(["quickstart", *FAST])
    captured = capsys.readouterr()
    last = "\n".join(captured.out.splitlines()[-2:])
    assert "LAYERS_API_KEY" in last
    assert "--live quickstart" in last
    assert "long-running job" in last
    assert "spends credits" in last
    assert "may spend credits" not in captured.err


@pytest.mark.anyio
async def test_credits_plain_output_is_aligned(capsys: pytest.CaptureFixture[str]) -> None:
    """Every value starts in the same column, the long estimate names included."""
    assert 0 == await run(["credits", "--plain", *FAST])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.count(":") == 1]
    columns = {re.match(r"[^:]+:\s+", line).end() for line in lines}  # type: ignore[union-attr]
    assert 1 == len(columns)
    assert any(line.startswith("estimate slideshow_builder: ") for line in lines)


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="not a git checkout")
def test_default_results_and_state_files_are_ignored_by_git() -> None:
    """``ingest examples/customers.csv`` leaves nothing for ``git status`` to show."""
    names = ["examples/customers.results.jsonl", "examples/customers.csv.state.sqlite",
             "examples/customers.csv.state.sqlite-wal", "results.jsonl"]
    done = subprocess.run(["git", "check-ignore", *names], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert names == done.stdout.splitlines()
