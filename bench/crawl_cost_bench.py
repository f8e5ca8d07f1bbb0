"""What a crawled page costs beyond a bare GET, item by item, beside the budget the
crawl bench's 70% target leaves.

    .venv/bin/python bench/crawl_cost_bench.py [--pages 2000] [--rounds 5]

At low concurrency the floor of ``bench/crawl_bench.py`` (a bare ``httpx.AsyncClient``
loop) is bound by its one core: its pages per second are one over its CPU time per page.
A crawler on the same core that must reach 70% of that rate may spend at most
``floor * (1 / 0.7 - 1)`` of CPU per page on everything the floor does not do. This
script measures the floor's CPU per page against the bench's demo site, then each piece
of work the crawl must do for a page that the floor does not, on a live-size page:

- hashing the decoded body (``content_sha256``: what says a page is unchanged);
- hashing the wire body twice (the WARC payload and block digests);
- the block-page check (``ComparisonMarkers``);
- writing the page's WARC record (``WarcArchive.write_response``);
- its share of a group commit of 8 pages (``CrawlState.record_many``);
- tenacity around the attempt (``AsyncRetrying``, one attempt that succeeds);
- the host gate (``HostGate.slot``, no interval).

Each is timed alone in a tight loop (CPU time, best of ``--rounds``), so the sum is a lower
bound: the crawl's own bookkeeping (frontier, queue, outcome records, discovery) and the
cost of interleaving it all on one event loop come on top.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET = 0.70
GROUP = 8


def best_ms(work: Callable[[], object], count: int, rounds: int) -> float:
    """CPU ms per call of ``work``: best of ``rounds`` rounds of ``count`` calls."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(count):
            work()
        best = min(best, (time.process_time() - started) / count * 1000)
    return best


def floor_ms(pages: int, concurrency: int, rounds: int) -> tuple[float, float]:
    """(CPU ms per page, pages/s) of the crawl bench's floor, best of ``rounds``."""
    from crawl_bench import Server, floor

    server = Server(pages)
    try:
        server.warm()
        cpu, rate = float("inf"), 0.0
        for _ in range(rounds):
            started = time.process_time()
            rate = max(rate, asyncio.run(floor(server.urls, concurrency)))
            cpu = min(cpu, (time.process_time() - started) / len(server.urls) * 1000)
        return cpu, rate
    finally:
        server.stop()


def costs(rounds: int) -> dict[str, float]:
    from tenacity import AsyncRetrying, stop_after_attempt

    from demosite.generator import generate_page
    from scraper.archive import WarcArchive
    from scraper.crawl import ComparisonMarkers
    from scraper.politeness import HostGate

    html = generate_page(1, 3, pages=2000).html.encode()
    wire = gzip.compress(html, 6)
    wire_sha = hashlib.sha256(wire).hexdigest()
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Encoding", "gzip"),
        ("Content-Length", str(len(wire))),
        ("ETag", '"0123456789abcdef"'),
        ("Last-Modified", "Wed, 25 Nov 2026 10:00:00 GMT"),
    ]
    print(f"live-size page: {len(html):,} bytes decoded, {len(wire):,} on the wire (gzip)")
    result: dict[str, float] = {}

    result["sha256 of the decoded body"] = best_ms(
        lambda: hashlib.sha256(html).digest(), 2000, rounds
    )
    result["sha256 of the wire body, twice"] = 2 * best_ms(
        lambda: hashlib.sha256(wire).digest(), 2000, rounds
    )

    def markers() -> None:
        check = ComparisonMarkers()
        for start in range(0, len(html), 65536):
            check.feed(html[start : start + 65536])
        assert check.ok()

    result["block-page check"] = best_ms(markers, 2000, rounds)

    workdir = Path(tempfile.mkdtemp(prefix="crawl-cost-"))
    try:
        with WarcArchive(workdir / "archive") as archive:

            def warc() -> None:
                archive.write_response(
                    "http://127.0.0.1/a-jobs/a-vs-b-differences/",
                    200,
                    headers,
                    wire,
                    len(wire),
                    wire_sha,
                    reason="OK",
                    extra_warc_headers={"WARC-Careers-Page-Key": "a|b"},
                )

            result["WARC record"] = best_ms(warc, 1000, rounds)
        result["group commit, share of 1 page in 8"] = commit_ms(workdir, rounds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    async def attempt() -> int:
        return 200

    async def tenacity_loop(count: int) -> float:
        started = time.process_time()
        for _ in range(count):
            async for try_ in AsyncRetrying(stop=stop_after_attempt(5), reraise=True):
                with try_:
                    await attempt()
        return (time.process_time() - started) / count * 1000

    result["tenacity around one attempt"] = min(
        asyncio.run(tenacity_loop(2000)) for _ in range(rounds)
    )

    async def gate_loop(count: int) -> float:
        gate = HostGate("127.0.0.1", 2, 0.0, 10)
        started = time.process_time()
        for _ in range(count):
            async with gate.slot():
                pass
        return (time.process_time() - started) / count * 1000

    result["host gate"] = min(asyncio.run(gate_loop(2000)) for _ in range(rounds))
    return result


def commit_ms(workdir: Path, rounds: int) -> float:
    """CPU ms per page of ``record_many`` in groups of ``GROUP`` new pages."""
    from schemas.database import connect
    from scraper.frontier import CrawlState, FetchRecord

    conn = connect(workdir / "careers.db")
    try:
        state = CrawlState(conn)
        state.open_run(fresh=True, command="bench", base_url="http://127.0.0.1/")
        pages = GROUP * 100 * rounds
        state.add(
            (f"http://127.0.0.1/r{i}-jobs/r{i}-vs-s{i}-differences/", "sitemap", 0)
            for i in range(pages)
        )
        items = []
        cursor = 0
        while batch := state.pending_after(cursor, 256):
            items.extend(batch)
            cursor = batch[-1].rowid
        best = float("inf")
        for r in range(rounds):
            chunk = items[r * GROUP * 100 : (r + 1) * GROUP * 100]
            started = time.process_time()
            for start in range(0, len(chunk), GROUP):
                state.record_many(
                    [
                        (
                            item,
                            FetchRecord(
                                "new",
                                item.url,
                                status=200,
                                bytes=23_000,
                                elapsed_ms=3,
                                etag='"0123456789abcdef"',
                                last_modified="Wed, 25 Nov 2026",
                                content_sha256="ab" * 32,
                                warc_file="x.warc.gz",
                                warc_offset=start,
                            ),
                            {"new": 1, "fetched": 1, "bytes": 23_000, "retried": 0},
                            [],
                        )
                        for item in chunk[start : start + GROUP]
                    ]
                )
            best = min(best, (time.process_time() - started) / len(chunk) * 1000)
        return best
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=2)
    args = ap.parse_args()
    print(f"crawl cost bench: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    cpu, rate = floor_ms(args.pages, args.concurrency, args.rounds)
    budget = cpu * (1 / TARGET - 1)
    print(
        f"floor at {args.concurrency} in flight: {rate:.0f} pages/s, {cpu:.3f} ms CPU a page "
        f"-> budget for {TARGET:.0%}: {budget:.3f} ms a page on top"
    )
    items = costs(args.rounds)
    width = max(len(name) for name in items)
    for name, ms in items.items():
        print(f"  {name:<{width}}  {ms:.3f} ms")
    total = sum(items.values())
    verdict = "within" if total <= budget else "over"
    print(
        f"  {'sum (a lower bound)':<{width}}  {total:.3f} ms: "
        f"{total / budget:.0%} of the budget, {verdict} it"
    )


if __name__ == "__main__":
    main()
