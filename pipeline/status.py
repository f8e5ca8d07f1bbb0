"""``careers status``: what the last runs did, what is pending, who holds the lock, sizes."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.lock import lock_path, read_holder
from schemas.database import COUNTERS, LOAD_COUNTERS


@dataclass
class Status:
    runs: list[dict[str, Any]]
    unfinished_run: str | None
    unfinished_crawl_complete: bool
    pending_urls: int
    lock_holder: dict[str, object] | None
    db_bytes: int
    archive_bytes: int
    archive_files: int


def _dir_size(path: Path) -> tuple[int, int]:
    if not path.is_dir():
        return 0, 0
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def _db_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists())


def collect(conn: sqlite3.Connection, db: Path, archive_dir: Path, last: int = 10) -> Status:
    runs = [
        dict(r)
        for r in conn.execute("SELECT * FROM runs ORDER BY started_at DESC LIMIT ?", (last,))
    ]
    unfinished = conn.execute(
        "SELECT run_id, complete FROM runs WHERE finished_at IS NULL "
        "ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    pending = 0
    if unfinished:
        pending = conn.execute(
            "SELECT count(*) FROM frontier WHERE run_id = ? AND state = 'pending'",
            (unfinished[0],),
        ).fetchone()[0]
    archive_bytes, archive_files = _dir_size(archive_dir)
    return Status(
        runs=runs,
        unfinished_run=unfinished[0] if unfinished else None,
        unfinished_crawl_complete=bool(unfinished and unfinished[1]),
        pending_urls=pending,
        lock_holder=read_holder(lock_path(db)),
        db_bytes=_db_bytes(db),
        archive_bytes=archive_bytes,
        archive_files=archive_files,
    )


def format_status(status: Status) -> str:
    lines = []
    if status.lock_holder is not None:
        who = ", ".join(f"{k}={v}" for k, v in status.lock_holder.items()) or "unknown"
        lines.append(f"lock: held ({who})")
    else:
        lines.append("lock: free")
    if status.unfinished_run and status.lock_holder is not None:
        lines.append(f"run {status.unfinished_run} is running: {status.pending_urls} URLs to go")
    elif status.unfinished_run and status.unfinished_crawl_complete:
        lines.append(
            f"unfinished run {status.unfinished_run}: its crawl completed but it stopped "
            "before finishing the load; the next run loads the pages it fetched"
        )
    elif status.unfinished_run:
        lines.append(
            f"unfinished run {status.unfinished_run}: {status.pending_urls} pending URLs "
            "(the next crawl of the same site resumes them; --fresh starts over)"
        )
    lines.append(
        f"database: {status.db_bytes / 1e6:.1f} MB; archive: {status.archive_bytes / 1e6:.1f} MB "
        f"in {status.archive_files} files"
    )
    if not status.runs:
        lines.append("no runs yet")
    for run in status.runs:
        counters = " ".join(f"{k}={run[k]}" for k in COUNTERS + LOAD_COUNTERS if run.get(k))
        finished = run["finished_at"] or "unfinished"
        code = "-" if run["exit_code"] is None else run["exit_code"]
        note = f"  ({run['note']})" if run.get("note") else ""
        lines.append(
            f"{run['run_id']}  {run['command']:<8} {run['started_at']} -> {finished}  "
            f"exit={code}  {counters}{note}"
        )
    return "\n".join(lines)
