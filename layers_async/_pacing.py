"""Client-side pacing: wait for a token instead of collecting 429s.

The API keeps one token bucket per key and *endpoint class* (README §3):
read-light (every GET), write-light (PATCH, DELETE, synchronous POSTs) and
long-running (POSTs that start a job). Each bucket holds one minute of the
tier's figure and refills continuously. The pacer mirrors those buckets with
GCRA (a bucket expressed as one "theoretical arrival time"): each request
reserves the next free slot, so thousands of waiting tasks never stampede.

The server's bucket is the truth and may be shared (several processes on one
key): every answer's ``X-RateLimit-Remaining`` moves the local slots later when
the server has fewer tokens than the local bucket thinks, never earlier. A 429
pauses its class for the ``Retry-After``; it never sizes a bucket.

Headers lag: an answer counts only the requests that reached the server before
it, and other clients' requests in flight are invisible. So each class also
keeps a *window* of requests in flight: one at first, one more per answer that
shows no other client's use, halved when one does, capped at what the server
has left beyond the margin. A request takes its place in the window before its
slot, so the slot follows the latest answer, and clients that all saw a full
bucket don't all spend it at once.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Mapping

import anyio
import attrs

__all__ = ["ENDPOINT_CLASSES", "TIER_RPM", "Pacer", "Pacing"]

READ_LIGHT = "read-light"
WRITE_LIGHT = "write-light"
LONG_RUNNING = "long-running"
ENDPOINT_CLASSES = (READ_LIGHT, WRITE_LIGHT, LONG_RUNNING)

#: Requests per minute per endpoint class, by tier (docs README §3).
TIER_RPM: Mapping[str, Mapping[str, int]] = {
    "standard": {READ_LIGHT: 120, WRITE_LIGHT: 60, LONG_RUNNING: 20},
    "pilot": {READ_LIGHT: 1200, WRITE_LIGHT: 600, LONG_RUNNING: 60},
    "partner": {READ_LIGHT: 6000, WRITE_LIGHT: 3000, LONG_RUNNING: 300},
}

@attrs.frozen(kw_only=True)
class Pacing:
    """Settings of the client-side pacer (on by default: ``AsyncLayers(pacing=False)`` is off).

    ``tier`` sizes the buckets. With ``None`` nothing is held back until the
    tier is known: from ``whoami()``, or per class from the ``X-RateLimit-Limit``
    header of any response. Headers win over a configured tier. A 429 pauses its
    class but never sizes it. The first request of each class goes out alone
    and the others wait (briefly) for its answer, so they start from the
    server's view of the bucket, not from a full one. Of each burst, ``headroom``
    tokens and whatever refills during ``latency`` seconds (real seconds, not scaled) are left
    unused: requests released together reach the API spread over the network's
    latency, and a bucket that is already full can't bank that refill.
    ``scale`` multiplies every other duration (``scaled(1/1000)`` against
    ``FakeLayers(time_scale=1000)``).
    """

    tier: str | None = None
    headroom: int = 2
    latency: float = 0.1
    scale: float = 1.0

    def __attrs_post_init__(self) -> None:
        if self.tier is not None and self.tier not in TIER_RPM:
            raise ValueError(f"tier must be one of {sorted(TIER_RPM)}, got {self.tier!r}")
        if not (isinstance(self.scale, int | float) and math.isfinite(self.scale)
                and self.scale > 0):
            raise ValueError(f"scale must be a finite number > 0, got {self.scale!r}")
        if isinstance(self.headroom, bool) or not isinstance(self.headroom, int) \
                or self.headroom < 0:
            raise ValueError(f"headroom must be an int >= 0, got {self.headroom!r}")
        if not (isinstance(self.latency, int | float) and 0 <= self.latency < math.inf):
            raise ValueError(f"latency must be a finite number >= 0, got {self.latency!r}")

    def scaled(self, factor: float) -> Pacing:
        """The same settings with every duration multiplied by ``factor``."""
        return attrs.evolve(self, scale=self.scale * factor)


#: A token's worth of float drift: sums of intervals are off by ulps.
_EPSILON = 1e-9
#: How fast the estimate of other clients' use of a shared bucket decays per answer.
_DECAY = 1 / 8


def _now() -> float:
    """The event loop's clock (anyio's ``current_time()`` at a tenth of the cost on asyncio)."""
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:  # another anyio backend
        return anyio.current_time()


@attrs.define(eq=False)
class _Bucket:
    """GCRA state of one endpoint class: ``tat`` is when the bucket is next full.

    An unsized bucket (limit not known yet) has ``interval`` 0: it holds nothing
    back but a pause: nothing goes out before ``until`` (after a 429).
    ``pending`` counts requests asleep on a slot, ``shift`` sums how far their
    slots were moved later since (they sleep that much more), and a resize bumps
    ``generation`` (they take a fresh slot).
    ``others`` estimates the tokens other clients of the key take between two
    answers; ``lead`` is how far our view was put ahead of the server's.
    """

    rpm: float = math.inf
    interval: float = 0.0    # loop seconds per token
    tolerance: float = 0.0   # loop seconds of burst: capacity - 1 - the margin, in tokens
    tat: float = -math.inf
    until: float = -math.inf
    pending: int = 0
    shift: float = 0.0
    generation: int = 0
    others: float = 0.0
    lead: float = 0.0
    heard: bool = False      # an answer of this class has been seen
    inflight: int = 0        # requests released and not yet answered
    window: float = 1.0      # how many may be in flight: grows per answer, halves on others' use
    shared: bool = False     # the server has shown its view (Remaining/Reset): the window holds
    margin: float = 0.0      # tokens of the burst left unused (see Pacing)
    blocked: deque[anyio.Event] = attrs.field(factory=deque)  # waiting for the window
    contact: anyio.Event | None = None  # set when the first request's answer is seen
    limit_text: str | None = None       # the last X-RateLimit-Limit, as sent

    def size(self, rpm: float, pacing: Pacing, now: float | None) -> None:
        """Size for ``rpm``, keeping the tokens in use (they come back at the new rate)."""
        interval = 60.0 / rpm * pacing.scale
        margin = max(pacing.headroom, math.ceil(pacing.latency / interval))
        tolerance = max(0.0, rpm - 1 - margin) * interval
        released = self.tat - self.pending * self.interval
        if released != -math.inf and now is None:
            now = _now()
        if now is None or released <= now or not self.interval:
            tat = -math.inf
        else:
            tat = now + (released - now) / self.interval * interval
        self.rpm, self.interval, self.tolerance, self.tat = rpm, interval, tolerance, tat
        self.margin = float(margin)
        self.pending, self.lead = 0, 0.0
        self.generation += 1

    def reserve(self, now: float) -> float:
        """Take the next slot; how long to wait for it."""
        tat = self.tat if self.tat > now else now
        self.tat = tat + self.interval
        return self._wait(tat, now)

    def take_free(self, now: float) -> bool:
        """Take the next slot if it is free now (as :meth:`reserve` would with no wait);
        take nothing otherwise."""
        tat = self.tat if self.tat > now else now
        if self._wait(tat, now):
            return False
        self.tat = tat + self.interval
        return True

    def _wait(self, tat: float, now: float) -> float:
        """How long the slot at ``tat`` waits from ``now`` (0.0: it is free): the burst's
        tolerance and a 429's pause both count."""
        wait = tat - self.tolerance - now
        if self.until - now > wait:
            wait = self.until - now
        return wait if wait > _EPSILON else 0.0

    def window_full(self) -> bool:
        """Whether a request must wait for a place in the window before its slot (only with
        the server's view and a known size: see :meth:`Pacer.acquire`)."""
        return self.shared and self.inflight >= self.window and self.interval > 0

    def defer(self, released: float, target: float) -> None:
        """Move every slot later so the released requests' view reaches ``target``."""
        delta = target - released
        if delta > _EPSILON:
            self.tat = (self.tat if self.tat > released else released) + delta
            self.shift += delta


