"""Load parsed comparison records into the analysts' tables.

The unit of work is a batch of pages (``settings.run.batch_size``), each in one
transaction together with the fetch rows it marks loaded, so a killed load leaves
every page either fully loaded or still pending.

History without noise: a role's figures on a comparison page are written as a new
``role_observations`` row only when their content hash differs from that
comparison's latest observation of the role; an unchanged page only moves
``comparisons.last_seen_at``. Re-loading a fetch that already has rows (``--reparse``)
updates or removes those rows in place instead of adding history.

Rows are written with plain ``executemany`` per batch (complete rows, explicit ids),
which ``bench/load_bench.py`` measures against a bare ``executemany`` floor.
"""

from __future__ import annotations

import gc
import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any, TypeVar

from pipeline import quality
from pipeline.quality import Issue
from schemas.database import FIGURE_COLUMNS, utc_now
from schemas.records import ComparisonRecord, Side, SideRecord
from schemas.settings import RunSettings, Settings
from schemas.verdict import Verdict, describe_parse_failures, judge_pages, parse_failure_counts
from scraper.urls import comparison_path, normalize_url, page_key, web_url_or_none
from store.runs import add_counters, finish_run, mark_complete, previous_run_id, start_run

T = TypeVar("T")

SIDES: tuple[Side, Side] = ("a", "b")
_OBS_COLUMNS = (
    "observation_id",
    "comparison_id",
    "role_slug",
    "side",
    "fetch_id",
    "fetched_at",
    "run_id",
    "parser_version",
    "record_sha256",
    *FIGURE_COLUMNS,
)
_INSERT_OBS = (
    f"INSERT INTO role_observations ({', '.join(_OBS_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_OBS_COLUMNS))})"
)
_UPDATE_OBS = (
    "UPDATE role_observations SET "
    + ", ".join(f"{c} = ?" for c in _OBS_COLUMNS[4:])
    + " WHERE observation_id = ?"
)
_ISSUE_COLUMNS = (
    "url",
    "run_id",
    "fetch_id",
    "kind",
    '"table"',
    "row",
    "side",
    "raw",
    "message",
    "warc_file",
    "warc_offset",
    "created_at",
    "check_key",
    "known",
)
_INSERT_ISSUE = (
    f"INSERT INTO parse_issues ({', '.join(_ISSUE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_ISSUE_COLUMNS))})"
)


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


@dataclass(frozen=True)
class FetchRef:
    """The fetch log row a page came from (absent for records read from JSON lines)."""

    fetch_id: int
    url: str
    fetched_at: str
    run_id: str
    warc_file: str | None = None
    warc_offset: int | None = None


@dataclass
class Parsed:
    """One page's parse outcome: a record, or the reason there is none."""

    record: ComparisonRecord | None
    fetch: FetchRef | None = None
    error_kind: str | None = None
    error_message: str | None = None
    url: str | None = None
    charset: str | None = None
    """The codec a stored body was decoded with (None for records read from JSON lines)."""


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


def side_sha256(side: SideRecord, figures: dict[str, Any] | None = None) -> str:
    """Content hash of one role's figures on a page: what decides 'changed'.
    ``figures`` is ``quality.figures_of(side)`` when the caller has it already. The
    payload is hashed by ``repr`` (floats print their shortest round-trip form, so equal
    values hash equal); it is faster than JSON and only ever compared with itself."""
    payload = (
        list((figures or quality.figures_of(side)).values()),
        sorted((side.gender_pct or {}).items()),
        sorted((side.race_pct or {}).items()),
        side.top_skills,
    )
    return hashlib.sha256(repr(payload).encode()).hexdigest()


def comparison_sha256(record: ComparisonRecord, sides: Sequence[str]) -> str:
    payload = (record.role_a.title, record.role_b.title, record.higher_paid, *sides)
    return hashlib.sha256(repr(payload).encode()).hexdigest()


_STORED_FIGURES = f"""
    SELECT c.page_key, {", ".join(f"o.{c}" for c in FIGURE_COLUMNS)}
    FROM role_observations o JOIN comparisons c ON c.comparison_id = o.comparison_id
    WHERE o.role_slug = ? AND c.page_key != ? AND c.gone_at IS NULL
    ORDER BY o.fetched_at DESC, o.observation_id DESC
    LIMIT 1
"""


