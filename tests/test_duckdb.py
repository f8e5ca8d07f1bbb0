"""DuckDB on what careers-etl writes: the Parquet export read back with ``read_parquet``, and
the README's analyst queries run on the SQLite file through DuckDB's sqlite extension
(the ``duckdb-extension-sqlite-scanner`` package, loaded from its file: no network), all
but those ``NOT_IN_DUCKDB`` lists, which DuckDB must still refuse.

The database is the one two ``careers refresh`` runs of the demo site leave (between them
the site changes two pages and redesigns one into a markup the parser refuses), so every
table has the rows a real run writes: NULLs, text, integers, reals, timestamps.
"""

from __future__ import annotations

import math
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.commands import refresh as run_refresh
from support.demo_site import start_site
from support.extras import require
from support.readme import REPRESENTATIVE, readme_queries

from pipeline import export
from pipeline.export import column_types, export_all, relations

duckdb = require("duckdb")
scanner = require("duckdb_extension_sqlite_scanner")
require("pyarrow.parquet")

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
DUCKDB_TYPE = {"INTEGER": "BIGINT", "REAL": "DOUBLE", "TEXT": "VARCHAR", "BLOB": "BLOB"}
"""The DuckDB type a Parquet column of each SQLite affinity reads back as."""

VIEWS = ("role_latest", "comparison_wide", "role_history", "unparsed_pages")

NOT_IN_DUCKDB = {
    r"\bMATCH\b": "SQLite full-text search (role_search_fts MATCH ...): DuckDB's sqlite"
    " extension cannot read FTS5 virtual tables, and DuckDB has no MATCH operator",
}
"""README queries DuckDB cannot run at all (by what their SQL uses), and why: the test
checks that DuckDB still refuses them, so a list that has gone stale fails."""

UNBOUND = (
    "DuckDB reads this view with every column VARCHAR: it could not bind the view's SQL"
    " (SQLite's scalar two-argument min(x, y)/max(x, y) is DuckDB's aggregate min(x, n)/"
    "max(x, n)), so its numbers would sort and subtract as text; write such calls as CASE"
    " (schemas/views.py, portable=True)"
)


