"""CSV (and, with pyarrow, Parquet) exports: one file per table and view.

UTF-8 with a header row, CRLF line ends (RFC 4180: cells holding CR or LF are
quoted), columns in schema order, rows in key order, ISO 8601 UTC
timestamps as stored, empty cells for NULL. Text cells that a spreadsheet would
execute (leading ``=``, ``+``, ``-``, ``@``, tab, CR or NUL) get a leading ``'``;
numbers are never touched, because the decision is made per cell on the value's type,
not per column. Rows are streamed in chunks and each file is written under a temporary
name and renamed, so a reader never sees half a file.

Parquet columns are typed from the schema, never from the first rows: a column's
SQLite declared type (``PRAGMA table_info``), or for a view's computed column its entry
in ``VIEW_COLUMN_TYPES``. Full-text indexes (``CREATE VIRTUAL TABLE ... USING fts...``)
and their shadow tables are not exported: they are an index of other tables' text.
"""

from __future__ import annotations

import csv
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schemas.imports import without
from scraper.processes import pid_alive
from scraper.text import visible_start
from store.db import connect, replacing

if TYPE_CHECKING:
    import pyarrow as pa

CHUNK_ROWS = 1_000
"""Rows read from SQLite at a time (as Python objects: the export's working memory)."""
ROW_GROUP_BYTES = 4 * 1024 * 1024
"""A Parquet row group is written once its Arrow arrays hold this much: what the export
holds stays the same however long or wide the table is."""
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")

#: Row order of the views (tables are ordered by their primary key).
VIEW_ORDER = {
    "role_latest": "role_slug",
    "comparison_wide": "comparison_id",
    "role_history": "role_slug, fetched_at, comparison_id, side",
}

VIEW_COLUMN_TYPES: dict[str, dict[str, str]] = {
    "comparison_wide": {"pair_key": "TEXT"},
    "role_history": {"superseded_at": "TEXT"},
    "role_latest": {
        "comparisons_seen": "INTEGER",
        "disagrees": "INTEGER",
        "disagreeing_fields": "TEXT",
    },
    "unparsed_pages": {"kind": "TEXT", "comparison_id": "INTEGER"},
}
"""The SQLite type of each view column that is an expression (SQLite declares none for
them); every other column keeps the declared type of the table column it reads."""

_FTS = re.compile(r"^\s*CREATE\s+VIRTUAL\s+TABLE\b.*?\bUSING\s+fts\d*\b", re.I | re.S)


