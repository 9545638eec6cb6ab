"""Helpers the CLI tests share (their ``fake`` fixture is in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Poll fast: the fake runs 5,000 times faster than real time.
POLL = ["--poll-interval", "0.005"]
HEADER = "customer_external_id,project_name,repo,branch,platforms,timezone,language\n"


def results(path: Path) -> list[dict[str, Any]]:
    """The lines of a results file."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_csv(path: Path, *rows: str) -> Path:
    """A customers CSV with the standard header."""
    path.write_text(HEADER + "".join(row + "\n" for row in rows))
    return path
