"""Load parsed pages into the analysts' tables, a batch per transaction.

The unit of work is a batch of pages (``settings.run.batch_size``), each in one
transaction together with the fetch rows it marks loaded, the run's counters and the
``role_search`` rows of its roles, so a killed load leaves every page either fully
loaded or still pending. What a page adds to the history is ``pipeline.load.history``'s
decision; what it is checked against is ``pipeline.quality``'s and ``schemas.rows``'s.
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from pipeline import quality
from pipeline.load.history import History
from pipeline.load.source import Parsed, from_record, loadable_fetches, parsed_pages
from schemas.columns import FIGURE_COLUMNS, utc_now
from schemas.records import ComparisonRecord
from schemas.rows import Issue, PageRows
from schemas.settings import RunSettings, Settings
from schemas.verdict import Verdict, describe_parse_failures, judge_pages, parse_failure_counts
from scraper.urls import page_key
from store import comparisons, crawl_state, issues, load_stats
from store.db import as_database, chunks, transaction
from store.runs import add_counters, finish_run, mark_complete, previous_run_id, start_run


@dataclass
class LoadReport:
    """What one load did. ``records_written`` counts role observations written."""

    pages: int = 0
    records_written: int = 0
    unchanged: int = 0
    warnings: int = 0
    dq_failures: int = 0
    dq_new: int = 0
    failed_pages: int = 0
    seen_unchanged: int = 0
    issues_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def parse_failures(self) -> dict[str, int]:
        """``{kind: pages}`` that did not parse (``ParseError`` kinds, e.g. ``markup_changed``)."""
        return parse_failure_counts(self.issues_by_kind)

    def verdict(self, failed_fraction: float) -> Verdict:
        """Exit 1 when more pages failed to parse than ``failed_fraction`` allows, or on
        new data-quality failures; the same rule a refresh applies. A refused page
        (any ``ParseError``) is a failed page."""
        detail = describe_parse_failures(self.parse_failures)
        return judge_pages(self.failed_pages, self.pages, self.dq_new, failed_fraction, detail)


@dataclass
class _BatchLog:
    """What one batch found besides its observations: issue rows, fetch updates, null
    counts per column, and the counters it adds to the run."""

    now: str
    issues: list[tuple[Any, ...]] = field(default_factory=list)
    fetches: list[tuple[str, str | None, str | None, int]] = field(default_factory=list)
    nulls: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURE_COLUMNS, 0))
    sides: int = 0
    roles: set[str] = field(default_factory=set)
    replaced: set[tuple[str, str]] = field(default_factory=set)
    counters: dict[str, int] = field(
        default_factory=lambda: {"records_written": 0, "warnings": 0, "dq_failures": 0}
    )


class Loader:
    """Loads a stream of ``Parsed`` pages for one run, a batch per transaction.

    ``replace=True`` (``--reparse``): the rows a fetch already produced (observations,
    parse issues) are replaced, never duplicated.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        run_id: str,
        batch_size: int = 200,
        replace: bool = False,
        fetched_at: str | None = None,
    ) -> None:
        self.conn = conn
        self.db = as_database(conn)
        self.run_id = run_id
        self.batch_size = batch_size
        self.replace = replace
        self.fetched_at = fetched_at or utc_now()
        self.report = LoadReport()
        self.history = History(conn, run_id, replace)
        self.agreement = quality.RoleAgreement(
            lambda role, page: comparisons.stored_figures(conn, role, page)
        )
        self.previous_run = previous_run_id(conn, run_id, loaded=True)
        self._previous_keys = (
            issues.check_keys(conn, self.previous_run) if self.previous_run else set()
        )
        self._run_dq_keys = {k for k in issues.check_keys(conn, run_id) if k[0].startswith("dq_")}

    def load(self, pages: Iterable[Parsed]) -> LoadReport:
        """Load ``pages`` a batch per transaction.

        Automatic garbage collection is off meanwhile: each batch allocates many
        short-lived objects and almost no reference cycles, and the full collections
        that allocation rate sets off, each scanning every live object, cost as much as
        the SQL (``bench/load_bench.py``). The youngest generation is collected after
        every batch instead; the rest when the load is over.
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            for batch in chunks(pages, self.batch_size):
                with transaction(self.conn):
                    self._load_batch(batch)
                gc.collect(0)
            with transaction(self.conn):
                self._finish()
        finally:
            if collecting:
                gc.enable()
        return self.report

    def _load_batch(self, batch: list[Parsed]) -> None:
        log = _BatchLog(utc_now())
        if self.replace:
            dropped = issues.drop_fetch_issues(
                self.conn, [p.fetch.fetch_id for p in batch if p.fetch]
            )
            log.replaced = dropped
            self._run_dq_keys -= dropped
        state = self.history.open_batch([p.rows for p in batch if p.rows is not None])
        for page in batch:
            self.report.pages += 1
            if page.rows is None:
                self._failed(log, page)
            else:
                self._page(log, state, page, page.rows)
        self.history.write(state)
        comparisons.refresh_role_search(self.db, log.roles)
        issues.add_issues(self.conn, log.issues)
        crawl_state.mark_loaded(self.conn, log.fetches)
        load_stats.add_stats(self.conn, self.run_id, log.sides, log.nulls)
        add_counters(self.conn, self.run_id, log.counters)

    def _page(self, log: _BatchLog, state: Any, page: Parsed, rows: PageRows) -> None:
        fetch = page.fetch
        fetched_at = fetch.fetched_at if fetch else self.fetched_at
        written = self.history.page(state, rows, fetch.fetch_id if fetch else None, fetched_at)
        log.counters["records_written"] += written
        self.report.records_written += written
        if not written:
            self.report.unchanged += 1
        log.roles.update(slug for slug, _ in rows.roles)
        for side in rows.sides:
            log.sides += 1
            for column, value in side.figures.items():
                if value is None:
                    log.nulls[column] += 1
            for issue in side.checks:
                self._issue(log, issue, page, rows.url)
            for issue in self.agreement.check(side.role_slug, side.figures, rows.page_key):
                self._issue(log, issue, page, rows.url)
        for warning in rows.warnings:
            self.report.warnings += 1
            log.counters["warnings"] += 1
            self._issue(log, warning, page, rows.url)
        if fetch is not None:
            log.fetches.append(("loaded", log.now, page.charset, fetch.fetch_id))

    def _failed(self, log: _BatchLog, page: Parsed) -> None:
        self.report.failed_pages += 1
        fetch = page.fetch
        url = fetch.url if fetch else page.url
        kind = f"parse_{page.error_kind or 'error'}"
        key = page_key(fetch.url) if fetch else (url or "")
        self._issue(log, Issue(kind, key, page.error_message or kind), page, url)
        if fetch is not None:
            log.fetches.append(("failed", None, page.charset, fetch.fetch_id))

    def _issue(self, log: _BatchLog, issue: Issue, page: Parsed | None, url: str | None) -> None:
        """Keep ``issue`` for the batch's rows: a data-quality failure once per run, and
        *known* when the previous run (or the rows a re-parse replaced) had it."""
        ident = (issue.kind, issue.check_key)
        is_dq = issue.kind.startswith("dq_")
        if is_dq:
            if ident in self._run_dq_keys:
                return
            self._run_dq_keys.add(ident)
        known = ident in self._previous_keys or ident in log.replaced
        if is_dq:
            self.report.dq_failures += 1
            self.report.dq_new += not known
            log.counters["dq_failures"] += 1
        kinds = self.report.issues_by_kind
        kinds[issue.kind] = kinds.get(issue.kind, 0) + 1
        fetch = page.fetch if page else None
        log.issues.append(
            (
                url,
                self.run_id,
                fetch.fetch_id if fetch else None,
                issue.kind,
                issue.table,
                issue.row,
                issue.side,
                issue.raw,
                issue.message,
                fetch.warc_file if fetch else None,
                fetch.warc_offset if fetch else None,
                log.now,
                issue.check_key,
                int(known),
            )
        )

    def _finish(self) -> None:
        """Checks that need the whole run: null shares per column against the previous run."""
        log = _BatchLog(utc_now())
        if self.previous_run is not None:
            current = load_stats.stats(self.conn, self.run_id)
            previous = load_stats.stats(self.conn, self.previous_run)
            for issue in quality.null_jumps(current, previous):
                self._issue(log, issue, None, None)
        issues.add_issues(self.conn, log.issues)
        add_counters(self.conn, self.run_id, {"dq_failures": log.counters["dq_failures"]})


def update_presence(conn: sqlite3.Connection) -> int:
    """``store.comparisons.update_presence`` in its own transaction."""
    with transaction(conn):
        return comparisons.update_presence(conn)


def load_records(
    conn: sqlite3.Connection,
    records: Iterable[ComparisonRecord | Parsed],
    run_id: str | None = None,
    batch_size: int = 200,
    fetched_at: str | None = None,
    failed_fraction: float = RunSettings.model_fields["failed_fraction"].default,
) -> LoadReport:
    """Load records that did not come from the fetch log (``careers load FILE.jsonl``).

    They are stamped ``fetched_at`` (default: now). Without ``run_id`` a ``load`` run is
    started and finished here.
    """
    own_run = run_id is None
    if run_id is None:
        run_id = start_run(conn, "load")
    pages = (r if isinstance(r, Parsed) else from_record(r) for r in records)
    report = Loader(conn, run_id, batch_size, fetched_at=fetched_at).load(pages)
    if own_run:
        finish_load_run(conn, run_id, report.verdict(failed_fraction))
    return report


def finish_load_run(conn: sqlite3.Connection, run_id: str, verdict: Verdict) -> None:
    with transaction(conn):
        mark_complete(conn, run_id, True)
        finish_run(conn, run_id, verdict.exit_code)


def load_pending(
    conn: sqlite3.Connection,
    settings: Settings,
    run_id: str | None = None,
    archive_dir: Path | None = None,
    reparse: bool = False,
) -> LoadReport:
    """Parse and load every fetched page not loaded yet (with ``reparse``: every stored
    page), attributing counters and issues to ``run_id`` (default: a new ``load`` run,
    finished here). Bodies come from the WARC archive, parsed by up to
    ``settings.run.workers`` processes."""
    fetches = loadable_fetches(conn, reparse=reparse)
    first = next(fetches, None)
    own_run = run_id is None
    if first is None and own_run:  # nothing to load: no run to record
        return LoadReport(seen_unchanged=update_presence(conn))
    if run_id is None:
        run_id = start_run(conn, "reparse" if reparse else "load")
    archive = Path(archive_dir or settings.output.archive_dir)
    fetches = chain([first] if first else [], fetches)
    pages = parsed_pages(fetches, archive, settings.run.workers, 3 * settings.run.batch_size)
    loader = Loader(conn, run_id, settings.run.batch_size, replace=reparse)
    with closing(pages):  # a load that fails ends its workers now, not when collected
        report = loader.load(pages)
    report.seen_unchanged = update_presence(conn)
    if own_run:
        finish_load_run(conn, run_id, report.verdict(settings.run.failed_fraction))
    return report
