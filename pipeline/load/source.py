"""Where the loader's pages come from: bodies stored in the WARC archive, parsed here and
by worker processes, or records read from JSON lines. Either way a page arrives as a
``Parsed``: its rows (``schemas.rows.PageRows``) or the reason it has none.

Parsing is CPU-bound; loading is one SQLite writer. ``parsed_pages`` reads the fetch log
lazily, sends chunks of archive references to the workers and yields the results in
fetch order, with at most ``ahead`` pages in flight, so memory stays flat however many
pages there are (``Pool.imap`` would read its whole input ahead and queue every result
the loader has not taken yet). ``ahead`` must exceed the loader's batch: the pool is only
fed while the loader pulls pages, so the work in flight is what keeps the workers busy
while a batch is written.

``workers`` parse processes share the work, and the loader's own process is one of them:
it parses every ``workers``-th chunk itself when the loader reaches it, while the
``workers - 1`` spawned workers work through the chunks queued after it. A worker is a
whole interpreter, the largest part of a small machine's footprint; the loader's
process has the parser loaded already and is idle while it waits for results. No
worker is started for fewer than ``POOL_MIN_PAGES`` pages, and workers are started as
chunks wait for them, up to ``workers - 1``.

No worker outlives its run, and none holds what the run holds (``pipeline.load.pool``:
exec'd interpreters with none of the run's open files, so a killed run frees the lock at
once; they import only the parser and the record models, and die with their parent).
They end with the pool, so nothing of it is left while the run exports and reports.
"""

from __future__ import annotations

import os
import sqlite3
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

from pipeline.load.pool import ParsePool, ParseWorker
from schemas.records import ComparisonRecord
from schemas.rows import PageRows, page_rows
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


def _stored(chunk: list[FetchRef]) -> list[StoredPage]:
    return [StoredPage(f.url, f.warc_file or "", f.warc_offset or 0) for f in chunk]


def _pages(chunk: list[FetchRef], outcomes: list[Outcome]) -> Iterator[Parsed]:
    for fetch, (rows, kind, message, charset) in zip(chunk, outcomes, strict=True):
        yield Parsed(rows, fetch, kind, message, fetch.url, charset)


def _outcomes(
    chunk: list[FetchRef], worker: ParseWorker | None, archive_dir: Path
) -> Iterator[Parsed]:
    """A chunk's pages: a worker's results, or (``worker`` None) parsed here and now."""
    outcomes = parse_chunk(archive_dir, _stored(chunk)) if worker is None else worker.results()
    yield from _pages(chunk, outcomes)


def parsed_pages(
    fetches: Iterable[FetchRef],
    archive_dir: Path,
    workers: int | None = None,
    ahead: int = 512,
) -> Iterator[Parsed]:
    """Each fetch's parse outcome, in the order of ``fetches``, parsed by ``workers``
    processes (default: one per core), this one included."""
    workers = workers or default_workers()
    window = max(2 * workers, -(-ahead // CHUNK))
    pending = chunks(fetches, CHUNK)
    head = list(islice(pending, POOL_MIN_PAGES // CHUNK))
    if workers <= 1 or sum(map(len, head)) < POOL_MIN_PAGES:
        for chunk in chain(head, pending):
            yield from _outcomes(chunk, None, archive_dir)
        return
    in_flight: deque[tuple[list[FetchRef], ParseWorker | None]] = deque()
    pool = ParsePool(workers - 1)
    finished = False
    try:
        for index, chunk in enumerate(chain(head, pending)):
            worker = None
            if slot := index % workers:  # chunks 0, workers, 2 * workers, ... are ours
                worker = pool.worker(slot - 1)
                worker.send(archive_dir, _stored(chunk))
            in_flight.append((chunk, worker))
            if len(in_flight) >= window:
                yield from _outcomes(*in_flight.popleft(), archive_dir)
        while in_flight:
            yield from _outcomes(*in_flight.popleft(), archive_dir)
        finished = True
    finally:  # interrupted, failed or abandoned: the workers' answers are not wanted
        pool.close(abandon=not finished)
