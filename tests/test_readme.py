"""The README's Python examples run as written (the pytest one through a real pytest run)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
SCRIPTS = [b for b in BLOCKS if "def test_" not in b]
PYTEST_EXAMPLES = [b for b in BLOCKS if "def test_" in b]


def test_readme_opens_with_the_two_setup_commands() -> None:
    """The first lines are the quickstart command and the test command, as CI runs them."""
    lines = README.read_text().splitlines()
    assert "```sh" == lines[0]
    assert lines[1].endswith("layers-async quickstart")
    assert lines[2].endswith("nox -s tests lint typecheck")
    ci = (README.parent / ".ci" / "run").read_text()
    assert "nox -s tests lint typecheck" in ci


def test_readme_has_examples() -> None:
    """There is something to run: scripts and a pytest example."""
    assert 3 <= len(SCRIPTS)
    assert 1 == len(PYTEST_EXAMPLES)


@pytest.mark.parametrize("source", SCRIPTS, ids=lambda s: s.splitlines()[0][:40])
def test_readme_script_runs(source: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each script block executes without error."""
    exec(compile(source, str(README), "exec"), {"__name__": "__readme__"})
    if "anyio.run" in source:
        assert capsys.readouterr().out


def test_readme_pytest_example_passes(pytester: pytest.Pytester) -> None:
    """The documented test passes with the plugin's fixtures, warnings as errors."""
    pytester.makepyfile(test_example=PYTEST_EXAMPLES[0])
    result = pytester.runpytest_subprocess("-W", "error", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
