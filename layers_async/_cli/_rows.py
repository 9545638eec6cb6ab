"""Reading and checking the customers CSV of ``layers-async ingest`` (pure: no I/O but the read)."""

from __future__ import annotations

import csv
import difflib
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from layers_async import PLATFORMS, check_repo_full_name, idempotency_key

from ._common import UsageError

__all__ = ["COLUMNS", "PLATFORMS", "BadRow", "Row", "idempotency_key", "is_repo_full_name",
           "parse_rows", "read_rows"]

COLUMNS = ("customer_external_id", "project_name", "repo", "branch", "platforms", "timezone",
           "language")
REQUIRED = ("customer_external_id", "project_name", "repo")

_PLATFORM_SEPARATORS = re.compile(r"[|;]")


def is_repo_full_name(value: str) -> bool:
    """Whether ``value`` is a GitHub ``owner/name`` (the library's own rule)."""
    try:
        check_repo_full_name(value)
    except ValueError:
        return False
    return True


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


def read_rows(path: Path) -> tuple[list[Row], list[BadRow], list[str]]:
    """The good rows, bad rows and warnings of the CSV at ``path`` (see :func:`parse_rows`)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            return parse_rows(file)
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a CSV file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


class _Lines:
    """The file's physical lines, fed one at a time to the csv reader, rewindable."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = list(lines)
        self.next = 0  # index of the line the reader gets next (line number - 1)

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.next >= len(self.lines):
            raise StopIteration
        self.next += 1
        return self.lines[self.next - 1]


def parse_rows(lines: Iterable[str]) -> tuple[list[Row], list[BadRow], list[str]]:
    """Split CSV text into good rows, bad rows and warnings about the header.

    Line numbers count the header as line 1 and give the line a record starts on. A record
    may not run over several lines: a stray quote would otherwise swallow the rows after it,
    so such a record is reported bad and reading goes on with the next line. A missing or
    misspelt required column is a :class:`UsageError`; other unknown columns are ignored
    with a warning.
    """
    source = _Lines(lines)
    reader = csv.reader(source, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise UsageError(f"the CSV header (line 1) is malformed: {exc}") from None
    if header is None:
        raise UsageError(f"the CSV is empty; expected a header: {','.join(COLUMNS)}")
    names, warnings = _header(header)
    good: list[Row] = []
    bad: list[BadRow] = []
    first_line: dict[str, int] = {}
    while True:
        start = source.next
        problem: str | None = None
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            cells, problem = [], f"malformed CSV ({exc}; is a quote unbalanced?)"
        else:
            if cells is None:
                break
            if source.next - start > 1:
                problem = (f"a quoted value runs on over lines {start + 1}-{source.next} "
                           "(is a quote unbalanced?)")
        line = start + 1
        if problem is not None:
            # Read on from the next line, so a stray quote costs one row, not the rest.
            source.next = start + 1
            bad.append(BadRow(line=line, customer_external_id=_cell(cells, names, 0),
                              repo=_cell(cells, names, 2), message=problem))
            continue
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        values = {name: (cells[i].strip() if i < len(cells) else "")
                  for i, name in enumerate(names) if name}
        customer = values.get("customer_external_id", "")
        repo = values.get("repo", "")
        extra = any(cell.strip() for cell in cells[len(names):])
        problem = _problem(values, extra)
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
    return good, bad, warnings


def _header(header: list[str]) -> tuple[list[str], list[str]]:
    """The column names ("" for a column to ignore) and warnings, or a UsageError."""
    names = [name.strip().lower() for name in header]
    expected = f"expected: {','.join(COLUMNS)}"
    twice = sorted({name for name in names if name and names.count(name) > 1})
    if twice:
        raise UsageError(f"CSV column(s) {', '.join(twice)} appear more than once; {expected}")
    warnings: list[str] = []
    for name in [name for name in names if name and name not in COLUMNS]:
        close = difflib.get_close_matches(name, [c for c in COLUMNS if c not in names], n=1,
                                          cutoff=0.6)
        if close:  # most likely a typo: ignoring it would silently drop that column
            raise UsageError(f"unknown CSV column {name!r}: did you mean {close[0]!r}? "
                             f"{expected}")
        warnings.append(f"ignoring unknown column {name!r} ({expected})")
        names[names.index(name)] = ""
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise UsageError(f"the CSV header lacks column(s) {', '.join(missing)}; {expected}")
    return names, warnings


def _cell(cells: list[str], names: list[str], column: int) -> str:
    """The cell of ``COLUMNS[column]`` in a row (empty if absent), for a bad row's report."""
    name = COLUMNS[column]
    index = names.index(name) if name in names else len(cells)
    value = cells[index].strip() if index < len(cells) else ""
    return "" if "\n" in value or "\r" in value else value  # a swallowed line is no id


def _problem(values: dict[str, str], extra_cells: bool) -> str | None:
    if extra_cells:
        return "more cells than header columns (quote values that contain commas)"
    for name in REQUIRED:
        if not values.get(name):
            return f"missing {name}"
    customer = values["customer_external_id"]
    if '"' in customer:  # the tail of a record a stray quote broke, not an id
        return f"customer_external_id {customer!r} contains a quote (is a quote unbalanced?)"
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
