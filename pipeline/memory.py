"""Handing back to the system the memory a finished stage of a run no longer uses."""

from __future__ import annotations

import ctypes
import gc
import sys
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


def release_free_memory() -> None:
    """Collect garbage, then return the C heap's free pages to the system (glibc's
    ``malloc_trim``; nothing elsewhere). glibc keeps what a stage freed for the process's
    later allocations, but the next stage's (Arrow buffers, the report's rows) rarely fit
    the holes the last one left, so without this the run would hold both until it exits.
    """
    gc.collect()
    trim = getattr(_libc(), "malloc_trim", None) if sys.platform.startswith("linux") else None
    if trim is not None:
        trim(0)