def refresh(base_url: str, out: Path) -> subprocess.CompletedProcess[str]:
    """``careers refresh`` in a child process, every output under ``out``."""
    return run_refresh(base_url, out, env={"CAREERS_LIMITS__TIMEOUT": "2"}, timeout=180)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The output directory of two refreshes (their exports included)."""
    out = tmp_path_factory.mktemp("duckdb")
    running = start_site(pages=20)
    try:
        first = refresh(running.base_url, out)
        assert first.returncode == 0, first.stderr
        assert httpx.post(running.url("/_admin/change?k=2"), timeout=10).status_code == 200
        redesign = httpx.get(running.url("/_admin/redesign?k=1&to=renamed"), timeout=10)
        assert redesign.status_code == 200
        second = refresh(running.base_url, out)
        assert second.returncode == 1, second.stderr  # the refused page
    finally:
        running.stop()
    yield out


def sqlite_rows(db: Path, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return [tuple(r) for r in conn.execute(sql, params or {})]


def exported_order(db: Path, name: str, kind: str) -> str:
    with closing(sqlite3.connect(db)) as conn:
        return export._order_by(conn, name, kind)


def parquet(con: Any, path: Path) -> tuple[dict[str, str], list[tuple]]:
    """A Parquet file as DuckDB reads it: its column types and its rows."""
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    rows = con.execute(f"SELECT * FROM read_parquet('{path}')").fetchall()
    return {r[0]: r[1] for r in described}, [tuple(r) for r in rows]


def stored_kinds(db: Path, name: str, column: str) -> set[str]:
    found = sqlite_rows(db, f'SELECT DISTINCT typeof("{column}") FROM "{name}"')
    return {r[0] for r in found} - {"null"}


def test_every_table_and_view_reads_back_from_parquet_as_sqlite_holds_it(refreshed: Path) -> None:
    db = refreshed / "careers.db"
    with closing(sqlite3.connect(db)) as conn:
        exported = relations(conn)
        types = {name: column_types(conn, name) for name, _ in exported}
    assert sorted(p.stem for p in (refreshed / "csv").glob("*.parquet")) == [n for n, _ in exported]
    con = duckdb.connect()
    timestamps = nulls = 0
    for name, kind in exported:
        read_types, read_rows = parquet(con, refreshed / "csv" / f"{name}.parquet")
        order = exported_order(db, name, kind)
        expected = sqlite_rows(db, f'SELECT * FROM "{name}" ORDER BY {order}')
        assert len(read_rows) == len(expected), name
        assert list(read_types) == list(types[name]), name
        for column, affinity in types[name].items():
            assert read_types[column] == DUCKDB_TYPE[affinity], (name, column)
            kinds = stored_kinds(db, name, column)
            if affinity == "INTEGER":
                assert kinds <= {"integer"}, (name, column, kinds)
            if column.endswith("_at"):
                assert read_types[column] == "VARCHAR", (name, column)
                values = {r[list(types[name]).index(column)] for r in read_rows} - {None}
                assert all(ISO_UTC.match(v) for v in values), (name, column, values)
                timestamps += len(values)
        # integers stay integers, reals reals, NULLs NULL, text as stored (no CSV guard)
        assert read_rows == expected, name
        nulls += sum(value is None for row in read_rows for value in row)
    assert timestamps and nulls, "the refreshed database holds timestamps and NULLs"


def test_the_shipped_schema_types_every_column_without_reading_values(refreshed: Path) -> None:
    with closing(sqlite3.connect(refreshed / "careers.db")) as conn:
        untyped = {
            f"{name}.{column}"
            for name, _ in relations(conn)
            for column, affinity in column_types(conn, name).items()
            if affinity in ("", "NUMERIC")
        }
    assert not untyped, f"give these view columns a type in export.VIEW_COLUMN_TYPES: {untyped}"


def test_a_column_whose_first_chunk_is_all_null_keeps_its_type(
    refreshed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "careers.db"
    with (
        closing(sqlite3.connect(refreshed / "careers.db")) as source,
        closing(sqlite3.connect(db)) as copy,
    ):
        source.backup(copy)
        total = copy.execute("SELECT count(*) FROM role_observations").fetchone()[0]
        # expressions: SQLite declares no type for them, and the first rows are NULL
        copy.execute(
            "CREATE VIEW late_figures AS SELECT observation_id, "
            f"CASE WHEN observation_id > {total // 2} THEN number_of_jobs + 0 END AS jobs, "
            f"CASE WHEN observation_id > {total // 2} THEN hourly_rate_usd * 1 END AS rate "
            "FROM role_observations"
        )
        # raw: a table without declared types, which the schema never has
        copy.execute("CREATE TABLE untyped (id INTEGER PRIMARY KEY, n)")
        copy.executemany("INSERT INTO untyped (n) VALUES (?)", [(None,)] * 50 + [(7,)] * 5)
        copy.commit()
    monkeypatch.setattr(export, "CHUNK_ROWS", 10)  # several chunks, the first all NULL
    out = tmp_path / "csv"
    export_all(db, out)
    con = duckdb.connect()
    types, rows = parquet(con, out / "late_figures.parquet")
    assert types == {"observation_id": "BIGINT", "jobs": "BIGINT", "rate": "DOUBLE"}
    assert rows[0][1:] == (None, None) and any(r[1] is not None for r in rows)
    assert rows == sqlite_rows(db, "SELECT * FROM late_figures ORDER BY 1")
    types, rows = parquet(con, out / "untyped.parquet")
    assert types == {"id": "BIGINT", "n": "BIGINT"}
    assert [r[1] for r in rows] == [None] * 50 + [7] * 5


def unbound_views(con: Any) -> list[str]:
    """The analyst views DuckDB reads with every column VARCHAR (see ``UNBOUND``)."""
    return [
        view
        for view in VIEWS
        if {r[1] for r in con.execute(f"DESCRIBE {view}").fetchall()} == {"VARCHAR"}
    ]


def attached(db: Path) -> Any:
    """DuckDB with the SQLite file attached read-only as ``careers`` and in use."""
    extension = (
        Path(scanner.__file__).parent / "extensions" / f"v{duckdb.__version__}"
        / "sqlite_scanner.duckdb_extension"
    )  # fmt: skip
    assert extension.is_file(), f"no {extension}: duckdb and its sqlite scanner must match"
    con = duckdb.connect()
    con.execute(f"LOAD '{extension}'")
    con.execute(f"ATTACH '{db}' AS careers (TYPE sqlite, READ_ONLY)")
    con.execute("USE careers")
    return con


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, int | float) and isinstance(b, int | float) and math.isclose(a, b)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("name", sorted(readme_queries()))
def test_each_readme_query_answers_in_duckdb_as_in_sqlite(refreshed: Path, name: str) -> None:
    db = refreshed / "careers.db"
    sql = readme_queries()[name]
    params = {
        key: sqlite_rows(db, query)[0][0]
        for key, query in REPRESENTATIVE.items()
        if f":{key}" in sql
    }
    expected = sqlite_rows(db, sql, params)
    con = attached(db)
    duck_sql = re.sub(r"(?<![\w:]):([A-Za-z_]\w*)", r"$\1", sql)
    assert not unbound_views(con), UNBOUND
    refused = [why for pattern, why in NOT_IN_DUCKDB.items() if re.search(pattern, sql)]
    if refused:
        with pytest.raises(duckdb.Error):
            con.execute(duck_sql, params).fetchall()
        return
    answer = [tuple(r) for r in con.execute(duck_sql, params).fetchall()]
    assert expected, f"{name}: the refreshed database gives the query rows to compare"
    assert len(answer) == len(expected), name
    for mine, theirs in zip(answer, expected, strict=True):
        assert all(same(a, b) for a, b in zip(mine, theirs, strict=True)), (name, mine, theirs)
