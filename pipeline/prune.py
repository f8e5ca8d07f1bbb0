"""``careers prune --keep-runs N``: drop what only old runs still need.

A fetch-log row goes when its run is older than the last N runs, no observation was
loaded from it, and its page is not waiting to be (re)parsed (load_state pending or
failed: a page that did not parse is kept for the parser fix). A WARC file goes when no
remaining fetch row points into it. Parse issues of dropped fetches keep their text and
lose only the link. Frontier rows of old, finished runs go too.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PruneResult:
    fetch_rows: int
    frontier_rows: int
    files: int
    bytes_freed: int


_OLD_RUNS = """
    SELECT run_id FROM runs
    WHERE run_id NOT IN (SELECT run_id FROM runs ORDER BY started_at DESC LIMIT :keep)
      AND finished_at IS NOT NULL
"""

_PRUNABLE_FETCHES = f"""
    SELECT fetch_id FROM fetches
    WHERE run_id IN ({_OLD_RUNS})
      AND coalesce(load_state, '') NOT IN ('pending', 'failed')
      AND NOT EXISTS (SELECT 1 FROM role_observations o WHERE o.fetch_id = fetches.fetch_id)
"""


def prune(conn: sqlite3.Connection, archive_dir: Path, keep_runs: int) -> PruneResult:
    if keep_runs < 1:
        raise ValueError("--keep-runs must be at least 1")
    params = {"keep": keep_runs}
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TEMP TABLE prune_fetches AS " + _PRUNABLE_FETCHES, params)
        conn.execute(
            "UPDATE parse_issues SET fetch_id = NULL "
            "WHERE fetch_id IN (SELECT fetch_id FROM prune_fetches)"
        )
        fetch_rows = conn.execute(
            "DELETE FROM fetches WHERE fetch_id IN (SELECT fetch_id FROM prune_fetches)"
        ).rowcount
        frontier_rows = conn.execute(
            f"DELETE FROM frontier WHERE run_id IN ({_OLD_RUNS})", params
        ).rowcount
        conn.execute("DROP TABLE prune_fetches")
        referenced = {
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT warc_file FROM fetches WHERE warc_file IS NOT NULL"
            )
        }
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    files, freed = _remove_unreferenced(archive_dir, referenced)
    return PruneResult(fetch_rows, frontier_rows, files, freed)


def _remove_unreferenced(archive_dir: Path, referenced: set[str]) -> tuple[int, int]:
    """Delete archive files no fetch row points into. Runs after the commit, so a crash
    in between leaves files without rows (harmless), never rows without files."""
    if not archive_dir.is_dir():
        return 0, 0
    files = freed = 0
    for path in sorted(archive_dir.rglob("*.warc*")):
        if path.is_file() and path.relative_to(archive_dir).as_posix() not in referenced:
            size = path.stat().st_size
            path.unlink()
            files += 1
            freed += size
    return files, freed
