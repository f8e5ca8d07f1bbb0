"""The SQLite schema: every table, index and view, and the migrations between versions.

One database file holds the crawl's state (``runs``, ``frontier``, ``url_state``,
``fetches``) and the analysts' tables (``roles``, ``comparisons``,
``role_observations`` and its long-format children, ``parse_issues``). The
documentation of each table and column lives in ``schemas/metadata.json``
(Datasette metadata), which a test keeps in step with this file.

Migrations are append-only: ``MIGRATIONS[i]`` takes a database from version ``i``
to ``i + 1``. An older database is upgraded in place by ``migrate``; a newer
one is refused rather than silently rebuilt.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from schemas.errors import SchemaTooNew
from schemas.records import SCALAR_FIELDS

COUNTERS: tuple[str, ...] = (
    "discovered",
    "fetched",
    "not_modified",
    "unchanged",
    "changed",
    "new",
    "retried",
    "failed",
    "gone",
    "blocked",
    "robots_skipped",
    "deferred",
    "bytes",
    "rejected_urls",
    "rejected_sitemaps",
    "gone_held",
)
"""The crawl's counters, named the same in ``runs``, run reports, summaries and the report."""

LOAD_COUNTERS: tuple[str, ...] = ("records_written", "warnings", "dq_failures")

TRIED: tuple[str, ...] = (
    "new",
    "changed",
    "unchanged",
    "not_modified",
    "failed",
    "gone",
    "blocked",
)
"""Counters of pages the run asked the site for and got an answer about."""
OUTCOMES: tuple[str, ...] = (*TRIED, "deferred", "robots_skipped")
"""What one fetch-log row says happened to a page (``fetches.outcome``); each is a counter."""
FAILED: tuple[str, ...] = ("failed", "blocked")
"""Counters of pages that could not be had; their share of ``TRIED`` decides exit code 1."""


def failed_share(counters: Mapping[str, int], failed_parses: int = 0) -> tuple[int, int]:
    """``(failed, tried)`` pages of a run: fetch failures, blocks and pages that did not
    parse, out of every page tried. The same rule for ``careers crawl``, ``load`` and
    ``refresh``."""
    tried = sum(counters.get(k, 0) for k in TRIED)
    return sum(counters.get(k, 0) for k in FAILED) + failed_parses, tried


_SCALAR_TYPES = {
    "yearly_salary_usd": "INTEGER",
    "number_of_jobs": "INTEGER",
    "average_salary_usd": "INTEGER",
    "salary_range_low_usd": "INTEGER",
    "salary_range_high_usd": "INTEGER",
}


def _scalar_type(name: str) -> str:
    if name in _SCALAR_TYPES:
        return _SCALAR_TYPES[name]
    if name.endswith(("_pct", "_usd", "_age", "_experience", "satisfaction")):
        return "REAL"
    return "TEXT"


def _scalar_columns() -> str:
    return ",\n".join(f"    {name} {_scalar_type(name)}" for name in SCALAR_FIELDS)


def _shares_table(name: str) -> str:
    """A long-format "label, pct" table of an observation (gender and race shares)."""
    return f"""CREATE TABLE {name} (
    observation_id INTEGER NOT NULL REFERENCES role_observations(observation_id)
        ON DELETE CASCADE,
    role_slug TEXT NOT NULL REFERENCES roles(role_slug),
    label TEXT NOT NULL,
    pct REAL,
    PRIMARY KEY (observation_id, label)
);"""


_V1_COUNTERS: tuple[str, ...] = COUNTERS[: COUNTERS.index("bytes") + 1]
"""The counters ``runs`` had in schema version 1; later ones are added by their migration."""


def _counter_columns() -> str:
    return ",\n".join(f"    {c} INTEGER NOT NULL DEFAULT 0" for c in _V1_COUNTERS + LOAD_COUNTERS)


FIGURE_COLUMNS: tuple[str, ...] = (*SCALAR_FIELDS, "months_to_become_min", "months_to_become_max")
"""A role's figures as typed columns, named the same in ``role_observations`` and every view."""

DISAGREE_TOLERANCE = 0.005
"""Numbers on two pages disagree when they differ by more than this fraction (0.5%)."""

