"""What every command shares: exit codes, output, and the connection (embedded or live)."""

from __future__ import annotations

import enum
import ipaddress
import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

import attrs

from layers_async import (
    APIConnectionError,
    AsyncLayers,
    JobSnapshot,
    Pacing,
    PollPolicy,
    RetryPolicy,
    to_wire,
)

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

__all__ = [
    "EXIT_API",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_JOB",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "Output",
    "Session",
    "UsageError",
    "connect",
    "connection_failure",
    "is_local",
    "plural",
    "silence_stdout",
    "time_scale",
    "to_jsonable",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_API = 3
EXIT_JOB = 4
EXIT_PARTIAL = 5
EXIT_INTERRUPTED = 130

ENV_API_KEY = "LAYERS_API_KEY"
ENV_BASE_URL = "LAYERS_BASE_URL"
ENV_TIME_SCALE = "LAYERS_TIME_SCALE"
DEFAULT_TIME_SCALE = 200.0


class UsageError(Exception):
    """Bad input found by the CLI itself (exit code 2)."""


def to_jsonable(value: Any) -> Any:
    """A model (attrs class), enum, datetime or container as plain JSON values.

    Field names are camelCased, the API's own key style, so every JSON document the command
    prints has one style; mappings the API sent (a job's ``result``) are already in it.
    """
    if attrs.has(type(value)):
        data = to_wire(value)
        if isinstance(value, JobSnapshot) and isinstance(data.get("result"), dict):
            # The envelope's pointers may be left out where the result carries them.
            for key in ("projectId", "repoFullName"):
                if data.get(key) is None and data["result"].get(key) is not None:
                    data[key] = data["result"][key]
        return data
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    return value


def plural(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def time_scale(args: argparse.Namespace) -> float:
    """The fake's speed: ``--time-scale``, else ``$LAYERS_TIME_SCALE``, else 200."""
    if args.time_scale is not None:
        return float(args.time_scale)
    text = os.environ.get(ENV_TIME_SCALE, "").strip()
    if not text:
        return DEFAULT_TIME_SCALE
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise UsageError(f"{ENV_TIME_SCALE} must be a number > 0, got {text!r}")
    return value


def connection_failure(exc: APIConnectionError, base_url: str | None) -> str:
    """``cannot reach http://127.0.0.1:1 (connection refused) after 4 attempts``."""
    reason = exc.reason or exc.message
    where = exc.url or base_url or "the API"
    tries = f" after {exc.attempts} attempts" if exc.attempts > 1 else ""
    call = f" ({exc.method} {exc.path})" if exc.method and exc.path else ""
    return f"cannot reach {where} ({reason}){tries}{call}"


class Output:
    """Where text goes. Rich (colours, live bars) only when stdout is a terminal.

    Streams are looked up at each write, so redirection (and rich's own) is respected.
    ``console`` replaces the rich console (a test's ``Console(force_terminal=True)``).
    When the reader of stdout goes away (``| head``), stdout is silenced and the work
    goes on: a bulk ingest still finishes and writes its state and results.
    """

    def __init__(self, *, json_mode: bool = False, plain: bool = False,
                 console: Console | None = None) -> None:
        self.json_mode = json_mode
        terminal = console.is_terminal if console is not None else sys.stdout.isatty()
        self.fancy = not plain and terminal and _rich_available()
        self._console = console
        self.stdout_closed = False
        #: The server this run talks to, once known (for connection errors).
        self.base_url: str | None = None

    @property
    def console(self) -> Console:
        """The rich console (only when :attr:`fancy`)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(highlight=False)
        return self._console

    def line(self, text: str = "") -> None:
        """One line of normal output on stdout (dropped once its reader is gone)."""
        if self.stdout_closed:
            return
        try:
            _write(sys.stdout, text)
        except BrokenPipeError:
            self.stdout_closed = True
            silence_stdout()

    def err(self, text: str) -> None:
        """One line on stderr (errors, warnings, notices in --json mode)."""
        with suppress(BrokenPipeError):  # nobody left to tell
            _write(sys.stderr, text)

    def notice(self, text: str) -> None:
        """A note about the run: stdout, unless stdout carries JSON."""
        if self.json_mode:
            self.err(text)
        else:
            self.line(text)

    def json(self, value: Any) -> None:
        """``value`` as indented JSON on stdout."""
        self.line(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))

    def json_line(self, value: Any) -> None:
        """``value`` as one line of JSON on stdout (a stream of documents)."""
        self.line(json.dumps(to_jsonable(value), ensure_ascii=False))

    def table(self, headers: list[str], rows: list[list[str]]) -> None:
        """A table: rich on a terminal, tab-separated lines (with a header) otherwise."""
        if self.fancy:
            from rich.table import Table

            table = Table(*headers, box=None, pad_edge=False)
            for row in rows:
                table.add_row(*row)
            self.console.print(table, markup=False)
            return
        self.line("\t".join(headers))
        for row in rows:
            self.line("\t".join(row))

    @contextmanager
    def job_progress(self, label: str) -> Iterator[JobProgress]:
        """A display of one job: a live bar on a terminal, a line per stage otherwise."""
        if not self.fancy or self.json_mode:
            yield _PlainJobProgress(self, label)
            return
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                   TaskProgressColumn(), TimeElapsedColumn())
        with Progress(*columns, console=self.console) as progress:
            yield _RichJobProgress(progress, progress.add_task(label, total=100), label)


class JobProgress:
    """Shows each new snapshot of one job."""

    def update(self, snapshot: JobSnapshot) -> None:
        """Show ``snapshot`` (called from ``job.wait(on_progress=...)``)."""
        raise NotImplementedError


class _PlainJobProgress(JobProgress):
    def __init__(self, out: Output, label: str) -> None:
        self._out = out
        self._label = label
        self._last: tuple[str, str | None] | None = None

    def update(self, snapshot: JobSnapshot) -> None:
        seen = (str(snapshot.status), snapshot.stage)
        if seen == self._last:
            return
        self._last = seen
        self._out.notice(f"  {self._label}: {describe(snapshot)}")


class _RichJobProgress(JobProgress):
    def __init__(self, progress: Any, task: Any, label: str) -> None:
        self._progress = progress
        self._task = task
        self._label = label
        self._description = label

    def update(self, snapshot: JobSnapshot) -> None:
        status = str(snapshot.status)
        what = snapshot.stage or status if status == "running" else status
        completed = 100.0 if status == "completed" else (snapshot.progress or 0) * 100
        description = f"{self._label}: {what}"
        # A new stage is drawn at once (stages are few); progress at rich's next refresh.
        self._progress.update(self._task, completed=completed, description=description,
                              refresh=description != self._description)
        self._description = description


def describe(snapshot: JobSnapshot) -> str:
    """``running analyzing 37%``: one job's state in a few words."""
    parts = [str(snapshot.status)]
    if snapshot.stage:
        parts.append(snapshot.stage)
    if snapshot.progress is not None:
        parts.append(f"{round(snapshot.progress * 100)}%")
    return " ".join(parts)


def _write(stream: TextIO, text: str) -> None:
    stream.write(text + "\n")
    stream.flush()


def silence_stdout() -> None:
    """Point stdout's file descriptor at the null device.

    Later writes, and Python's flush of the stdout buffer at exit, then go nowhere instead
    of raising ``BrokenPipeError`` again (the way the Python docs advise for SIGPIPE).
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _rich_available() -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def is_local(url: str) -> bool:
    """Whether ``url``'s host is a loopback one (a fake server on this machine)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Session:
    """A connected client and what it talks to."""

    layers: AsyncLayers
    embedded: bool
    base_url: str


@asynccontextmanager
async def connect(args: argparse.Namespace, out: Output, *,
                  spends_credits: bool = False) -> AsyncIterator[Session]:
    """A client for this run: an embedded fake server unless ``--live`` or ``--base-url``.

    A loopback ``$LAYERS_BASE_URL`` (a ``layers-async fake-server``) counts as ``--base-url``.
    The first line of output says which. The API key is never printed.
    """
    poll = (PollPolicy(initial=args.poll_interval, maximum=args.poll_interval * 6)
            if args.poll_interval is not None else None)
    scale = time_scale(args)
    env_url = os.environ.get(ENV_BASE_URL) or None
    from_env = (not args.live and args.base_url is None and env_url is not None
                and is_local(env_url))
    if args.live or args.base_url is not None or from_env:
        key = os.environ.get(ENV_API_KEY)
        if not key:
            flag = "--live" if args.live else "--base-url" if args.base_url else ENV_BASE_URL
            raise UsageError(f"set {ENV_API_KEY} to use {flag}")
        base_url = args.base_url or env_url
        options: dict[str, Any] = {"poll": poll}
        local = not args.live and base_url is not None and is_local(base_url)
        if local:
            # A loopback server is a `layers-async fake-server` running `scale` times faster:
            # scale waits to its clock (its rate-limit buckets refill that fast too).
            factor = 1 / scale
            options.update(retry=RetryPolicy().scaled(factor),
                           pacing=Pacing(latency=0.005).scaled(factor),
                           poll=poll or PollPolicy().scaled(factor))
        try:
            layers = AsyncLayers(api_key=key, base_url=base_url, **options)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        url = layers.config.base_url
        out.base_url = url
        if args.poll_interval is not None and args.poll_interval < 1 and not is_local(url):
            raise UsageError("--poll-interval below 1 s is only for local servers")
        source = f" from {ENV_BASE_URL}" if from_env else ""
        speed = f", time scale {scale:g}" if local else ""
        warning = (" Ingest and generate calls may spend credits."
                   if spends_credits and not is_local(url) else "")
        out.err(f"Using the Layers API at {url}{source} (key from {ENV_API_KEY}{speed})."
                f"{warning}")
        async with layers:
            yield Session(layers=layers, embedded=False, base_url=url)
        return
    from layers_async.testing import FakeLayers

    async with FakeLayers(time_scale=scale) as fake:
        out.base_url = fake.base_url
        ignored = (f" ({ENV_BASE_URL} {env_url} is used only with --live.)"
                   if env_url is not None else "")
        out.notice(f"Embedded fake Layers server at {fake.base_url} (no network, no credits). "
                   f"Use --live for the real API.{ignored}")
        overrides: dict[str, Any] = {"poll": poll} if poll is not None else {}
        async with fake.client(**overrides) as layers:
            yield Session(layers=layers, embedded=True, base_url=fake.base_url)
