"""The one rule that turns an error into an exit code and a one-line message
(``failure``), the same for every ``careers`` command (cron, systemd and make depend on
the codes): the command line prints it, and the run's row records it. The codes of the
project's own errors come from their place in ``schemas.errors``; here are the signals
and the standard library's errors (SQLite, the file system)."""

from __future__ import annotations

import errno
import signal
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from schemas.errors import CareersError, Interrupted, SchemaTooNew, exit_code_of

INTERRUPTING = (signal.SIGINT, signal.SIGTERM)


_received: int | None = None
"""The first interrupting signal this process received."""
_deferring = 0
_pending: int | None = None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    global _received, _pending
    if _received is not None:  # a second Ctrl-C must not break the cleanup of the first
        return
    _received = signum
    if _deferring:
        _pending = signum
        return
    raise Interrupted(signum)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold back ``Interrupted`` until the block is done: for steps that must not stop
    halfway (starting a worker process and the thread that will reap it)."""
    global _deferring, _pending
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if not _deferring and _pending is not None:
        signum, _pending = _pending, None
        raise Interrupted(signum)


def interrupt_on_signals() -> None:
    """Make SIGINT and SIGTERM raise ``Interrupted`` in the main thread."""
    for signum in INTERRUPTING:
        signal.signal(signum, _interrupt)


@dataclass(frozen=True)
class Failure:
    code: int
    message: str
    interrupted: bool = False


def failure(exc: BaseException, db: Path | None = None, output: Path | None = None) -> Failure:
    """The exit code and one-line message for ``exc``, the error that ended a command.

    ``db`` and ``output`` (the database, the directory outputs go under) name the place
    when the error itself does not (and ``db`` says the command had runs to leave). A
    signal received first decides, whatever it broke on its way (the parse pool, a
    half-written file)."""
    signum = exc.signum if isinstance(exc, Interrupted) else _received
    if signum is None and isinstance(exc, KeyboardInterrupt):
        signum = signal.SIGINT
    if signum is not None:
        text = f"interrupted by {signal.Signals(signum).name}"
        if db is not None:  # a command working on a database: a run may be left
            text += "; the run is recorded as interrupted and the next run resumes it"
        return Failure(128 + signum, text, interrupted=True)
    return Failure(exit_code_of(exc), _describe(exc, db, output))


def _describe(exc: BaseException, db: Path | None, output: Path | None) -> str:
    if isinstance(exc, SchemaTooNew):
        return f"{db or 'the database'}: {exc}"
    if isinstance(exc, CareersError):
        return str(exc)
    if isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError:
        return _database_failure(str(exc), db)
    if isinstance(exc, OSError):
        return _os_failure(exc, output)
    return (
        f"internal error ({type(exc).__name__}: {exc}); run again with --debug for the "
        "traceback, and report it"
    )


def _database_failure(text: str, db: Path | None) -> str:
    where = str(db) if db else "the database"
    if "not a database" in text or "malformed" in text:
        return (
            f"{where} is not a SQLite database, or is corrupt ({text}); move it aside "
            "(the next run builds a new one) or restore a backup"
        )
    if "readonly" in text:
        return (
            f"{where} is read-only ({text}); make it and its directory writable by this "
            "user, or pass another --db"
        )
    if "unable to open" in text:
        return (
            f"cannot open {where} ({text}); make its directory writable by this user, or "
            "pass another --db"
        )
    if "full" in text or "I/O error" in text:
        return f"cannot write {where} ({text}); is the disk full? free space and run again"
    return f"{where}: {text}; check the file, or pass another --db"


_NO_SPACE = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
_DENIED = (errno.EACCES, errno.EPERM, errno.EROFS)


def _os_failure(exc: OSError, output: Path | None) -> str:
    where = exc.filename or output or "the output"
    reason = exc.strerror or str(exc)
    if exc.errno in _NO_SPACE:
        return (
            f"cannot write {where} ({reason}); free disk space (or raise the file size "
            "limit) and run again"
        )
    if exc.errno in _DENIED:
        return (
            f"cannot use {where} ({reason}); make it readable and writable by this user, or "
            "choose another place (--db, --archive-dir, --csv-dir, --report-dir)"
        )
    return f"{where}: {reason}"
