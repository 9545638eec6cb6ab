"""The ``layers-async`` command: in-process runs against embedded and in-test fake servers."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import anyio
import pytest
from cli_support import HEADER, POLL, results, write_csv

from layers_async._cli import main, run
from layers_async._cli._app import _library_logging
from layers_async._cli._rows import idempotency_key, parse_rows
from layers_async.testing import FakeLayers

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "customers.csv"
KEY_PATTERN = re.compile(r"lp_(?:live|test)_[A-Z0-9]{16}_")
EMBEDDED = re.compile(r"^Embedded fake Layers server at http://127\.0\.0\.1:\d+ \(no network, "
                      r"no credits\)\. Use --live for the real API\.$")
FAST = ["--time-scale", "5000"]


# -- help and usage ---------------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    [], ["whoami"], ["credits"], ["projects"], ["projects", "list"], ["jobs"], ["jobs", "get"],
    ["jobs", "wait"], ["jobs", "cancel"], ["quickstart"], ["ingest"], ["fake-server"],
    ["content"], ["content", "generate"],
    ["webhooks"], ["webhooks", "listen"],
])
def test_help_of_every_command(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """``--help`` works on every command and subcommand, exits 0, and lists the exit codes."""
    assert main([*command, "--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: layers-async")
    assert "exit codes: 0 ok" in text


def test_python_m_entry_point() -> None:
    """``python -m layers_async --help`` runs the same command."""
    done = subprocess.run([sys.executable, "-m", "layers_async", "--help"],
                          capture_output=True, text=True, timeout=30, check=False)
    assert (0, "usage: layers-async") == (done.returncode, done.stdout[:19])


@pytest.mark.parametrize("argv", [
    ["nope"],
    ["whoami", "--time-scale", "0"],
    ["quickstart", "--platform", "windows"],
    ["ingest", "x.csv", "--concurrency", "0"],
    ["whoami", "--live", "--base-url", "http://127.0.0.1:1"],
    ["jobs", "wait", "job_1", "--cancel-on-timeout"],
])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Argparse's own errors exit 2."""
    assert main(argv) == 2
    assert "error:" in capsys.readouterr().err


