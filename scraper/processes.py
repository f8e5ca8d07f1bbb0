"""Processes a run starts, and how they end with it: a parse worker dies with its parent
(``PR_SET_PDEATHSIG`` on Linux, and a thread polling ``os.getppid()`` everywhere) and with
the run's process; the run lock asks whether a process is alive the same way."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
import sys
import threading
import time
from multiprocessing import resource_tracker

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
    """In each parse worker, before its first task: leave Ctrl-C to the run (the
    terminal sends it to every process), and exit as soon as the parent (the fork
    server) or the run's process ``owner`` is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    parent = os.getppid()
    if parent == 1 or not pid_alive(owner):  # gone before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent, owner), daemon=True).start()


def stop_resource_tracker() -> None:
    """End the resource tracker ``multiprocessing`` started with this process's first
    pool. It is a whole interpreter, and it would stay until the run exits, tracking
    nothing once the pool is gone. Call it only once no pool is left: a pool's semaphores
    unregister from the tracker when they are collected (hence the ``gc.collect``), and
    one unregistering after the stop would start a new tracker. Only the process that
    started the tracker stops it (a spawned child inherits its descriptor, not its pid).
    ``_stop`` is private; where a Python lacks it the tracker stays, which costs memory
    and nothing else, and so does a stop that fails."""
    tracker = getattr(resource_tracker, "_resource_tracker", None)
    stop = getattr(tracker, "_stop", None)
    if stop is None or getattr(tracker, "_pid", None) is None:
        return
    gc.collect()
    with contextlib.suppress(OSError, TypeError):
        stop()
