"""One run at a time: an ``fcntl.flock`` on a file beside the database.

The OS releases the lock when every process holding its open file description is gone
(even after SIGKILL), so a stale lock never blocks the next scheduled run. The file is
opened close-on-exec and no child process of a run shares it (the parse workers are
fresh interpreters started by exec: ``pipeline.load.pool``). The file holds
who took it, for the message the second run prints and for ``careers status``; a run
that ends empties it.

Holding the lock is also what makes the ``runs`` table trustworthy: under it, a run left
unfinished is a dead one. So taking the lock closes such runs as interrupted (logging the
takeover when the file still names the dead process), and a run that ends with an error
or a signal records that exit code on its row before letting go (``pipeline.runs``).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pipeline.runs import guarded_runs
from schemas.errors import Holder, LockHeld
from scraper.processes import pid_alive

log = logging.getLogger(__name__)


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def _parse_holder(text: str) -> Holder | None:
    """Who the lock file names: None for an empty file, {} for one that is unreadable."""
    if not text.strip():
        return None
    try:
        holder = json.loads(text)
    except ValueError:
        return {}
    return holder if isinstance(holder, dict) else {}


def holder_alive(holder: Holder) -> bool:
    """Whether the process named by ``holder`` still runs (one on another host, or with
    no pid, is taken to)."""
    pid = holder.get("pid")
    if not isinstance(pid, int) or holder.get("host", socket.gethostname()) != socket.gethostname():
        return True
    return pid_alive(pid)


def lock_users(path: Path) -> list[int]:
    """Live processes (but this one) with the lock file open, from ``/proc/*/fd``."""
    target = str(path.resolve())
    users = set()
    for proc in Path("/proc").glob("[0-9]*"):
        if int(proc.name) == os.getpid():
            continue
        try:
            fds = list((proc / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    users.add(int(proc.name))
                    break
            except OSError:
                continue
    return sorted(users)


def read_holder(path: Path) -> Holder | None:
    """Who holds the lock, or None when nobody does."""
    if not path.exists():
        return None
    with path.open("r+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _parse_holder(fh.read()) or {}
        fcntl.flock(fh, fcntl.LOCK_UN)
    return None


def _refuse(path: Path, text: str) -> LockHeld:
    holder = _parse_holder(text)
    if holder and not holder_alive(holder):
        return LockHeld(path, holder, lock_users(path))
    return LockHeld(path, holder)


def _me(command: str) -> Holder:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command,
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _describe_takeover(path: Path, stale: Holder) -> str:
    who = ", ".join(f"{k}={v}" for k, v in stale.items() if k != "host") or "unknown"
    return f"taking over the lock {path} from a run that died without releasing it ({who})"


@contextmanager
def run_lock(db: Path, command: str) -> Iterator[Path]:
    """Hold the lock for ``db`` while the block runs; raise ``LockHeld`` at once if taken."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "r+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _refuse(path, fh.read()) from None
        try:
            stale = _parse_holder(fh.read())
            if stale is not None:
                log.warning("%s", _describe_takeover(path, stale))
            fh.seek(0)
            fh.truncate()
            fh.write(json.dumps(_me(command)))
            fh.flush()
            with guarded_runs(db, stale):
                yield path
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)
