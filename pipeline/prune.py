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

from store.crawl_state import PRUNABLE_FETCHES, prune_old_runs
from store.db import transaction
from store.issues import forget_fetches


@dataclass
class PruneResult:
    fetch_rows: int
    frontier_rows: int
    files: int
    bytes_freed: int


def prune(conn: sqlite3.Connection, archive_dir: Path, keep_runs: int) -> PruneResult:
    if keep_runs < 1:
        raise ValueError("--keep-runs must be at least 1")
    with transaction(conn):
        forget_fetches(conn, PRUNABLE_FETCHES, {"keep": keep_runs})
        fetch_rows, frontier_rows = prune_old_runs(conn, keep_runs)
        referenced = {
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT warc_file FROM fetches WHERE warc_file IS NOT NULL"
            )
        }
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
