"""Where the output goes: a terminal (rich bars) and a pipe whose reader leaves (``| head``)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import HEADER, POLL, results
from rich.console import Console

from layers_async._cli import main, run
from layers_async._cli._app import _report
from layers_async._cli._common import Output
from layers_async.testing import FakeLayers

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "customers.csv"
FAST = ["--time-scale", "5000", "--poll-interval", "0.005"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
JOB_STAGES = ("cloning", "analyzing", "generating_sdk_patch", "opening_pr", "finalizing")


def big_csv(path: Path, rows: int) -> Path:
    """A customers CSV of ``rows`` good rows."""
    path.write_text(HEADER + "".join(f"c{i},Customer {i},acme/app-{i},main,ios,,\n"
                                     for i in range(rows)))
    return path


def terminal(width: int) -> Console:
    """A rich console that draws as on a terminal of ``width`` columns, into a string."""
    return Console(file=io.StringIO(), force_terminal=True, width=width, color_system=None,
                   highlight=False)


def screen(console: Console) -> str:
    """Everything drawn on ``console``, each frame's cursor movements made line breaks."""
    file = console.file
    assert isinstance(file, io.StringIO)
    return ANSI.sub("\n", file.getvalue()).replace("\r", "\n")


# -- a terminal --------------------------------------------------------------------------------

@pytest.mark.anyio
@pytest.mark.parametrize("width", [80, 120])
async def test_bulk_progress_on_a_terminal(fake: FakeLayers, tmp_path: Path, width: int,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The bar with its count and percent on one line, the stage counts on the next, a summary."""
    console = terminal(width)
    out = tmp_path / "r.jsonl"
    assert await run(["ingest", str(EXAMPLE), "--base-url", fake.base_url, *POLL, "--out",
                      str(out), "--state-file", str(tmp_path / "s.sqlite")], console=console) == 0
    drawn = screen(console)
    text = drawn + capsys.readouterr().out
    lines = drawn.splitlines()
    bars = [line for line in lines if "━" in line]
    assert all(line.startswith("rows ") and len(line) <= width for line in bars)
    assert re.search(r"^rows ━+ 12/12 100% \d:\d\d:\d\d$", bars[-1])
    counts = [line for line in lines if line.startswith("  ") and line.strip()]
    assert any(re.search(rf"\b{stage} \d+", line) for line in counts for stage in JOB_STAGES)
    assert "  completed 12" == counts[-1]
    assert re.search(r"^line 2 acme_42: completed https://github\.com/\S+$", drawn, re.M)
    assert "Summary: 12 rows: 12 ok, 0 failed, 0 skipped" in text
    assert re.search(r"^ok\s+completed\s+12", drawn, re.M)  # the rich summary table


@pytest.mark.anyio
async def test_quickstart_progress_on_a_terminal(fake: FakeLayers,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The job's bar shows each stage and its percent, then the PR."""
    console = terminal(100)
    assert await run(["quickstart", "--base-url", fake.base_url, *POLL], console=console) == 0
    drawn = screen(console)
    text = drawn + capsys.readouterr().out
    stages = {stage for stage in JOB_STAGES if re.search(rf"job_\w+: {stage} .*\d+%", drawn)}
    assert len(stages) >= 2, drawn
    assert re.search(r"job_\w+: completed .*100%", drawn)
    assert re.search(r"^PR: https://github\.com/acme/acme-mobile/pull/\d+$", text, re.M)


# -- a pipe whose reader leaves ----------------------------------------------------------------

class ClosedPipe(io.StringIO):
    """A stdout whose reader leaves after ``lines`` lines (``| head -3``)."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.left = lines

    def write(self, text: str) -> int:
        if self.left <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.left -= text.count("\n")
        return super().write(text)


def test_a_closed_stdout_lets_the_batch_finish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Once stdout's reader is gone the output stops, but every row still runs and is recorded."""
    csv, out = big_csv(tmp_path / "big.csv", 30), tmp_path / "r.jsonl"
    pipe = ClosedPipe(3)
    monkeypatch.setattr(sys, "stdout", pipe)
    assert main(["ingest", str(csv), "--out", str(out), *FAST]) == 0
    assert 3 == len(pipe.getvalue().splitlines())
    assert "" == capsys.readouterr().err
    lines = results(out)
    assert list(range(2, 32)) == [line["line"] for line in lines]
    assert {"completed"} == {line["status"] for line in lines}


def test_ingest_piped_into_head(tmp_path: Path) -> None:
    """``layers-async ingest big.csv | head -3``: exit 0, nothing on stderr, all rows done."""
    csv, out = big_csv(tmp_path / "big.csv", 30), tmp_path / "r.jsonl"
    state, errors = tmp_path / "s.sqlite", tmp_path / "stderr.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAYERS_")}
    with errors.open("w") as stderr, subprocess.Popen(
            [sys.executable, "-m", "layers_async", "ingest", str(csv), "--out", str(out),
             "--state-file", str(state), *FAST], stdout=subprocess.PIPE, stderr=stderr,
            env=env) as process:
        assert process.stdout is not None
        head = [process.stdout.readline() for _ in range(3)]
        process.stdout.close()
        assert process.wait(timeout=60) == 0, errors.read_text()
    assert all(head)
    assert "" == errors.read_text()
    assert {"completed"} == {line["status"] for line in results(out)}
    assert 30 == len(results(out))


def test_a_group_of_broken_pipes_is_a_broken_pipe(capsys: pytest.CaptureFixture[str]) -> None:
    """Tasks that each hit the closed pipe end quietly, not as an unexpected error."""
    group = ExceptionGroup("tasks", [BrokenPipeError(32, "Broken pipe") for _ in range(17)])
    assert 1 == _report(BaseExceptionGroup("outer", [group]), Output(), debug=False)
    assert "" == capsys.readouterr().err
    mixed = ExceptionGroup("tasks", [BrokenPipeError(32, "Broken pipe"), KeyError("x")])
    assert 1 == _report(mixed, Output(), debug=False)
    assert "unexpected error: ExceptionGroup" in capsys.readouterr().err
