"""The only SQL that writes ``runs``: starting, resuming and finishing a run, its
counters, and closing the runs a dead process left open. Also "the previous run", the
one definition the loader's checks and the report share."""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime

from schemas.columns import COUNTERS, LOAD_COUNTERS, utc_now
from schemas.errors import ExitCode

INTERRUPTED = "interrupted"
"""How the note of a run that did not end by itself starts (``careers status`` shows it)."""
_COUNTER_NAMES = frozenset(COUNTERS + LOAD_COUNTERS)


def new_run_id(now: datetime | None = None) -> str:
    """``20261125T201500Z-ab12``: sortable by start time, unique with the random tail."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def start_run(conn: sqlite3.Connection, command: str, base_url: str | None = None) -> str:
    """A new run's row; every other unfinished run is closed (``close_abandoned_runs``)."""
    run_id = new_run_id()
    conn.execute(
        "INSERT INTO runs (run_id, command, base_url, started_at) VALUES (?, ?, ?, ?)",
        (run_id, command, base_url, utc_now()),
    )
    close_abandoned_runs(conn, run_id)
    return run_id


def reopen_run(conn: sqlite3.Connection, run_id: str) -> dict[str, int]:
    """Resume ``run_id``: unfinished again, every other unfinished run closed. Returns
    its crawl counters so far."""
    conn.execute(
        "UPDATE runs SET finished_at = NULL, exit_code = NULL, note = NULL WHERE run_id = ?",
        (run_id,),
    )
    close_abandoned_runs(conn, run_id)
    row = conn.execute(
        f"SELECT {', '.join(COUNTERS)} FROM runs WHERE run_id = ?", (run_id,)
    ).fetchone()
    return {name: int(value) for name, value in zip(COUNTERS, row, strict=True)}


def latest_crawl(conn: sqlite3.Connection, base_url: str) -> tuple[str, bool] | None:
    """``(run_id, complete)`` of the latest crawl of ``base_url`` (loads and other sites'
    crawls aside)."""
    row = conn.execute(
        "SELECT run_id, complete FROM runs WHERE base_url = ? "
        "ORDER BY started_at DESC, rowid DESC LIMIT 1",
        (base_url,),
    ).fetchone()
    return (row[0], bool(row[1])) if row else None


def _checked(names: Mapping[str, int]) -> Mapping[str, int]:
    unknown = set(names) - _COUNTER_NAMES
    if unknown:
        raise ValueError(f"not run counters: {sorted(unknown)}")
    return names


def set_counters(conn: sqlite3.Connection, run_id: str, values: Mapping[str, int]) -> None:
    """Set counters to ``values`` (the crawl keeps its counters in memory and writes
    the totals with each page)."""
    if values:
        sets = ", ".join(f"{name} = ?" for name in _checked(values))
        conn.execute(f"UPDATE runs SET {sets} WHERE run_id = ?", (*values.values(), run_id))


def add_counters(conn: sqlite3.Connection, run_id: str, deltas: Mapping[str, int]) -> None:
    """Add ``deltas`` to counters (the loader, batch by batch, so a resumed run keeps
    what earlier invocations loaded)."""
    changed = {k: v for k, v in _checked(deltas).items() if v}
    if changed:
        sets = ", ".join(f"{name} = {name} + ?" for name in changed)
        conn.execute(f"UPDATE runs SET {sets} WHERE run_id = ?", (*changed.values(), run_id))


def mark_complete(conn: sqlite3.Connection, run_id: str, complete: bool) -> None:
    conn.execute("UPDATE runs SET complete = ? WHERE run_id = ?", (int(complete), run_id))


def finish_run(conn: sqlite3.Connection, run_id: str, exit_code: int) -> None:
    """Close a run: its ``finished_at`` and ``exit_code`` (every command's runs end here)."""
    conn.execute(
        "UPDATE runs SET finished_at = ?, exit_code = ? WHERE run_id = ?",
        (utc_now(), int(exit_code), run_id),
    )


def close_abandoned_runs(conn: sqlite3.Connection, successor: str) -> int:
    """Close every unfinished run but ``successor`` with exit code 2 and a note.

    Runs start under the run lock, so an unfinished run other than the one being resumed
    was killed, and nothing else would ever finish it. Its fetched but unloaded pages are
    loaded by ``successor``'s load; an incomplete crawl can still be resumed (resuming
    reopens it)."""
    return conn.execute(
        "UPDATE runs SET finished_at = ?, exit_code = ?, "
        "note = 'did not finish (killed?); closed when run ' || ? || ' started' "
        "WHERE finished_at IS NULL AND run_id != ?",
        (utc_now(), int(ExitCode.FATAL), successor, successor),
    ).rowcount


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
    return dead


def snapshot(conn: sqlite3.Connection) -> dict[str, str | None]:
    """``{run_id: finished_at}`` of every run, to tell a process's runs apart later."""
    return dict(conn.execute("SELECT run_id, finished_at FROM runs").fetchall())


def record_failure(
    conn: sqlite3.Connection,
    before: Mapping[str, str | None],
    code: int,
    note: str,
    interrupted: bool,
) -> list[str]:
    """Give every run started or changed since ``before`` (a ``snapshot``) the exit code
    it ends with and ``note``; an interrupted run is left incomplete, so the next run
    resumes it."""
    mine = [
        run_id
        for run_id, finished in snapshot(conn).items()
        if run_id not in before or before[run_id] != finished
    ]
    for run_id in mine:
        conn.execute(
            "UPDATE runs SET finished_at = coalesce(finished_at, ?), exit_code = ?, note = ?, "
            "complete = CASE WHEN ? THEN 0 ELSE complete END WHERE run_id = ?",
            (utc_now(), code, note, int(interrupted), run_id),
        )
    return mine


def previous_run_id(
    conn: sqlite3.Connection, run_id: str, *, loaded: bool = False, complete: bool = False
) -> str | None:
    """The latest run started before ``run_id`` (ties broken by insertion order); with
    ``loaded``, the latest that loaded pages (it has ``load_stats``); with ``complete``,
    the latest complete one."""
    extra = ""
    if loaded:
        extra += " AND EXISTS (SELECT 1 FROM load_stats s WHERE s.run_id = r.run_id)"
    if complete:
        extra += " AND r.complete = 1"
    row = conn.execute(
        "SELECT r.run_id FROM runs r, "
        "(SELECT rowid AS n, started_at FROM runs WHERE run_id = ?) cur "
        "WHERE (r.started_at < cur.started_at "
        "OR (r.started_at = cur.started_at AND r.rowid < cur.n))"
        f"{extra} ORDER BY r.started_at DESC, r.rowid DESC LIMIT 1",
        (run_id,),
    ).fetchone()
    return row[0] if row else None
