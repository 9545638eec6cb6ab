"""``layers-async ingest``: one project and one GitHub ingest per CSV row, resumable."""

from __future__ import annotations

import argparse
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from layers_async import (
    APIError,
    AsyncLayers,
    IngestGithubResult,
    JobCanceledError,
    JobFailedError,
    JobSnapshot,
    LayersError,
    NotFoundError,
)

from ._common import (
    EXIT_API,
    EXIT_JOB,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    Output,
    Session,
    UsageError,
    connect,
    plural,
)
from ._rows import BadRow, Row, idempotency_key, read_rows
from ._store import RowState, StateStore, append_result, write_results

__all__ = ["check_paths", "run_ingest"]

#: Display order of the per-stage counts (others follow in the order met).
_ORDER = ("waiting", "project", "starting", "resuming", "cloning", "analyzing",
          "generating_sdk_patch", "opening_pr", "finalizing", "completed", "failed", "canceled",
          "error", "invalid")
_OK = ("completed",)
_FAILED = ("failed", "canceled", "error")


async def run_ingest(args: argparse.Namespace, out: Output) -> int:
    """Run (or resume) the bulk ingest of ``args.csv``; the exit code says how it went."""
    csv_path = Path(args.csv)
    rows, bad, warnings = read_rows(csv_path)
    for warning in warnings:
        out.err(f"{csv_path}: warning: {warning}")
    results_path = Path(args.out) if args.out else csv_path.with_suffix(".results.jsonl")
    check_paths(csv_path, results_path, args.state)
    async with connect(args, out, spends_credits=True) as session:
        for row in bad:
            out.err(f"{csv_path}:{row.line}: {row.message}; row skipped")
        me = await session.layers.whoami()
        target = "embedded" if session.embedded else f"{session.base_url} {me.organization_id}"
        state_path = args.state or (":memory:" if session.embedded
                                    else f"{csv_path}.state.sqlite")
        try:
            store = await StateStore.open(state_path)
        except sqlite3.Error as exc:
            raise UsageError(f"cannot use {state_path} as the state file: {exc}") from None
        try:
            await _check_target(store, target, session, out)
            runner = _Runner(args, out, session.layers, store, results_path)
            return await runner.run(rows, bad)
        finally:
            await store.close()


def check_paths(csv_path: Path, results: Path, state: str | None) -> None:
    """Refuse, before any call, a results file that cannot be written or would clobber an input.

    ``state`` is ``--state-file`` (None: the default next to the CSV).
    """
    state_path = (Path(state) if state is not None and state != ":memory:"
                  else Path(f"{csv_path}.state.sqlite"))
    if state is not None and _same(state_path, csv_path):
        raise UsageError(f"--state-file {state_path} is the CSV itself; choose another file")
    for other, what in ((csv_path, "the CSV itself"), (state_path, "the state file")):
        if any(_same(results, Path(f"{other}{suffix}")) for suffix in ("", "-wal", "-shm")):
            raise UsageError(f"--out {results} is {what}; choose another file")
    folder = results.parent
    if results.is_dir():
        raise UsageError(f"--out {results} is a directory; give a file name")
    if not folder.is_dir():
        raise UsageError(f"cannot write the results to {results}: no directory {folder}")
    # The results file is replaced through a temporary file next to it: the folder must be
    # writable, and the file too (lines are appended to it as rows end).
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write the results to {results}: {folder} is not writable")
    if results.exists() and not os.access(results, os.W_OK):
        raise UsageError(f"cannot write the results to {results}: the file is read-only")


