"""Parse stored pages in a process pool and hand the records to the single loader in order.

Parsing is CPU-bound; loading is one SQLite writer. ``parsed_pages`` reads the fetch log
lazily, sends chunks of archive references to ``workers`` processes and yields the
results in fetch order, with at most ``ahead`` pages in flight, so memory stays flat
however many pages there are (``Pool.imap`` would read its whole input ahead and queue
every result the loader has not taken yet). ``ahead`` must exceed the loader's batch:
the pool is only fed while the loader pulls pages, so the work in flight is what keeps
the workers busy while a batch is written.
"""

from __future__ import annotations

import os
import sqlite3
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from pipeline.load import FetchRef, Parsed, batched
from schemas.records import ComparisonRecord

CHUNK = 16
"""Pages per task sent to a worker."""
_Outcome = tuple[ComparisonRecord | None, str | None, str | None]
_Sent = tuple[str | None, str | None, str | None]


def stored_fetches(
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


def parse_stored(archive_dir: Path, fetch: FetchRef) -> _Outcome:
    """Read one stored body and parse it; failures come back as ``(None, kind, message)``."""
    from scraper.archive import ArchiveError, read_body
    from scraper.parse import ParseError, parse_page

    try:
        body = read_body(archive_dir, fetch.warc_file or "", fetch.warc_offset or 0)
    except ArchiveError as exc:
        return None, "archive_unreadable", str(exc)
    try:
        return parse_page(body.decode("utf-8", errors="replace"), url=fetch.url), None, None
    except ParseError as exc:
        return None, str(getattr(exc, "kind", "error")), str(exc)
    except Exception as exc:  # a parser bug must not stop the load; --reparse retries it
        return None, "parser_crash", f"{type(exc).__name__}: {exc}"


def _parse_chunk(archive_dir: Path, chunk: list[FetchRef]) -> list[_Outcome]:
    return [parse_stored(archive_dir, fetch) for fetch in chunk]


def _parse_chunk_as_json(archive_dir: Path, chunk: list[FetchRef]) -> list[_Sent]:
    """In a worker: records travel back as JSON, which the loader's process validates
    faster than it unpickles a pydantic model."""
    return [
        (record.model_dump_json() if record else None, kind, message)
        for record, kind, message in _parse_chunk(archive_dir, chunk)
    ]


def _received(sent: list[_Sent]) -> list[_Outcome]:
    return [
        (ComparisonRecord.model_validate_json(text) if text else None, kind, message)
        for text, kind, message in sent
    ]


def _pages(chunk: list[FetchRef], outcomes: list[_Outcome]) -> Iterator[Parsed]:
    for fetch, (record, kind, message) in zip(chunk, outcomes, strict=True):
        yield Parsed(record, fetch, kind, message, fetch.url)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parsed_pages(
    fetches: Iterable[FetchRef],
    archive_dir: Path,
    workers: int | None = None,
    ahead: int = 512,
) -> Iterator[Parsed]:
    """Each fetch's parse outcome, in the order of ``fetches``."""
    workers = workers or default_workers()
    window = max(2 * workers, -(-ahead // CHUNK))
    if workers <= 1:
        for chunk in batched(fetches, CHUNK):
            yield from _pages(chunk, _parse_chunk(archive_dir, chunk))
        return
    in_flight: deque[tuple[list[FetchRef], Future[list[_Sent]]]] = deque()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for chunk in batched(fetches, CHUNK):
            in_flight.append((chunk, pool.submit(_parse_chunk_as_json, archive_dir, chunk)))
            if len(in_flight) >= window:
                done, future = in_flight.popleft()
                yield from _pages(done, _received(future.result()))
        while in_flight:
            done, future = in_flight.popleft()
            yield from _pages(done, _received(future.result()))
