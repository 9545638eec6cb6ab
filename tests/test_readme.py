"""The README is right as written: its examples run and type-check, its commands and links hold."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
SCRIPTS = [b for b in BLOCKS if "def test_" not in b]
PYTEST_EXAMPLES = [b for b in BLOCKS if "def test_" in b]


def test_readme_opens_with_the_title_then_the_two_setup_commands() -> None:
    """Title, one line, then the quickstart command and the test command, as CI runs them."""
    lines = README.read_text().splitlines()
    assert "# layers-async" == lines[0]
    assert lines[2].startswith("An asyncio-first Python client")
    assert ["```sh",
            "python3 -m pip install -e '.[cli]' && layers-async quickstart",
            "python3 -m pip install 'nox>=2024.3' && python3 -m nox -s tests lint typecheck",
            "```"] == lines[4:8]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "nox -s tests lint typecheck" in ci


def test_readme_links_work_outside_the_repository() -> None:
    """Every link is an absolute URL (the README is also the package's page on PyPI)."""
    links = re.findall(r"\]\(([^)]*)\)", README.read_text())
    assert [] == [link for link in links if not link.startswith("https://")]


def test_readme_names_files_that_exist() -> None:
    """The example CSV the commands name is in the repository."""
    text = README.read_text()
    assert "ingest examples/customers.csv" in text
    assert " customers.csv" not in text
    assert (README.parent / "examples" / "customers.csv").is_file()


def test_readme_python_blocks_pass_mypy_strict(tmp_path: Path) -> None:
    """mypy --strict accepts a copy of every Python block, the pytest example included."""
    files = []
    for number, block in enumerate(BLOCKS):
        files.append(tmp_path / f"readme_block_{number}.py")
        files[-1].write_text(block)
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                           "--cache-dir", str(tmp_path / ".mypy_cache"), *map(str, files)],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert (0, "") == (done.returncode, done.stdout)


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


def test_license_is_the_mit_license_pyproject_names() -> None:
    """LICENSE is the MIT text, as ``license = "MIT"`` in pyproject.toml says."""
    root = README.parent
    assert (root / "LICENSE").read_text().startswith("MIT License\n")
    assert 'license = "MIT"' in (root / "pyproject.toml").read_text()
