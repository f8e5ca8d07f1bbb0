"""The crawl's state in SQLite: the run, its frontier, each URL's fetch state, the fetch log.

Everything a crawl knows is a row, and every page's result is written in one transaction
(its ``fetches`` row, its ``url_state``, its frontier row marked done, the links it
added and the run's counters), so a crawl killed at any moment - SIGKILL included -
resumes exactly where the last committed page left it: nothing recorded is fetched again
in that run and nothing is written twice. The frontier is read in rowid order in small
chunks, never loaded whole.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from schemas.columns import COUNTERS, utc_now
from scraper.urls import page_key
from store.crawl_records import (
    LOADABLE,
    FetchRecord,
    FrontierItem,
    GoneCount,
    Known,
    PageResult,
)
from store.db import transaction
from store.runs import (
    finish_run,
    latest_crawl,
    mark_complete,
    reopen_run,
    set_counters,
    start_run,
)

_LIVE_AT_START = """
    SELECT s.page_key FROM url_state s, runs r
    WHERE r.run_id = :run AND s.content_sha256 IS NOT NULL AND s.first_seen_at < r.started_at
      AND (s.gone_at IS NULL OR s.gone_at >= r.started_at)"""
"""Comparisons live when run ``:run`` started: fetched with a body before it, and not
marked gone then (a mark at or after its start is this run's, from an earlier invocation)."""

_GONE_COUNTS = f"""
    SELECT
        (SELECT count(*) FROM ({_LIVE_AT_START})),
        (SELECT count(*) FROM fetches f WHERE f.run_id = :run AND f.outcome = 'gone'
            AND f.page_key IN ({_LIVE_AT_START})),
        (SELECT count(*) FROM fetches f JOIN url_state s ON s.page_key = f.page_key
            WHERE f.run_id = :run AND f.outcome = 'gone' AND s.gone_at IS NULL)"""

_MARK_GONE = """
    UPDATE url_state SET gone_at = f.fetched_at
    FROM fetches f
    WHERE f.run_id = :run AND f.outcome = 'gone' AND f.page_key = url_state.page_key
      AND url_state.gone_at IS NULL"""


class CrawlState:
    """The crawl tables of one database, for one run at a time."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.run_id: str | None = None
        self.counters: dict[str, int] = dict.fromkeys(COUNTERS, 0)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``store.db.transaction``, with the in-memory counters put back when it fails."""
        saved = dict(self.counters)
        try:
            with transaction(self.conn) as conn:
                yield conn
        except BaseException:
            self.counters = saved
            raise

    def resumable(self, base_url: str) -> tuple[str, int] | None:
        """``(run_id, pending)`` of the latest crawl of ``base_url`` if it did not complete."""
        latest = latest_crawl(self.conn, base_url)
        if latest is None or latest[1]:
            return None
        return latest[0], self.pending_count(latest[0])

    @property
    def _run(self) -> str:
        assert self.run_id is not None, "no run open: open_run() first"
        return self.run_id

    def pending_count(self, run_id: str | None = None) -> int:
        return int(
            self.conn.execute(
                "SELECT count(*) FROM frontier WHERE run_id = ? AND state = 'pending'",
                (run_id or self.run_id,),
            ).fetchone()[0]
        )

    def open_run(
        self, *, fresh: bool, command: str, base_url: str
    ) -> tuple[str, tuple[str, int] | None]:
        """Resume the latest crawl of ``base_url`` if it did not complete (unless
        ``fresh``); else start a new run. Returns ``(run_id, (resumed run_id, pending) or
        None)``."""
        previous = self.resumable(base_url)
        if previous is not None and not fresh:
            self.run_id = previous[0]
            with self.transaction() as conn:
                self.counters = reopen_run(conn, self.run_id)
            return self.run_id, previous
        last = latest_crawl(self.conn, base_url)
        self.counters = dict.fromkeys(COUNTERS, 0)
        with self.transaction() as conn:
            self.run_id = start_run(conn, command, base_url)
            if last is not None:
                self._carry_over_deferred(conn, last[0])
        return self.run_id, None

    def _carry_over_deferred(self, conn: sqlite3.Connection, previous: str) -> None:
        """URLs the previous run deferred (Retry-After above the cap) come first now."""
        now = utc_now()
        cur = conn.execute(
            "INSERT OR IGNORE INTO frontier "
            "(run_id, page_key, url, source, depth, discovered_at, updated_at) "
            "SELECT ?, page_key, url, 'deferred', depth, ?, ? FROM frontier "
            "WHERE run_id = ? AND state = 'deferred' ORDER BY rowid",
            (self.run_id, now, now, previous),
        )
        self._bump(conn, {"discovered": max(cur.rowcount, 0)})

    def revisit_known(self, base_url: str) -> int:
        """Queue every comparison seen before and not gone, on ``base_url``'s host (its
        identity is its path), so removed pages are noticed (404/410 -> gone) even once
        they have left the sitemaps."""
        now = utc_now()
        parts = urlsplit(base_url)
        root = f"{parts.scheme}://{parts.netloc}"
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO frontier "
                "(run_id, page_key, url, source, depth, discovered_at, updated_at) "
                "SELECT ?, page_key, ? || page_key, 'known', 0, ?, ? FROM url_state "
                "WHERE gone_at IS NULL AND content_sha256 IS NOT NULL "
                "AND page_key LIKE '/%-jobs/%-differences/' ORDER BY page_key",
                (self.run_id, root, now, now),
            )
            added = max(cur.rowcount, 0)
            self._bump(conn, {"discovered": added})
        return added

    def add(self, entries: Iterable[tuple[str, str, int]]) -> int:
        """Add ``(url, source, depth)`` entries not yet in this run's frontier, in one
        transaction; return how many were new."""
        rows = self._rows(entries)
        if not rows:
            return 0
        with self.transaction() as conn:
            added = self._insert(conn, rows)
            self._bump(conn, {"discovered": added})
        return added

    def _rows(self, entries: Iterable[tuple[str, str, int]]) -> list[tuple[object, ...]]:
        now = utc_now()
        return [
            (self.run_id, page_key(url), url, source, depth, now, now)
            for url, source, depth in entries
        ]

    @staticmethod
    def _insert(conn: sqlite3.Connection, rows: list[tuple[object, ...]]) -> int:
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO frontier "
            "(run_id, page_key, url, source, depth, discovered_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        return conn.total_changes - before

    def pending_after(self, rowid: int, limit: int = 256) -> list[FrontierItem]:
        """The next chunk of pending URLs after ``rowid``, in discovery order."""
        rows = self.conn.execute(
            "SELECT f.rowid, f.page_key, f.url, f.depth, "
            "s.page_key AS known, s.etag, s.last_modified, s.content_sha256 "
            "FROM frontier f LEFT JOIN url_state s ON s.page_key = f.page_key "
            "WHERE f.run_id = ? AND f.state = 'pending' AND f.rowid > ? "
            "ORDER BY f.rowid LIMIT ?",
            (self.run_id, rowid, limit),
        ).fetchall()
        return [
            FrontierItem(
                r["rowid"],
                r["page_key"],
                r["url"],
                r["depth"],
                Known(r["etag"], r["last_modified"], r["content_sha256"]) if r["known"] else None,
            )
            for r in rows
        ]

    def record_many(self, pages: Iterable[PageResult]) -> None:
        """Write several pages' results in one transaction (a group commit): all of them
        or, if the process dies first, none."""
        now = utc_now()
        total: dict[str, int] = {}
        with self.transaction() as conn:
            for item, fetch, counts, links in pages:
                added = self._write_page(conn, item, fetch, links, now)
                for name, value in counts.items():
                    total[name] = total.get(name, 0) + value
                total["discovered"] = total.get("discovered", 0) + added
            self._bump(conn, total)

    def _write_page(
        self,
        conn: sqlite3.Connection,
        item: FrontierItem,
        fetch: FetchRecord,
        links: Iterable[str],
        now: str,
    ) -> int:
        """One page's rows; returns how many of its links were new to the frontier."""
        link_rows = self._rows((url, "link", item.depth + 1) for url in links)
        _insert_fetch(conn, self._run, item.page_key, fetch, now)
        _update_url_state(conn, item.page_key, fetch, now)
        conn.execute(
            "UPDATE frontier SET state = ?, updated_at = ? WHERE run_id = ? AND page_key = ?",
            (
                "deferred" if fetch.outcome == "deferred" else "done",
                now,
                self.run_id,
                item.page_key,
            ),
        )
        return self._insert(conn, link_rows) if link_rows else 0

    def _bump(self, conn: sqlite3.Connection, counts: dict[str, int]) -> None:
        changed = {k: v for k, v in counts.items() if v}
        if not changed:
            return
        for name, value in changed.items():
            self.counters[name] += value
        set_counters(conn, self._run, {name: self.counters[name] for name in changed})

    def count(self, counts: dict[str, int]) -> None:
        """Add ``counts`` to the run's counters (what discovery dropped, e.g.)."""
        with self.transaction() as conn:
            self._bump(conn, counts)

    def reject(self, item: FrontierItem) -> None:
        """Settle a frontier row that is not an ``http``/``https`` URL on an allowed host
        (left by a version that let it in): never fetched, no fetch log row, counted."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE frontier SET state = 'done', updated_at = ? "
                "WHERE run_id = ? AND page_key = ?",
                (utc_now(), self.run_id, item.page_key),
            )
            self._bump(conn, {"rejected_urls": 1})

    def settle_gone(self, max_fraction: float) -> GoneCount:
        """Decide, at the end of the run, which pages that answered 404/410 are gone.

        When more than ``max_fraction`` of the comparisons live at the run's start
        answered 404/410 in it, the run marks none (``gone_held`` says how many it held
        back): a wrong base URL or a moved site looks like that, and the next run asks
        again. Otherwise each page that answered so gets ``url_state.gone_at``, the time
        of its answer. Resumed runs count every invocation's answers."""
        with self.transaction() as conn:
            found = GoneCount(*conn.execute(_GONE_COUNTS, {"run": self.run_id}).fetchone())
            if found.held_back(max_fraction):
                self._set(conn, "gone_held", found.unmarked)
            else:
                conn.execute(_MARK_GONE, {"run": self.run_id})
                self._set(conn, "gone_held", 0)
        return found

    def _set(self, conn: sqlite3.Connection, name: str, value: int) -> None:
        self.counters[name] = value
        set_counters(conn, self._run, {name: value})

    def finish(self, *, complete: bool, exit_code: int | None) -> None:
        """Mark the run complete or not; with ``exit_code`` also finish it."""
        assert self.run_id is not None, "finish() before open_run()"
        with self.transaction() as conn:
            mark_complete(conn, self.run_id, complete)
            if exit_code is not None:
                finish_run(conn, self.run_id, exit_code)


