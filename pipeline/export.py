"""CSV (and, with pyarrow, Parquet) exports: one file per table and view.

UTF-8 with a header row, CRLF line ends (RFC 4180: cells holding CR or LF are
quoted), columns in schema order, rows in key order, ISO 8601 UTC
timestamps as stored, empty cells for NULL. Text cells that a spreadsheet would
execute (leading ``=``, ``+``, ``-``, ``@``, tab, CR or NUL) get a leading ``'``;
numbers are never touched, because the decision is made per cell on the value's type,
not per column. Rows are streamed in chunks and each file is written under a temporary
name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.lock import pid_alive
from scraper.text import visible_start
from store.db import connect

CHUNK_ROWS = 20_000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")

#: Row order of the views (tables are ordered by their primary key).
VIEW_ORDER = {
    "role_latest": "role_slug",
    "comparison_wide": "comparison_id",
    "role_history": "role_slug, fetched_at, comparison_id, side",
}


def neutralize(value: Any) -> Any:
    """``'``-prefix a text cell a spreadsheet would run as a formula, also when whitespace
    or invisible characters come first; anything else as is."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_PREFIXES) or visible_start(value).startswith(FORMULA_PREFIXES)
    ):
        return "'" + value
    return value


def relations(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """``(name, 'table' | 'view')`` of everything exported, in name order."""
    return [
        (name, kind)
        for name, kind in conn.execute(
            "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]


def _order_by(conn: sqlite3.Connection, name: str, kind: str) -> str:
    if kind == "view":
        return VIEW_ORDER.get(name, "1")
    info = conn.execute(f'PRAGMA table_info("{name}")').fetchall()
    keys = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
    return ", ".join(f'"{k}"' for k in keys) if keys else "rowid"


def _chunks(
    conn: sqlite3.Connection, name: str, kind: str
) -> tuple[list[str], Iterator[list[tuple[Any, ...]]]]:
    cursor = conn.execute(f'SELECT * FROM "{name}" ORDER BY {_order_by(conn, name, kind)}')
    columns = [d[0] for d in cursor.description]

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        while rows := cursor.fetchmany(CHUNK_ROWS):
            yield [tuple(r) for r in rows]

    return columns, chunks()


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def sweep_temporaries(csv_dir: Path) -> int:
    """Remove half-written files an export killed mid-write left behind (their writer is
    gone); an export running in parallel keeps its own."""
    removed = 0
    for tmp in csv_dir.glob(".*.tmp"):
        pid = tmp.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not pid_alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


def write_csv(conn: sqlite3.Connection, name: str, kind: str, path: Path) -> Path:
    columns, chunks = _chunks(conn, name, kind)
    tmp = _temporary(path)
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            pd.DataFrame(columns=columns).to_csv(fh, index=False, lineterminator="\r\n")
            for rows in chunks:
                frame = pd.DataFrame(rows, columns=columns, dtype=object)
                frame = frame.apply(lambda col: col.map(neutralize))
                frame.to_csv(fh, index=False, header=False, lineterminator="\r\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _arrow_type(declared: str, sample: Any) -> Any:
    import pyarrow as pa

    declared = declared.upper()
    if "INT" in declared or (not declared and isinstance(sample, int)):
        return pa.int64()
    if "REAL" in declared or (not declared and isinstance(sample, float)):
        return pa.float64()
    return pa.string()


def write_parquet(conn: sqlite3.Connection, name: str, kind: str, path: Path) -> Path:
    """The same rows as the CSV, typed, raw text (Parquet is not opened by spreadsheets)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    declared = {r[1]: r[2] for r in conn.execute(f'PRAGMA table_info("{name}")')}
    columns, chunks = _chunks(conn, name, kind)
    first = next(chunks, [])
    samples = {
        c: next((row[i] for row in first if row[i] is not None), None)
        for i, c in enumerate(columns)
    }
    schema = pa.schema([(c, _arrow_type(declared.get(c, ""), samples[c])) for c in columns])
    tmp = _temporary(path)
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for rows in chain([first], chunks) if first else ():
                data = {
                    c: [
                        str(r[i])
                        if r[i] is not None and schema.field(c).type == pa.string()
                        else r[i]
                        for r in rows
                    ]
                    for i, c in enumerate(columns)
                }
                writer.write_table(pa.table(data, schema=schema))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def parquet_available() -> bool:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def export_all(db_path: Path | str, csv_dir: Path | str) -> list[Path]:
    """Write ``<name>.csv`` (and ``<name>.parquet`` with pyarrow) for every table and view."""
    csv_dir = Path(csv_dir)
    csv_dir.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(csv_dir)
    parquet = parquet_available()
    written: list[Path] = []
    conn = connect(db_path)
    try:
        conn.execute("BEGIN")  # one snapshot for every file
        for name, kind in relations(conn):
            written.append(write_csv(conn, name, kind, csv_dir / f"{name}.csv"))
            if parquet:
                written.append(write_parquet(conn, name, kind, csv_dir / f"{name}.parquet"))
    finally:
        conn.close()
    return written