_CURRENT_OBSERVATIONS = """
    SELECT * FROM (
        SELECT o.*, row_number() OVER (
            PARTITION BY o.comparison_id, o.side
            ORDER BY o.fetched_at DESC, o.observation_id DESC
        ) AS _newest
        FROM role_observations o
    ) WHERE _newest = 1"""


def _is_numeric(column: str) -> bool:
    return column.startswith("months_to_become") or _scalar_type(column) != "TEXT"


def _disagreement(column: str) -> str:
    """SQL, evaluated per role over its comparisons' latest figures: true when they differ."""
    if _is_numeric(column):
        return (
            f"(max({column}) - min({column}) > "
            f"{DISAGREE_TOLERANCE} * max(abs(max({column})), abs(min({column}))))"
        )
    return f"(count(DISTINCT {column}) > 1)"


def _analyst_views() -> str:
    figures = ", ".join(f"r.{c}" for c in FIGURE_COLUMNS)
    any_disagrees = " OR ".join(_disagreement(c) for c in FIGURE_COLUMNS)
    which = " || ".join(
        f"CASE WHEN {_disagreement(c)} THEN '{c},' ELSE '' END" for c in FIGURE_COLUMNS
    )
    sides = ",\n    ".join(
        f"{s}.{c} AS {s}_{c}" for s in ("a", "b") for c in ("observation_id", *FIGURE_COLUMNS)
    )
    history = ", ".join(f"o.{c}" for c in FIGURE_COLUMNS)
    return f"""
CREATE VIEW role_latest AS
WITH current AS ({_CURRENT_OBSERVATIONS}
),
ranked AS (
    SELECT current.*, row_number() OVER (
        PARTITION BY role_slug ORDER BY fetched_at DESC, comparison_id ASC, side ASC
    ) AS _pick
    FROM current
),
spread AS (
    SELECT role_slug,
        count(DISTINCT comparison_id) AS comparisons_seen,
        CASE WHEN {any_disagrees} THEN 1 ELSE 0 END AS disagrees,
        nullif(rtrim({which}, ','), '') AS disagreeing_fields
    FROM current GROUP BY role_slug
)
SELECT r.role_slug, roles.title, {figures},
    r.fetched_at, r.run_id, r.parser_version, r.comparison_id, r.side, r.observation_id,
    spread.comparisons_seen, spread.disagrees, spread.disagreeing_fields
FROM ranked r
JOIN spread ON spread.role_slug = r.role_slug
JOIN roles ON roles.role_slug = r.role_slug
WHERE r._pick = 1;

CREATE VIEW comparison_wide AS
WITH current AS ({_CURRENT_OBSERVATIONS}
)
SELECT c.comparison_id,
    min(c.role_a_slug, c.role_b_slug) || '|' || max(c.role_a_slug, c.role_b_slug) AS pair_key,
    c.role_a_slug, ra.title AS role_a_title, c.role_b_slug, rb.title AS role_b_title,
    c.page_key, c.url, c.canonical_url, c.higher_paid,
    c.first_seen_at, c.last_seen_at, c.last_changed_at,
    {sides}
FROM comparisons c
JOIN roles ra ON ra.role_slug = c.role_a_slug
JOIN roles rb ON rb.role_slug = c.role_b_slug
LEFT JOIN current a ON a.comparison_id = c.comparison_id AND a.side = 'a'
LEFT JOIN current b ON b.comparison_id = c.comparison_id AND b.side = 'b';

CREATE VIEW role_history AS
SELECT o.role_slug, roles.title, o.fetched_at,
    lead(o.fetched_at) OVER (
        PARTITION BY o.comparison_id, o.side ORDER BY o.fetched_at, o.observation_id
    ) AS superseded_at,
    o.run_id, o.parser_version, o.comparison_id, o.side, c.page_key, o.observation_id,
    {history}
FROM role_observations o
JOIN roles ON roles.role_slug = o.role_slug
JOIN comparisons c ON c.comparison_id = o.comparison_id;
"""


