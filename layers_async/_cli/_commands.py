"""The small commands: whoami, credits, projects, jobs, content, quickstart, fake-server."""

from __future__ import annotations

import argparse
import errno
import json
import shlex
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from layers_async import (
    AsyncLayers,
    BrandContext,
    IngestGithubResult,
    Job,
    JobError,
    JobSnapshot,
    JobStatus,
    NotFoundError,
)

if TYPE_CHECKING:
    from layers_async.testing import FakeLayers

from ._common import (
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_TIME_SCALE,
    Output,
    Session,
    UsageError,
    connect,
    describe,
    is_local,
    time_scale,
    to_jsonable,
)
from ._rows import idempotency_key, is_repo_full_name

__all__ = [
    "content_generate",
    "credits",
    "fake_server",
    "jobs_cancel",
    "jobs_get",
    "jobs_wait",
    "projects_list",
    "quickstart",
    "start_ingest",
    "whoami",
]


async def whoami(args: argparse.Namespace, out: Output) -> int:
    """The calling key and its organization."""
    async with connect(args, out) as session:
        me = await session.layers.whoami()
    if args.json:
        out.json(me)
        return 0
    org = f"{me.organization_name} ({me.organization_id})" if me.organization_name \
        else me.organization_id
    out.line(f"organization:    {org}")
    if me.parent_organization_id:
        out.line(f"parent:          {me.parent_organization_id}")
    out.line(f"api key id:      {me.api_key_id}")
    out.line(f"rate-limit tier: {me.rate_limit_tier}")
    out.line(f"scopes:          {' '.join(me.scopes) or '(none listed)'}")
    if me.credit_balance is not None:
        out.line(f"credit balance:  {me.credit_balance}")
    return 0


async def credits(args: argparse.Namespace, out: Output) -> int:
    """The organization's credit wallet."""
    async with connect(args, out) as session:
        wallet = await session.layers.credits.get()
    if args.json:
        out.json(wallet)
        return 0
    fields = [("balance", wallet.balance), ("available", wallet.available),
              ("reserved", wallet.reserved_credits),
              ("included remaining", wallet.included_remaining),
              ("prepaid balance", wallet.prepaid_balance),
              ("used this period", wallet.used_this_period),
              ("subscription tier", wallet.subscription_tier),
              ("billing status", wallet.billing_status)]
    lines = [(f"{name}:", str(value)) for name, value in fields if value is not None]
    lines += [(f"estimate {fmt}:", str(estimate))
              for fmt, estimate in sorted(wallet.estimated_credits_per_format.items())]
    width = max((len(name) for name, _ in lines), default=0) + 1
    for name, value in lines:
        out.line(f"{name:<{width}}{value}")
    return 0


async def projects_list(args: argparse.Namespace, out: Output) -> int:
    """Projects, newest first (all pages, or ``--limit`` of them)."""
    async with connect(args, out) as session:
        projects = await session.layers.projects.list(
            customer_external_id=args.customer_id, status=args.status,
        ).collect(limit=args.limit)
    if args.json:
        out.json(projects)
        return 0
    out.table(["id", "customer_external_id", "name", "status", "created_at"],
              [[p.id, p.customer_external_id or "", p.name, str(p.status),
                p.created_at.isoformat() if p.created_at else ""] for p in projects])
    return 0


async def jobs_get(args: argparse.Namespace, out: Output) -> int:
    """One poll of a job."""
    async with connect(args, out) as session:
        with _job_hint(session, out):
            snapshot = await session.layers.jobs.get(args.job_id)
    if args.json:
        out.json(snapshot)
    else:
        _print_snapshot(out, snapshot)
    return 0


