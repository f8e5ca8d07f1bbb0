"""Parse stored pages in a process pool and hand the records to the single loader in order.

Parsing is CPU-bound; loading is one SQLite writer. ``parsed_pages`` reads the fetch log
lazily, sends chunks of archive references to ``workers`` processes and yields the
results in fetch order, with at most ``ahead`` pages in flight, so memory stays flat
however many pages there are (``Pool.imap`` would read its whole input ahead and queue
every result the loader has not taken yet). ``ahead`` must exceed the loader's batch:
the pool is only fed while the loader pulls pages, so the work in flight is what keeps
the workers busy while a batch is written.

No worker outlives its run. Workers are forked by a ``forkserver`` (``worker_context``),
a clean process started without the run's open files: none of them ever shares the run
lock's open file description, the database or its WAL, so a killed run frees the lock at
once. Each worker also dies with its parent (``PR_SET_PDEATHSIG`` on Linux, and a thread
polling ``os.getppid()`` everywhere). The fork server imports the parser once
(``PRELOAD``, about 0.2 s, while the run opens the database), so a worker starts in a few
milliseconds; ``spawn`` would pay those imports in every worker.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import sqlite3
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext
from pathlib import Path

from pipeline.exitcodes import interrupts_deferred
from pipeline.load import FetchRef, Parsed, batched
from pipeline.lock import pid_alive
from schemas.records import ComparisonRecord

CHUNK = 16
"""Pages per task sent to a worker."""
PRELOAD = ("pipeline.reparse", "scraper.document", "scraper.archive")
"""What the fork server imports once for every worker it forks."""
PARENT_POLL_SECONDS = 0.2
"""How often a worker checks that its parent is still there (where prctl is missing)."""
_PR_SET_PDEATHSIG = 1
_Outcome = tuple[ComparisonRecord | None, str | None, str | None, str | None]
"""``(record, error kind, error message, charset)`` of one stored page."""
_Sent = tuple[str | None, str | None, str | None, str | None]


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
    """Read one stored body, decode it by the ``Content-Type`` it was served with, and
    parse it; failures come back as ``(None, kind, message, None)``."""
    from scraper.archive import ArchiveError, read_page
    from scraper.document import parse_body
    from scraper.parse import ParseError

    try:
        page = read_page(archive_dir, fetch.warc_file or "", fetch.warc_offset or 0)
    except ArchiveError as exc:
        return None, "archive_unreadable", str(exc), None
    try:
        parsed = parse_body(page.body, fetch.url, page.content_type)
    except ParseError as exc:
        return None, str(getattr(exc, "kind", "error")), str(exc), None
    except Exception as exc:  # a parser bug must not stop the load; --reparse retries it
        return None, "parser_crash", f"{type(exc).__name__}: {exc}", None
    return parsed.record, None, None, parsed.charset


def _parse_chunk(archive_dir: Path, chunk: list[FetchRef]) -> list[_Outcome]:
    return [parse_stored(archive_dir, fetch) for fetch in chunk]


def _parse_chunk_as_json(archive_dir: Path, chunk: list[FetchRef]) -> list[_Sent]:
    """In a worker: records travel back as JSON, which the loader's process validates
    faster than it unpickles a pydantic model."""
    return [
        (record.model_dump_json() if record else None, kind, message, charset)
        for record, kind, message, charset in _parse_chunk(archive_dir, chunk)
    ]


def _received(sent: list[_Sent]) -> list[_Outcome]:
    return [
        (ComparisonRecord.model_validate_json(text) if text else None, kind, message, charset)
        for text, kind, message, charset in sent
    ]


def _pages(chunk: list[FetchRef], outcomes: list[_Outcome]) -> Iterator[Parsed]:
    for fetch, (record, kind, message, charset) in zip(chunk, outcomes, strict=True):
        yield Parsed(record, fetch, kind, message, fetch.url, charset)


def worker_context() -> BaseContext:
    """The multiprocessing context of the parse workers: a fork server preloaded with the
    parser. Call ``start_worker_server`` before taking the run lock."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    return context


def start_worker_server(workers: int | None = None) -> None:
    """Start the fork server now (it forks every parse worker later), so it is made
    before the run lock is taken and has none of the run's open files; a no-op for one
    worker, or when it already runs."""
    if (workers or default_workers()) > 1:
        worker_context()
        multiprocessing.forkserver.ensure_running()


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent exits."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # no libc prctl: the polling thread does it
        pass


def _watch_parent(parent: int, owner: int) -> None:
    while os.getppid() == parent and pid_alive(owner):
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def _worker_init(owner: int) -> None:
    """In each parse worker, before its first task: leave Ctrl-C to the run (the
    terminal sends it to every process), and exit as soon as the parent (the fork
    server) or the run's process ``owner`` is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    parent = os.getppid()
    if parent == 1 or not pid_alive(owner):  # gone before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent, owner), daemon=True).start()


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
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=worker_context(),
        initializer=_worker_init,
        initargs=(os.getpid(),),
    )
    try:
        for chunk in batched(fetches, CHUNK):
            # a submit may start a worker: never leave one half-started, unreaped
            with interrupts_deferred():
                future = pool.submit(_parse_chunk_as_json, archive_dir, chunk)
            in_flight.append((chunk, future))
            if len(in_flight) >= window:
                done, future = in_flight.popleft()
                yield from _pages(done, _received(future.result()))
        while in_flight:
            done, future = in_flight.popleft()
            yield from _pages(done, _received(future.result()))
    finally:  # interrupted or abandoned: drop the queued chunks, not wait for them
        pool.shutdown(wait=True, cancel_futures=True)
