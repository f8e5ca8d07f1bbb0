"""The schema: documented in full by the Datasette metadata, migrated in place, never
silently rebuilt."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from support.load import pages
from support.report_fixture import build

from pipeline.load import load_records
from schemas.database import MIGRATIONS, SCHEMA_VERSION, user_version
from schemas.errors import SchemaTooNew
from schemas.views import analyst_views
from store.db import connect

pytestmark = pytest.mark.usefixtures("databases_stay_clean")

METADATA = Path(__file__).resolve().parent.parent / "schemas" / "metadata.json"


def full_text_indexes(conn: sqlite3.Connection) -> dict[str, str]:
    """Each FTS virtual table (``role_search_fts``), keyed by name, with the table whose
    text it indexes (its ``content=``)."""
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
        "AND sql LIKE 'CREATE VIRTUAL TABLE%USING FTS%'"
    ).fetchall()
    found = {n: re.search(r"content\s*=\s*[\[\"']?(\w+)", sql, re.I) for n, sql in rows}
    return {name: match.group(1) for name, match in found.items() if match}


def columns_of(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The columns of every table and view, but sqlite's own tables and the full-text
    indexes with their shadow tables (``role_search_fts``, ``role_search_fts_data``, …),
    which belong to sqlite's FTS5 and are searched through the table they index."""
    indexes = full_text_indexes(conn)
    names = [
        n
        for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%'"
        )
        if not any(n == fts or n.startswith(f"{fts}_") for fts in indexes)
    ]
    return {n: [r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')] for n in names}


def test_metadata_documents_every_table_view_and_column() -> None:
    meta = json.loads(METADATA.read_text(encoding="utf-8"))
    documented = meta["databases"]["careers"]["tables"]
    conn = connect(":memory:")
    actual = columns_of(conn)
    assert set(documented) == set(actual)
    for name, columns in actual.items():
        assert documented[name]["description"].strip(), name
        assert list(documented[name]["columns"]) == columns, name
        assert all(d.strip() for d in documented[name]["columns"].values()), name
    # Datasette searches a table through the index the metadata names for it
    searchable = {n: t["fts_table"] for n, t in documented.items() if "fts_table" in t}
    assert searchable == {t: f for f, t in full_text_indexes(conn).items()}


@pytest.mark.parametrize(
    ("suffix", "unit"),
    [("_usd", "$/"), ("_pct", "[%]"), ("months_to_become_min", "[months]"), ("_at", "ISO 8601")],
)
def test_metadata_states_units(suffix: str, unit: str) -> None:
    meta = json.loads(METADATA.read_text(encoding="utf-8"))
    checked = 0
    for table in meta["databases"]["careers"]["tables"].values():
        for column, description in table["columns"].items():
            if column.endswith(suffix):
                assert unit in description, (column, description)
                checked += 1
    assert checked
    hourly = meta["databases"]["careers"]["tables"]["role_latest"]["columns"]["hourly_rate_usd"]
    assert "[$/hour]" in hourly


def test_a_fresh_database_is_current_and_clean(tmp_path: Path) -> None:
    conn = connect(tmp_path / "careers.db")
    assert user_version(conn) == SCHEMA_VERSION == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    conn.close()
    assert user_version(connect(tmp_path / "careers.db")) == SCHEMA_VERSION


def _version_1_database(path: Path) -> None:
    """A database as careers-etl with schema version 1 left it, holding loaded rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.executescript("BEGIN;" + MIGRATIONS[0] + "PRAGMA user_version = 1; COMMIT;")
    # raw: rows as version 1 wrote them; today's store writes today's schema only
    conn.execute(
        "INSERT INTO runs (run_id, command, started_at) "
        "VALUES ('old', 'crawl', '2026-10-01T00:00:00Z')"
    )
    conn.execute("INSERT INTO roles VALUES ('nurse', 'Nurse'), ('doctor', 'Doctor')")
    conn.execute(
        "INSERT INTO comparisons (comparison_id, role_a_slug, role_b_slug, page_key, url, "
        "first_seen_at, last_seen_at, last_changed_at) VALUES (1, 'nurse', 'doctor', "
        "'/nurse-jobs/nurse-vs-doctor-differences/', 'https://www.zippia.com/nurse-jobs/"
        "nurse-vs-doctor-differences/', '2026-10-01T00:00:00Z', '2026-10-01T00:00:00Z', "
        "'2026-10-01T00:00:00Z')"
    )
    conn.execute(
        "INSERT INTO role_observations (observation_id, comparison_id, role_slug, side, "
        "fetched_at, run_id, parser_version, record_sha256, yearly_salary_usd) VALUES "
        "(1, 1, 'nurse', 'a', '2026-10-01T00:00:00Z', 'old', '0.9', 'x', 77000)"
    )
    conn.execute(
        "INSERT INTO parse_issues (url, run_id, kind, message, created_at) VALUES "
        "('u', 'old', 'unknown_row', 'drift', '2026-10-01T00:00:00Z')"
    )
    conn.close()


def test_an_older_database_is_upgraded_in_place_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "careers.db"
    _version_1_database(path)
    inode = path.stat().st_ino
    conn = connect(path)
    assert user_version(conn) == SCHEMA_VERSION
    assert path.stat().st_ino == inode, "upgraded in place, not rebuilt"
    assert conn.execute("SELECT yearly_salary_usd FROM role_observations").fetchone()[0] == 77000
    issue = conn.execute("SELECT kind, check_key, known FROM parse_issues").fetchone()
    assert tuple(issue) == ("unknown_row", None, 0)
    assert conn.execute("SELECT count(*) FROM load_stats").fetchone()[0] == 0
    # and the upgraded database takes loads like a new one
    records = [p.expected for p in pages(range(2))]
    report = load_records(conn, records)
    assert report.records_written == 4
    slugs = {r.role(s).slug for r in records for s in ("a", "b")} | {"nurse"}
    assert {r[0] for r in conn.execute("SELECT role_slug FROM role_latest")} == slugs


def test_a_newer_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "careers.db"
    conn = connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNew, match="newer"):
        connect(path)
    assert path.read_bytes() == before


def test_the_lean_views_give_the_rows_the_views_they_replace_gave(tmp_path: Path) -> None:
    """v9 rewrote role_latest and comparison_wide to hold less while they run; on a
    history with changed, vanished and disagreeing pages they answer as v8's did."""
    history = build(
        tmp_path / "careers.db", pages=40, changed=(2, 5, 9), gone=(7,), missing=(11,), added=(40,)
    )
    db = history.db
    wide = tmp_path / "v8.db"
    wide.write_bytes(db.read_bytes())
    with sqlite3.connect(wide) as conn:
        conn.executescript(
            "DROP VIEW role_latest; DROP VIEW comparison_wide; DROP VIEW role_history;"
            + analyst_views(portable=True)
        )

    def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(path)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    for view, order in (("role_latest", "role_slug"), ("comparison_wide", "comparison_id")):
        sql = f"SELECT * FROM {view} ORDER BY {order}"
        lean = rows(db, sql)
        assert lean and lean == rows(wide, sql), view
