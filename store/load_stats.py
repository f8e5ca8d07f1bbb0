"""The only SQL that writes ``load_stats``: per run and column, how many sides were
loaded and how many of them had no value (the null-share check compares runs)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping


def add_stats(conn: sqlite3.Connection, run_id: str, sides: int, nulls: Mapping[str, int]) -> None:
    """Add a batch's ``sides`` and per-column ``nulls`` to the run's totals."""
    if sides:
        conn.executemany(
            "INSERT INTO load_stats (run_id, column_name, sides, nulls) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (run_id, column_name) DO UPDATE SET "
            "sides = sides + excluded.sides, nulls = nulls + excluded.nulls",
            [(run_id, column, sides, n) for column, n in nulls.items()],
        )


def stats(conn: sqlite3.Connection, run_id: str) -> dict[str, tuple[int, int]]:
    """``{column: (sides, nulls)}`` of run ``run_id``."""
    return {
        column: (sides, nulls)
        for column, sides, nulls in conn.execute(
            "SELECT column_name, sides, nulls FROM load_stats WHERE run_id = ?", (run_id,)
        )
    }
