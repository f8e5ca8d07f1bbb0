"""The ``runs`` table as the rest of the pipeline sees it: finishing a run, judging it,
the JSON run report written beside the database's row, and what the run lock does to the
table (``guarded_runs``): close the runs of a dead process when it takes over, and record
how this process's runs ended when an error or a signal ends them."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.exitcodes import failure
from pipeline.status import unparsed_pages
from schemas.database import (
    COUNTERS,
    LOAD_COUNTERS,
    connect,
    utc_now,
)
from schemas.errors import ExitCode
from schemas.verdict import parse_failure_counts

log = logging.getLogger(__name__)


def parse_failures(conn: sqlite3.Connection, run_id: str) -> dict[str, int]:
    """``{kind: pages}`` that failed to parse in run ``run_id`` (every invocation of a
    resumed run), from ``parse_issues``; ``{}`` when none did."""
    found = conn.execute(
        "SELECT kind, count(*) FROM parse_issues WHERE run_id = ? "
        "AND kind LIKE 'parse\\_%' ESCAPE '\\' GROUP BY kind",
        (run_id,),
    )
    return parse_failure_counts(dict(found.fetchall()))


def refused_pages_report(conn: sqlite3.Connection, run_id: str) -> dict[str, Any]:
    """The run report's account of refused pages: what failed to parse in this run
    (``parse_failures``) and every page whose latest stored body did not parse, whatever
    run fetched it (``unparsed_count``, ``unparsed_pages``): they stay listed, run after
    run, until a load parses them."""
    pages = unparsed_pages(conn)
    return {
        "parse_failures": parse_failures(conn, run_id),
        "unparsed_count": len(pages),
        "unparsed_pages": [dataclasses.asdict(p) for p in pages],
    }


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


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


INTERRUPTED = "interrupted"
"""How the note of a run that did not end by itself starts (``careers status`` shows it)."""


def close_dead_runs(conn: sqlite3.Connection, stale: Mapping[str, object] | None) -> list[str]:
    """Under the run lock, close every unfinished run as interrupted: exit code 2,
    ``complete = 0`` (so the next crawl resumes it) and a note naming the dead process
    when the lock file still named it (``stale``)."""
    dead = [r[0] for r in conn.execute("SELECT run_id FROM runs WHERE finished_at IS NULL")]
    if not dead:
        return []
    who = f"process {stale.get('pid')} ({stale.get('command')})" if stale else "its process"
    note = (
        f"{INTERRUPTED}: did not finish, {who} died (killed?); closed when process "
        f"{os.getpid()} took the lock; the next run resumes it"
    )
    conn.execute(
        "UPDATE runs SET finished_at = ?, exit_code = ?, complete = 0, note = ? "
        "WHERE finished_at IS NULL",
        (utc_now(), int(ExitCode.FATAL), note),
    )
    for run_id in dead:
        log.info("run %s %s", run_id, note)
    return dead


def _snapshot(conn: sqlite3.Connection) -> dict[str, str | None]:
    """``{run_id: finished_at}`` of every run, to tell this process's runs apart later."""
    return dict(conn.execute("SELECT run_id, finished_at FROM runs").fetchall())


def _take_over(db: Path, stale: Mapping[str, object] | None) -> dict[str, str | None]:
    """Close the runs a dead process left and snapshot the table; nothing to do (and
    nothing created) when there is no database yet."""
    if not db.exists():
        return {}
    conn = connect(db)
    try:
        close_dead_runs(conn, stale)
        return _snapshot(conn)
    finally:
        conn.close()


def record_failure(
    conn: sqlite3.Connection, before: Mapping[str, str | None], code: int, note: str,
    interrupted: bool,
) -> list[str]:  # fmt: skip
    """Give every run this process started or changed since ``before`` (a ``_snapshot``)
    the exit code it ends with and ``note``; an interrupted run is left incomplete, so
    the next run resumes it."""
    mine = [
        run_id
        for run_id, finished in _snapshot(conn).items()
        if run_id not in before or before[run_id] != finished
    ]
    for run_id in mine:
        conn.execute(
            "UPDATE runs SET finished_at = coalesce(finished_at, ?), exit_code = ?, note = ?, "
            "complete = CASE WHEN ? THEN 0 ELSE complete END WHERE run_id = ?",
            (utc_now(), code, note, int(interrupted), run_id),
        )
    return mine


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