_V1 = f"""
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    command TEXT NOT NULL,
    base_url TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    exit_code INTEGER,
    complete INTEGER NOT NULL DEFAULT 0,
{_counter_columns()}
);

CREATE TABLE frontier (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    page_key TEXT NOT NULL,
    url TEXT NOT NULL,
    source TEXT NOT NULL,
    depth INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'done', 'deferred')),
    discovered_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (run_id, page_key)
);
CREATE INDEX frontier_pending ON frontier(run_id, state);

CREATE TABLE url_state (
    page_key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    content_sha256 TEXT,
    last_status INTEGER,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    last_fetched_at TEXT,
    gone_at TEXT
);

CREATE TABLE fetches (
    fetch_id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    page_key TEXT NOT NULL,
    url TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN (
        'new', 'changed', 'unchanged', 'not_modified', 'failed', 'gone', 'blocked',
        'deferred', 'robots_skipped')),
    status INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    elapsed_ms INTEGER,
    etag TEXT,
    last_modified TEXT,
    content_sha256 TEXT,
    warc_file TEXT,
    warc_offset INTEGER,
    error TEXT,
    load_state TEXT CHECK (load_state IN ('pending', 'loaded', 'failed')),
    loaded_at TEXT,
    UNIQUE (run_id, page_key)
);
CREATE INDEX fetches_load_state ON fetches(load_state);
CREATE INDEX fetches_page_key ON fetches(page_key);

CREATE TABLE roles (
    role_slug TEXT PRIMARY KEY,
    title TEXT NOT NULL
);

CREATE TABLE comparisons (
    comparison_id INTEGER PRIMARY KEY,
    role_a_slug TEXT NOT NULL REFERENCES roles(role_slug),
    role_b_slug TEXT NOT NULL REFERENCES roles(role_slug),
    page_key TEXT NOT NULL,
    url TEXT NOT NULL,
    canonical_url TEXT,
    higher_paid TEXT CHECK (higher_paid IN ('a', 'b')),
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    last_changed_at TEXT NOT NULL,
    content_sha256 TEXT,
    gone_at TEXT,
    UNIQUE (role_a_slug, role_b_slug)
);
CREATE INDEX comparisons_role_b ON comparisons(role_b_slug);
CREATE INDEX comparisons_page_key ON comparisons(page_key);

CREATE TABLE role_observations (
    observation_id INTEGER PRIMARY KEY,
    comparison_id INTEGER NOT NULL REFERENCES comparisons(comparison_id),
    role_slug TEXT NOT NULL REFERENCES roles(role_slug),
    side TEXT NOT NULL CHECK (side IN ('a', 'b')),
    fetch_id INTEGER REFERENCES fetches(fetch_id),
    fetched_at TEXT NOT NULL,
    run_id TEXT,
    parser_version TEXT NOT NULL,
    record_sha256 TEXT NOT NULL,
{_scalar_columns()},
    months_to_become_min REAL,
    months_to_become_max REAL,
    UNIQUE (comparison_id, side, fetched_at)
);
CREATE INDEX role_observations_role ON role_observations(role_slug, fetched_at);
CREATE INDEX role_observations_fetch ON role_observations(fetch_id);
CREATE INDEX role_observations_run ON role_observations(run_id);

{_shares_table("role_gender")}

{_shares_table("role_race")}

CREATE TABLE role_skills (
    observation_id INTEGER NOT NULL REFERENCES role_observations(observation_id)
        ON DELETE CASCADE,
    role_slug TEXT NOT NULL REFERENCES roles(role_slug),
    rank INTEGER NOT NULL,
    skill TEXT NOT NULL,
    PRIMARY KEY (observation_id, rank)
);
CREATE INDEX role_skills_skill ON role_skills(skill);

CREATE TABLE parse_issues (
    issue_id INTEGER PRIMARY KEY,
    url TEXT,
    run_id TEXT,
    fetch_id INTEGER REFERENCES fetches(fetch_id),
    kind TEXT NOT NULL,
    "table" TEXT,
    row TEXT,
    side TEXT,
    raw TEXT,
    message TEXT NOT NULL,
    warc_file TEXT,
    warc_offset INTEGER,
    created_at TEXT NOT NULL
);
CREATE INDEX parse_issues_run ON parse_issues(run_id, kind);
CREATE INDEX parse_issues_fetch ON parse_issues(fetch_id);
{_analyst_views()}
"""

