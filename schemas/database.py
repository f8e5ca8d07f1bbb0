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
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from schemas.columns import COUNTERS, LOAD_COUNTERS, scalar_type
from schemas.errors import SchemaTooNew
from schemas.imports import without
from schemas.records import SCALAR_FIELDS
from schemas.views import (
    ANSWERED,
    ROLE_SEARCH_COLUMNS,
    ROLE_SEARCH_FTS,
    ROLE_SEARCH_ROWS,
    analyst_views,
    unparsed_pages_view,
)


def _scalar_columns() -> str:
    return ",\n".join(f"    {name} {scalar_type(name)}" for name in SCALAR_FIELDS)


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
{analyst_views()}
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

_V4_UNPARSED_PAGES = unparsed_pages_view(
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

_V6_UNPARSED_NOT_GONE = "DROP VIEW unparsed_pages;\n" + unparsed_pages_view(
    "NOT EXISTS (SELECT 1 FROM url_state s WHERE s.page_key = f.page_key AND s.gone_at IS NOT NULL)"
)
"""v6: a page leaves ``unparsed_pages`` as gone only when the crawl marked it gone
(``url_state.gone_at``), the one rule ``update_presence`` follows too; v4 read the latest
404 itself, so a run that held its 404s back (``run.max_gone_fraction``) hid every refused
page."""

_V7_ROLE_SEARCH = f"""
CREATE TABLE IF NOT EXISTS role_search (
    role_slug TEXT PRIMARY KEY REFERENCES roles(role_slug),
    title TEXT NOT NULL,
    description TEXT,
    skills TEXT
);
INSERT OR IGNORE INTO role_search ({", ".join(ROLE_SEARCH_COLUMNS)}) {ROLE_SEARCH_ROWS};
"""


@cache
def sqlite_utils_database() -> Any:
    """``sqlite_utils.Database``, imported without pandas and numpy (``schemas.imports``)."""
    with without():
        from sqlite_utils import Database as database
    return database


def _v7_role_search(conn: sqlite3.Connection) -> None:
    """v7: ``role_search``, one row per role for full-text search, and its FTS5 index
    ``role_search_fts`` with the triggers that keep it in step (``enable_fts``). Runs
    outside one transaction (sqlite-utils commits around its scripts), so every step is
    safe to repeat: a migration killed halfway is finished by the next start."""
    conn.executescript(f"BEGIN;\n{_V7_ROLE_SEARCH}\nCOMMIT;")
    table = sqlite_utils_database()(conn, execute_plugins=False).table("role_search")
    table.enable_fts(list(ROLE_SEARCH_FTS), create_triggers=True, replace=True)


_V8_PORTABLE_VIEWS = (
    "DROP VIEW role_latest;\nDROP VIEW comparison_wide;\nDROP VIEW role_history;\n"
    + analyst_views(portable=True)
)
"""v8: the same analyst views, written without SQLite's two-argument ``min``/``max``
(``pair_key``, the disagreement tolerance), which DuckDB read as aggregates and so could
only read the views as text."""

Migration = str | Callable[[sqlite3.Connection], None]
"""A step of ``MIGRATIONS``: SQL run in one transaction, or, where a library must run its
own statements, a function whose every step may be repeated."""

_V9_LEAN_VIEWS = (
    "DROP VIEW role_latest;\nDROP VIEW comparison_wide;\nDROP VIEW role_history;\n"
    + analyst_views(portable=True, lean=True)
)
"""v9: the same views, holding only the current observations' keys while they run
(``schemas.views._CURRENT_KEYS``), where v8 had SQLite materialize every current
observation whole, descriptions included: memory that grew with the site, in every
export and report."""

MIGRATIONS: Sequence[Migration] = (
    _V1,
    _V2_QUALITY,
    _V3_RUN_NOTES,
    _V4_UNPARSED_PAGES,
    _V5_GUARDS,
    _V6_UNPARSED_NOT_GONE,
    _v7_role_search,
    _V8_PORTABLE_VIEWS,
    _V9_LEAN_VIEWS,
)
SCHEMA_VERSION = len(MIGRATIONS)


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
            conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version + 1};\nCOMMIT;")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.rollback()
            raise
    return found