class Pacer:
    """One pacer per client: a bucket per endpoint class, on the event loop's clock."""

    def __init__(self, pacing: Pacing) -> None:
        self.pacing = pacing
        #: The tier the buckets are sized for (None: not known yet, nothing held back).
        self.tier = pacing.tier
        self._buckets = {name: _Bucket() for name in ENDPOINT_CLASSES}
        if pacing.tier is not None:
            self._size_all(pacing.tier, 0.0)
        #: Loop seconds spent waiting for tokens, per class (for benchmarks and logs).
        self.waited: dict[str, float] = dict.fromkeys(ENDPOINT_CLASSES, 0.0)
        #: How long the first request of a class may keep the others waiting for its answer.
        self._contact_wait = max(2 * pacing.latency, pacing.scale)

    def reserve(self, name: str, now: float) -> float:
        """Take the next slot of ``name``'s bucket; return how long to wait for it (pure)."""
        bucket = self._buckets.get(name)
        return 0.0 if bucket is None else bucket.reserve(now)

    def try_acquire(self, name: str) -> bool:
        """Let a request of class ``name`` go out now if :meth:`acquire` would not wait
        (True), or take nothing (False: then ``await acquire(name)``). The common case costs
        a call, not a coroutine."""
        bucket = self._buckets.get(name)
        if bucket is None:
            return True
        if not bucket.heard or bucket.window_full():
            return False
        if not bucket.take_free(_now()):
            return False
        bucket.inflight += 1
        return True

    async def acquire(self, name: str) -> None:
        """Wait until a request of class ``name`` may go out."""
        bucket = self._buckets.get(name)
        if bucket is None:
            return
        if not bucket.heard:
            await self._first_contact(bucket)
        # A place in the window first, then a slot: the slot then follows the latest answer.
        # Without the server's view (no Remaining/Reset: those names are inferred) the window
        # would only throttle, never learn, so it holds nothing back.
        if bucket.window_full():
            event = anyio.Event()
            bucket.blocked.append(event)
            try:
                await event.wait()
            except BaseException:
                if event in bucket.blocked:
                    bucket.blocked.remove(event)
                else:  # the place handed to us goes to the next one
                    self.finish(name)
                raise
        else:
            bucket.inflight += 1
        delay = bucket.reserve(_now())
        if delay == 0.0:
            return  # the common case: a slot now, and no coroutine made to say so
        try:
            await self._wait_for_slot(name, bucket, delay)
        except BaseException:
            self.finish(name)
            raise

    async def _wait_for_slot(self, name: str, bucket: _Bucket, delay: float) -> None:
        """Sleep ``delay`` until the slot taken of ``bucket`` comes (longer if slots move)."""
        while delay > 0:
            self.waited[name] += delay
            generation, shift = bucket.generation, bucket.shift
            bucket.pending += 1
            try:
                await anyio.sleep(delay)
            finally:
                if bucket.generation == generation:
                    bucket.pending -= 1
            if bucket.generation != generation:  # resized while asleep: a slot of the new size
                delay = bucket.reserve(_now())
            else:  # slots moved later, or a 429 paused the class, while asleep
                delay = max(bucket.shift - shift, bucket.until - _now())
                delay = delay if delay > _EPSILON else 0.0

    def finish(self, name: str) -> None:
        """A request of ``name`` let out by :meth:`acquire` is answered (or failed)."""
        bucket = self._buckets.get(name)
        if bucket is not None and bucket.inflight > 0:
            bucket.inflight -= 1
            if bucket.blocked:
                self._unblock(bucket)

    @staticmethod
    def _unblock(bucket: _Bucket) -> None:
        """Hand the free places of the window to the requests waiting for one, in order."""
        while bucket.blocked and bucket.inflight < bucket.window:
            bucket.inflight += 1
            bucket.blocked.popleft().set()

    async def _first_contact(self, bucket: _Bucket) -> None:
        """Let the first request of a class go alone; the others wait for its answer."""
        if bucket.contact is None:
            bucket.contact = anyio.Event()
            return
        with anyio.move_on_after(self._contact_wait):
            await bucket.contact.wait()
        bucket.heard = True  # answered or not: wait for it only once

    def learn_tier(self, tier: str) -> None:
        """Size every bucket for ``tier`` (from whoami) unless a tier was configured."""
        if self.pacing.tier is not None or tier not in TIER_RPM or tier == self.tier:
            return
        self.tier = tier
        self._size_all(tier, None)

    def observe(self, headers: Mapping[str, str], now: float | None = None) -> None:
        """Follow one answer's ``X-RateLimit-*`` headers for its endpoint class.

        ``Limit`` sizes the bucket; ``Remaining`` (or else ``Reset``, seconds until
        full) defers it when the server is emptier than we think (see :meth:`sync`).
        """
        name = headers.get("x-ratelimit-endpoint-class")
        bucket = self._buckets.get(name) if name is not None else None
        if bucket is None:
            return
        if not bucket.heard:
            bucket.heard = True
            if bucket.contact is not None:
                bucket.contact.set()
        limit = headers.get("x-ratelimit-limit")
        if limit is not None and limit != bucket.limit_text:
            bucket.limit_text = limit
            try:
                rpm = float(limit)
            except ValueError:
                rpm = math.nan
            if rpm >= 1 and math.isfinite(rpm) and rpm != bucket.rpm:
                bucket.size(rpm, self.pacing, now)
        if not bucket.interval:
            return
        remaining, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
        if remaining is None and reset is None:
            return
        try:
            left = None if remaining is None else float(remaining)
            full_in = None if reset is None else float(reset)
        except ValueError:
            return
        self.sync(bucket, _now() if now is None else now, remaining=left, reset=full_in)

    def sync(self, name: str | _Bucket, now: float, *, remaining: float | None = None,
             reset: float | None = None) -> None:
        """Follow the server's view of a shared bucket (pure: ``now`` is given).

        The server's bucket is full at ``now + (limit - remaining) * interval`` (or
        ``now + reset``, scaled, without ``remaining``). When that is later than our
        own view (slots of requests already released), other clients of the key
        took the difference: every slot moves later by it plus the estimate of what
        they take before the next answer, so we send no more than is left to us.
        When our view is later (more conservative), it stays.
        """
        bucket = self._buckets.get(name) if isinstance(name, str) else name
        if bucket is None or not bucket.interval:
            return
        bucket.shared = True
        interval = bucket.interval
        if remaining is not None:
            if not 0 <= remaining <= bucket.rpm:
                return
            server = now + (bucket.rpm - remaining) * interval
        elif reset is not None and 0 <= reset <= 86400:
            server = now + reset * self.pacing.scale
        else:
            return
        released = bucket.tat - bucket.pending * interval
        if released < now:
            released = now
        # Tokens others took since the last answer: the server's view against ours
        # without the lead we gave them; a floored Remaining is up to a token low.
        own = released - bucket.lead
        taken = (server - (own if own > now else now)) / interval - 1.0
        others = bucket.others
        others = taken if taken > others else others - (others - max(taken, 0.0)) * _DECAY
        bucket.others = others
        # The window: one more per answer while others take nothing (slow start), halved
        # when they do, never above what the server has left beyond the margin. A quiet
        # answer never shrinks a window that grew to the margin, though: those tokens are
        # kept back for requests in flight, so a lone client on a fast tier still fills its
        # rate over a slow network once the bucket runs low.
        window = bucket.window / 2 if taken >= 1.0 else bucket.window + 1.0
        cap = remaining - bucket.margin if remaining is not None else bucket.rpm
        keep = min(bucket.window, bucket.margin) if taken < 1.0 and others < 0.5 else 1.0
        bucket.window = max(1.0, keep, min(window, cap))
        if bucket.blocked:
            self._unblock(bucket)
        target = server + others * interval
        if target > released:
            bucket.defer(released, target)
            released = target
        bucket.lead = released - server

    def penalize(self, name: str, retry_after: float | None, now: float) -> None:
        """After a 429 on ``name``: send nothing of that class for ``retry_after`` seconds.

        A pause only: the bucket is neither sized nor emptied, since a stray 429 (a
        proxy's, an injected fault) says nothing of the limit; a real one comes with
        ``X-RateLimit-Remaining``, which :meth:`observe` has already followed.
        """
        bucket = self._buckets.get(name)
        if bucket is None:
            return
        wait = (retry_after if retry_after is not None else 1.0) * self.pacing.scale
        if now + wait > bucket.until:
            bucket.until = now + wait

    def _size_all(self, tier: str, now: float | None) -> None:
        for name, rpm in TIER_RPM[tier].items():
            bucket = self._buckets[name]
            if rpm != bucket.rpm:
                bucket.size(rpm, self.pacing, now)
