"""Fault injection: errors, dropped connections, delays and broken bodies, one line each.

The registry lives here; the pipeline step that fires faults is in ``_middleware``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import attrs

BODY_FAULTS = frozenset({"malformed", "truncated"})


@attrs.define(kw_only=True, eq=False)
class Fault:
    """One registered fault. ``remaining`` is ``None`` for a fault that never runs out."""

    status: int | None = None
    drop: bool = False
    after: bool = False
    delay: float | None = None
    body: str | None = None
    retry_after: int | None = None
    code: str | None = None
    message: str | None = None
    route: str | None = None
    share: float = 1.0
    remaining: int | None = None
    hits: int = 0

    def matches(self, method: str, template: str | None, path: str) -> bool:
        """Whether this fault applies to the request (route ``"METHOD"`` or ``"METHOD /path"``)."""
        if self.route is None:
            return True
        wanted_method, _, wanted_path = self.route.partition(" ")
        if wanted_method.upper() != method:
            return False
        return not wanted_path or wanted_path in (template, path)


class Faults:
    """The fake's fault list; the first matching fault with budget left fires."""

    def __init__(self, seed: int = 0) -> None:
        self._faults: list[Fault] = []
        self._rng = random.Random(f"layers-fake-faults:{seed}")

    def add(
        self,
        *,
        status: int | None = None,
        drop: bool = False,
        after: bool = False,
        delay: float | None = None,
        body: str | None = None,
        retry_after: int | None = None,
        code: str | None = None,
        message: str | None = None,
        times: int | None = None,
        route: str | None = None,
        share: float = 1.0,
    ) -> Fault:
        """Register a fault for the next ``times`` matching requests (``None``: forever).

        ``status`` answers with an error envelope (``SERVER_ERROR`` for 5xx, ``RATE_LIMITED``
        plus ``Retry-After`` for 429, or ``code``); ``drop`` closes the connection unanswered;
        ``body`` (``"malformed"`` or ``"truncated"``) answers 200 with broken JSON; ``delay``
        waits that many API seconds first (alone, the request then proceeds normally).
        ``drop=True, after=True`` is a lost answer: the request is applied (and its answer
        stored for Idempotency-Key replays), then the connection closes unanswered.
        ``share`` fires on that fraction of matching requests (seeded). Any other fault that
        fires stops the request before the handler, so nothing is created. Note that aiohttp's
        client resends an idempotent request (GET, DELETE, ...) once after a dropped
        connection, so ``times=2`` is what makes a dropped GET fail.
        """
        outcomes = sum((status is not None, drop, body is not None))
        if outcomes > 1:
            raise ValueError("give at most one of status, drop and body")
        if after and not drop:
            raise ValueError("after=True goes with drop=True")
        if outcomes == 0 and delay is None:
            raise ValueError("give status, drop, body or delay")
        if status is not None and not 400 <= status <= 599:
            raise ValueError("status must be a 4xx or 5xx code")
        if body is not None and body not in BODY_FAULTS:
            raise ValueError(f"body must be one of {sorted(BODY_FAULTS)}")
        if delay is not None and delay < 0:
            raise ValueError("delay must be >= 0")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        if not 0.0 < share <= 1.0:
            raise ValueError("share must be in (0, 1]")
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after must be >= 0")
        if route is not None and not route.split(" ", 1)[0].isalpha():
            raise ValueError('route looks like "GET /v1/jobs/{jobId}" or "POST"')
        fault = Fault(
            status=status,
            drop=drop,
            after=after,
            delay=delay,
            body=body,
            retry_after=retry_after,
            code=code,
            message=message,
            route=route,
            share=share,
            remaining=times,
        )
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    def take(self, method: str, template: str | None, path: str) -> Fault | None:
        """The fault this request triggers, spending one of its uses."""
        for fault in self._faults:
            if fault.remaining == 0 or not fault.matches(method, template, path):
                continue
            if fault.share < 1.0 and self._rng.random() >= fault.share:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
            fault.hits += 1
            return fault
        return None

    def __iter__(self) -> Iterator[Fault]:
        return iter(list(self._faults))

    def __len__(self) -> int:
        return len(self._faults)