_V2_QUALITY = """
ALTER TABLE parse_issues ADD COLUMN check_key TEXT;
ALTER TABLE parse_issues ADD COLUMN known INTEGER NOT NULL DEFAULT 0;
CREATE INDEX parse_issues_check ON parse_issues(run_id, kind, check_key);

CREATE TABLE load_stats (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    column_name TEXT NOT NULL,
    sides INTEGER NOT NULL DEFAULT 0,
    nulls INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, column_name)
);
"""
"""v2, data-quality bookkeeping: which check a ``parse_issues`` row is (``check_key``),
whether the previous run had it too (``known``), and per-run null counts per column."""

_V3_RUN_NOTES = """
ALTER TABLE runs ADD COLUMN note TEXT;
"""
"""v3: a run that never finished (killed) is closed by the next run, with a note saying so."""

ANSWERED: tuple[str, ...] = ("new", "changed", "unchanged", "not_modified", "gone")
"""Outcomes in which the site said what the page is now (a body, "same as before", or
"gone"): the latest of them decides whether a page is still on the site."""


def _unparsed_pages_view(not_gone: str) -> str:
    """The ``unparsed_pages`` view, with ``not_gone`` the rule that keeps a page gone from
    the site off the list."""
    return f"""
CREATE VIEW unparsed_pages AS
SELECT f.page_key, f.url, substr(i.kind, length('parse_') + 1) AS kind, i.message,
    f.fetched_at, f.run_id, f.fetch_id, f.warc_file, f.warc_offset,
    (SELECT min(c.comparison_id) FROM comparisons c WHERE c.page_key = f.page_key)
        AS comparison_id
FROM fetches f
LEFT JOIN parse_issues i ON i.issue_id = (
    SELECT min(p.issue_id) FROM parse_issues p
    WHERE p.fetch_id = f.fetch_id AND p.kind LIKE 'parse\\_%' ESCAPE '\\'
)
WHERE f.load_state = 'failed' AND f.warc_file IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM fetches later
    WHERE later.page_key = f.page_key AND later.warc_file IS NOT NULL
      AND later.load_state IN ('loaded', 'failed')
      AND (later.fetched_at > f.fetched_at
           OR (later.fetched_at = f.fetched_at AND later.fetch_id > f.fetch_id))
  )
  AND NOT EXISTS (
    SELECT 1 FROM comparisons seen
    WHERE seen.page_key = f.page_key AND seen.last_seen_at > f.fetched_at
  )
  AND {not_gone};
"""


_V4_UNPARSED_PAGES = _unparsed_pages_view(
    f"""coalesce((
    SELECT g.outcome FROM fetches g
    WHERE g.page_key = f.page_key AND g.outcome IN ({", ".join(f"'{o}'" for o in ANSWERED)})
    ORDER BY g.fetched_at DESC, g.fetch_id DESC LIMIT 1
  ), '') != 'gone'"""
)
"""v4, pages whose latest stored body did not parse: a fetch whose body failed
(``load_state = 'failed'``) with no later body of the same page that was loaded or failed,
on a page not seen with a parsed body since (``comparisons.last_seen_at``, which a 304 on a
listed page does not move: this holds when ``careers prune`` has dropped the later fetch)
and whose latest answer is not 404/410. A 304 or an unchanged body after it keeps it listed
(the body it confirms is the one that failed); a later body that parses, or a
``--reparse`` that parses it, removes it. ``kind`` is the parser's reason without the
``parse_`` prefix of ``parse_issues.kind``."""

_V5_GUARDS = """
ALTER TABLE fetches ADD COLUMN charset TEXT;
ALTER TABLE runs ADD COLUMN rejected_urls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN rejected_sitemaps INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN gone_held INTEGER NOT NULL DEFAULT 0;
"""
"""v5: the codec a body was decoded with (``fetches.charset``); URLs and sitemaps a run
refused (not ``http``/``https`` on an allowed host; not XML or an XML with a DOCTYPE), and
pages that answered 404/410 but were not marked gone because too many did at once
(``run.max_gone_fraction``)."""