async def jobs_wait(args: argparse.Namespace, out: Output) -> int:
    """Wait for a job to end, showing its progress; exit 4 unless it completed."""
    async with connect(args, out) as session:
        job = session.layers.jobs.attach(args.job_id)
        try:
            with _job_hint(session, out), out.job_progress(args.job_id) as progress:
                result = await job.wait(timeout=args.timeout, on_progress=progress.update,
                                        on_timeout="cancel" if args.cancel_on_timeout
                                        else "detach")
        except JobError as exc:
            if args.json and exc.snapshot is not None:
                out.json(exc.snapshot)
            raise
    if args.json:
        out.json(job.snapshot)
    else:
        if job.snapshot is not None:
            _print_snapshot(out, job.snapshot, result=False)
        _print_result(out, result)
    return 0


async def jobs_cancel(args: argparse.Namespace, out: Output) -> int:
    """Ask a job to stop (cooperative: it ends ``canceled`` at its next stage boundary)."""
    async with connect(args, out) as session:
        with _job_hint(session, out):
            answer = await session.layers.jobs.cancel(args.job_id)
    if args.json:
        out.json(answer)
    elif answer.accepted:
        out.line(f"cancel of {answer.job_id} accepted: it stops at its next stage boundary")
    else:
        stage = f" (stage {answer.stage})" if answer.stage else ""
        out.line(f"cancel of {answer.job_id} not accepted: {answer.reason}{stage}")
    return 0


async def content_generate(args: argparse.Namespace, out: Output) -> int:
    """Generate content for a project and wait for it, showing its stage and progress.

    The project is PROJECT_ID or the one of ``--customer-id`` (on the embedded server a
    missing one is created, so the command runs on its own). Exit 4 unless the job completed.
    """
    async with connect(args, out, spends_credits=True) as session:
        layers = session.layers
        project_id = args.project_id
        if project_id is None:
            project = await layers.projects.find(args.customer_id)
            if project is None and not session.embedded:
                raise UsageError(f"no project has customerExternalId {args.customer_id!r}")
            if project is None:
                project = await layers.projects.create(
                    name=args.customer_id, customer_external_id=args.customer_id,
                    timezone="UTC")
            project_id = project.id
        brief = {name: value for name, value in (("topic", args.topic), ("angle", args.angle),
                                                  ("cta", args.cta)) if value is not None}
        try:
            job = await layers.content.generate(project_id, format=args.format,
                                                variant_count=args.variants,
                                                brief=brief or None)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        try:
            with out.job_progress(job.id) as progress:
                result = await job.wait(timeout=args.timeout, on_progress=progress.update)
        except JobError as exc:
            if args.json and exc.snapshot is not None:
                out.json({"job": exc.snapshot, "containers": []})
            raise
        containers = [await layers.content.get(each) for each in result.containers]
    if args.json:
        out.json({"job": job.snapshot, "containers": containers})
        return 0
    if job.snapshot is not None:
        _print_snapshot(out, job.snapshot, result=False)
    for container in containers:
        out.line(f"container {container.id}: {container.status}, "
                 f"approval {container.approval_status}")
        if container.caption:
            out.line(f"  caption: {container.caption}")
        for asset in container.assets:
            out.line(f"  {asset.kind}: {asset.url}")
    return 0


async def quickstart(args: argparse.Namespace, out: Output) -> int:
    """The quickstart, call by call: whoami, project, GitHub, ingest, wait, the PR."""
    if not is_repo_full_name(args.repo):
        raise UsageError(f"--repo must look like owner/name, got {args.repo!r}")
    platforms = args.platform or ["ios"]
    begun = time.monotonic()
    say = out.notice  # the steps; with --json they go to stderr and stdout gets one document
    async with connect(args, out, spends_credits=True) as session:
        layers = session.layers
        me = await layers.whoami()
        balance = f", {me.credit_balance} credits" if me.credit_balance is not None else ""
        say(f"1. whoami: {me.organization_name or me.organization_id} "
                 f"({me.organization_id}), key {me.api_key_id}, tier {me.rate_limit_tier}"
                 f"{balance}")
        project = await layers.projects.find(args.customer_id)
        if project is not None:
            say(f"2. project: reusing {project.id} ({project.name!r}) for customer "
                f"{args.customer_id}")
        else:
            project = await layers.projects.create(
                name=args.name, customer_external_id=args.customer_id,
                timezone=args.timezone, primary_language=args.language,
                idempotency_key=idempotency_key("project", args.customer_id, args.name,
                                                args.timezone, args.language))
            say(f"2. project: created {project.id} ({project.name!r}) for customer "
                f"{args.customer_id}")
        installation = await layers.github.register_installation(
            args.installation_id, args.install_state,
            idempotency_key=idempotency_key("github-installation", args.installation_id,
                                            args.install_state))
        account = installation.github_account.login if installation.github_account else None
        say(f"3. GitHub installation {installation.installation_id}: {installation.status}"
                 + (f" ({account})" if account else ""))
        job, how = await start_ingest(layers, project.id, args, platforms)
        say(f"4. ingest: job {job.id} {how} for {args.repo}@{args.branch} "
                 f"({', '.join(platforms)})")
        started = time.monotonic()
        with out.job_progress(job.id) as progress:
            if job.snapshot is not None:
                progress.update(job.snapshot)
            result = await job.wait(on_progress=progress.update)
        say(f"5. ingest completed in {time.monotonic() - started:.1f} s "
            f"(whole quickstart {time.monotonic() - begun:.1f} s)")
        local = is_local(session.base_url)
    if args.json:
        out.json({"organizationId": me.organization_id, "project": project,
                  "installation": installation, "job": job.snapshot, "result": result})
    else:
        _print_result(out, result)
    if local:
        _print_going_live(out)
    return 0


def _print_going_live(out: Output) -> None:
    """How to run the same against the real API, and what that costs."""
    out.notice("")
    out.notice(f"That ran on a fake server. For real: export {ENV_API_KEY}=<your key> and run "
               "`layers-async --live quickstart --customer-id ID --repo OWNER/NAME`.")
    out.notice("On the real API an ingest is a long-running job (minutes; 20 starts a minute "
               "on the standard tier) and may spend credits, and generating content spends "
               "credits (check `layers-async --live credits` first).")


async def start_ingest(layers: AsyncLayers, project_id: str, args: argparse.Namespace,
                       platforms: list[str]) -> tuple[Job[IngestGithubResult], str]:
    """The quickstart's ingest job, and how it was had (``started``, ``resuming ...``).

    The project's last GitHub ingest of this repo decides. Still running (a quickstart
    interrupted and rerun): wait for that job. Completed: show it again rather than open a
    second PR and spend credits (``--new-ingest`` starts another). Otherwise start one whose
    idempotency key names that last job, so a retry of this same start replays it, while a
    rerun after the job failed or was canceled gets a new job, not the dead one replayed.
    """
    last = await _last_github_ingest(layers, project_id)
    if last is not None and last.repo_full_name in (None, args.repo) and not args.new_ingest:
        if not last.terminal:
            return layers.jobs.attach(last.id), f"resuming (still {describe(last)})"
        if last.status == JobStatus.COMPLETED:
            return (layers.jobs.attach(last.id),
                    "already completed (shown again; --new-ingest starts another)")
    job = await layers.ingest.github(
        project_id, repo_full_name=args.repo, branch=args.branch, open_pr=True,
        platforms=platforms,
        idempotency_key=idempotency_key("quickstart-ingest", args.customer_id, args.repo,
                                        args.branch, ",".join(platforms),
                                        last.id if last is not None else ""))
    return job, "started"


async def _last_github_ingest(layers: AsyncLayers, project_id: str) -> JobSnapshot | None:
    """The project's last GitHub ingest job as it is now (None: none, or no longer known)."""
    project = await layers.projects.get(project_id)
    github = project.ingest_state.github if project.ingest_state is not None else None
    if github is None or not github.job_id:
        return None
    try:
        return await layers.jobs.get(github.job_id)
    except NotFoundError:
        return None


