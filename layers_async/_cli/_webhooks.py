"""``layers-async webhooks listen``: a local receiver that prints each verified event."""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
from typing import Any

import anyio

from layers_async import JobEventData, to_wire
from layers_async.webhooks import WebhookEvent, WebhookReceiver

from ._common import Output, UsageError

__all__ = ["ENV_WEBHOOK_SECRET", "webhooks_listen"]

#: Where ``--secret`` is read from when not given (keeps it out of shell history).
ENV_WEBHOOK_SECRET = "LAYERS_WEBHOOK_SECRET"


def describe_event(event: WebhookEvent) -> str:
    """One line: id, type, the object it is about, and the replay it is."""
    parts = [event.id, str(event.type)]
    data = event.data
    if isinstance(data, JobEventData):
        parts.append(f"job={data.job_id}")
        if data.error is not None and data.error.code:
            parts.append(f"error={data.error.code}")
    elif not isinstance(data, dict):
        for name in ("id", "scheduled_post_id", "social_account_id", "request_id"):
            value = getattr(data, name, None)
            if value:
                parts.append(f"{name}={value}")
                break
    if event.replay_of:
        parts.append(f"replay_of={event.replay_of}")
    return " ".join(parts)


def event_json(event: WebhookEvent) -> dict[str, Any]:
    """The event as one JSON document (the payload as received, plus the parsed fields)."""
    return {"id": event.id, "type": str(event.type), "replayOf": event.replay_of,
            "data": event.raw.get("data"), "createdAt": to_wire(event.created_at)}


async def webhooks_listen(args: argparse.Namespace, out: Output) -> int:
    """Run a receiver on ``--host:--port`` until interrupted (or ``--max-events``)."""
    secrets = list(args.secret or [])
    if not secrets and os.environ.get(ENV_WEBHOOK_SECRET):
        secrets = [os.environ[ENV_WEBHOOK_SECRET]]
    if not secrets:
        raise UsageError(f"give the endpoint's signing secret with --secret or "
                         f"{ENV_WEBHOOK_SECRET} (twice during a rotation)")
    receiver = WebhookReceiver(secrets, tolerance=args.tolerance)
    enough = anyio.Event()
    count = 0

    def show(event: WebhookEvent) -> None:
        nonlocal count
        if args.json:
            out.json_line(event_json(event))
        else:
            out.line(describe_event(event))
        sys.stdout.flush()
        count += 1
        if args.max_events is not None and count >= args.max_events:
            enough.set()

    receiver.add_handler(show, "*")
    try:
        serving = receiver.serve(args.host, args.port, path=args.path)
        url = await serving.__aenter__()
    except OSError as exc:
        why = ("the port is already in use" if exc.errno == errno.EADDRINUSE
               else exc.strerror or str(exc))
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {why}") from None
    try:
        # The secret is never printed: only where to point the endpoint.
        out.notice(f"Listening for Layers webhooks on {url} ({len(secrets)} secret(s); "
                   "Ctrl-C to stop)")
        sys.stdout.flush()
        async with anyio.create_task_group() as tg:

            async def until_signal() -> None:
                with anyio.open_signal_receiver(signal.SIGTERM) as signals:
                    async for _ in signals:
                        break
                tg.cancel_scope.cancel()

            tg.start_soon(until_signal)
            await enough.wait()
            tg.cancel_scope.cancel()
    finally:
        await serving.__aexit__(None, None, None)
    return 0
