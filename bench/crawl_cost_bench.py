"""What a crawled page costs beyond a bare GET, item by item, beside the budget that the
crawl bench's 70% target leaves.

    .venv/bin/python bench/crawl_cost_bench.py [--pages 2000] [--rounds 3] [--concurrency 2]

At low concurrency the floor of ``bench/crawl_bench.py`` (a bare ``httpx.AsyncClient``
loop) is bound by its one core: its pages per second are one over its CPU time per page.
A crawler on one core that is to reach 70% of that rate may spend at most
``floor * (1 / 0.7 - 1)`` of CPU per page on everything the floor does not do.

This script measures the floor's CPU per page against the bench's demo site, then crawls
the same pages (``scraper.crawl.crawl``, a fresh database and archive each round) with
the work that any crawl meeting the issue must do timed where it runs, inside the crawl:

- hashing the decoded body (``content_sha256``, which says a page is unchanged) and the
  wire body (the WARC payload digest), as the fetch layer streams it;
- the block-page check (``ComparisonCheck``: made, fed and asked, per page);
- writing the page's WARC record;
- recording its rows (its share of the group commits);
- discovery (robots.txt, the sitemaps, the frontier), spread over the pages.

Tenacity around an attempt and the host gate run across awaits, where CPU time cannot be
told apart from other tasks', so they are timed alone in a tight loop. Each item is CPU
time (``time.thread_time``), best of ``--rounds``. What is left of the crawler's CPU over
the floor is its own bookkeeping (frontier, queue, outcomes, counters) and the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET = 0.70
HASHING = "hashing the decoded and the wire body"


class _Clock:
    """CPU time of this thread spent inside the wrapped calls, by item."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def wrap(self, owner: Any, name: str, item: str) -> None:
        original = getattr(owner, name)
        spent = self.spent

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[item] = spent.get(item, 0.0) + time.thread_time() - started

        self.replace(owner, name, timed)

    def replace(self, owner: Any, name: str, value: Any) -> None:
        self._undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    @contextmanager
    def installed(self) -> Iterator[_Clock]:
        self._undo: list[tuple[Any, str, Any]] = []
        try:
            yield self
        finally:
            for owner, name, original in reversed(self._undo):
                setattr(owner, name, original)


class _TimedSha256:
    """``hashlib.sha256`` as the fetch layer sees it, with ``update`` timed."""

    def __init__(self, spent: dict[str, float], *data: bytes) -> None:
        self._hash = hashlib.sha256(*data)
        self._spent = spent

    def update(self, data: bytes) -> None:
        started = time.thread_time()
        self._hash.update(data)
        self._spent[HASHING] = self._spent.get(HASHING, 0.0) + time.thread_time() - started

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


class _Discovery:
    """Discovery's CPU: from robots.txt fetched (the crawl's first request) to the first
    batch of pages asked of the frontier. What it spent hashing the sitemaps is moved out
    of the hashing item (which is about the pages)."""

    DISCOVERY = "discovery (robots.txt, sitemaps, frontier)"

    def __init__(self, spent: dict[str, float]) -> None:
        self._spent = spent
        self._started: float | None = None
        self._hashing = 0.0
        self._done = False

    def start(self) -> None:
        if self._started is None:
            self._hashing = self._spent.get(HASHING, 0.0)
            self._started = time.thread_time()

    def stop(self) -> None:
        if self._started is not None and not self._done:
            self._done = True
            self._spent[self.DISCOVERY] = time.thread_time() - self._started
            self._spent[HASHING] = self._hashing


def floor_cpu(urls: list[str], concurrency: int, rounds: int) -> tuple[float, float]:
    """(CPU ms per page, best pages/s) of the crawl bench's floor."""
    from crawl_bench import floor

    cpu, rate = float("inf"), 0.0
    for _ in range(rounds):
        started = time.thread_time()
        rate = max(rate, asyncio.run(floor(urls, concurrency)))
        cpu = min(cpu, (time.thread_time() - started) / len(urls) * 1000)
    return cpu, rate


def crawl_costs(
    base_url: str, concurrency: int, rounds: int
) -> tuple[float, float, dict[str, float]]:
    """(CPU ms per page, best pages/s, {item: CPU ms per page}) of instrumented crawls,
    from the round with the least CPU per page."""
    best_cpu, best_rate, best_items = float("inf"), 0.0, dict[str, float]()
    for _ in range(rounds):
        cpu, elapsed, pages, spent = instrumented_crawl(base_url, concurrency)
        best_rate = max(best_rate, pages / elapsed)
        if cpu / pages * 1000 < best_cpu:
            best_cpu = cpu / pages * 1000
            best_items = {k: v / pages * 1000 for k, v in spent.items()}
    return best_cpu, best_rate, best_items


