"""One run at a time: an ``fcntl.flock`` on a file beside the database.

The OS releases the lock when the holder dies (even with SIGKILL), so a stale lock
never blocks the next scheduled run. The file holds who took it, for the message
the second run prints and for ``careers status``.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


class LockHeld(RuntimeError):
    """Another process holds the run lock; ``holder`` says who, as far as it is known."""

    def __init__(self, path: Path, holder: dict[str, object] | None) -> None:
        self.path = path
        self.holder = holder or {}
        who = ", ".join(f"{k}={v}" for k, v in self.holder.items()) or "unknown holder"
        super().__init__(f"another careers run holds the lock {path} ({who})")


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def read_holder(path: Path) -> dict[str, object] | None:
    """Who holds the lock, or None when nobody does."""
    if not path.exists():
        return None
    with path.open("r+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = fh.read()
            try:
                return json.loads(text) if text else {}
            except ValueError:
                return {}
        fcntl.flock(fh, fcntl.LOCK_UN)
    return None


@contextmanager
def run_lock(db: Path, command: str) -> Iterator[Path]:
    """Hold the lock for ``db`` while the block runs; raise ``LockHeld`` at once if taken."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with os.fdopen(fd, "r+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = fh.read()
            try:
                holder = json.loads(text) if text else None
            except ValueError:
                holder = None
            raise LockHeld(path, holder) from None
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(
                json.dumps(
                    {
                        "pid": os.getpid(),
                        "host": socket.gethostname(),
                        "command": command,
                        "since": datetime.now(UTC).isoformat(timespec="seconds"),
                    }
                )
            )
            fh.flush()
            yield path
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)