_FETCH_COLUMNS = ("url", "outcome", "status", "attempts", "bytes", "elapsed_ms", "etag") + (
    "last_modified", "content_sha256", "warc_file", "warc_offset", "error"
)  # fmt: skip
_INSERT_FETCH = (
    f"INSERT INTO fetches (run_id, page_key, fetched_at, load_state, {', '.join(_FETCH_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (4 + len(_FETCH_COLUMNS)))})"
)


def _insert_fetch(
    conn: sqlite3.Connection, run_id: str, key: str, fetch: FetchRecord, now: str
) -> None:
    """The page's fetch log row; a body to load is queued (``load_state = 'pending'``)."""
    queued = "pending" if fetch.outcome in LOADABLE else None
    values = [getattr(fetch, column) for column in _FETCH_COLUMNS]
    conn.execute(_INSERT_FETCH, (run_id, key, now, queued, *values))


def _update_url_state(conn: sqlite3.Connection, key: str, fetch: FetchRecord, now: str) -> None:
    """A body (new/changed/unchanged) replaces the validators and hash; a 304 keeps
    them unless it sent new ones; other outcomes only note the status. A body or a 304
    clears ``gone_at``; a 404/410 does not set it: ``settle_gone`` decides that at the
    end of the run."""
    if fetch.outcome in ("robots_skipped", "deferred"):
        return
    if fetch.outcome in ("new", "changed", "unchanged"):
        mode = "body"
    elif fetch.outcome == "not_modified":
        mode = "not_modified"
    else:
        mode = "other"
    conn.execute(
        """
        INSERT INTO url_state (page_key, url, etag, last_modified, content_sha256,
            last_status, first_seen_at, last_seen_at, last_fetched_at)
        VALUES (:key, :url, :etag, :lm, :sha, :status, :now, :now, :now)
        ON CONFLICT (page_key) DO UPDATE SET
            url = excluded.url,
            last_status = excluded.last_status,
            last_fetched_at = excluded.last_fetched_at,
            etag = CASE :mode WHEN 'body' THEN excluded.etag
                WHEN 'not_modified' THEN coalesce(excluded.etag, url_state.etag)
                ELSE url_state.etag END,
            last_modified = CASE :mode WHEN 'body' THEN excluded.last_modified
                WHEN 'not_modified' THEN coalesce(excluded.last_modified,
                                                  url_state.last_modified)
                ELSE url_state.last_modified END,
            content_sha256 = CASE :mode WHEN 'body' THEN excluded.content_sha256
                ELSE url_state.content_sha256 END,
            last_seen_at = CASE WHEN :mode = 'other' THEN url_state.last_seen_at
                ELSE excluded.last_seen_at END,
            gone_at = CASE WHEN :mode = 'other' THEN url_state.gone_at ELSE NULL END
        """,
        {
            "key": key,
            "url": fetch.url,
            "etag": fetch.etag if mode != "other" else None,
            "lm": fetch.last_modified if mode != "other" else None,
            "sha": fetch.content_sha256 if mode == "body" else None,
            "status": fetch.status,
            "now": now,
            "mode": mode,
        },
    )