@dataclass
class _Comparison:
    comparison_id: int
    page_key: str
    url: str
    canonical_url: str | None
    higher_paid: str | None
    first_seen_at: str
    last_seen_at: str
    last_changed_at: str
    content_sha256: str | None
    stored: bool
    dirty: bool = False


@dataclass
class _Prepared:
    """What a page's record hashes and normalizes to, worked out before the batch's
    lookups so they can skip comparisons whose page did not change."""

    url: str
    page_key: str
    canonical: str | None
    figures: list[dict[str, Any]]
    digests: list[str]
    content: str


@dataclass(frozen=True)
class _SideWrite:
    """One role of one page, about to become (or replace) an observation."""

    page: Parsed
    record: ComparisonRecord
    comparison: _Comparison
    which: Side
    side: SideRecord
    figures: dict[str, Any]
    digest: str
    fetched_at: str

    @property
    def fetch_id(self) -> int | None:
        return self.page.fetch.fetch_id if self.page.fetch else None

    @property
    def role_slug(self) -> str:
        return self.record.role(self.which).slug


@dataclass
class _Observation:
    observation_id: int
    record_sha256: str
    fetched_at: str
    fetch_id: int | None


@dataclass
class _Buffers:
    roles: dict[str, str] = field(default_factory=dict)
    observations: list[tuple[Any, ...]] = field(default_factory=list)
    gender: list[tuple[Any, ...]] = field(default_factory=list)
    race: list[tuple[Any, ...]] = field(default_factory=list)
    skills: list[tuple[Any, ...]] = field(default_factory=list)


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
        self.run_id = run_id
        self.batch_size = batch_size
        self.replace = replace
        self.fetched_at = fetched_at or utc_now()
        self.report = LoadReport()
        self.agreement = quality.RoleAgreement(self._stored_figures)
        self.previous_run = previous_run_id(conn, run_id, loaded=True)
        self._previous_keys = self._issue_keys(self.previous_run) if self.previous_run else set()
        self._run_dq_keys = {k for k in self._issue_keys(run_id) if k[0].startswith("dq_")}

    def _stored_figures(self, role_slug: str, page: str) -> tuple[str, dict[str, Any]] | None:
        """The role's latest stored figures on another page that is not gone."""
        row = self.conn.execute(_STORED_FIGURES, (role_slug, page)).fetchone()
        if row is None:
            return None
        values = tuple(row)
        return values[0], dict(zip(FIGURE_COLUMNS, values[1:], strict=True))

    def _issue_keys(self, run_id: str) -> set[tuple[str, str]]:
        return {
            (kind, key)
            for kind, key in self.conn.execute(
                "SELECT kind, check_key FROM parse_issues "
                "WHERE run_id = ? AND check_key IS NOT NULL",
                (run_id,),
            )
        }

    def load(self, pages: Iterable[Parsed]) -> LoadReport:
        """Load ``pages`` a batch per transaction.

        Automatic garbage collection is off meanwhile: each batch allocates tens of
        thousands of short-lived objects and almost no reference cycles, and the full
        collections that allocation rate sets off, each scanning every live object, cost
        as much as the SQL (``bench/load_bench.py``). The youngest generation is
        collected after every batch instead; the rest when the load is over.
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            for batch in batched(pages, self.batch_size):
                self._transaction(self._load_batch, batch)
                gc.collect(0)
            self._transaction(self._finish)
        finally:
            if collecting:
                gc.enable()
        return self.report

    def _transaction(self, work: Any, *args: Any) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            work(*args)
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    # -- one batch ------------------------------------------------------------------

    def _load_batch(self, batch: list[Parsed]) -> None:
        now = utc_now()
        self._now = now
        self._buf = _Buffers()
        self._issues: list[tuple[Any, ...]] = []
        self._fetch_updates: list[tuple[Any, ...]] = []
        self._null_counts = dict.fromkeys(FIGURE_COLUMNS, 0)
        self._sides_loaded = 0
        self._replaced_keys: set[tuple[str, str]] = set()
        before = (self.report.records_written, self.report.warnings, self.report.dq_failures)
        if self.replace:
            self._drop_fetch_issues([p.fetch.fetch_id for p in batch if p.fetch])
        records = [p.record for p in batch if p.record is not None]
        prepared = {id(r): self._prepare(p, r) for p in batch if (r := p.record) is not None}
        self._comparisons = self._lookup_comparisons(records)
        self._latest = self._lookup_latest(self._needing_history(records, prepared))
        self._next_obs = self._max_id("observation_id", "role_observations") + 1
        self._next_comparison = max(
            self._max_id("comparison_id", "comparisons") + 1,
            max((c.comparison_id + 1 for c in self._comparisons.values()), default=1),
        )
        for page in batch:
            self.report.pages += 1
            if page.record is None:
                self._failed(page)
            else:
                self._page(page, page.record, prepared[id(page.record)])
        self._flush()
        self._write_batch_tail()
        written, warnings, dq = (
            self.report.records_written - before[0],
            self.report.warnings - before[1],
            self.report.dq_failures - before[2],
        )
        add_counters(
            self.conn,
            self.run_id,
            {"records_written": written, "warnings": warnings, "dq_failures": dq},
        )

    def _max_id(self, column: str, table: str) -> int:
        return int(
            self.conn.execute(f"SELECT coalesce(max({column}), 0) FROM {table}").fetchone()[0]
        )

    def _lookup_comparisons(
        self, records: list[ComparisonRecord]
    ) -> dict[tuple[str, str], _Comparison]:
        pairs = sorted({(r.role_a.slug, r.role_b.slug) for r in records})
        found: dict[tuple[str, str], _Comparison] = {}
        for chunk in batched(pairs, 400):
            values = ", ".join("(?, ?)" for _ in chunk)
            # a join, not "(a, b) IN (VALUES ...)": SQLite scans the whole table for that
            rows = self.conn.execute(
                f"WITH wanted (a, b) AS (VALUES {values}) "
                "SELECT comparison_id, role_a_slug, role_b_slug, page_key, url, canonical_url, "
                "higher_paid, first_seen_at, last_seen_at, last_changed_at, content_sha256 "
                "FROM wanted JOIN comparisons ON role_a_slug = wanted.a AND role_b_slug = wanted.b",
                [s for pair in chunk for s in pair],
            )
            for row in rows:
                found[(row[1], row[2])] = _Comparison(
                    row[0],
                    row[3],
                    row[4],
                    row[5],
                    row[6],
                    row[7],
                    row[8],
                    row[9],
                    row[10],
                    stored=True,
                )
        return found

    def _lookup_latest(self, ids: list[int]) -> dict[tuple[int, str], _Observation]:
        latest: dict[tuple[int, str], _Observation] = {}
        for chunk in batched(sorted(ids), 900):
            rows = self.conn.execute(
                f"""
                SELECT comparison_id, side, observation_id, record_sha256, fetched_at, fetch_id
                FROM (SELECT *, row_number() OVER (
                        PARTITION BY comparison_id, side
                        ORDER BY fetched_at DESC, observation_id DESC) AS n
                      FROM role_observations
                      WHERE comparison_id IN ({", ".join("?" * len(chunk))}))
                WHERE n = 1
                """,
                chunk,
            )
            for cid, side, oid, sha, at, fid in rows:
                latest[(cid, side)] = _Observation(oid, sha, at, fid)
        return latest

    def _prepare(self, page: Parsed, record: ComparisonRecord) -> _Prepared:
        fetch = page.fetch
        if fetch is not None:
            url = normalize_url(fetch.url)
        elif record.url:
            url = normalize_url(record.url)
        else:
            url = comparison_path(record.role_a.slug, record.role_b.slug)
        if record.url is None:
            canonical = None
        else:
            canonical = web_url_or_none(url if fetch is None else record.url)
        figures = [quality.figures_of(record.side(s)) for s in SIDES]
        digests = [side_sha256(record.side(s), f) for s, f in zip(SIDES, figures, strict=True)]
        return _Prepared(
            url, page_key(url), canonical, figures, digests, comparison_sha256(record, digests)
        )

    def _needing_history(
        self, records: list[ComparisonRecord], prepared: dict[int, _Prepared]
    ) -> list[int]:
        """Comparisons whose latest observations must be read: all of them when replacing,
        else those with a page in the batch whose content differs from the last one seen
        (an unchanged page is recognized by ``comparisons.content_sha256`` alone)."""
        ids = set()
        for record in records:
            comparison = self._comparisons.get((record.role_a.slug, record.role_b.slug))
            if comparison is not None and (
                self.replace or comparison.content_sha256 != prepared[id(record)].content
            ):
                ids.add(comparison.comparison_id)
        return sorted(ids)

    def _page(self, page: Parsed, record: ComparisonRecord, prep: _Prepared) -> None:
        fetch = page.fetch
        fetched_at = fetch.fetched_at if fetch else self.fetched_at
        a, b = record.role_a, record.role_b
        url, key, figures, digests = prep.url, prep.page_key, prep.figures, prep.digests
        self._buf.roles[a.slug] = a.title
        self._buf.roles[b.slug] = b.title
        known = self._comparisons.get((a.slug, b.slug))
        unchanged = (
            not self.replace
            and known is not None
            and known.content_sha256 == prep.content
            and fetched_at > known.last_seen_at
        )
        comparison = self._comparison(record, key, url, prep.canonical, fetched_at, prep.content)
        changed = False
        for which, digest, values in zip(SIDES, digests, figures, strict=True):
            side = record.side(which)
            if not unchanged:
                write = _SideWrite(
                    page, record, comparison, which, side, values, digest, fetched_at
                )
                changed |= self._side(write)
            self._count_nulls(values)
            for issue in quality.side_checks(side, which, key):
                self._issue(issue, page, url)
            for issue in self.agreement.check(record.role(which).slug, values, key):
                self._issue(issue, page, url)
        if changed and fetched_at >= comparison.last_changed_at:
            comparison.last_changed_at = fetched_at
            comparison.dirty = True
        if not changed:
            self.report.unchanged += 1
        for warning in record.warnings:
            self.report.warnings += 1
            self._issue(
                Issue(
                    warning.kind,
                    f"{key}|{warning.side}|{warning.table}|{warning.row}",
                    warning.message,
                    side=warning.side,
                    table=warning.table,
                    row=warning.row,
                    raw=warning.raw,
                ),
                page,
                url,
            )
        if fetch is not None:
            self._fetch_updates.append(("loaded", self._now, page.charset, fetch.fetch_id))

    def _comparison(
        self,
        record: ComparisonRecord,
        key: str,
        url: str,
        canonical: str | None,
        fetched_at: str,
        content: str,
    ) -> _Comparison:
        pair = (record.role_a.slug, record.role_b.slug)
        comparison = self._comparisons.get(pair)
        if comparison is None:
            comparison = _Comparison(
                self._next_comparison,
                key,
                url,
                canonical,
                record.higher_paid,
                fetched_at,
                fetched_at,
                fetched_at,
                content,
                stored=False,
            )
            self._next_comparison += 1
            self._comparisons[pair] = comparison
            return comparison
        if fetched_at >= comparison.last_seen_at:
            if comparison.content_sha256 not in (content, None):
                comparison.last_changed_at = max(comparison.last_changed_at, fetched_at)
            comparison.page_key, comparison.url, comparison.canonical_url = key, url, canonical
            comparison.higher_paid, comparison.content_sha256 = record.higher_paid, content
            comparison.last_seen_at = fetched_at
            comparison.dirty = True
        if fetched_at < comparison.first_seen_at:
            comparison.first_seen_at = fetched_at
            comparison.dirty = True
        return comparison

    def _side(self, w: _SideWrite) -> bool:
        """Write this role's observation if its figures changed; True when written."""
        comparison, fetched_at, fetch_id = w.comparison, w.fetched_at, w.fetch_id
        key = (comparison.comparison_id, w.which)
        latest = self._latest.get(key)
        if latest is None or (
            latest.fetched_at < fetched_at and (fetch_id is None or latest.fetch_id != fetch_id)
        ):
            if latest is not None and latest.record_sha256 == w.digest:
                return False
            oid = self._next_obs
            self._next_obs += 1
            self._buffer_observation(oid, w)
            self._latest[key] = _Observation(oid, w.digest, fetched_at, fetch_id)
            self.report.records_written += 1
            return True
        self._flush()
        written = self._replace_side(w)
        if fetched_at < comparison.last_seen_at:
            # history changed behind the newest page: compare the next page with the
            # observations, not with the last page's hash
            comparison.content_sha256 = None
            comparison.dirty = True
        found = self._lookup_latest([comparison.comparison_id]).get(key)
        if found is None:
            self._latest.pop(key, None)
        else:
            self._latest[key] = found
        return written

    def _replace_side(self, w: _SideWrite) -> bool:
        """The history is not simply extended: this fetch already has rows, or newer ones
        exist. Put this fetch's observation where it belongs, or remove it when it now
        equals the one before it."""
        which, digest, fetched_at, fetch_id = w.which, w.digest, w.fetched_at, w.fetch_id
        cid = w.comparison.comparison_id
        own = self.conn.execute(
            "SELECT observation_id, record_sha256 FROM role_observations "
            "WHERE comparison_id = ? AND side = ? AND (fetched_at = ? OR fetch_id = ?)",
            (cid, which, fetched_at, fetch_id),
        ).fetchone()
        own_id = own[0] if own else None
        before = self.conn.execute(
            "SELECT record_sha256 FROM role_observations "
            "WHERE comparison_id = ? AND side = ? AND fetched_at < ? AND observation_id IS NOT ? "
            "ORDER BY fetched_at DESC, observation_id DESC LIMIT 1",
            (cid, which, fetched_at, own_id),
        ).fetchone()
        if before is not None and before[0] == digest:
            if own is not None:
                self.conn.execute(
                    "DELETE FROM role_observations WHERE observation_id = ?", (own_id,)
                )
            return False
        if own is not None and own[1] == digest:
            self.conn.execute(
                "UPDATE role_observations SET parser_version = ? WHERE observation_id = ?",
                (w.record.parser_version, own_id),
            )
            return False
        if own_id is not None:
            row = self._observation_row(own_id, w)
            self.conn.execute(_UPDATE_OBS, (*row[4:], own_id))
            for table in ("role_gender", "role_race", "role_skills"):
                self.conn.execute(f"DELETE FROM {table} WHERE observation_id = ?", (own_id,))
            self._buffer_children(own_id, w.role_slug, w.side)
        else:
            oid = self._next_obs
            self._next_obs += 1
            self._buffer_observation(oid, w)
        self._flush()
        self.report.records_written += 1
        return True

    def _observation_row(self, oid: int, w: _SideWrite) -> tuple[Any, ...]:
        return (
            oid,
            w.comparison.comparison_id,
            w.role_slug,
            w.which,
            w.fetch_id,
            w.fetched_at,
            self.run_id,
            w.record.parser_version,
            w.digest,
            *w.figures.values(),
        )

    def _buffer_observation(self, oid: int, w: _SideWrite) -> None:
        self._buf.observations.append(self._observation_row(oid, w))
        self._buffer_children(oid, w.role_slug, w.side)

    def _buffer_children(self, oid: int, role_slug: str, side: SideRecord) -> None:
        buf = self._buf
        if side.gender_pct:
            buf.gender.extend((oid, role_slug, k, v) for k, v in side.gender_pct.items())
        if side.race_pct:
            buf.race.extend((oid, role_slug, k, v) for k, v in side.race_pct.items())
        buf.skills.extend((oid, role_slug, n, s) for n, s in enumerate(side.top_skills, 1))

    def _count_nulls(self, figures: dict[str, Any]) -> None:
        self._sides_loaded += 1
        counts = self._null_counts
        for column, value in figures.items():
            if value is None:
                counts[column] += 1

    def _failed(self, page: Parsed) -> None:
        self.report.failed_pages += 1
        fetch = page.fetch
        url = fetch.url if fetch else page.url
        kind = f"parse_{page.error_kind or 'error'}"
        key = page_key(fetch.url) if fetch else (url or "")
        self._issue(Issue(kind, key, page.error_message or kind), page, url)
        if fetch is not None:
            self._fetch_updates.append(("failed", None, page.charset, fetch.fetch_id))

    def _issue(self, issue: Issue, page: Parsed | None, url: str | None) -> None:
        ident = (issue.kind, issue.check_key)
        is_dq = issue.kind.startswith("dq_")
        if is_dq:
            if ident in self._run_dq_keys:
                return
            self._run_dq_keys.add(ident)
        known = ident in self._previous_keys or ident in self._replaced_keys
        if is_dq:
            self.report.dq_failures += 1
            self.report.dq_new += not known
        kinds = self.report.issues_by_kind
        kinds[issue.kind] = kinds.get(issue.kind, 0) + 1
        fetch = page.fetch if page else None
        self._issues.append(
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
                self._now,
                issue.check_key,
                int(known),
            )
        )

    def _drop_fetch_issues(self, fetch_ids: list[int]) -> None:
        for chunk in batched(fetch_ids, 900):
            marks = ", ".join("?" * len(chunk))
            for kind, key in self.conn.execute(
                f"SELECT kind, check_key FROM parse_issues WHERE fetch_id IN ({marks})", chunk
            ):
                self._replaced_keys.add((kind, key))
                self._run_dq_keys.discard((kind, key))
            self.conn.execute(f"DELETE FROM parse_issues WHERE fetch_id IN ({marks})", chunk)

    def _flush(self) -> None:
        """Write buffered rows, parents first (foreign keys are checked per statement)."""
        buf, conn = self._buf, self.conn
        if buf.roles:
            conn.executemany(
                "INSERT INTO roles (role_slug, title) VALUES (?, ?) ON CONFLICT (role_slug) "
                "DO UPDATE SET title = excluded.title WHERE title IS NOT excluded.title",
                buf.roles.items(),
            )
            buf.roles.clear()
        new = [c for c in self._comparisons.values() if not c.stored]
        if new:
            conn.executemany(
                "INSERT INTO comparisons (comparison_id, role_a_slug, role_b_slug, page_key, url, "
                "canonical_url, higher_paid, first_seen_at, last_seen_at, last_changed_at, "
                "content_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (c.comparison_id, a, b, *self._comparison_values(c))
                    for (a, b), c in self._comparisons.items()
                    if not c.stored
                ],
            )
            for c in new:
                c.stored, c.dirty = True, False
        children = "(observation_id, role_slug, {}, {}) VALUES (?, ?, ?, ?)"
        for sql, rows in (
            (_INSERT_OBS, buf.observations),
            ("INSERT INTO role_gender " + children.format("label", "pct"), buf.gender),
            ("INSERT INTO role_race " + children.format("label", "pct"), buf.race),
            ("INSERT INTO role_skills " + children.format("rank", "skill"), buf.skills),
        ):
            if rows:
                conn.executemany(sql, rows)
                rows.clear()

    @staticmethod
    def _comparison_values(c: _Comparison) -> tuple[Any, ...]:
        return (
            c.page_key,
            c.url,
            c.canonical_url,
            c.higher_paid,
            c.first_seen_at,
            c.last_seen_at,
            c.last_changed_at,
            c.content_sha256,
        )

    def _write_batch_tail(self) -> None:
        conn = self.conn
        dirty = [c for c in self._comparisons.values() if c.dirty]
        if dirty:
            conn.executemany(
                "UPDATE comparisons SET page_key = ?, url = ?, canonical_url = ?, higher_paid = ?, "
                "first_seen_at = ?, last_seen_at = ?, last_changed_at = ?, content_sha256 = ? "
                "WHERE comparison_id = ?",
                [(*self._comparison_values(c), c.comparison_id) for c in dirty],
            )
            for c in dirty:
                c.dirty = False
        if self._issues:
            conn.executemany(_INSERT_ISSUE, self._issues)
        if self._fetch_updates:
            conn.executemany(
                "UPDATE fetches SET load_state = ?, loaded_at = ?, charset = coalesce(?, charset) "
                "WHERE fetch_id = ?",
                self._fetch_updates,
            )
        if self._sides_loaded:
            conn.executemany(
                "INSERT INTO load_stats (run_id, column_name, sides, nulls) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (run_id, column_name) DO UPDATE SET "
                "sides = sides + excluded.sides, nulls = nulls + excluded.nulls",
                [(self.run_id, c, self._sides_loaded, n) for c, n in self._null_counts.items()],
            )

    # -- end of the load --------------------------------------------------------------

    def _finish(self) -> None:
        """Checks that need the whole run: null shares per column against the previous run."""
        self._now = utc_now()
        self._issues = []
        self._replaced_keys = set()
        before = self.report.dq_failures
        if self.previous_run is not None:
            current = self._stats(self.run_id)
            previous = self._stats(self.previous_run)
            for issue in quality.null_jumps(current, previous):
                self._issue(issue, None, None)
        if self._issues:
            self.conn.executemany(_INSERT_ISSUE, self._issues)
        add_counters(self.conn, self.run_id, {"dq_failures": self.report.dq_failures - before})

    def _stats(self, run_id: str) -> dict[str, tuple[int, int]]:
        return {
            column: (sides, nulls)
            for column, sides, nulls in self.conn.execute(
                "SELECT column_name, sides, nulls FROM load_stats WHERE run_id = ?", (run_id,)
            )
        }


