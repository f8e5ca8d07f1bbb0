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
from collections.abc import Sequence
from pathlib import Path

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
)
"""The crawl's counters, named the same in ``runs``, run reports, summaries and the report."""

LOAD_COUNTERS: tuple[str, ...] = ("records_written", "warnings", "dq_failures")

_SCALAR_TYPES = {
    "yearly_salary_usd": "INTEGER",
    "number_of_jobs": "INTEGER",
    "average_salary_usd": "INTEGER",
    "salary_range_low_usd": "INTEGER",
    "salary_range_high_usd": "INTEGER",
}


def _scalar_columns() -> str:
    cols = []
    for name in SCALAR_FIELDS:
        if name in _SCALAR_TYPES:
            sql_type = _SCALAR_TYPES[name]
        elif name.endswith(("_pct", "_usd", "_age", "_experience", "satisfaction")):
            sql_type = "REAL"
        else:
            sql_type = "TEXT"
        cols.append(f"    {name} {sql_type}")
    return ",\n".join(cols)


def _counter_columns() -> str:
    return ",\n".join(f"    {c} INTEGER NOT NULL DEFAULT 0" for c in COUNTERS + LOAD_COUNTERS)


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

CREATE TABLE role_gender (
    observation_id INTEGER NOT NULL REFERENCES role_observations(observation_id)
        ON DELETE CASCADE,
    role_slug TEXT NOT NULL REFERENCES roles(role_slug),
    label TEXT NOT NULL,
    pct REAL,
    PRIMARY KEY (observation_id, label)
);

CREATE TABLE role_race (
    observation_id INTEGER NOT NULL REFERENCES role_observations(observation_id)
        ON DELETE CASCADE,
    role_slug TEXT NOT NULL REFERENCES roles(role_slug),
    label TEXT NOT NULL,
    pct REAL,
    PRIMARY KEY (observation_id, label)
);

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
"""

MIGRATIONS: Sequence[str] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer careers-etl; refuse rather than guess."""


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
        try:
            conn.executescript(
                "BEGIN;\n" + MIGRATIONS[version] + f"\nPRAGMA user_version = {version + 1};\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.rollback()
            raise
    return found


def connect(path: Path | str) -> sqlite3.Connection:
    """Open (creating if needed) the database with the project's pragmas and schema."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    migrate(conn)
    return conn