def mark_loaded(
    conn: sqlite3.Connection, updates: Iterable[tuple[str, str | None, str | None, int]]
) -> None:
    """Set ``(load_state, loaded_at, charset, fetch_id)`` on fetches the loader took;
    a charset of None keeps the one recorded."""
    conn.executemany(
        "UPDATE fetches SET load_state = ?, loaded_at = ?, charset = coalesce(?, charset) "
        "WHERE fetch_id = ?",
        updates,
    )


_OLD_RUNS = """
    SELECT run_id FROM runs
    WHERE run_id NOT IN (SELECT run_id FROM runs ORDER BY started_at DESC LIMIT :keep)
      AND finished_at IS NOT NULL"""
PRUNABLE_FETCHES = f"""
    SELECT fetch_id FROM fetches
    WHERE run_id IN ({_OLD_RUNS})
      AND coalesce(load_state, '') NOT IN ('pending', 'failed')
      AND NOT EXISTS (SELECT 1 FROM role_observations o WHERE o.fetch_id = fetches.fetch_id)"""
"""Fetch-log rows only runs older than the last ``:keep`` need: no observation was loaded
from them and their page is not waiting to be (re)parsed."""


def prune_old_runs(conn: sqlite3.Connection, keep_runs: int) -> tuple[int, int]:
    """Delete the ``PRUNABLE_FETCHES`` and the frontier rows of old, finished runs;
    returns ``(fetch rows, frontier rows)`` deleted. Run it in a transaction, after the
    issues of those fetches let go of them (``store.issues.forget_fetches``)."""
    params = {"keep": keep_runs}
    fetch_rows = conn.execute(
        f"DELETE FROM fetches WHERE fetch_id IN ({PRUNABLE_FETCHES})", params
    ).rowcount
    frontier_rows = conn.execute(
        f"DELETE FROM frontier WHERE run_id IN ({_OLD_RUNS})", params
    ).rowcount
    return fetch_rows, frontier_rows