def update_presence(conn: sqlite3.Connection) -> int:
    """Fetches without a body to load still say something about a comparison: a page
    fetched again unchanged (``not_modified``/``unchanged``) moves its ``last_seen_at``,
    unless the body it confirms is one that did not parse (the page is in
    ``unparsed_pages``: its stored figures are not what the site shows); a page answering
    404/410 (``gone``) after it was last seen sets ``gone_at``, which a later sighting
    clears, unless the crawl decided it is not gone (``url_state.gone_at`` unset: the run
    held its 404s back, ``store.crawl_state.CrawlState.settle_gone``, or a later answer
    cleared it). Returns how many comparisons' ``last_seen_at`` moved."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        moved = conn.execute(
            """
            UPDATE comparisons SET last_seen_at = f.seen
            FROM (SELECT page_key, max(fetched_at) AS seen FROM fetches
                  WHERE outcome IN ('unchanged', 'not_modified')
                    AND page_key NOT IN (SELECT page_key FROM unparsed_pages)
                  GROUP BY page_key) AS f
            WHERE comparisons.page_key = f.page_key AND f.seen > comparisons.last_seen_at
            """
        ).rowcount
        conn.execute(
            """
            UPDATE comparisons SET gone_at = f.gone
            FROM (SELECT page_key, max(fetched_at) AS gone FROM fetches
                  WHERE outcome = 'gone' AND page_key NOT IN (
                      SELECT page_key FROM url_state WHERE gone_at IS NULL)
                  GROUP BY page_key) AS f
            WHERE comparisons.page_key = f.page_key AND f.gone > comparisons.last_seen_at
              AND comparisons.gone_at IS NULL
            """
        )
        conn.execute(
            "UPDATE comparisons SET gone_at = NULL "
            "WHERE gone_at IS NOT NULL AND last_seen_at > gone_at"
        )
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return int(moved)


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
    pages = (r if isinstance(r, Parsed) else Parsed(r) for r in records)
    report = Loader(conn, run_id, batch_size, fetched_at=fetched_at).load(pages)
    if own_run:
        finish_load_run(conn, run_id, report.verdict(failed_fraction))
    return report


def finish_load_run(conn: sqlite3.Connection, run_id: str, verdict: Verdict) -> None:
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
    finished here). Bodies come from the WARC archive, parsed by
    ``settings.run.workers`` processes."""
    from pipeline.reparse import parsed_pages, stored_fetches

    fetches = stored_fetches(conn, reparse=reparse)
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
    report = loader.load(pages)
    report.seen_unchanged = update_presence(conn)
    if own_run:
        finish_load_run(conn, run_id, report.verdict(settings.run.failed_fraction))
    return report
