"""``python -m benchmarks [--quick] [name ...]``: run all benchmarks, or the ones named.

Each benchmark runs in a fresh Python process (``python -m benchmarks.<name>``) so that its
CPU time, peak memory and event loop owe nothing to the others. Options this command does not
know (``--jobs 2000``, ``--time-scale 20``...) go to every benchmark it runs: name one
benchmark when you pass its own options.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from . import BENCHMARKS
from ._common import HERE, report, table

#: Wall-clock bound of one benchmark process (seconds), full and --quick.
TIMEOUT = {False: 900.0, True: 300.0}


def run(name: str, quick: bool, extra: list[str]) -> tuple[int | str, float]:
    """Run one benchmark in its own process; its exit status (or why it stopped) and wall s."""
    command = [sys.executable, "-m", f"benchmarks.{name}", *(["--quick"] if quick else []),
               *extra]
    print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    try:
        status: int | str = subprocess.run(command, cwd=HERE.parent,
                                           timeout=TIMEOUT[quick]).returncode
    except subprocess.TimeoutExpired:
        status = f"stopped after {TIMEOUT[quick]:.0f} s"
    return status, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__,
        epilog=f"benchmarks: {', '.join(BENCHMARKS)}",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller runs (about 2 minutes)")
    parser.add_argument("names", nargs="*", metavar="name", help="benchmarks to run (all)")
    args, extra = parser.parse_known_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; "
                     f"choose from {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)

    started = time.perf_counter()
    outcomes = {name: run(name, args.quick, extra) for name in names}
    total = time.perf_counter() - started

    rows = [[name, "ok" if status == 0 else f"failed ({status})", f"{wall:.1f}"]
            for name, (status, wall) in outcomes.items()]
    rows.append(["total", "", f"{total:.1f}"])
    command = " ".join(["python -m benchmarks", *(["--quick"] if args.quick else []),
                        *args.names, *extra])
    print()
    report("runs", "Last run of `python -m benchmarks`", quick=args.quick, parts=[
        f"`{command}`; each benchmark in its own process, wall seconds:",
        table(["benchmark", "outcome", "wall s"], rows),
    ])
    return 0 if all(status == 0 for status, _ in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
