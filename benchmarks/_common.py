"""What every benchmark shares: the machine line, tables, RESULTS.md sections, child servers."""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import platform
import re
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"

_RESULTS_HEADER = """\
# Benchmark results

Written by `python -m benchmarks` (or `nox -s bench`): each benchmark rewrites only its own
section below, so a partial run leaves the other sections as they were. Every section names the
machine, the library versions, the date and whether it was a `--quick` run. Read the ratios,
not the absolute figures: each row is measured against a baseline from the same run on the same
machine. `benchmarks/README.md` says what each table measures and how to read it.
"""

_SECTION = re.compile(r"<!-- BEGIN (?P<name>[\w-]+) -->\n.*?<!-- END (?P=name) -->\n", re.S)


# -- the machine ---------------------------------------------------------------------------------


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo (or platform's guess elsewhere)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def version(dist: str) -> str:
    """The installed version of ``dist``, or ``-`` when it is missing."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def machine_line(*, quick: bool) -> str:
    """One line naming the machine, the versions, the date and the mode of this run."""
    versions = " · ".join(
        f"{name} {version(name)}"
        for name in ("layers-async", "aiohttp", "httpx", "pydantic", "msgspec", "cattrs")
    )
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"_{cpu_model()}, {os.cpu_count()} cores · Python {platform.python_version()} · "
            f"{versions} · {today} · {'--quick run' if quick else 'full run'}_")


# -- tables and statistics -------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, columns padded so it also reads well on a terminal."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by linear interpolation; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100.0
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def fmt(value: float, digits: int = 1) -> str:
    """A number with ``digits`` decimals and thousands separators (``-`` for NaN)."""
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def ratio(value: float, baseline: float) -> str:
    """``value / baseline`` as ``1.23x`` (``-`` when undefined)."""
    if not baseline or math.isnan(value) or math.isnan(baseline):
        return "-"
    return f"{value / baseline:.2f}x"


# -- RESULTS.md ------------------------------------------------------------------------------------


def write_section(name: str, body: str, order: Sequence[str]) -> None:
    """Replace (or add, in ``order``) the section ``name`` of RESULTS.md with ``body``."""
    text = RESULTS.read_text() if RESULTS.exists() else _RESULTS_HEADER
    sections = {m.group("name"): m.group(0) for m in _SECTION.finditer(text)}
    sections[name] = f"<!-- BEGIN {name} -->\n{body.rstrip()}\n<!-- END {name} -->\n"
    head = _SECTION.sub("", text).rstrip() + "\n"
    known = [n for n in order if n in sections] + sorted(n for n in sections if n not in order)
    out = head + "".join("\n" + sections[n] for n in known)
    tmp = RESULTS.with_suffix(".md.tmp")
    tmp.write_text(out)
    tmp.replace(RESULTS)


def report(name: str, title: str, *, quick: bool, parts: Sequence[str]) -> str:
    """Print a benchmark's section and write it to RESULTS.md; return the text."""
    from . import BENCHMARKS, SECTIONS

    body = "\n\n".join([f"## {title}", machine_line(quick=quick), *parts])
    print(body, flush=True)
    write_section(name, body, order=(*SECTIONS, *BENCHMARKS))
    return body


# -- child processes -------------------------------------------------------------------------------


class Child:
    """A server running in another process (``python -m benchmarks.<module> ...``)."""

    def __init__(self, module: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"benchmarks.{module}", *args],
            cwd=HERE.parent, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            text=True,
        )

    def ready_line(self, timeout: float = 30.0) -> dict[str, Any]:
        """The first line the child prints (JSON), waiting at most ``timeout`` seconds."""
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                raise TimeoutError(f"child did not start within {timeout} s")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"child exited with {self.proc.wait(5)} before it was ready")
        data: dict[str, Any] = json.loads(line)
        return data

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; the exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode


@contextlib.contextmanager
def child(module: str, *args: str, ready_timeout: float = 60.0
          ) -> Iterator[tuple[Child, dict[str, Any]]]:
    """Run a child server for the duration of the block; yield it and its ready line."""
    proc = Child(module, *args)
    try:
        info = proc.ready_line(ready_timeout)
        yield proc, info
    finally:
        proc.stop()


def write_json_atomically(path: Path, data: object) -> None:
    """Write ``data`` as JSON so that a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as out:
        json.dump(data, out)
    os.replace(tmp, path)


class ApiClock:
    """FakeLayers' API time seen from another process.

    The fake's clock is the event loop's (``time.monotonic``) times ``time_scale``; the
    launcher writes one reading of both, and the system-wide monotonic clock does the rest.
    """

    def __init__(self, anchor: dict[str, float], time_scale: float) -> None:
        self._api = anchor["api"]
        self._mono = anchor["monotonic"]
        self.time_scale = time_scale

    def now(self) -> float:
        """Current API time in seconds."""
        return self._api + (time.monotonic() - self._mono) * self.time_scale


def rss_peak_kib() -> int:
    """This process's peak resident set size so far (``ru_maxrss``, KiB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
