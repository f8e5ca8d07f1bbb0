"""The only SQL that writes ``parse_issues``: what the loader found wrong with pages
(refused pages, warnings, data-quality checks), and the reads that tell a new issue
from one already known."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from store.db import chunks

ISSUE_COLUMNS: tuple[str, ...] = (
    "url",
    "run_id",
    "fetch_id",
    "kind",
    "table",
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
_QUOTED = ", ".join(f'"{c}"' for c in ISSUE_COLUMNS)
_INSERT_ISSUE = (
    f"INSERT INTO parse_issues ({_QUOTED}) VALUES ({', '.join('?' * len(ISSUE_COLUMNS))})"
)


def add_issues(conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Write issue rows, each as ``ISSUE_COLUMNS``."""
    if rows:
        conn.executemany(_INSERT_ISSUE, rows)


def check_keys(conn: sqlite3.Connection, run_id: str) -> set[tuple[str, str]]:
    """``(kind, check_key)`` of every keyed issue of run ``run_id``."""
    return {
        (kind, key)
        for kind, key in conn.execute(
            "SELECT kind, check_key FROM parse_issues WHERE run_id = ? AND check_key IS NOT NULL",
            (run_id,),
        )
    }


def drop_fetch_issues(conn: sqlite3.Connection, fetch_ids: Iterable[int]) -> set[tuple[str, str]]:
    """Delete the issues these fetches produced (a re-parse replaces them); returns their
    ``(kind, check_key)``, so the new ones can be told apart as known."""
    dropped: set[tuple[str, str]] = set()
    for chunk in chunks(fetch_ids, 900):
        marks = ", ".join("?" * len(chunk))
        dropped.update(
            conn.execute(
                f"SELECT kind, check_key FROM parse_issues WHERE fetch_id IN ({marks})", chunk
            ).fetchall()
        )
        conn.execute(f"DELETE FROM parse_issues WHERE fetch_id IN ({marks})", chunk)
    return {(kind, key) for kind, key in dropped}


def forget_fetches(conn: sqlite3.Connection, fetch_ids_sql: str, params: Mapping[str, Any]) -> None:
    """Keep the issues of fetches about to be pruned, without their ``fetch_id``
    (``fetch_ids_sql`` selects them, with ``params``)."""
    conn.execute(
        f"UPDATE parse_issues SET fetch_id = NULL WHERE fetch_id IN ({fetch_ids_sql})", params
    )
