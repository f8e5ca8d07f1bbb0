"""Processes a run starts, and how they end with it: a parse worker dies with its parent
(``PR_SET_PDEATHSIG`` on Linux, and a thread polling ``os.getppid()`` everywhere) and with
the run's process; the run lock asks whether a process is alive the same way."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PARENT_POLL_SECONDS = 0.2
"""How often a worker checks that its parent is still there (where prctl is missing)."""
_PR_SET_PDEATHSIG = 1


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent exits."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # no libc prctl: the polling thread does it
        pass


def _watch_parent(parent: int, owner: int) -> None:
    while os.getppid() == parent and pid_alive(owner):
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def worker_init(owner: int) -> None:
    """In each parse worker, before its first task: exit as soon as its parent or the
    run's process ``owner`` is gone. (Ctrl-C, which the terminal sends to every process,
    the worker's bootstrap ignores from its first line: ``scraper.parse_worker``.)"""
    _die_with_parent()
    parent = os.getppid()
    if parent == 1 or not pid_alive(owner):  # gone before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent, owner), daemon=True).start()
