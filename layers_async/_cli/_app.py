"""The argument parser, the dispatch, and the mapping of errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from layers_async import (
    APIConnectionError,
    AuthenticationError,
    JobCanceledError,
    JobError,
    JobFailedError,
    KillSwitchError,
    LayersError,
    __version__,
)

from . import _commands, _webhooks
from ._common import (
    EXIT_API,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_JOB,
    EXIT_OK,
    EXIT_USAGE,
    Output,
    UsageError,
    connection_failure,
    silence_stdout,
)
from ._ingest import run_ingest
from ._rows import COLUMNS, PLATFORMS

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["build_parser", "main", "run"]

Handler = Callable[[argparse.Namespace, Output], Awaitable[int]]

_EPILOG = """\
By default every command talks to an embedded fake Layers server started in this
process (no network, no credits). --live uses the real API with LAYERS_API_KEY (and
LAYERS_BASE_URL if set); --base-url URL, or a loopback LAYERS_BASE_URL, uses that server
with LAYERS_API_KEY. A fake runs --time-scale (or LAYERS_TIME_SCALE, default 200) times
faster than real time: give the scale `layers-async fake-server` printed.

exit codes: 0 ok, 1 unexpected error, 2 bad input or usage, 3 API error,
4 a job failed or was canceled (or did not finish in --timeout),
5 some rows of a bulk ingest failed (others ok), 130 interrupted
"""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    if text.strip() in ("0", "0.0"):
        return 0.0
    return _positive_float(text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0-65535 (0: any free port), got {text!r}")
    return value


class _Deprecated(argparse.Action):
    """An old spelling of an option: stores the value and notes the new name."""

    def __init__(self, option_strings: Sequence[str], dest: str, *, new: str,
                 **kwargs: Any) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.new = new

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        notes = [*getattr(namespace, "deprecations", ()),
                 f"{option_string} is deprecated; use {self.new}"]
        namespace.deprecations = notes


def _add_options(parser: argparse.ArgumentParser, *, top: bool,
                 connection: bool = True) -> None:
    """Options every command takes, before or after its name (the top level sets defaults)."""
    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    if connection:
        group = parser.add_argument_group("where to send calls")
        target = group.add_mutually_exclusive_group()
        target.add_argument("--live", action="store_true", default=default(False),
                            help="use the real Layers API (LAYERS_API_KEY, LAYERS_BASE_URL); "
                                 "ingest and generate calls may spend credits")
        target.add_argument("--base-url", metavar="URL", default=default(None),
                            help="use the API at URL with LAYERS_API_KEY (plain http only for "
                                 "loopback), e.g. a `layers-async fake-server`")
        group.add_argument("--poll-interval", metavar="SECONDS", type=_positive_float,
                           default=default(None),
                           help="first delay between job polls, backing off to 6x (default: "
                                "the library's 5 s, scaled on the embedded server)")
    group = parser.add_argument_group("embedded server" if connection else "server")
    group.add_argument("--time-scale", metavar="F", type=_positive_float, default=default(None),
                       help="fake server time runs F times faster than real time (default "
                            "$LAYERS_TIME_SCALE, else 200; an ingest takes 90-240 API "
                            "seconds); also the speed of a loopback --base-url or "
                            "$LAYERS_BASE_URL, i.e. of a `layers-async fake-server`")
    group = parser.add_argument_group("output")
    group.add_argument("--json", action="store_true", default=default(False),
                       help="print JSON (one document, or one line per event for a stream); "
                            "notices go to stderr")
    group.add_argument("--plain", action="store_true", default=default(False),
                       help="plain lines even on a terminal (always so when stdout is not one)")
    group.add_argument("-v", "--verbose", action="store_true", default=default(False),
                       help="log the library's retries and warnings to stderr (without "
                            "it only its errors)")
    group.add_argument("--debug", action="store_true", default=default(False),
                       help="print a traceback on unexpected errors")


def _command(subparsers: Any, name: str, handler: Handler, help_text: str, *,
             connection: bool = True,
             description: str | None = None) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=description or help_text, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_options(parser, top=False, connection=connection)
    parser.set_defaults(handler=handler)
    return parser


def _github_options(parser: argparse.ArgumentParser, *, state_alias: bool) -> None:
    """``state_alias``: also take the old ``--state`` (the quickstart, which has no state file)."""
    group = parser.add_argument_group("GitHub App installation (registered before the ingest)")
    group.add_argument("--installation-id", type=_positive_int, default=56781234, metavar="ID",
                       help="installation id from GitHub's callback (default %(default)s)")
    group.add_argument("--install-state", dest="install_state", metavar="STATE",
                       default="gh_state_from_install_url_callback",
                       help="state from the install URL's callback (default %(default)s)")
    if state_alias:
        group.add_argument("--state", dest="install_state", metavar="STATE",
                           action=_Deprecated, new="--install-state",
                           default=argparse.SUPPRESS, help="deprecated: --install-state")


def build_parser() -> argparse.ArgumentParser:
    """The ``layers-async`` parser."""
    parser = argparse.ArgumentParser(
        prog="layers-async", description="Command-line client for the Layers Partner API.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_options(parser, top=True)
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND",
                                     required=True)

    _command(commands, "whoami", _commands.whoami, "show the calling key and its organization")
    _command(commands, "credits", _commands.credits, "show the credit wallet")

    projects = commands.add_parser("projects", help="list projects",
                                   description="Projects: one per end customer.",
                                   epilog=_EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    project_commands = projects.add_subparsers(title="commands", dest="projects_command",
                                               metavar="COMMAND", required=True)
    listing = _command(project_commands, "list", _commands.projects_list,
                       "list projects, newest first")
    listing.add_argument("--customer-id", metavar="ID", help="only this customerExternalId")
    listing.add_argument("--status", choices=("active", "archived"), help="only this status")
    listing.add_argument("--limit", type=_positive_int, metavar="N", help="at most N projects")

    jobs = commands.add_parser("jobs", help="get, wait for or cancel a job",
                               description="Jobs started by ingest and generate calls. The "
                                           "embedded server only knows jobs of its own run: use "
                                           "--base-url or --live.",
                               epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    job_commands = jobs.add_subparsers(title="commands", dest="jobs_command", metavar="COMMAND",
                                       required=True)
    get = _command(job_commands, "get", _commands.jobs_get, "poll a job once")
    get.add_argument("job_id", metavar="JOB_ID")
    wait = _command(job_commands, "wait", _commands.jobs_wait,
                    "wait for a job to end, showing its stage and progress (exit 4 unless it "
                    "completed)")
    wait.add_argument("job_id", metavar="JOB_ID")
    wait.add_argument("--timeout", type=_non_negative_float, metavar="SECONDS",
                      help="give up after SECONDS (exit 4); the job keeps running")
    wait.add_argument("--cancel-on-timeout", action="store_true",
                      help="with --timeout: also ask the job to cancel (needs --timeout)")
    wait.set_defaults(usage_error=wait.error)  # for checks argparse cannot express
    cancel = _command(job_commands, "cancel", _commands.jobs_cancel,
                      "ask a job to stop at its next stage boundary")
    cancel.add_argument("job_id", metavar="JOB_ID")

    content = commands.add_parser("content", help="generate content and wait for it",
                                  description="Content generation. Every generate call "
                                              "reserves credits on the real API.",
                                  epilog=_EPILOG,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    content_commands = content.add_subparsers(title="commands", dest="content_command",
                                              metavar="COMMAND", required=True)
    generate = _command(content_commands, "generate", _commands.content_generate,
                        "generate content for a project and wait, showing its progress "
                        "(exit 4 unless the job completed)")
    which = generate.add_mutually_exclusive_group(required=True)
    which.add_argument("project_id", metavar="PROJECT_ID", nargs="?",
                       help="the project (prj_...)")
    which.add_argument("--customer-id", metavar="ID",
                       help="the project with this customerExternalId (created on the "
                            "embedded server when missing)")
    generate.add_argument("--format", default="auto",
                          choices=("auto", "video_remix", "slideshow_remix", "ugc_remix"),
                          help="format (default %(default)s)")
    generate.add_argument("--variants", type=int, choices=range(1, 6), metavar="N",
                          help="containers to make, 1 to 5 (default 1)")
    generate.add_argument("--topic", help="brief: topic")
    generate.add_argument("--angle", help="brief: angle")
    generate.add_argument("--cta", help="brief: call to action")
    generate.add_argument("--timeout", type=_non_negative_float, metavar="SECONDS",
                          help="give up waiting after SECONDS (exit 4); the job keeps running")

    quick = _command(commands, "quickstart", _commands.quickstart,
                     "whoami, create a project, register GitHub, ingest a repo, wait, show the PR",
                     description="The Layers quickstart, call by call: whoami; find or create "
                                 "the customer's project (with an idempotency key); register "
                                 "the GitHub App installation; start the GitHub ingest (or "
                                 "resume the project's one still running); wait for it "
                                 "(showing its stage and progress); print the PR URL "
                                 "and the brand context. On the embedded server it takes "
                                 "seconds.")
    group = quick.add_argument_group("project")
    group.add_argument("--name", default="Acme Mobile", help="project name (default %(default)s)")
    group.add_argument("--customer-id", default="acme_42", metavar="ID",
                       help="customerExternalId; an existing project is reused "
                            "(default %(default)s)")
    group.add_argument("--timezone", default="America/Los_Angeles",
                       help="IANA timezone (default %(default)s)")
    group.add_argument("--language", default="en", help="primary language (default %(default)s)")
    _github_options(quick, state_alias=True)
    group = quick.add_argument_group("ingest")
    group.add_argument("--repo", default="acme/acme-mobile", metavar="OWNER/NAME",
                       help="repository (default %(default)s)")
    group.add_argument("--branch", default="main", help="branch (default %(default)s)")
    group.add_argument("--platform", action="append", choices=PLATFORMS,
                       help="platform to instrument; repeat for several (default ios)")
    group.add_argument("--new-ingest", action="store_true",
                       help="start a new ingest even if this repo's last one completed "
                            "(opens another PR; may spend credits)")

    ingest = _command(
        commands, "ingest", run_ingest, "find or create a project and ingest a repo per CSV row",
        description=(
            "For each row of CSV (columns: " + ",".join(COLUMNS) + "; branch, platforms, "
            "timezone and language optional; platforms separated by | or ;): find the project "
            "by customer_external_id or create it, start the GitHub ingest and wait for it, "
            "--concurrency rows at a time. Progress is kept in a SQLite state file: rerun the "
            "same command after an interruption to resume. Finished rows are not redone, "
            "started jobs are re-attached, and no second project or job is created. Bad rows "
            "are reported on stderr with their line numbers and skipped; unknown extra columns "
            "are ignored with a warning."))
    ingest.add_argument("csv", metavar="CSV", help="the customers file")
    ingest.add_argument("--out", metavar="FILE",
                        help="results, one JSON line per row (default CSV with .results.jsonl)")
    ingest.add_argument("--state-file", dest="state", metavar="FILE",
                        help="SQLite state file (default CSV.state.sqlite; on the embedded "
                             "server an in-memory one)")
    ingest.add_argument("--state", "--state-db", dest="state", metavar="FILE",
                        action=_Deprecated, new="--state-file", default=argparse.SUPPRESS,
                        help="deprecated: --state-file")
    ingest.add_argument("--concurrency", type=_positive_int, default=8, metavar="N",
                        help="rows in flight at once (default %(default)s)")
    ingest.add_argument("--retry-failed", action="store_true",
                        help="start a new ingest for rows whose job failed or was canceled "
                             "(rows that ended in an API error are always retried, with a new "
                             "idempotency key when the API refused the call)")
    ingest.add_argument("--no-register", action="store_true",
                        help="the GitHub installation is already registered: skip that call")
    _github_options(ingest, state_alias=False)

    server = _command(commands, "fake-server", _commands.fake_server,
                      "run a fake Layers server (prints its URL and test API key)",
                      connection=False,
                      description="Run the fake Layers server until interrupted. It prints "
                                  "its URL, a throwaway test key and its time scale, last as "
                                  "an `export LAYERS_BASE_URL=... LAYERS_API_KEY=... "
                                  "LAYERS_TIME_SCALE=...` line: run that line in a shell and "
                                  "other commands there use this server.")
    server.add_argument("--port", type=_port, default=0, help="port (default: any free one)")
    server.add_argument("--host", default="127.0.0.1", help="address (default %(default)s)")
    server.add_argument("--journal", metavar="FILE", type=Path,
                        help="on exit (Ctrl-C or SIGTERM) write every request received to FILE "
                             "as JSON lines (method, path, status, replayed, ...; no key)")
    server.add_argument("--tier", choices=("standard", "pilot", "partner"), default="standard",
                        help="rate-limit tier of the key (default %(default)s)")
    server.add_argument("--job-duration", metavar="SECONDS", type=_non_negative_float,
                        help="API seconds each job started over HTTP takes (default: as "
                             "documented, 90-240 s for a GitHub ingest)")
    server.add_argument("--docs", choices=("newest", "quickstart"), default="newest",
                        help="answer in the newest docs' spellings (prefixed ids) or the "
                             "quickstart's (bare UUIDs, project_ingest_github, ...); "
                             "default %(default)s")
    server.add_argument("--customer-ids", choices=("unique", "not-enforced"),
                        default="unique",
                        help="customerExternalId per organization: unique (the reference "
                             "page; 409 on a second project) or not enforced (the concept "
                             "page); default %(default)s")

    webhooks = commands.add_parser("webhooks", help="receive webhooks locally",
                                   description="Webhooks the API sends to your endpoints.",
                                   epilog=_EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    webhook_commands = webhooks.add_subparsers(title="commands", dest="webhooks_command",
                                               metavar="COMMAND", required=True)
    listen = _command(webhook_commands, "listen", _webhooks.webhooks_listen,
                      "run a local receiver and print each verified event",
                      connection=False,
                      description="Run a webhook receiver until interrupted: every delivery "
                                  "is verified (signature, timestamp, event id) and printed on "
                                  "one line (or as JSON with --json); unverified ones get 400. "
                                  "For trying an integration by hand: point an endpoint (or "
                                  "the fake server's) at the printed URL. The secret is never "
                                  "printed.")
    listen.add_argument("--port", type=_port, default=8787,
                        help="port (default %(default)s; 0: any free one)")
    listen.add_argument("--host", default="127.0.0.1", help="address (default %(default)s)")
    listen.add_argument("--path", default="/layers/webhooks",
                        help="URL path (default %(default)s)")
    listen.add_argument("--secret", action="append", metavar="WHSEC",
                        help="the endpoint's signing secret (repeat during a rotation; "
                             f"default ${_webhooks.ENV_WEBHOOK_SECRET})")
    listen.add_argument("--tolerance", type=_non_negative_float, default=300.0,
                        metavar="SECONDS",
                        help="accepted clock skew of signatures (default %(default)s)")
    listen.add_argument("--max-events", type=_positive_int, metavar="N",
                        help="stop after N events")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``layers-async`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parsed = _parse(argv)
    if isinstance(parsed, int):
        return parsed
    out = Output(json_mode=parsed.json, plain=parsed.plain)
    try:
        return anyio.run(_dispatch, parsed, out, backend="asyncio")
    except KeyboardInterrupt:
        out.err("interrupted" + ("; rerun the same command to resume"
                                 if parsed.command == "ingest" else ""))
        return EXIT_INTERRUPTED


async def run(argv: Sequence[str], *, console: Console | None = None) -> int:
    """:func:`main` for a caller already inside an event loop (tests, notebooks).

    ``console``: a rich console to draw on instead of stdout's (it decides whether the
    output is a terminal's).
    """
    parsed = _parse(argv)
    if isinstance(parsed, int):
        return parsed
    return await _dispatch(parsed, Output(json_mode=parsed.json, plain=parsed.plain,
                                          console=console))


def _parse(argv: Sequence[str] | None) -> argparse.Namespace | int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "cancel_on_timeout", False) and args.timeout is None:
            args.usage_error("--cancel-on-timeout needs --timeout SECONDS")
    except SystemExit as exc:  # --help, --version, or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except BrokenPipeError:  # `--help | head`: the reader has seen enough
        silence_stdout()
        return EXIT_OK
    return args


@contextmanager
def _library_logging(verbose: bool) -> Iterator[None]:
    """The library's log on stderr: everything with ``-v``, else only its errors.

    Its warnings (each retry, a paused poll) are routine for a bulk run and would bury the
    output; ``-v`` shows them. The logger is restored afterwards (``run`` may be called many
    times in one process).
    """
    logger = logging.getLogger("layers_async")
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    saved = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG if verbose else logging.ERROR)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


class _StderrHandler(logging.Handler):
    """Writes to the ``sys.stderr`` of the moment (redirections, a test's capture)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # logging must never break the command
            self.handleError(record)


async def _dispatch(args: argparse.Namespace, out: Output) -> int:
    handler: Handler = args.handler
    for note in getattr(args, "deprecations", ()):
        out.err(f"layers-async: warning: {note}")
    with _library_logging(args.verbose):
        try:
            return await handler(args, out)
        except Exception as exc:  # every error becomes a message and an exit code
            return _report(_single(exc), out, debug=args.debug)


def _single(exc: BaseException) -> BaseException:
    """The one error inside nested single-error groups (task groups wrap errors)."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _broken_pipe(exc: BaseException) -> bool:
    """A ``BrokenPipeError``, or a group made only of them (each task's own write failed)."""
    if isinstance(exc, BaseExceptionGroup):
        return all(_broken_pipe(inner) for inner in exc.exceptions)
    return isinstance(exc, BrokenPipeError)


def _report(exc: BaseException, out: Output, *, debug: bool) -> int:
    if _broken_pipe(exc):
        # The reader went away (`| head`) where the output could not carry on without it:
        # stop quietly, and keep the flush at exit quiet too.
        silence_stdout()
        return EXIT_ERROR
    if isinstance(exc, UsageError):
        out.err(f"layers-async: error: {exc}")
        return EXIT_USAGE
    if isinstance(exc, JobFailedError):
        error = exc.error
        why = f"{error.code}: {error.message}" if error is not None else "no reason given"
        out.err(f"job {exc.job_id} failed: {why}")
        return EXIT_JOB
    if isinstance(exc, JobCanceledError):
        out.err(f"job {exc.job_id} was canceled")
        return EXIT_JOB
    if isinstance(exc, JobError):
        out.err(str(exc))
        return EXIT_JOB
    if isinstance(exc, APIConnectionError):
        out.err(f"layers-async: error: {connection_failure(exc, out.base_url)}")
        return EXIT_API
    if isinstance(exc, LayersError):
        hint = ""
        if isinstance(exc, AuthenticationError):
            hint = " (check LAYERS_API_KEY)"
        elif isinstance(exc, KillSwitchError):
            hint = " (the key was killed or the organization suspended: not retried)"
        out.err(f"API error: {exc}{hint}")
        return EXIT_API
    if isinstance(exc, ValueError):
        out.err(f"layers-async: error: {exc}")
        return EXIT_USAGE
    if debug:
        out.err("".join(traceback.format_exception(exc)).rstrip())
    out.err(f"unexpected error: {type(exc).__name__}: {exc}"
            + ("" if debug else " (rerun with --debug for a traceback)"))
    return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