def test_bad_input_exits_2_before_any_call(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A missing CSV, a malformed repo, or --live without a key: exit 2 with a clear message."""
    monkeypatch.delenv("LAYERS_API_KEY", raising=False)
    assert main(["ingest", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["quickstart", "--repo", "not-a-repo", *FAST]) == 2
    assert "owner/name" in capsys.readouterr().err
    assert main(["whoami", "--live"]) == 2
    assert "set LAYERS_API_KEY" in capsys.readouterr().err
    (tmp_path / "bad.csv").write_text("customer,repo\nx,y/z\n")
    assert main(["ingest", str(tmp_path / "bad.csv")]) == 2
    assert "lacks column(s) customer_external_id, project_name" in capsys.readouterr().err


@pytest.mark.anyio
async def test_unusable_results_paths_are_refused_before_any_call(
        fake: FakeLayers, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--out that is the CSV, the state file, a directory or in no directory: exit 2, no call."""
    csv = write_csv(tmp_path / "c.csv", "c1,One,acme/one,,,,")
    state = tmp_path / "s.sqlite"
    for extra, message in [
        (["--out", str(csv)], f"--out {csv} is the CSV itself"),
        (["--out", f"{csv}.state.sqlite"], f"--out {csv}.state.sqlite is the state file"),
        (["--out", str(state), "--state-file", str(state)], f"--out {state} is the state file"),
        (["--out", str(tmp_path / "no" / "r.jsonl")], f"no directory {tmp_path / 'no'}"),
        (["--out", str(tmp_path)], f"--out {tmp_path} is a directory"),
        (["--state-file", str(csv)], f"--state-file {csv} is the CSV itself"),
    ]:
        assert await run(["ingest", str(csv), "--base-url", fake.base_url, *extra]) == 2
        assert message in capsys.readouterr().err
    assert HEADER + "c1,One,acme/one,,,,\n" == csv.read_text()
    assert [] == list(fake.journal)


@pytest.mark.anyio
async def test_library_warnings_show_only_with_verbose(
        fake: FakeLayers, capsys: pytest.CaptureFixture[str]) -> None:
    """A retry's WARNING line is on stderr with -v only; the library's errors always are."""
    for verbose in ([], ["-v"]):  # in a process of its own: no test's log handlers around
        fake.faults.add(status=429, retry_after=0, times=1, route="GET /v1/whoami")
        with anyio.fail_after(30):
            done = await anyio.run_process(
                [sys.executable, "-m", "layers_async", "whoami", "--base-url", fake.base_url,
                 *verbose], check=False)
        err = done.stderr.decode()
        assert 0 == done.returncode, err
        assert bool(verbose) == ("retrying GET /v1/whoami" in err)
        assert bool(verbose) == ("WARNING layers_async: retrying GET /v1/whoami" in err)
    logger = logging.getLogger("layers_async")
    level = logger.level
    with _library_logging(verbose=False):
        logger.warning("a routine retry")
        logger.error("a real problem")
    assert "ERROR layers_async: a real problem\n" == capsys.readouterr().err
    assert level == logger.level


# -- embedded server --------------------------------------------------------------------------

def test_quickstart_on_the_embedded_server(capsys: pytest.CaptureFixture[str]) -> None:
    """Quickstart runs every call on the embedded server and prints the PR and brand."""
    assert main(["quickstart", *FAST]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert EMBEDDED.match(lines[0])
    assert [line[:3] for line in lines if line[:1].isdigit()] == ["1. ", "2. ", "3. ", "4. ",
                                                                 "5. "]
    assert "2. project: created prj_" in captured.out
    assert re.search(r"^PR: https://github\.com/acme/acme-mobile/pull/\d+$", captured.out, re.M)
    assert "Brand context:" in captured.out
    assert "completed" in captured.out
    assert not KEY_PATTERN.search(captured.out + captured.err)
    assert "\x1b" not in captured.out + captured.err


def test_read_commands_print_json(capsys: pytest.CaptureFixture[str]) -> None:
    """``--json`` prints parseable JSON on stdout; the embedded notice goes to stderr."""
    assert main(["whoami", "--json", *FAST]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["organizationId"].startswith("org_")
    assert EMBEDDED.match(captured.err.splitlines()[0])
    assert main(["credits", "--json", *FAST]) == 0
    assert isinstance(json.loads(capsys.readouterr().out)["balance"], int)
    assert main(["projects", "list", "--json", *FAST]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_unknown_job_on_the_embedded_server_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    """An API error exits 3; on the embedded server a hint explains unknown job ids."""
    assert main(["jobs", "get", "job_01ARZ3NDEKTSV4RRFFQ69G5FAV", *FAST]) == 3
    err = capsys.readouterr().err
    assert "404 NOT_FOUND" in err
    assert "only knows jobs started in this same run" in err


def test_ingest_of_the_example_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every row of examples/customers.csv gets a project, an ingest and one completed line."""
    out = tmp_path / "results.jsonl"
    assert main(["ingest", str(EXAMPLE), "--out", str(out), *FAST]) == 0
    captured = capsys.readouterr()
    assert EMBEDDED.match(captured.out.splitlines()[0])
    lines = results(out)
    rows = EXAMPLE.read_text().splitlines()[1:]
    assert [line["line"] for line in lines] == list(range(2, len(rows) + 2))
    assert {line["status"] for line in lines} == {"completed"}
    assert len({line["jobId"] for line in lines}) == len(rows)
    assert all(str(line["prUrl"]).startswith("https://github.com/") for line in lines)
    assert "Summary: 12 rows: 12 ok, 0 failed, 0 skipped" in captured.out
    assert not list(EXAMPLE.parent.glob("*.sqlite*"))  # embedded runs keep state in memory


def test_bad_rows_are_reported_and_skipped(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Bad rows get a stderr line with their line number and an ``invalid`` result; others run."""
    csv = write_csv(
        tmp_path / "c.csv",
        "good_1,Good One,acme/good-one,main,ios|android,Europe/Paris,fr",
        "no_repo,No Repo,,main,ios,,",
        "",
        "bad_repo,Bad Repo,not a repo,main,ios,,",
        "good_1,Duplicate,acme/other,main,ios,,",
        "bad_platform,Bad Platform,acme/x,main,ios;windows,,",
        "good_2,Good Two,acme/good-two,,web;expo,,",
    )
    out = tmp_path / "r.jsonl"
    assert main(["ingest", str(csv), "--out", str(out), *FAST]) == 5
    err = capsys.readouterr().err
    assert f"{csv}:3: missing repo; row skipped" in err
    assert f"{csv}:5: repo 'not a repo' is not of the form owner/name" in err
    assert f"{csv}:6: duplicate customer_external_id 'good_1' (first on line 2)" in err
    assert f"{csv}:7: unknown platform(s) windows" in err
    assert {(r["line"], r["status"]) for r in results(out)} == {
        (2, "completed"), (3, "invalid"), (5, "invalid"), (6, "invalid"), (7, "invalid"),
        (8, "completed")}


def test_plain_output_has_no_control_codes_when_piped() -> None:
    """Run as a subprocess with pipes: plain lines, no ANSI escape codes, no key."""
    done = subprocess.run([sys.executable, "-m", "layers_async", "quickstart", *FAST],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert EMBEDDED.match(done.stdout.splitlines()[0])
    assert "\x1b" not in done.stdout + done.stderr
    assert not KEY_PATTERN.search(done.stdout + done.stderr)
    assert re.search(r"job_\w+: running [a-z_]+", done.stdout)  # a plain progress line


# -- against a fake in the test's loop (scriptable) -------------------------------------------

@pytest.mark.anyio
async def test_quickstart_reuses_the_project_and_the_completed_ingest(
        fake: FakeLayers, capsys: pytest.CaptureFixture[str]) -> None:
    """A rerun reuses the project and shows the completed job; --new-ingest starts another."""
    argv = ["quickstart", "--base-url", fake.base_url, *POLL]
    assert await run(argv) == 0
    first = capsys.readouterr()
    assert await run(argv) == 0
    second = capsys.readouterr()
    assert await run([*argv, "--new-ingest"]) == 0
    third = capsys.readouterr()
    assert "2. project: reusing prj_" in second.out
    started = [re.findall(r"job (job_\w+) started", text.out) for text in (first, third)]
    assert [1, 1] == [len(ids) for ids in started]
    assert started[0] != started[1]
    assert f"job {started[0][0]} already completed" in second.out
    assert "PR: https://github.com/" in second.out
    posts = Counter(e.path for e in fake.journal if e.method == "POST")
    assert posts["/v1/projects"] == 1
    assert 2 == sum(n for path, n in posts.items() if path.endswith("/ingest/github"))
    assert fake.api_key not in first.out + first.err + second.out + second.err
    assert "may spend credits" not in first.err  # a loopback fake spends none
    assert "--live quickstart" in first.out


@pytest.mark.anyio
async def test_failed_job_exits_4(fake: FakeLayers, capsys: pytest.CaptureFixture[str]) -> None:
    """A job that fails makes quickstart and ``jobs wait`` exit 4 with the job's error."""
    fake.script_job(outcome="failed", repo_full_name="acme/broken", error_code="REPO_NOT_FOUND",
                    error_message="The repository is gone.")
    assert await run(["quickstart", "--repo", "acme/broken", "--base-url", fake.base_url,
                      *POLL]) == 4
    assert "failed: REPO_NOT_FOUND: The repository is gone." in capsys.readouterr().err
    job_id = fake.create_job(outcome="canceled", duration=5.0)
    assert await run(["jobs", "wait", job_id, "--base-url", fake.base_url, *POLL]) == 4
    assert f"job {job_id} was canceled" in capsys.readouterr().err


@pytest.mark.anyio
async def test_jobs_commands_print_json(fake: FakeLayers,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """``jobs get/wait/cancel --json`` print one parseable JSON document each."""
    done = fake.create_job(duration=1.0)
    common = ["--base-url", fake.base_url, *POLL, "--json"]
    assert await run(["jobs", "wait", done, *common]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "completed"
    assert await run(["jobs", "get", done, *common]) == 0
    snapshot = json.loads(capsys.readouterr().out)
    assert (snapshot["jobId"], snapshot["status"]) == (done, "completed")
    assert snapshot["result"]["prUrl"].startswith("https://github.com/")
    assert await run(["jobs", "cancel", done, *common]) == 0
    assert json.loads(capsys.readouterr().out)["accepted"] is False
    running = fake.create_job(duration=10_000.0)
    assert await run(["jobs", "wait", running, *common, "--timeout", "0.05"]) == 4
    assert json.loads(capsys.readouterr().out)["status"] == "running"


@pytest.mark.anyio
async def test_wrong_key_exits_3(fake: FakeLayers, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A 401 is an API error (exit 3) with a hint, and the key is not echoed."""
    wrong = "lp_test_AAAAAAAAAAAAAAAA_" + "a" * 43
    monkeypatch.setenv("LAYERS_API_KEY", wrong)
    assert await run(["whoami", "--base-url", fake.base_url]) == 3
    err = capsys.readouterr().err
    assert "401" in err
    assert "check LAYERS_API_KEY" in err
    assert wrong not in err


@pytest.mark.anyio
async def test_ingest_with_some_failed_rows_exits_5(
        fake: FakeLayers, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One failed job among good rows: exit 5, its error in the results; all failed: exit 4."""
    fake.script_job(outcome="failed", repo_full_name="acme/two", error_code="SDK_PATCH_FAILED",
                    error_message="No Podfile.")
    csv = write_csv(tmp_path / "c.csv", "c1,One,acme/one,,,,", "c2,Two,acme/two,,,,")
    out = tmp_path / "r.jsonl"
    common = ["--base-url", fake.base_url, *POLL, "--out", str(out)]
    assert await run(["ingest", str(csv), *common]) == 5
    by_line = {r["line"]: r for r in results(out)}
    assert by_line[2]["status"] == "completed"
    assert by_line[3]["status"] == "failed"
    assert by_line[3]["error"] == {"code": "SDK_PATCH_FAILED", "message": "No Podfile."}
    assert "c2: failed SDK_PATCH_FAILED: No Podfile." in capsys.readouterr().out
    fake.script_job(outcome="failed", repo_full_name="acme/three")
    only_bad = write_csv(tmp_path / "d.csv", "c3,Three,acme/three,,,,")
    assert await run(["ingest", str(only_bad), *common]) == 4


@pytest.mark.anyio
async def test_rerun_skips_finished_rows_and_retries_failed_on_request(
        fake: FakeLayers, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The state file makes a rerun redo nothing; --retry-failed starts a fresh job for failures."""
    fake.script_job(outcome="failed", repo_full_name="acme/flaky")
    csv = write_csv(tmp_path / "c.csv", "ok_1,Ok,acme/ok,,,,", "flaky_1,Flaky,acme/flaky,,,,")
    out, state = tmp_path / "r.jsonl", tmp_path / "s.sqlite"
    common = ["--base-url", fake.base_url, *POLL, "--out", str(out), "--state-file", str(state)]
    assert await run(["ingest", str(csv), *common]) == 5
    first = {r["line"]: r for r in results(out)}
    posts_before = len([e for e in fake.journal if e.method == "POST"])
    assert await run(["ingest", str(csv), *common]) == 5
    assert "0 to ingest, 2 finished in an earlier run" in capsys.readouterr().out
    assert {r["line"]: r for r in results(out)} == first
    assert len([e for e in fake.journal if e.method == "POST"]) == posts_before
    assert await run(["ingest", str(csv), *common, "--retry-failed"]) == 0
    retried = {r["line"]: r for r in results(out)}
    assert retried[2] == first[2]
    assert retried[3]["status"] == "completed"
    assert retried[3]["jobId"] != first[3]["jobId"]
    with sqlite3.connect(state) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT attempt FROM rows WHERE customer_external_id = 'flaky_1'"
                          ).fetchone() == (2,)


@pytest.mark.anyio
async def test_rows_with_api_errors_and_changed_rows_are_redone(
        fake: FakeLayers, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An API error (exit 3) is retried by the rerun; a changed row starts a new ingest."""
    fake.faults.add(status=422, code="VALIDATION", message="branch not found", times=1,
                    route="POST /v1/projects/{id}/ingest/github")
    csv = write_csv(tmp_path / "c.csv", "c1,One,acme/one,main,,,")
    out, state = tmp_path / "r.jsonl", tmp_path / "s.sqlite"
    common = ["--base-url", fake.base_url, *POLL, "--out", str(out), "--state-file", str(state)]
    assert await run(["ingest", str(csv), *common]) == 3
    [line] = results(out)
    assert (line["status"], line["error"]["code"]) == ("error", "VALIDATION")
    assert await run(["ingest", str(csv), *common]) == 0
    [done] = results(out)
    assert (done["status"], done["projectId"]) == ("completed", line["projectId"])
    write_csv(csv, "c1,One,acme/one,develop,,,")
    capsys.readouterr()
    assert await run(["ingest", str(csv), *common]) == 0
    assert f"changed since job {done['jobId']}; starting a new ingest" in capsys.readouterr().err
    [again] = results(out)
    assert again["projectId"] == done["projectId"]
    assert again["jobId"] != done["jobId"]
    async with fake.client() as layers:
        assert len(await layers.projects.list().collect()) == 1


@pytest.mark.anyio
async def test_lost_state_still_creates_nothing_twice(
        fake: FakeLayers, tmp_path: Path) -> None:
    """With a fresh state file, projects are found and ingest keys replay the same jobs."""
    common = ["--base-url", fake.base_url, *POLL, "--concurrency", "12"]
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert await run(["ingest", str(EXAMPLE), *common, "--out", str(one),
                      "--state-file", str(tmp_path / "one.sqlite")]) == 0
    assert await run(["ingest", str(EXAMPLE), *common, "--out", str(two),
                      "--state-file", str(tmp_path / "two.sqlite")]) == 0
    assert results(one) == results(two)
    async with fake.client() as layers:
        projects = await layers.projects.list().collect()
    assert len(projects) == len(results(one))
    replays = [e for e in fake.journal if e.method == "POST" and e.path.endswith("/ingest/github")]
    assert len(replays) == 2 * len(projects)
    assert len({e.headers["Idempotency-Key"] for e in replays}) == len(projects)


@pytest.mark.anyio
async def test_state_file_of_another_server_is_refused(
        fake: FakeLayers, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A state file made against one server is not used against another (exit 2)."""
    csv = write_csv(tmp_path / "c.csv", "c1,One,acme/one,,,,")
    state = tmp_path / "s.sqlite"
    common = ["--out", str(tmp_path / "r.jsonl"), "--state-file", str(state)]
    assert await run(["ingest", str(csv), "--base-url", fake.base_url, *POLL, *common]) == 0
    assert await run(["ingest", str(csv), *FAST, *common]) == 2
    assert "holds the state of a run against http://127.0.0.1" in capsys.readouterr().err
    embedded = ["--out", str(tmp_path / "r.jsonl"), "--state-file", str(tmp_path / "e.sqlite")]
    assert await run(["ingest", str(csv), *FAST, *embedded]) == 0
    assert await run(["ingest", str(csv), *FAST, *embedded]) == 0
    assert "Starting over" in capsys.readouterr().out


# -- pure helpers -----------------------------------------------------------------------------

def test_parse_rows_splits_platforms_and_counts_lines() -> None:
    """Platforms split on | or ;, blank lines are skipped, line numbers count the header."""
    good, bad, _ = parse_rows([HEADER, "a,A,o/a,dev,IOS | android,UTC,en\n", "\n",
                            "b,B,o/b,,web;expo,,\n", "c,C,o/c,,,,,extra\n"])
    assert [(r.line, r.platforms, r.branch) for r in good] == [
        (2, ("ios", "android"), "dev"), (4, ("web", "expo"), None)]
    assert [(b.line, b.message[:14]) for b in bad] == [(5, "more cells tha")]


def test_idempotency_keys_are_deterministic() -> None:
    """The same row derives the same key in every run; any difference gives another key."""
    assert idempotency_key("project", "acme_42") == idempotency_key("project", "acme_42")
    assert idempotency_key("project", "acme_42") != idempotency_key("project", "acme_43")
    assert idempotency_key("a", "b|c") != idempotency_key("a|b", "c")


def test_library_does_not_import_rich() -> None:
    """Only the CLI imports rich: the library imports cleanly without it."""
    code = ("import sys; sys.modules['rich'] = None; import layers_async, layers_async.testing; "
            "print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.stdout.strip() == "ok", done.stderr



# -- content ----------------------------------------------------------------------------------

def test_content_generate_on_the_embedded_server(capsys: pytest.CaptureFixture[str]) -> None:
    """``content generate`` makes the project, shows each stage and names the containers."""
    assert main(["content", "generate", "--customer-id", "acme_42", "--topic", "Cold brew",
                 "--variants", "2", *FAST]) == 0
    out = capsys.readouterr().out
    assert EMBEDDED.match(out.splitlines()[0])
    assert re.search(r"^  job_\w+: running generating_visuals", out, re.M)
    assert 2 == len(re.findall(r"^container cnt_\S+: completed, approval not_required$", out,
                               re.M))
    assert "caption: Cold brew" in out


@pytest.mark.anyio
async def test_content_generate_prints_json_and_exits_4_on_a_failed_job(
        fake: FakeLayers, capsys: pytest.CaptureFixture[str]) -> None:
    """``--json`` prints the job and its containers; a failed generation exits 4."""
    async with fake.client() as layers:
        project = await layers.projects.create(name="Acme", timezone="UTC")
    common = ["--base-url", fake.base_url, *POLL, "--json"]
    assert await run(["content", "generate", project.id, "--format", "ugc_remix",
                      *common]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert "completed" == printed["job"]["status"]
    assert [printed["job"]["containerId"]] == [c["id"] for c in printed["containers"]]
    assert "ugc-remix" == printed["containers"][0]["format"]
    fake.script_job(outcome="failed", error_code="GENERATION_FAILED")
    assert await run(["content", "generate", project.id, *common]) == 4
    assert "failed" == json.loads(capsys.readouterr().out)["job"]["status"]
    assert await run(["content", "generate", "--customer-id", "nobody", *common]) == 2
