"""The demo site in a process of its own, for clients under test or benchmark that must
not share its GIL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def site_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``careers demo-site ARGS`` in a process of its own; yields the process and the
    base URL it printed, and stops it on the way out."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from pipeline.cli import main; main()", "demo-site", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        if proc.stdout is None:
            raise RuntimeError("the demo site's stdout is not a pipe")
        yield proc, proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