async def fake_server(args: argparse.Namespace, out: Output) -> int:
    """Run a fake Layers server until interrupted (prints its URL and its test key)."""
    from layers_async.testing import FakeLayers

    scale = time_scale(args)
    async with AsyncExitStack() as stack:
        try:
            fake = await stack.enter_async_context(FakeLayers(
                time_scale=scale, tier=args.tier, host=args.host, port=args.port,
                docs=args.docs, unique_customer_ids=args.customer_ids == "unique",
                job_duration=args.job_duration))
        except OSError as exc:
            why = ("the port is already in use" if exc.errno == errno.EADDRINUSE
                   else exc.strerror or str(exc))
            raise UsageError(f"cannot listen on {args.host}:{args.port}: {why}") from None
        # The one place a key is printed: a throwaway key of this in-process fake.
        if args.json:
            out.json({"baseUrl": fake.base_url, "apiKey": fake.api_key, "timeScale": scale,
                      "tier": args.tier})
        else:
            out.line(f"Layers fake server listening on {fake.base_url}")
            out.line(f"API key: {fake.api_key}")
            out.line(f"(time scale {scale:g}, tier {args.tier}; Ctrl-C to stop)")
            out.line("Point other commands at it (a shell can run the next line as it is):")
            out.line(f"export {ENV_BASE_URL}={shlex.quote(fake.base_url)} "
                     f"{ENV_API_KEY}={shlex.quote(fake.api_key)} {ENV_TIME_SCALE}={scale:g}")
        sys.stdout.flush()
        try:
            with anyio.open_signal_receiver(signal.SIGTERM) as signals:
                async for _ in signals:
                    break
        finally:  # SIGTERM, or Ctrl-C unwinding through here
            if args.journal is not None:
                _write_journal(args.journal, fake)
    return 0


def _write_journal(path: Path, fake: FakeLayers) -> None:
    """The fake's journal as JSON lines (headers are already without the key)."""
    with path.open("w", encoding="utf-8") as file:
        for entry in fake.journal:
            record = {"method": entry.method, "path": entry.path, "route": entry.route,
                      "status": entry.status, "replayed": entry.replayed, "at": entry.at,
                      "request_id": entry.request_id, "query": entry.query,
                      "query_all": entry.query_all,
                      "headers": entry.headers, "json": entry.json}
            file.write(json.dumps(record, default=str) + "\n")


@contextmanager
def _job_hint(session: Session, out: Output) -> Iterator[None]:
    """On the embedded server a job id from elsewhere is unknown: say why."""
    try:
        yield
    except NotFoundError:
        if session.embedded:
            out.err("The embedded server only knows jobs started in this same run; use "
                    "--base-url URL (e.g. a `layers-async fake-server`) or --live.")
        raise


def _print_snapshot(out: Output, snapshot: JobSnapshot, *, result: bool = True) -> None:
    out.line(f"job:      {snapshot.id}" + (f" ({snapshot.kind})" if snapshot.kind else ""))
    out.line(f"status:   {describe(snapshot)}")
    if snapshot.project_id:
        out.line(f"project:  {snapshot.project_id}")
    if snapshot.started_at:
        out.line(f"started:  {snapshot.started_at.isoformat()}")
    if snapshot.finished_at:
        out.line(f"finished: {snapshot.finished_at.isoformat()}")
    if snapshot.error is not None:
        out.line(f"error:    {snapshot.error.code}: {snapshot.error.message}")
    if result and snapshot.result:
        pr = snapshot.result.get("prUrl")
        if isinstance(pr, str):
            out.line(f"PR:       {pr}")


def _print_result(out: Output, result: Any) -> None:
    if isinstance(result, IngestGithubResult):
        out.line(f"PR: {result.pr_url or '(none opened)'}")
        if result.brand_context is not None:
            _print_brand(out, result.brand_context)
    elif result is not None:
        out.line(f"result: {to_jsonable(result)}")


def _print_brand(out: Output, brand: BrandContext) -> None:
    out.line("Brand context:")
    for name, value in to_jsonable(brand).items():
        if value in (None, [], ""):
            continue
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        out.line(f"  {name.replace('_', ' ')}: {text}")
