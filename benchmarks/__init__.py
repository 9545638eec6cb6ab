"""Benchmarks of layers-async, each side by side with a baseline measured in the same run.

``python -m benchmarks [--quick] [name ...]`` runs them (see ``benchmarks/README.md``);
each one prints its table and rewrites its own section of ``benchmarks/RESULTS.md``.
Nothing here asserts: the figures are ratios to read, not a pass/fail gate.
"""

#: Benchmark modules in the order they run and appear in RESULTS.md.
BENCHMARKS = ("overhead", "decode", "scale", "economy", "pacing", "webhooks")

#: Other RESULTS.md sections, written by ``python -m benchmarks`` itself, shown first.
SECTIONS = ("runs",)
