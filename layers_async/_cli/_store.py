"""The resumable state of a bulk ingest (SQLite, WAL) and its results file (JSON lines).

Every step is committed as soon as it is known: the project id, then the job id with its
resume token, then the outcome. Calls run in a worker thread, one at a time, so the event
loop never waits on the disk.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread

__all__ = ["FINAL", "RowState", "StateStore", "append_result", "write_results"]

T = TypeVar("T")

#: Outcomes a re-run does not redo (``error`` rows are retried: they never reached an end).
#: A row whose start call the API refused (a 4xx) is retried under a new ``attempt``, since
#: the old idempotency key would only replay the stored refusal for 24 h.
FINAL = frozenset({"completed", "failed", "canceled"})
_SCHEMA_VERSION = "1"


@dataclass(slots=True)
class RowState:
    """What is known of one customer's row; mirrors a row of the ``rows`` table.

    ``attempt`` goes into the idempotency keys of the row's create and ingest calls: it stays
    put while an outcome is unknown (so a retry replays the first try) and moves on once the
    API refused a call or the row starts over.
    """

    customer_external_id: str
    line: int
    fingerprint: str
    repo: str
    attempt: int = 1
    project_id: str | None = None
    job_id: str | None = None
    resume_token: str | None = None
    status: str = "pending"
    stage: str | None = None
    progress: float | None = None
    pr_url: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def final(self) -> bool:
        """Whether the row's job reached an end (completed, failed or canceled)."""
        return self.status in FINAL

    def restart(self) -> None:
        """Forget the job (not the project): the next run starts a new ingest."""
        self.attempt += 1
        self.job_id = self.resume_token = self.stage = self.progress = None
        self.pr_url = self.error_code = self.error_message = None
        self.status = "pending"

    def refused(self, *, project_gone: bool = False) -> None:
        """The API refused a call of this row: the next run sends a new idempotency key."""
        self.attempt += 1
        if project_gone:  # a 404 for the project: find or create it again next time
            self.project_id = None

    def record(self) -> dict[str, Any]:
        """The row's line in the results file."""
        error = ({"code": self.error_code, "message": self.error_message}
                 if self.status != "completed" and (self.error_code or self.error_message)
                 else None)
        return {"line": self.line, "customerExternalId": self.customer_external_id,
                "repo": self.repo, "projectId": self.project_id, "jobId": self.job_id,
                "status": self.status, "prUrl": self.pr_url, "error": error}


_COLUMNS = tuple(f.name for f in fields(RowState))
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    customer_external_id TEXT PRIMARY KEY,
    line INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    repo TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    project_id TEXT,
    job_id TEXT,
    resume_token TEXT,
    status TEXT NOT NULL,
    stage TEXT,
    progress REAL,
    pr_url TEXT,
    error_code TEXT,
    error_message TEXT,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS invalid_rows (
    line INTEGER PRIMARY KEY,
    customer_external_id TEXT NOT NULL,
    repo TEXT NOT NULL,
    message TEXT NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '{_SCHEMA_VERSION}');
"""
_UPSERT = (
    f"INSERT INTO rows ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)}) "
    f"ON CONFLICT (customer_external_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])
    + ", updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
)


class StateStore:
    """The state file. Open with :meth:`open`; every write commits at once."""

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        self._db = connection
        self.path = path
        self._limiter = anyio.CapacityLimiter(1)

    @classmethod
    async def open(cls, path: str) -> StateStore:
        """Open (or create) the state file at ``path`` (``":memory:"`` for a throwaway one)."""
        def connect() -> sqlite3.Connection:
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("PRAGMA busy_timeout=5000")
                db.executescript(_SCHEMA)
                schema = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            except sqlite3.DatabaseError:
                db.close()
                raise
            if schema is None or schema[0] != _SCHEMA_VERSION:
                db.close()
                raise sqlite3.DatabaseError(f"unknown state file version {schema!r}")
            return db

        return cls(await anyio.to_thread.run_sync(connect), path)

    async def _run(self, fn: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(fn, limiter=self._limiter)

    async def close(self) -> None:
        """Close the file (shielded, so an interrupted run still closes it)."""
        with anyio.CancelScope(shield=True):
            await self._run(self._db.close)

    async def get_meta(self, key: str) -> str | None:
        """A value from the ``meta`` table."""
        row = await self._run(
            lambda: self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone())
        return None if row is None else str(row[0])

    async def set_meta(self, key: str, value: str) -> None:
        """Store a value in the ``meta`` table."""
        await self._run(lambda: self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value)))

    async def clear(self) -> None:
        """Forget every row (the state of another, now gone, server)."""
        def clear() -> None:
            with self._transaction():
                self._db.execute("DELETE FROM rows")
                self._db.execute("DELETE FROM invalid_rows")
        await self._run(clear)

    async def load(self) -> dict[str, RowState]:
        """Every row's state, by customer id."""
        def load() -> dict[str, RowState]:
            cursor = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM rows")
            return {row[0]: RowState(*row) for row in cursor.fetchall()}
        return await self._run(load)

    async def save(self, *states: RowState) -> None:
        """Write ``states`` in one transaction."""
        values = [astuple(state) for state in states]

        def save() -> None:
            with self._transaction():
                self._db.executemany(_UPSERT, values)
        await self._run(save)

    async def replace_invalid(self, rows: Iterable[tuple[int, str, str, str]]) -> None:
        """Replace the invalid rows with this run's ``(line, customer id, repo, message)``."""
        values = list(rows)

        def replace() -> None:
            with self._transaction():
                self._db.execute("DELETE FROM invalid_rows")
                self._db.executemany("INSERT INTO invalid_rows VALUES (?, ?, ?, ?)", values)
        await self._run(replace)

    async def invalid(self) -> list[dict[str, Any]]:
        """The invalid rows, as result lines."""
        def load() -> list[tuple[Any, ...]]:
            return self._db.execute("SELECT line, customer_external_id, repo, message "
                                    "FROM invalid_rows ORDER BY line").fetchall()
        return [{"line": line, "customerExternalId": customer or None, "repo": repo or None,
                 "projectId": None, "jobId": None, "status": "invalid", "prUrl": None,
                 "error": {"code": "INVALID_ROW", "message": message}}
                for line, customer, repo, message in await self._run(load)]

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # isolation_level=None leaves transactions to us: one BEGIN ... COMMIT per step.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def write_results(path: Path, records: Iterable[dict[str, Any]]) -> None:
    """Replace the results file atomically: a reader never sees a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            for record in records:
                file.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append_result(path: Path, record: dict[str, Any]) -> None:
    """Add one line to the results file (flushed, so a killed run keeps it)."""
    with path.open("a", encoding="utf-8") as file:
        file.write(json.dumps(record, ensure_ascii=False) + "\n")
