"""Rows the pipeline writes, written for tests through the storage layer (``store/``), so
no test copies the crawler's or the loader's SQL: a run, a crawl's frontier and fetch log,
a page the parser refused, a stored observation.

The store stamps rows with the clock and names runs itself; a test needs fixed names and
times, so these helpers pin both while they call it (``pinned``).
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

import store.runs
from schemas.columns import COUNTERS, FIGURE_COLUMNS
from scraper.urls import page_key
from store.comparisons import OBSERVATION_COLUMNS, Comparison, Rows, write_rows
from store.crawl_records import FetchRecord, FrontierItem
from store.crawl_state import CrawlState, mark_loaded
from store.db import transaction
from store.issues import ISSUE_COLUMNS, add_issues

__all__ = [
    "FetchRecord",
    "add_fetch",
    "add_fetches",
    "add_issue",
    "add_observation",
    "add_refused",
    "add_run",
    "crawl_state",
    "finish_run",
    "mark_loaded_as",
    "pinned",
    "settle_gone",
]


@contextmanager
def pinned(at: str, run_id: str | None = None) -> Iterator[None]:
    """While the block runs, the store's clock says ``at`` (in every ``store`` module that
    reads it) and a new run is ``run_id``."""
    clocks = [m for name, m in list(sys.modules.items()) if name.startswith("store.")]
    with ExitStack() as stack:
        for module in clocks:
            if getattr(module, "utc_now", None) is not None:
                stack.enter_context(mock.patch.object(module, "utc_now", lambda: at))
        stack.enter_context(
            mock.patch.object(store.runs, "new_run_id", lambda now=None: run_id or "run")
        )
        yield


def add_run(
    conn: sqlite3.Connection,
    run_id: str,
    at: str,
    command: str = "crawl",
    base_url: str | None = None,
    *,
    counters: Mapping[str, int] | None = None,
    complete: bool | None = None,
    finished_at: str | None = None,
    exit_code: int = 0,
) -> str:
    """Start run ``run_id`` at ``at`` (``store.runs.start_run``: every other unfinished
    run is closed, as a new run closes them); with ``finished_at``, finish it there."""
    with transaction(conn), pinned(at, run_id):
        store.runs.start_run(conn, command, base_url)
        if counters:
            store.runs.set_counters(conn, run_id, counters)
        if complete is not None:
            store.runs.mark_complete(conn, run_id, complete)
    if finished_at is not None:
        finish_run(conn, run_id, finished_at, exit_code)
    return run_id


def finish_run(conn: sqlite3.Connection, run_id: str, at: str, exit_code: int = 0) -> None:
    with transaction(conn), pinned(at):
        store.runs.finish_run(conn, run_id, exit_code)


def crawl_state(conn: sqlite3.Connection, run_id: str) -> CrawlState:
    """The crawl state of an existing run, its counters as stored (so what it adds to
    them adds to the run's, as a resumed crawl's do)."""
    state = CrawlState(conn)
    state.run_id = run_id
    row = conn.execute(f"SELECT {', '.join(COUNTERS)} FROM runs WHERE run_id = ?", (run_id,))
    state.counters = dict(zip(COUNTERS, (int(v) for v in row.fetchone()), strict=True))
    return state


def add_fetches(
    conn: sqlite3.Connection,
    run_id: str,
    at: str,
    fetches: Iterable[FetchRecord],
    *,
    counted: bool = False,
) -> list[int]:
    """Log ``fetches`` in run ``run_id`` at ``at`` as the crawler does
    (``CrawlState.record_many``: the ``fetches`` rows, each URL's ``url_state``, the
    frontier row marked done if the run queued the URL). With ``counted`` the run's
    counters move as the crawl's do (the outcome, ``fetched`` for an answer); otherwise
    they are left alone. Returns the new ``fetch_id``s, in order."""
    records = list(fetches)
    pages = [
        (
            FrontierItem(0, page_key(f.url), f.url, 0),
            f,
            {f.outcome: 1, "fetched": int(f.status is not None)} if counted else {},
            (),
        )
        for f in records
    ]
    before = conn.execute("SELECT coalesce(max(fetch_id), 0) FROM fetches").fetchone()[0]
    with pinned(at):
        crawl_state(conn, run_id).record_many(pages)
    ids = conn.execute(
        "SELECT fetch_id FROM fetches WHERE fetch_id > ? ORDER BY fetch_id", (before,)
    ).fetchall()
    assert len(ids) == len(records)
    return [int(r[0]) for r in ids]


def add_fetch(
    conn: sqlite3.Connection,
    run_id: str,
    at: str,
    url: str,
    outcome: str,
    status: int | None,
    attempts: int = 1,
    **fields: Any,
) -> int:
    """One fetch log row (``add_fetches``); ``fields`` are the other ``FetchRecord`` fields."""
    record = FetchRecord(outcome, url, status=status, attempts=attempts, **fields)
    return add_fetches(conn, run_id, at, [record])[0]


def mark_loaded_as(conn: sqlite3.Connection, state: str, at: str, fetch_ids: Iterable[int]) -> None:
    """Give fetches the ``load_state`` a load leaves (``store.crawl_state.mark_loaded``)."""
    with transaction(conn):
        mark_loaded(conn, [(state, at, None, fetch_id) for fetch_id in fetch_ids])


def settle_gone(conn: sqlite3.Connection, run_id: str, at: str, max_fraction: float = 1.0) -> None:
    """What a crawl decides at its end about the pages that answered 404/410
    (``CrawlState.settle_gone``; by default the gone guard lets it mark them all)."""
    with pinned(at):
        crawl_state(conn, run_id).settle_gone(max_fraction)


def add_issue(conn: sqlite3.Connection, **fields: Any) -> None:
    """One ``parse_issues`` row (``store.issues.add_issues``); ``fields`` by column name,
    ``known`` 0 unless given."""
    unknown = set(fields) - set(ISSUE_COLUMNS)
    assert not unknown, f"not issue columns: {sorted(unknown)}"
    values = {"known": 0, **fields}
    with transaction(conn):
        add_issues(conn, [tuple(values.get(c) for c in ISSUE_COLUMNS)])


def add_refused(
    conn: sqlite3.Connection,
    run_id: str,
    at: str,
    url: str,
    kind: str,
    message: str,
    *,
    outcome: str = "changed",
    warc_file: str = "a.warc.gz",
    warc_offset: int = 0,
) -> int:
    """A body of page ``url`` fetched in run ``run_id`` that the parser refused, as the
    crawl and then the loader record it: a fetch log row with a stored body, marked
    ``failed``, and its ``parse_<kind>`` issue. Returns its ``fetch_id``."""
    fetch_id = add_fetch(
        conn, run_id, at, url, outcome, 200, warc_file=warc_file, warc_offset=warc_offset
    )
    mark_loaded_as(conn, "failed", at, [fetch_id])
    add_issue(
        conn, url=url, run_id=run_id, fetch_id=fetch_id, kind=kind, message=message, created_at=at
    )
    return fetch_id


def add_observation(
    conn: sqlite3.Connection,
    roles: Mapping[str, str],
    pair: tuple[str, str],
    url: str,
    at: str,
    *,
    comparison_id: int = 1,
    observation_id: int = 1,
    fetch_id: int | None = None,
    run_id: str | None = None,
    side: str = "a",
    parser_version: str = "1",
    record_sha256: str = "h",
    figures: Mapping[str, Any] | None = None,
) -> None:
    """A comparison of ``pair`` on page ``url`` with one stored observation of ``side``,
    written as the loader writes them (``store.comparisons.write_rows``); ``roles`` maps
    slugs to titles."""
    comparison = Comparison(
        comparison_id,
        page_key(url),
        url,
        None,
        None,
        at,
        at,
        at,
        None,
        stored=False,
    )
    named = {
        "observation_id": observation_id,
        "comparison_id": comparison_id,
        "role_slug": pair[0] if side == "a" else pair[1],
        "side": side,
        "fetch_id": fetch_id,
        "fetched_at": at,
        "run_id": run_id,
        "parser_version": parser_version,
        "record_sha256": record_sha256,
        **dict.fromkeys(FIGURE_COLUMNS),
        **(figures or {}),
    }
    rows = Rows(roles=dict(roles), observations=[tuple(named[c] for c in OBSERVATION_COLUMNS)])
    with transaction(conn):
        write_rows(conn, rows, [(pair[0], pair[1], comparison)])
