"""Opening the database, transactions, and atomic file writes: one helper for each.

The database is a ``sqlite_utils.Database`` over a connection in autocommit mode
(``isolation_level=None``), so a transaction is exactly what ``transaction`` opens and
nothing else starts one behind the code's back. Writers in ``store`` take the
``Database``; readers (status, report, export) may use its ``conn``.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from schemas.database import migrate, sqlite_utils_database

if TYPE_CHECKING:
    from sqlite_utils import Database
else:
    Database = sqlite_utils_database()

T = TypeVar("T")

STATEMENT_CACHE = 16
"""Prepared statements a connection keeps (Python's default is 128). A load's multi-row
inserts and ``IN (...)`` lookups take a new statement for every batch length, each as large
as its SQL; 128 of those is memory that grows with the run for no speed a load can
measure (``bench/memory_bench.py``, ``bench/load_bench.py``)."""


def open_db(path: Path | str) -> Database:
    """Open (creating if needed) the database with the project's pragmas, brought to the
    current schema (``schemas.database.migrate``, which refuses a newer one)."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path, timeout=30, isolation_level=None, cached_statements=STATEMENT_CACHE
    )
    conn.row_factory = sqlite3.Row
    db = Database(conn, execute_plugins=False)
    db.enable_wal()
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    migrate(conn)
    return db


def connect(path: Path | str) -> sqlite3.Connection:
    """The connection of ``open_db(path)``, for code that only reads, or hands it on."""
    return open_db(path).conn


def as_database(db: Database | sqlite3.Connection) -> Database:
    return db if isinstance(db, Database) else Database(db, execute_plugins=False)


@contextmanager
def transaction(db: Database | sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed when the block ends, rolled back (and the error
    raised) when it fails or is interrupted. Nested inside another it is a savepoint
    (``Database.atomic``).

    The outermost level starts with ``BEGIN IMMEDIATE`` where ``Database.atomic`` says
    ``BEGIN``: the write lock is taken at the start, where the busy timeout waits for
    another writer, instead of on the first write, where SQLite fails at once in WAL mode
    if another process committed since the transaction's first read."""
    database = as_database(db)
    conn = database.conn
    if conn.in_transaction:
        with database.atomic():
            yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that streams (CSV, Parquet); renamed
    over ``path`` when the block ends, removed when it fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file beside it and a rename, so a
    reader (or a crash) never sees half a file."""
    with replacing(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
    return path


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> Path:
    return write_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter): for statements with a
    bounded number of parameters, and batches."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk
