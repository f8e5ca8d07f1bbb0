"""Where the loader's pages come from: bodies stored in the WARC archive, parsed in a
process pool, or records read from JSON lines. Either way a page arrives as a ``Parsed``:
its rows (``schemas.rows.PageRows``) or the reason it has none.

Parsing is CPU-bound; loading is one SQLite writer. ``parsed_pages`` reads the fetch log
lazily, sends chunks of archive references to the workers and yields the results in
fetch order, with at most ``ahead`` pages in flight, so memory stays flat however many
pages there are (``Pool.imap`` would read its whole input ahead and queue every result
the loader has not taken yet). ``ahead`` must exceed the loader's batch: the pool is only
fed while the loader pulls pages, so the work in flight is what keeps the workers busy
while a batch is written. The pool is sized to the work: no worker process for fewer
than ``POOL_MIN_PAGES`` pages, and workers are started as chunks wait for them (the
pool starts them on demand), up to ``workers``.

No worker outlives its run, and none holds what the run holds: workers are started with
``spawn`` (a fresh interpreter, exec'd, with none of the run's open files: the run lock's
file description, the database and its WAL stay the run's alone, so a killed run frees
the lock at once), import only ``scraper.stored_pages`` and die with their parent
(``scraper.processes``). They start when the first chunks wait for them and end with the
pool, so nothing of the pool is left while the run exports and reports (a fork server
would stay for the rest of the process).
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

from pipeline.exitcodes import interrupts_deferred
from schemas.records import ComparisonRecord
from schemas.rows import PageRows, page_rows
from scraper.processes import worker_init
from scraper.stored_pages import Outcome, StoredPage, parse_chunk
from scraper.urls import record_place
from store.crawl_records import FetchRef
from store.db import chunks

CHUNK = 16
"""Pages per task sent to a worker."""
POOL_MIN_PAGES = 4 * CHUNK
"""Fewer pages than this are parsed in the loader's own process: a pool costs more."""
@dataclass
class Parsed:
    """One page's parse outcome: its rows, or the reason there are none."""

    rows: PageRows | None
    fetch: FetchRef | None = None
    error_kind: str | None = None
    error_message: str | None = None
    url: str | None = None
    charset: str | None = None
    """The codec a stored body was decoded with (None for records read from JSON lines)."""


def from_record(record: ComparisonRecord) -> Parsed:
    """A record read without a fetch (``careers load FILE.jsonl``, tests)."""
    slugs = (record.role_a.slug, record.role_b.slug)
    return Parsed(page_rows(record, *record_place(record.url, None, slugs)))


def loadable_fetches(
    conn: sqlite3.Connection, reparse: bool = False, page: int = 500
) -> Iterator[FetchRef]:
    """Fetches whose body is waiting to be loaded, in fetch order; with ``reparse``, every
    fetch that has a stored body and was ever queued for loading.

    Read in keyset pages so the loader can update ``fetches`` between them.
    """
    where = "load_state IS NOT NULL" if reparse else "load_state = 'pending'"
    last = 0
    while True:
        rows = conn.execute(
            "SELECT fetch_id, url, fetched_at, run_id, warc_file, warc_offset FROM fetches "
            f"WHERE {where} AND warc_file IS NOT NULL AND fetch_id > ? "
            "ORDER BY fetch_id LIMIT ?",
            (last, page),
        ).fetchall()
        if not rows:
            return
        for row in rows:
            yield FetchRef(*row)
        last = rows[-1][0]


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parse_pool(workers: int) -> ProcessPoolExecutor:
    """Up to ``workers`` parse workers, spawned on demand, each dying
    with this process."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=worker_init,
        initargs=(os.getpid(),),
    )


def _stored(chunk: list[FetchRef]) -> list[StoredPage]:
    return [StoredPage(f.url, f.warc_file or "", f.warc_offset or 0) for f in chunk]


def _pages(chunk: list[FetchRef], outcomes: list[Outcome]) -> Iterator[Parsed]:
    for fetch, (rows, kind, message, charset) in zip(chunk, outcomes, strict=True):
        yield Parsed(rows, fetch, kind, message, fetch.url, charset)


def _in_process(chunks_of: Iterable[list[FetchRef]], archive_dir: Path) -> Iterator[Parsed]:
    for chunk in chunks_of:
        yield from _pages(chunk, parse_chunk(archive_dir, _stored(chunk)))


def parsed_pages(
    fetches: Iterable[FetchRef],
    archive_dir: Path,
    workers: int | None = None,
    ahead: int = 512,
) -> Iterator[Parsed]:
    """Each fetch's parse outcome, in the order of ``fetches``."""
    workers = workers or default_workers()
    window = max(2 * workers, -(-ahead // CHUNK))
    pending = chunks(fetches, CHUNK)
    head = list(islice(pending, POOL_MIN_PAGES // CHUNK))
    if workers <= 1 or sum(map(len, head)) < POOL_MIN_PAGES:
        yield from _in_process(head, archive_dir)
        yield from _in_process(pending, archive_dir)
        return
    in_flight: deque[tuple[list[FetchRef], Future[list[Outcome]]]] = deque()
    pool = parse_pool(workers)
    try:
        for chunk in chain(head, pending):
            # a submit may start a worker: never leave one half-started, unreaped
            with interrupts_deferred():
                future = pool.submit(parse_chunk, archive_dir, _stored(chunk))
            in_flight.append((chunk, future))
            if len(in_flight) >= window:
                done, future = in_flight.popleft()
                yield from _pages(done, future.result())
        while in_flight:
            done, future = in_flight.popleft()
            yield from _pages(done, future.result())
    finally:  # interrupted or abandoned: drop the queued chunks, not wait for them
        pool.shutdown(wait=True, cancel_futures=True)