def neutralize(value: Any) -> Any:
    """``'``-prefix a text cell a spreadsheet would run as a formula, also when whitespace
    or invisible characters come first; anything else as is."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_PREFIXES) or visible_start(value).startswith(FORMULA_PREFIXES)
    ):
        return "'" + value
    return value


def full_text_tables(conn: sqlite3.Connection) -> set[str]:
    """Every full-text index (FTS3/4/5 virtual table) and its shadow tables."""
    master = conn.execute("SELECT name, type, sql FROM sqlite_master").fetchall()
    indexes = {name for name, kind, sql in master if kind == "table" and _FTS.match(sql or "")}
    return {
        name
        for name, kind, _ in master
        if kind == "table"
        and (name in indexes or any(name.startswith(f"{fts}_") for fts in indexes))
    }


def relations(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """``(name, 'table' | 'view')`` of everything exported, in name order: every table and
    view but SQLite's own and the full-text indexes."""
    skipped = full_text_tables(conn)
    return [
        (name, kind)
        for name, kind in conn.execute(
            "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        if name not in skipped
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
            yield rows if conn.row_factory is None else [tuple(r) for r in rows]

    return columns, chunks()


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
    with replacing(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(columns)
        for rows in chunks:
            writer.writerows([neutralize(v) for v in row] for row in rows)
    return path


def affinity(declared: str) -> str:
    """SQLite's column affinity of a declared type (the rules of "Datatypes In SQLite",
    3.1): ``INTEGER``, ``TEXT``, ``BLOB``, ``REAL`` or ``NUMERIC``; ``""`` when nothing is
    declared."""
    declared = declared.upper()
    if not declared:
        return ""
    if "INT" in declared:
        return "INTEGER"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in declared:
        return "BLOB"
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def column_types(conn: sqlite3.Connection, name: str) -> dict[str, str]:
    """Each column's affinity, from its declared type or ``VIEW_COLUMN_TYPES``; ``""``
    for a column neither types (left to ``_stored_types``)."""
    listed = VIEW_COLUMN_TYPES.get(name, {})
    return {
        row[1]: affinity(row[2] or listed.get(row[1], ""))
        for row in conn.execute(f'PRAGMA table_info("{name}")')
    }


def _stored_types(conn: sqlite3.Connection, name: str, columns: list[str]) -> dict[str, str]:
    """For columns the schema does not type: the affinity the values stored in every row
    agree on (integers only: ``INTEGER``; numbers: ``REAL``; else ``TEXT``)."""
    if not columns:
        return {}
    found = conn.execute(
        "SELECT " + ", ".join(f'group_concat(DISTINCT typeof("{c}"))' for c in columns)
        + f' FROM "{name}"'
    ).fetchone()  # fmt: skip
    out = {}
    for column, kinds in zip(columns, found, strict=True):
        stored = set((kinds or "").split(",")) - {"", "null"}
        if stored == {"integer"}:
            out[column] = "INTEGER"
        elif stored and stored <= {"integer", "real"}:
            out[column] = "REAL"
        elif stored == {"blob"}:
            out[column] = "BLOB"
        else:
            out[column] = "TEXT"
    return out


def arrow_schema(conn: sqlite3.Connection, name: str) -> pa.Schema:
    """The Parquet schema of a table or view, from its column types (never its first rows)."""
    import pyarrow as pa

    types = column_types(conn, name)
    untyped = [c for c, t in types.items() if t in ("", "NUMERIC")]
    types.update(_stored_types(conn, name, untyped))
    arrow = {"INTEGER": pa.int64(), "REAL": pa.float64(), "BLOB": pa.binary()}
    return pa.schema([(c, arrow.get(t, pa.string())) for c, t in types.items()])


def write_parquet(conn: sqlite3.Connection, name: str, kind: str, path: Path) -> Path:
    """The same rows as the CSV, typed, raw text (Parquet is not opened by spreadsheets).

    Each chunk of rows becomes Arrow arrays at once (compact, unlike the rows' Python
    objects); a row group is written every ``ROW_GROUP_BYTES``. pyarrow imports pandas
    the first time it builds an array, only to ask whether the values are pandas objects;
    none are, so pandas cannot be imported meanwhile (unless something imported it)."""
    pa, pq = _pyarrow()
    schema = arrow_schema(conn, name)
    columns, chunks = _chunks(conn, name, kind)
    assert columns == schema.names, (columns, schema.names)
    text = [schema.field(c).type == pa.string() for c in columns]
    with without(("pandas",)), replacing(path) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        held: list[pa.RecordBatch] = []
        for rows in chunks:
            arrays = [
                pa.array(
                    [str(r[i]) if text[i] and r[i] is not None else r[i] for r in rows],
                    type=schema.field(i).type,
                )
                for i in range(len(columns))
            ]
            held.append(pa.record_batch(arrays, schema=schema))
            if sum(b.nbytes for b in held) >= ROW_GROUP_BYTES:
                writer.write_table(pa.Table.from_batches(held, schema))
                held = []
        if held:
            writer.write_table(pa.Table.from_batches(held, schema))
    return path


def _pyarrow(without_numpy: bool = False) -> tuple[Any, Any]:
    """``pyarrow`` and ``pyarrow.parquet``, with the system allocator (unless the
    environment chose one), which hands freed buffers back where pyarrow's default pool
    keeps an export's largest row groups for the rest of the run.

    ``without_numpy``: loaded with numpy unimportable (``schemas.imports``), which saves
    the process numpy's memory. pyarrow decides once per process whether numpy exists, and
    then no longer converts to or from numpy or pandas in that process, so only a process
    that will use neither (``careers refresh``, ``careers export``) may ask for it; it
    changes nothing where numpy is loaded already."""
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    with without(("numpy",) if without_numpy else ()):
        import pyarrow as pa
        import pyarrow.parquet as pq
    return pa, pq


def parquet_available(without_numpy: bool = False) -> bool:
    try:
        _pyarrow(without_numpy)
    except ImportError:
        return False
    return True


def export_all(db_path: Path | str, csv_dir: Path | str, without_numpy: bool = False) -> list[Path]:
    """Write ``<name>.csv`` (and ``<name>.parquet`` with pyarrow) for every table and view.
    ``without_numpy``: pyarrow is first loaded here, then without numpy (``_pyarrow``);
    only for a process that ends with the export."""
    csv_dir = Path(csv_dir)
    csv_dir.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(csv_dir)
    parquet = parquet_available(without_numpy)
    written: list[Path] = []
    conn = connect(db_path)
    conn.row_factory = None  # rows as plain tuples: a chunk is held once
    try:
        conn.execute("BEGIN")  # one snapshot for every file
        for name, kind in relations(conn):
            written.append(write_csv(conn, name, kind, csv_dir / f"{name}.csv"))
            if parquet:
                written.append(write_parquet(conn, name, kind, csv_dir / f"{name}.parquet"))
    finally:
        conn.close()
    return written
