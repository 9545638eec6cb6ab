"""Reading and checking the customers CSV of ``layers-async ingest`` (pure: no I/O but the read)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from layers_async import PLATFORMS, check_repo_full_name

from ._common import UsageError

__all__ = ["COLUMNS", "PLATFORMS", "BadRow", "Row", "idempotency_key", "is_repo_full_name",
           "parse_rows", "read_rows"]

COLUMNS = ("customer_external_id", "project_name", "repo", "branch", "platforms", "timezone",
           "language")
REQUIRED = ("customer_external_id", "project_name", "repo")

_PLATFORM_SEPARATORS = re.compile(r"[|;]")

#: Fixed namespace: the same row always derives the same idempotency keys, in any process.
NAMESPACE = uuid.UUID("7d0c6a5e-3f0e-5b2a-9c1d-6c6179657273")


def is_repo_full_name(value: str) -> bool:
    """Whether ``value`` is a GitHub ``owner/name`` (the library's own rule)."""
    try:
        check_repo_full_name(value)
    except ValueError:
        return False
    return True


def idempotency_key(purpose: str, *parts: object) -> str:
    """A deterministic UUID for one logical mutation (never random, so re-runs replay)."""
    return str(uuid.uuid5(NAMESPACE, json.dumps([purpose, *map(str, parts)])))


@dataclass(frozen=True, slots=True)
class Row:
    """One good row: a customer's project and the repo to ingest into it."""

    line: int
    customer_external_id: str
    project_name: str
    repo: str
    branch: str | None = None
    platforms: tuple[str, ...] | None = None
    timezone: str | None = None
    language: str | None = None

    @property
    def fingerprint(self) -> str:
        """What the ingest call depends on: a changed value means a new ingest."""
        raw = json.dumps([self.repo, self.branch, list(self.platforms or ())])
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that is skipped, and why."""

    line: int
    customer_external_id: str
    repo: str
    message: str


def read_rows(path: Path) -> tuple[list[Row], list[BadRow]]:
    """The good and bad rows of the CSV at ``path`` (a missing file or header is a UsageError)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            return parse_rows(file)
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


def parse_rows(lines: Iterable[str]) -> tuple[list[Row], list[BadRow]]:
    """Split CSV text into good rows and bad rows; line numbers count the header as line 1."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise UsageError(f"the CSV is empty; expected a header: {','.join(COLUMNS)}")
    names = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise UsageError(f"the CSV header lacks column(s) {', '.join(missing)}; "
                         f"expected: {','.join(COLUMNS)}")
    unknown = [name for name in names if name and name not in COLUMNS]
    if unknown:
        raise UsageError(f"unknown CSV column(s) {', '.join(unknown)}; "
                         f"expected: {','.join(COLUMNS)}")
    good: list[Row] = []
    bad: list[BadRow] = []
    first_line: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        values = {name: (cells[i].strip() if i < len(cells) else "")
                  for i, name in enumerate(names) if name}
        customer = values.get("customer_external_id", "")
        repo = values.get("repo", "")
        problem = _problem(values, len(cells) > len(names))
        if problem is None and customer in first_line:
            problem = f"duplicate customer_external_id {customer!r} (first on line "\
                      f"{first_line[customer]})"
        if problem is not None:
            bad.append(BadRow(line=line, customer_external_id=customer, repo=repo,
                              message=problem))
            continue
        first_line[customer] = line
        good.append(Row(
            line=line,
            customer_external_id=customer,
            project_name=values["project_name"],
            repo=repo,
            branch=values.get("branch") or None,
            platforms=_platforms(values.get("platforms", "")),
            timezone=values.get("timezone") or None,
            language=values.get("language") or None,
        ))
    return good, bad


def _problem(values: dict[str, str], extra_cells: bool) -> str | None:
    if extra_cells:
        return "more cells than header columns (quote values that contain commas)"
    for name in REQUIRED:
        if not values.get(name):
            return f"missing {name}"
    repo = values["repo"]
    if not is_repo_full_name(repo):
        return f"repo {repo!r} is not of the form owner/name"
    if any(ch.isspace() for ch in values.get("branch", "")):
        return f"branch {values['branch']!r} contains whitespace"
    unknown = [p for p in _platforms(values.get("platforms", "")) or () if p not in PLATFORMS]
    if unknown:
        return f"unknown platform(s) {', '.join(unknown)}; known: {', '.join(PLATFORMS)}"
    return None


def _platforms(text: str) -> tuple[str, ...] | None:
    found = tuple(p.strip().lower() for p in _PLATFORM_SEPARATORS.split(text) if p.strip())
    return found or None
