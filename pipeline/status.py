"""``careers status``: what the last runs did, what is pending, who holds the lock, sizes,
and the pages whose latest stored body did not parse.

``unparsed_pages`` is the one reading of those pages (the ``unparsed_pages`` view) that
``careers status``, the HTML report and the JSON run report all show."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.lock import holder_alive, lock_path, lock_users, read_holder
from schemas.columns import COUNTERS, LOAD_COUNTERS
from schemas.verdict import by_count, format_kinds, parse_failure_counts

STATUS_UNPARSED_SHOWN = 10
"""``careers status`` names this many unparsed pages; ``--json`` lists them all."""


@dataclass(frozen=True)
class UnparsedPage:
    """A page whose latest stored body did not parse (a row of the ``unparsed_pages``
    view). Nothing of that body is loaded: ``role_latest`` keeps the figures the page had
    before, if it ever parsed (then ``comparison_id`` is set)."""

    url: str
    page_key: str
    kind: str | None
    message: str | None
    fetched_at: str
    run_id: str
    fetch_id: int
    warc_file: str | None
    warc_offset: int | None
    comparison_id: int | None


_UNPARSED_COLUMNS = tuple(UnparsedPage.__dataclass_fields__)


def unparsed_pages(conn: sqlite3.Connection) -> list[UnparsedPage]:
    """Every page whose latest stored body did not parse, by kind then page. Works on any
    connection (no row factory needed), read-only ones included."""
    found = conn.execute(
        f"SELECT {', '.join(_UNPARSED_COLUMNS)} FROM unparsed_pages ORDER BY kind, page_key"
    )
    return [UnparsedPage(*row) for row in found]


def kind_counts(pages: Iterable[UnparsedPage]) -> dict[str, int]:
    """``{kind: pages}``, most pages first."""
    return by_count(Counter(p.kind or "unknown" for p in pages))


def unparsed_summary(pages: list[UnparsedPage]) -> str:
    """One line naming how many pages are unparsed and their kinds ('' when none)."""
    if not pages:
        return ""
    noun = "page" if len(pages) == 1 else "pages"
    return (
        f"unparsed: {len(pages)} {noun} whose latest stored body did not parse "
        f"({format_kinds(kind_counts(pages))}); nothing of them is loaded: role_latest "
        "shows what they said before, if they ever parsed. Fix the parser, then run "
        "`careers load --reparse`"
    )


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
    unparsed_pages: list[UnparsedPage] = field(default_factory=list)
    lock_holder_alive: bool = False
    """Whether the process the lock file names still runs (False when the lock is free)."""
    lock_orphans: list[int] = field(default_factory=list)
    """Processes holding the lock when the run that took it is dead."""

    @property
    def running(self) -> bool:
        """Whether a live run holds the lock: a dead run is never "running"."""
        return self.lock_holder is not None and self.lock_holder_alive


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
    holder = read_holder(lock_path(db))
    alive = holder is not None and holder_alive(holder)
    return Status(
        runs=runs,
        unfinished_run=unfinished[0] if unfinished else None,
        unfinished_crawl_complete=bool(unfinished and unfinished[1]),
        pending_urls=pending,
        lock_holder=holder,
        lock_holder_alive=alive,
        lock_orphans=lock_users(lock_path(db)) if holder is not None and not alive else [],
        db_bytes=_db_bytes(db),
        archive_bytes=archive_bytes,
        archive_files=archive_files,
        unparsed_pages=unparsed_pages(conn),
    )


def _lock_line(status: Status) -> str:
    if status.lock_holder is None:
        return "lock: free"
    who = ", ".join(f"{k}={v}" for k, v in status.lock_holder.items()) or "unknown"
    if status.lock_holder_alive:
        return f"lock: held ({who})"
    pids = " ".join(str(p) for p in status.lock_orphans) or "none seen here"
    return (
        f"lock: held, but the run that took it is dead ({who}); processes it left behind "
        f"hold it: {pids}; stop them and the next run takes over"
    )


def _unfinished_line(status: Status) -> str | None:
    run = status.unfinished_run
    if run is None:
        return None
    if status.running:
        return f"run {run} is running: {status.pending_urls} URLs to go"
    dead = "interrupted: no live process holds the lock (killed or crashed)"
    if status.unfinished_crawl_complete:
        return (
            f"unfinished run {run}: {dead}; its crawl completed but it stopped before "
            "finishing the load; the next run loads the pages it fetched"
        )
    return (
        f"unfinished run {run}: {dead}; {status.pending_urls} pending URLs (the next "
        "crawl of the same site resumes them; --fresh starts over)"
    )


def format_status(status: Status) -> str:
    lines = [_lock_line(status)]
    unfinished = _unfinished_line(status)
    if unfinished:
        lines.append(unfinished)
    lines.append(
        f"database: {status.db_bytes / 1e6:.1f} MB; archive: {status.archive_bytes / 1e6:.1f} MB "
        f"in {status.archive_files} files"
    )
    lines += _unparsed_lines(status.unparsed_pages)
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


def _unparsed_lines(pages: list[UnparsedPage], shown: int = STATUS_UNPARSED_SHOWN) -> list[str]:
    if not pages:
        return []
    lines = [unparsed_summary(pages)]
    for page in pages[:shown]:
        kind, message = page.kind or "unknown", page.message or ""
        said = message if message.startswith(kind) else f"{kind}: {message}"
        lines.append(f"  {page.url}  fetched {page.fetched_at} (run {page.run_id}): {said}")
    if len(pages) > shown:
        lines.append(f"  ... and {len(pages) - shown} more (careers status --json lists them all)")
    return lines


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