_V6_UNPARSED_NOT_GONE = "DROP VIEW unparsed_pages;\n" + _unparsed_pages_view(
    "NOT EXISTS (SELECT 1 FROM url_state s WHERE s.page_key = f.page_key AND s.gone_at IS NOT NULL)"
)
"""v6: a page leaves ``unparsed_pages`` as gone only when the crawl marked it gone
(``url_state.gone_at``), the one rule ``update_presence`` follows too; v4 read the latest
404 itself, so a run that held its 404s back (``run.max_gone_fraction``) hid every refused
page."""

ROLE_SEARCH_COLUMNS: tuple[str, ...] = ("role_slug", "title", "description", "skills")
ROLE_SEARCH_FTS: tuple[str, ...] = ("title", "description", "skills")
"""The columns of ``role_search`` and those its full-text index ``role_search_fts`` holds."""

ROLE_SEARCH_ROWS = """
SELECT r.role_slug, r.title,
  (SELECT o.description FROM role_observations o
   WHERE o.role_slug = r.role_slug AND o.description IS NOT NULL
   ORDER BY o.fetched_at DESC, o.observation_id DESC LIMIT 1) AS description,
  (SELECT group_concat(k.skill, ', ') FROM (
     SELECT s.skill FROM role_skills s
     WHERE s.observation_id = (
       SELECT o.observation_id FROM role_observations o
       WHERE o.role_slug = r.role_slug
         AND EXISTS (SELECT 1 FROM role_skills x WHERE x.observation_id = o.observation_id)
       ORDER BY o.fetched_at DESC, o.observation_id DESC LIMIT 1)
     ORDER BY s.rank) k) AS skills
FROM roles r
"""
"""Each role's ``role_search`` row as the observations make it: its title, its latest
description and its latest top skills (``", "``-joined, in rank order). Filter with a
``WHERE`` on ``r.role_slug``."""

_V7_ROLE_SEARCH = f"""
CREATE TABLE IF NOT EXISTS role_search (
    role_slug TEXT PRIMARY KEY REFERENCES roles(role_slug),
    title TEXT NOT NULL,
    description TEXT,
    skills TEXT
);
INSERT OR IGNORE INTO role_search ({", ".join(ROLE_SEARCH_COLUMNS)}) {ROLE_SEARCH_ROWS};
"""


def _v7_role_search(conn: sqlite3.Connection) -> None:
    """v7: ``role_search``, one row per role for full-text search, and its FTS5 index
    ``role_search_fts`` with the triggers that keep it in step (``enable_fts``). Runs
    outside one transaction (sqlite-utils commits around its scripts), so every step is
    safe to repeat: a migration killed halfway is finished by the next start."""
    from sqlite_utils import Database

    conn.executescript(f"BEGIN;\n{_V7_ROLE_SEARCH}\nCOMMIT;")
    table = Database(conn, execute_plugins=False).table("role_search")
    table.enable_fts(list(ROLE_SEARCH_FTS), create_triggers=True, replace=True)


Migration = str | Callable[[sqlite3.Connection], None]
"""A step of ``MIGRATIONS``: SQL run in one transaction, or, where a library must run its
own statements, a function whose every step may be repeated."""

MIGRATIONS: Sequence[Migration] = (
    _V1,
    _V2_QUALITY,
    _V3_RUN_NOTES,
    _V4_UNPARSED_PAGES,
    _V5_GUARDS,
    _V6_UNPARSED_NOT_GONE,
    _v7_role_search,
)
SCHEMA_VERSION = len(MIGRATIONS)


def utc_now() -> str:
    """The timestamp format of every table: ISO 8601 UTC with milliseconds and ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Bring ``conn``'s schema to ``SCHEMA_VERSION`` in place; return the version it had."""
    found = user_version(conn)
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"database schema version {found} is newer than this careers-etl "
            f"understands ({SCHEMA_VERSION}); upgrade careers-etl"
        )
    for version in range(found, SCHEMA_VERSION):
        step = MIGRATIONS[version]
        script = step if isinstance(step, str) else ""
        try:
            if callable(step):
                step(conn)
            conn.executescript(
                f"BEGIN;\n{script}\nPRAGMA user_version = {version + 1};\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.rollback()
            raise
    return found
