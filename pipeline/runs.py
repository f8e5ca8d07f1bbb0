"""Runs as the pipeline sees them: the JSON run report written beside the database's row,
and what the run lock does to the table (``guarded_runs``):
close the runs of a dead process when it takes over, and record how this process's runs
ended when an error or a signal ends them. The SQL is ``store.runs``'s."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.exitcodes import failure
from schemas.columns import COUNTERS, LOAD_COUNTERS
from store.db import connect
from store.runs import close_dead_runs, record_failure, snapshot

log = logging.getLogger(__name__)


def run_row(conn: sqlite3.Connection, run_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        raise KeyError(f"no run {run_id!r} in the database")
    return dict(row)


def run_report(row: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """The JSON run report: the run's row (counters under their own names) plus ``extra``."""
    report: dict[str, Any] = {
        "run_id": row["run_id"],
        "command": row.get("command"),
        "base_url": row.get("base_url"),
        "started_at": row["started_at"],
        "finished_at": row.get("finished_at"),
        "exit_code": row.get("exit_code"),
        "complete": bool(row.get("complete")),
    }
    for name in COUNTERS + LOAD_COUNTERS:
        report[name] = int(row.get(name) or 0)
    report.update(extra)
    return report


def _take_over(db: Path, stale: Mapping[str, object] | None) -> dict[str, str | None]:
    """Close the runs a dead process left and snapshot the table; nothing to do (and
    nothing created) when there is no database yet."""
    if not db.exists():
        return {}
    conn = connect(db)
    try:
        for run_id in close_dead_runs(conn, stale):
            log.info("run %s closed as interrupted: its process died", run_id)
        return snapshot(conn)
    finally:
        conn.close()


def _record(db: Path, before: Mapping[str, str | None], exc: BaseException) -> None:
    """Best effort: the database may be what failed."""
    found = failure(exc, db)
    try:
        conn = sqlite3.connect(db, timeout=5, isolation_level=None)
        try:
            record_failure(conn, before, found.code, found.message, found.interrupted)
        finally:
            conn.close()
    except sqlite3.Error as error:
        log.debug("could not record exit code %s on the runs of %s: %s", found.code, db, error)


@contextmanager
def guarded_runs(db: Path, stale: Mapping[str, object] | None) -> Iterator[None]:
    """For the holder of the run lock of ``db``: close what a dead run left unfinished,
    then, if the block ends with an error or a signal, record on this process's runs the
    exit code ``failure`` gives it (so a run's row always tells how it ended)."""
    before = _take_over(db, stale)
    try:
        yield
    except (SystemExit, GeneratorExit):
        raise
    except BaseException as exc:
        if db.exists():
            _record(db, before, exc)
        raise
