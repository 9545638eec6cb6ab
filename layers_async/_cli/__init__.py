"""``layers-async``: the command-line client (needs the ``cli`` extra for rich output).

Every command talks to an embedded fake server by default (no network, no credits);
``--live`` uses the real API with ``LAYERS_API_KEY``, ``--base-url URL`` (or a loopback
``LAYERS_BASE_URL``) another server, run ``--time-scale``/``LAYERS_TIME_SCALE`` times faster.

Commands: ``whoami``, ``credits``, ``projects list``, ``jobs get|wait|cancel``,
``quickstart``, ``ingest CSV`` (bulk, resumable) and ``fake-server``.

Exit codes:

=== ==================================================================
0   ok
1   unexpected error (a bug: rerun with ``--debug`` for a traceback)
2   bad input or usage (argparse's own, a bad file, a bad option value)
3   API error (a ``LayersError`` from a call: HTTP error, connection, decode)
4   a job failed or was canceled (or did not finish within ``--timeout``)
5   some rows of a bulk ingest failed or were invalid (others ok)
130 interrupted (Ctrl-C); ``ingest`` resumes when rerun
=== ==================================================================

Written only against the public API of ``layers_async`` and ``layers_async.testing``.
"""

from ._app import build_parser, main, run

__all__ = ["build_parser", "main", "run"]
