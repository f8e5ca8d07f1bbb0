"""Politeness per host: a cap on requests in flight, a minimum interval between request
starts, a host-wide pause (``Retry-After``), and a breaker on repeated blocks or 429s.

A "host" is ``host[:port]`` (``scraper.urls.host_of``). Every request to a host, retries
and redirect hops included, goes through ``HostGate.slot()``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from schemas.errors import BreakerOpen, BreakerTripped


@dataclass
class HostGate:
    """The politeness state of one host."""

    host: str
    max_in_flight: int
    interval: float
    breaker_threshold: int
    in_flight: int = 0
    peak_in_flight: int = 0
    bad_in_a_row: int = 0
    tripped_at: int = 0
    """The streak of refusals that tripped the breaker (0: not tripped). Kept apart from
    ``bad_in_a_row``, which a request already in flight may still reset."""
    pause_until: float = 0.0
    _next_start: float = 0.0
    _last_sent: float = 0.0
    _sem: asyncio.Semaphore = field(init=False)
    _turn: asyncio.Lock = field(init=False)

    def __post_init__(self) -> None:
        self._sem = asyncio.Semaphore(self.max_in_flight)
        self._turn = asyncio.Lock()

    def slow_down_to(self, interval: float) -> None:
        """Use ``interval`` between starts when it is stricter (e.g. robots.txt Crawl-delay),
        counting from the last start already made."""
        if interval <= self.interval:
            return
        self.interval = interval
        self._next_start = max(self._next_start, self._last_sent + interval)

    def pause(self, seconds: float) -> None:
        """Start no request to this host for ``seconds`` (from now)."""
        self.pause_until = max(self.pause_until, time.monotonic() + seconds)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Callable[[], None] | None]:
        """Hold one of the host's in-flight places; entered only when the interval since
        the previous start has passed and no pause is in force.

        Yields ``sent``: call it once the request has gone out on the wire. With an
        interval, the next request's wait counts from that moment (not from leaving this
        gate), so a slow connect cannot squeeze two arrivals closer than the interval.
        It is None when nothing depends on that moment (no interval, and a send already
        seen to count a later Crawl-delay from), so the caller can skip tracing it.
        """
        async with self._sem:
            await self._turn.acquire()
            held = True
            if self.tripped_at:  # not one request more once the breaker has tripped
                self._turn.release()
                raise BreakerOpen(self.host, self.tripped_at)

            def release() -> None:
                nonlocal held
                if held:
                    held = False
                    self._turn.release()

            def sent() -> None:
                now = time.monotonic()
                self._last_sent = max(self._last_sent, now)
                if held:
                    self._next_start = now + self.interval
                release()

            try:
                while True:
                    now = time.monotonic()
                    ready = max(self._next_start, self.pause_until)
                    if ready <= now:
                        break
                    await asyncio.sleep(ready - now)
                if self.interval == 0:
                    release()  # nothing to space out: let the next request through now
                self.in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                wanted = self.interval > 0 or self._last_sent == 0.0
                try:
                    yield sent if wanted else None
                finally:
                    self.in_flight -= 1
            finally:
                if held:
                    self._next_start = time.monotonic() + self.interval
                release()

    def note(self, refused: bool) -> None:
        """Count a response: ``refused`` (a block page or a 429) extends the streak,
        anything else ends it. Raise ``BreakerTripped`` at the threshold."""
        if not refused:
            self.bad_in_a_row = 0
            return
        self.bad_in_a_row += 1
        if self.bad_in_a_row >= self.breaker_threshold:
            self.tripped_at = self.tripped_at or self.bad_in_a_row
            raise BreakerTripped(self.host, self.bad_in_a_row)


class Politeness:
    """The gates of every host seen in a crawl, created on first use."""

    def __init__(self, max_in_flight: int, rate: float, breaker_threshold: int) -> None:
        self.max_in_flight = max_in_flight
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.breaker_threshold = breaker_threshold
        self._gates: dict[str, HostGate] = {}

    def places(self, hosts: int) -> int:
        """Requests the gates may let through at once over ``hosts`` hosts: what a
        connection pool, and a crawl's workers, must be sized for."""
        return self.max_in_flight * max(1, hosts)

    def gate(self, host: str) -> HostGate:
        gate = self._gates.get(host)
        if gate is None:
            gate = HostGate(host, self.max_in_flight, self.interval, self.breaker_threshold)
            self._gates[host] = gate
        return gate


class BreakerNotes:
    """The breaker's notes of one URL's fetch (``fetch_with_retries``'s ``on_response``),
    where a response that comes back to the crawler is judged by it.

    The fetch notes a 429 or a block page as refused at once, and anything else as not
    refused; but a response it returns (a 403, say) is only known to refuse us once the
    crawler has looked at its status. So a "not refused" note is held until the next
    response of the URL, or until the crawler calls ``settle`` with its verdict."""

    __slots__ = ("gate", "_held")

    def __init__(self, gate: HostGate) -> None:
        self.gate = gate
        self._held = False

    def __call__(self, host: str, refused: bool) -> None:
        self.settle(refused=False)
        if refused:
            self.gate.note(True)
        else:
            self._held = True

    def settle(self, *, refused: bool) -> None:
        """Note the held response as ``refused`` or not (may raise ``BreakerTripped``)."""
        if self._held:
            self._held = False
            self.gate.note(refused)