def _same(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist (yet)
        return os.path.realpath(one) == os.path.realpath(other)


async def _check_target(store: StateStore, target: str, session: Session, out: Output) -> None:
    """A state file belongs to one server and organization; refuse to mix them up."""
    stored = await store.get_meta("target")
    if stored == target == "embedded":
        out.notice(f"Starting over: {store.path} is from an earlier embedded run, whose "
                   "server is gone.")
        await store.clear()
    elif stored is not None and stored != target:
        where = "the embedded server" if session.embedded else target
        raise UsageError(f"{store.path} holds the state of a run against {stored}, not {where}; "
                         "pass another --state-file (or delete that file to start over)")
    await store.set_meta("target", target)


class _Runner:
    def __init__(self, args: argparse.Namespace, out: Output, layers: AsyncLayers,
                 store: StateStore, results_path: Path) -> None:
        self.args = args
        self.out = out
        self.layers = layers
        self.store = store
        self.results_path = results_path
        self._file = anyio.CapacityLimiter(1)  # one writer of the results file at a time

    async def run(self, rows: list[Row], bad: list[BadRow]) -> int:
        states = await self.store.load()
        todo: list[tuple[Row, RowState]] = []
        current: list[RowState] = []
        for row in rows:
            state = self._reconcile(row, states.get(row.customer_external_id))
            current.append(state)
            if not state.final:
                todo.append((row, state))
        await self.store.save(*current)
        await self.store.replace_invalid(
            (b.line, b.customer_external_id, b.repo, b.message) for b in bad)
        # From here on the results file holds each row at most once: the rows finished
        # earlier now, each other row appended when it ends, all rewritten at the end.
        await self._write_results(rows, only_final=True)
        done_before = len(rows) - len(todo)
        self.out.notice(f"{plural(len(rows) + len(bad), 'row')}: {len(todo)} to ingest, "
                        f"{done_before} finished in an earlier run, {len(bad)} invalid "
                        f"(concurrency {self.args.concurrency}).")
        if todo:
            if not self.args.no_register and any(s.job_id is None for _, s in todo):
                installation = await self.layers.github.register_installation(
                    self.args.installation_id, self.args.install_state,
                    idempotency_key=idempotency_key("github-installation",
                                                    self.args.installation_id,
                                                    self.args.install_state))
                self.out.notice(f"GitHub installation {installation.installation_id}: "
                                f"{installation.status}")
            limiter = anyio.CapacityLimiter(self.args.concurrency)
            with _Display(self.out, len(rows), done_before, [r for r, _ in todo]) as display:
                async with anyio.create_task_group() as group:
                    for row, state in todo:
                        group.start_soon(self._process, row, state, limiter, display)
        records = await self._write_results(rows, only_final=False)
        return self._summary(records, done_before)

    def _reconcile(self, row: Row, state: RowState | None) -> RowState:
        if state is None:
            return RowState(customer_external_id=row.customer_external_id, line=row.line,
                            fingerprint=row.fingerprint, repo=row.repo)
        state.line, state.repo = row.line, row.repo
        if state.fingerprint != row.fingerprint:
            if state.job_id is not None:
                self.out.err(f"line {row.line}: repo, branch or platforms of "
                             f"{row.customer_external_id} changed since job {state.job_id}; "
                             "starting a new ingest")
            state.fingerprint = row.fingerprint
            state.restart()
        elif state.status in ("failed", "canceled") and self.args.retry_failed:
            state.restart()
        return state

    async def _process(self, row: Row, state: RowState, limiter: anyio.CapacityLimiter,
                       display: _Display) -> None:
        async with limiter:
            state.error_code = state.error_message = None
            try:
                await self._ingest(row, state, display)
            except JobFailedError as exc:
                state.status = "failed"
                state.error_code = exc.error.code if exc.error is not None else None
                state.error_message = exc.error.message if exc.error is not None else str(exc)
            except JobCanceledError:
                state.status = "canceled"
                state.error_code, state.error_message = "CANCELED", "the job was canceled"
            except APIError as exc:
                state.status = "error"
                state.error_code = exc.code or f"HTTP_{exc.status}"
                state.error_message = str(exc)
            except LayersError as exc:
                state.status = "error"
                state.error_code, state.error_message = type(exc).__name__, str(exc)
            except ValueError as exc:  # the library's own input checks
                state.status = "error"
                state.error_code, state.error_message = "INVALID_INPUT", str(exc)
            await self.store.save(state)
            await anyio.to_thread.run_sync(append_result, self.results_path, state.record(),
                                           limiter=self._file)
            display.finish(row, state)

    async def _ingest(self, row: Row, state: RowState, display: _Display) -> None:
        layers = self.layers
        customer = row.customer_external_id
        if state.project_id is None:
            display.stage(row, "project")
            project = await layers.projects.find(customer)
            if project is None:
                with _refusals(state):
                    project = await layers.projects.create(
                        name=row.project_name, customer_external_id=customer,
                        timezone=row.timezone or "UTC", primary_language=row.language,
                        idempotency_key=idempotency_key("project", customer, row.project_name,
                                                        row.timezone, row.language,
                                                        state.attempt))
            state.project_id = project.id
            await self.store.save(state)
        if state.job_id is not None and state.resume_token is not None:
            display.stage(row, "resuming", f"job {state.job_id}")
            job = layers.jobs.resume(state.resume_token)
        else:
            display.stage(row, "starting")
            with _refusals(state, project=True):
                job = await layers.ingest.github(
                    state.project_id, repo_full_name=row.repo, branch=row.branch, open_pr=True,
                    platforms=row.platforms,
                    idempotency_key=idempotency_key("ingest-github", customer,
                                                    state.fingerprint, state.attempt))
            state.job_id, state.resume_token, state.status = job.id, job.resume_token(), "running"
            await self.store.save(state)

        async def on_progress(snapshot: JobSnapshot) -> None:
            if not snapshot.terminal:  # the end is shown by display.finish
                display.stage(row, snapshot.stage)
            if (snapshot.stage, str(snapshot.status)) != (state.stage, state.status):
                state.stage, state.status = snapshot.stage, str(snapshot.status)
                state.progress = snapshot.progress
                if not snapshot.terminal:  # the end is saved once, with its outcome
                    await self.store.save(state)

        result = await job.wait(on_progress=on_progress)
        state.status, state.progress = "completed", 1.0
        state.pr_url = result.pr_url if isinstance(result, IngestGithubResult) else None

    async def _write_results(self, rows: list[Row], *,
                             only_final: bool) -> list[dict[str, Any]]:
        """Rewrite the results file from the state file: one line per row of this CSV."""
        states = await self.store.load()
        records = [states[row.customer_external_id].record() for row in rows
                   if row.customer_external_id in states
                   and (states[row.customer_external_id].final or not only_final)]
        records += await self.store.invalid()
        records.sort(key=lambda r: int(r["line"]))
        await anyio.to_thread.run_sync(write_results, self.results_path, records,
                                       limiter=self._file)
        return records

    def _summary(self, records: list[dict[str, Any]], done_before: int) -> int:
        by_status = Counter(str(r["status"]) for r in records)
        ok = sum(by_status[s] for s in _OK)
        failed = sum(by_status[s] for s in _FAILED)
        skipped = by_status["invalid"]
        state = self.store.path if self.store.path != ":memory:" else None
        if self.out.json_mode:
            for record in records:  # finished rows were streamed as they ended
                if record["status"] == "invalid":
                    self.out.json_line(record)
            self.out.json_line({"summary": {
                "rows": len(records), "ok": ok, "failed": failed, "skipped": skipped,
                "finishedEarlier": done_before, "byStatus": dict(by_status),
                "results": str(self.results_path), "stateFile": state}})
        else:
            self.out.line("")
            self.out.line(f"Summary: {plural(len(records), 'row')}: {ok} ok, {failed} failed, "
                          f"{skipped} skipped (invalid); {done_before} finished in an earlier "
                          "run.")
            table = [["ok" if s in _OK else "skipped" if s == "invalid" else "failed", s,
                      str(by_status[s])] for s in _sorted(by_status)]
            self.out.table(["outcome", "status", "rows"], table)
            self.out.line(f"Results: {self.results_path}")
            if state is not None:
                self.out.line(f"State: {state} (rerun the same command to resume)")
        if failed + skipped == 0:
            return EXIT_OK
        if ok:
            return EXIT_PARTIAL
        if by_status["failed"] or by_status["canceled"]:
            return EXIT_JOB
        return EXIT_API if by_status["error"] else EXIT_USAGE


@contextmanager
def _refusals(state: RowState, *, project: bool = False) -> Iterator[None]:
    """A 4xx means the API answered and did nothing; it stores that answer under the key.

    So the row moves to a new attempt (a new key) and the rerun really tries again. Any
    other failure (connection, timeout, 5xx, a kill) may have done the work: the key stays,
    and the rerun replays the first try instead of doing it twice.
    """
    try:
        yield
    except APIError as exc:
        if 400 <= exc.status < 500:
            state.refused(project_gone=project and isinstance(exc, NotFoundError))
        raise


def _sorted(labels: Counter[str]) -> list[str]:
    return sorted(labels, key=lambda s: (_ORDER.index(s) if s in _ORDER else len(_ORDER), s))


class _Display:
    """The run's progress: a bar over per-stage counts on a terminal, else a line per change."""

    def __init__(self, out: Output, total: int, done_before: int, todo: list[Row]) -> None:
        self._out = out
        self._stages: dict[str, str] = {row.customer_external_id: "waiting" for row in todo}
        self._total = total
        self._done = done_before
        self._progress: Any = None
        self._task: Any = None
        self._shown: list[str] = []
        self.counts = self._counts()  # read by rich's refresh thread: only ever replaced

    def __enter__(self) -> _Display:
        if self._out.fancy and not self._out.json_mode:
            from rich.console import RenderableType
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.text import Text

            display = self

            class BulkProgress(Progress):
                """The bar on one line, the counts below it (they grow with the stages)."""

                def get_renderables(self) -> Iterable[RenderableType]:
                    yield self.make_tasks_table(self.tasks)
                    yield Text(f"  {display.counts}", overflow="fold")

            self._progress = BulkProgress(
                TextColumn("rows"), BarColumn(bar_width=None), MofNCompleteColumn(),
                TaskProgressColumn(), TimeElapsedColumn(), console=self._out.console)
            self._progress.start()
            self._task = self._progress.add_task("rows", total=self._total,
                                                 completed=self._done)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _counts(self) -> str:
        counts = Counter(self._stages.values())
        return " · ".join(f"{label} {counts[label]}" for label in _sorted(counts))

    def _show(self, **update: Any) -> None:
        """Redraw now when a stage appears or goes (cheap), else at rich's next refresh."""
        self.counts = self._counts()
        labels = _sorted(Counter(self._stages.values()))
        self._progress.update(self._task, refresh=labels != self._shown, **update)
        self._shown = labels

    def stage(self, row: Row, label: str | None, detail: str = "") -> None:
        """``row`` moved to ``label`` (a step of ours or the job's stage)."""
        label = label or "running"
        if self._stages.get(row.customer_external_id) == label:
            return
        self._stages[row.customer_external_id] = label
        if self._progress is not None:
            self._show()
        else:
            self._out.notice(f"line {row.line} {row.customer_external_id}: {label} {detail}"
                             .rstrip())

    def finish(self, row: Row, state: RowState) -> None:
        """``row`` ended (for this run) with ``state``."""
        self._stages[row.customer_external_id] = state.status
        self._done += 1
        if state.status == "completed":
            detail = state.pr_url or "(no PR)"
        else:
            detail = f"{state.error_code or ''}: {state.error_message or ''}".strip(": ")
        text = f"line {row.line} {row.customer_external_id}: {state.status} {detail}".rstrip()
        if self._out.json_mode:
            self._out.json_line(state.record())
        elif self._progress is not None:
            self._show(completed=self._done)
            self._progress.console.print(text, markup=False, highlight=False,
                                         soft_wrap=True)
        else:
            self._out.line(text)
