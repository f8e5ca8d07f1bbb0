"""CSV export: every table and view, stable columns, NULL as empty, formulas neutralized."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from support.extras import require
from support.load import pages

from pipeline.export import export_all, full_text_tables, neutralize, relations
from pipeline.load import load_records
from store.db import connect

pytestmark = pytest.mark.usefixtures("databases_stay_clean")

HOSTILE = {
    "best_paying_company": '=HYPERLINK("http://evil.example","click")',
    "highest_paying_city": "+1 555 0100",
    "highest_paying_state": "-Idaho",
    "best_paying_industry": "@SUM(A1:A9)",
    "most_common_major": "\tTabbed",
    "most_common_college": "\rCarriage",
    "description": "\0nul first",
}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def exported(tmp_path: Path) -> tuple[Path, Path, list]:
    generated = pages(range(5))
    records = [p.expected.model_copy(deep=True) for p in generated]
    for name, value in HOSTILE.items():
        setattr(records[0].sides.a, name, value)
    records[0].role_a.title = "=cmd|' /C calc'!A0"
    records[0].role_a.slug = "formula-role"
    records[1].sides.b.growth_rate_pct = -3.5
    records[1].sides.b.job_satisfaction = None
    return load_and_export(tmp_path, records)


def load_and_export(tmp_path: Path, records: list) -> tuple[Path, Path, list]:
    db = tmp_path / "careers.db"
    conn = connect(db)
    load_records(conn, records, fetched_at="2026-11-01T00:00:00Z")
    conn.close()
    out = tmp_path / "csv"
    export_all(db, out)
    return db, out, records


def test_every_table_and_view_is_exported_with_its_columns_in_order(exported) -> None:
    db, out, _ = exported
    conn = sqlite3.connect(db)
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%'"
        )
    ]
    assert {"role_latest", "comparison_wide", "role_history", "fetches", "roles"} <= set(names)
    names = [n for n in names if n not in full_text_tables(conn)]  # the schema's search index
    assert sorted(p.stem for p in out.glob("*.csv")) == sorted(names)
    assert not list(out.glob(".*")), "no temporary files left behind"
    for name in names:
        columns = [d[0] for d in conn.execute(f'SELECT * FROM "{name}" LIMIT 0').description]
        with (out / f"{name}.csv").open(encoding="utf-8") as fh:
            assert next(csv.reader(fh)) == columns
        rows = read_csv(out / f"{name}.csv")
        assert len(rows) == conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]


def test_formula_cells_are_neutralized_in_csv_and_raw_in_the_database(exported) -> None:
    db, out, records = exported
    conn = sqlite3.connect(db)
    slug = records[0].role_a.slug
    raw = conn.execute(
        f"SELECT {', '.join(HOSTILE)} FROM role_observations WHERE role_slug = ?", (slug,)
    ).fetchone()
    assert dict(zip(HOSTILE, raw, strict=True)) == HOSTILE
    row = next(r for r in read_csv(out / "role_observations.csv") if r["role_slug"] == slug)
    for name, value in HOSTILE.items():
        assert row[name] == "'" + value, name
    latest = next(r for r in read_csv(out / "role_latest.csv") if r["role_slug"] == slug)
    assert latest["best_paying_company"] == "'" + HOSTILE["best_paying_company"]
    title = next(r for r in read_csv(out / "roles.csv") if r["role_slug"] == slug)["title"]
    assert title == "'=cmd|' /C calc'!A0"
    assert conn.execute("SELECT title FROM roles WHERE role_slug = ?", (slug,)).fetchone()[0] == (
        "=cmd|' /C calc'!A0"
    )


def test_numbers_are_untouched_and_null_is_empty(exported) -> None:
    _, out, records = exported
    side = records[1].sides.b
    slug = records[1].role_b.slug
    row = next(r for r in read_csv(out / "role_observations.csv") if r["role_slug"] == slug)
    assert row["growth_rate_pct"] == "-3.5"
    assert row["job_satisfaction"] == ""
    assert row["yearly_salary_usd"] == str(side.yearly_salary_usd)
    assert row["fetched_at"] == "2026-11-01T00:00:00Z"


def test_an_integer_column_with_nulls_stays_integers(tmp_path: Path) -> None:
    records = [p.expected.model_copy(deep=True) for p in pages(range(5))]
    records[0].sides.a.number_of_jobs = None  # the page showed "-": the first row is NULL
    db, out, _ = load_and_export(tmp_path, records)
    conn = sqlite3.connect(db)
    assert conn.execute(
        "SELECT number_of_jobs FROM role_observations WHERE observation_id = 1"
    ).fetchone() == (None,), "the first observation stored is the NULL one"
    jobs = {
        int(r["observation_id"]): r["number_of_jobs"]
        for r in read_csv(out / "role_observations.csv")
    }
    assert jobs[1] == ""
    stored = dict(conn.execute("SELECT observation_id, number_of_jobs FROM role_observations"))
    assert all(jobs[i] == str(v) for i, v in stored.items() if v is not None)
    assert not any("." in j for j in jobs.values())


def test_neutralize_only_touches_text() -> None:
    assert neutralize(-3) == -3
    assert neutralize(-3.5) == -3.5
    assert neutralize(None) is None
    assert neutralize("-") == "'-"
    assert neutralize("Plain") == "Plain"


@pytest.mark.parametrize(
    "cell", ['\u200b=HYPERLINK("http://x")', " =1+1", "\ufeff\u202e+1", "\xa0@SUM(A1)"]
)
def test_the_csv_guard_looks_past_whitespace_and_invisible_characters(cell: str) -> None:
    assert neutralize(cell) == "'" + cell
    assert neutralize("") == ""


def test_export_replaces_files_whole(exported) -> None:
    db, out, _ = exported
    before = (out / "roles.csv").stat().st_ino
    export_all(db, out)
    assert (out / "roles.csv").stat().st_ino != before, "a new file renamed into place"


def test_parquet_beside_the_csv(exported) -> None:
    pq = require("pyarrow.parquet")
    _, out, records = exported
    table = pq.read_table(out / "role_observations.parquet").to_pylist()
    slug = records[0].role_a.slug
    row = next(r for r in table if r["role_slug"] == slug)
    assert row["best_paying_company"] == HOSTILE["best_paying_company"]


def test_an_export_killed_mid_write_leaves_nothing_behind_for_long(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    stale = csv_dir / f".roles.csv.{dead}.tmp"
    stale.write_text("half a file")
    mine = csv_dir / f".analyst-notes.csv.{os.getpid()}.tmp"
    mine.write_text("an export of this process, still writing")
    export_all(tmp_path / "careers.db", csv_dir)
    assert not stale.exists() and mine.exists()
    assert (csv_dir / "roles.csv").is_file()


def test_full_text_indexes_and_their_shadow_tables_are_not_exported(exported) -> None:
    db, out, _ = exported
    conn = sqlite3.connect(db)
    conn.executescript(  # raw: an analyst's own tables, which no careers code writes
        """
        CREATE TABLE notes (note_id INTEGER PRIMARY KEY, body TEXT);
        INSERT INTO notes (body) VALUES ('first note'), ('second note');
        CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes', content_rowid='note_id');
        INSERT INTO notes_fts (notes_fts) VALUES ('rebuild');
        create virtual table "Old_Search" using FTS4(body);
        INSERT INTO "Old_Search" (body) VALUES ('an fts4 index');
        CREATE VIRTUAL TABLE docs_fts
            USING fts5(body);
        INSERT INTO docs_fts (body) VALUES ('stores its own content');
        """
    )
    conn.commit()
    shadows = {
        "notes_fts_data", "notes_fts_idx", "notes_fts_docsize", "notes_fts_config",
        "docs_fts_content", "Old_Search_content", "Old_Search_segments", "Old_Search_segdir",
    }  # fmt: skip
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert shadows <= tables, "SQLite made the shadow tables"
    skipped = {"notes_fts", "docs_fts", "Old_Search"} | shadows
    assert skipped <= full_text_tables(conn)
    assert not full_text_tables(conn) & {"notes", "roles", "role_observations"}
    export_all(db, out)
    written = {p.stem for p in out.iterdir()}
    assert "notes" in written and {name for name, _ in relations(conn)} >= {"notes", "roles"}
    assert not written & skipped, written & skipped


def test_a_process_that_exports_can_still_use_pandas_on_the_parquet(exported) -> None:
    """A library caller's export leaves pyarrow whole: pandas imported afterwards in the
    same process reads the Parquet files (loading pyarrow without numpy, which the
    commands do to save memory, would break that for the rest of the process)."""
    require("pyarrow")
    db, _, _ = exported
    code = (
        "import sys\n"
        "from pipeline.export import export_all\n"
        "export_all(sys.argv[1], sys.argv[2])\n"
        "import pandas as pd\n"
        "frame = pd.read_parquet(sys.argv[2] + '/roles.parquet')\n"
        "print(len(frame), frame['title'].str.len().min() > 0)\n"
    )
    out = db.parent / "again"
    done = subprocess.run(
        [sys.executable, "-c", code, str(db), str(out)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [str(len(read_csv(out / "roles.csv"))), "True"]