def instrumented_crawl(
    base_url: str, concurrency: int
) -> tuple[float, float, int, dict[str, float]]:
    """One crawl on a fresh database and archive: (CPU s, wall s, pages, {item: CPU s})."""
    from crawl_bench import crawl_settings

    import scraper.http
    import scraper.robots_cache
    from scraper.archive import WarcArchive
    from scraper.blockpage import ComparisonCheck
    from scraper.crawl import crawl
    from store.crawl_state import CrawlState

    clock = _Clock()
    workdir = Path(tempfile.mkdtemp(prefix="crawl-cost-"))
    settings = crawl_settings(base_url, concurrency, workdir)
    discovery = _Discovery(clock.spent)
    fetch_robots = scraper.robots_cache.fetch_robots
    pending_after = CrawlState.pending_after

    async def robots_then_discovery(*args: Any, **kwargs: Any) -> Any:
        robots = await fetch_robots(*args, **kwargs)
        discovery.start()
        return robots

    def first_pages_end_discovery(self: CrawlState, *args: Any, **kwargs: Any) -> Any:
        discovery.stop()
        return pending_after(self, *args, **kwargs)

    def sha256(*data: bytes) -> _TimedSha256:
        return _TimedSha256(clock.spent, *data)

    try:
        with clock.installed():
            for method in ("__init__", "feed", "ok"):
                clock.wrap(ComparisonCheck, method, "block-page check")
            clock.wrap(WarcArchive, "write_response", "WARC record")
            clock.wrap(CrawlState, "record_many", "recording the rows (group commits)")
            clock.replace(scraper.http, "hashlib", type("hashlib", (), {"sha256": sha256}))
            clock.replace(scraper.robots_cache, "fetch_robots", robots_then_discovery)
            clock.replace(CrawlState, "pending_after", first_pages_end_discovery)
            started, wall = time.thread_time(), time.perf_counter()
            report = crawl(settings, progress=False)
            cpu, elapsed = time.thread_time() - started, time.perf_counter() - wall
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return cpu, elapsed, report.counters["fetched"], clock.spent


def alone(rounds: int) -> dict[str, float]:
    from tenacity import AsyncRetrying, stop_after_attempt

    from scraper.politeness import HostGate

    async def attempt() -> int:
        return 200

    async def tenacity_loop(count: int) -> float:
        started = time.thread_time()
        for _ in range(count):
            async for try_ in AsyncRetrying(stop=stop_after_attempt(5), reraise=True):
                with try_:
                    await attempt()
        return (time.thread_time() - started) / count * 1000

    async def gate_loop(count: int) -> float:
        gate = HostGate("127.0.0.1", 2, 0.0, 10)
        started = time.thread_time()
        for _ in range(count):
            async with gate.slot():
                pass
        return (time.thread_time() - started) / count * 1000

    best: Callable[[Callable[[int], Any]], float] = lambda loop: min(  # noqa: E731
        asyncio.run(loop(2000)) for _ in range(rounds)
    )
    return {"tenacity around one attempt": best(tenacity_loop), "host gate": best(gate_loop)}


def main() -> None:
    import argparse

    from crawl_bench import Server

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=2)
    args = ap.parse_args()
    c = args.concurrency
    python = sys.version.split()[0]
    print(f"crawl cost bench: {os.cpu_count()} cores, Python {python}, {c} in flight")
    server = Server(args.pages)
    try:
        server.warm()
        floor, floor_rate = floor_cpu(server.urls, c, args.rounds)
        crawler, crawl_rate, inside = crawl_costs(server.base_url, c, args.rounds)
    finally:
        server.stop()
    budget = floor * (1 / TARGET - 1)
    print(f"floor:   {floor_rate:5.0f} pages/s, {floor:.3f} ms CPU a page")
    print(f"budget for {TARGET:.0%} of the floor: {budget:.3f} ms a page on top of it")
    print(
        f"crawler: {crawl_rate:5.0f} pages/s, {crawler:.3f} ms CPU a page "
        f"({crawler - floor:+.3f} over the floor)"
    )
    items = {**inside, **alone(args.rounds)}
    width = max(len(name) for name in items)
    print("required work, per page (first five timed inside the crawl, the rest alone):")
    for name, ms in items.items():
        print(f"  {name:<{width}}  {ms:.3f} ms")
    total = sum(items.values())
    print(f"  {'sum':<{width}}  {total:.3f} ms = {total / budget:.0%} of the budget")
    rest = crawler - floor - total
    print(f"  {'left over: bookkeeping, event loop':<{width}}  {rest:.3f} ms")


if __name__ == "__main__":
    main()
