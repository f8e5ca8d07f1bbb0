"""Exceptions every layer raises and the CLI maps to exit codes (``pipeline.exitcodes``).

So far: ``ExitCode`` and ``Interrupted``. They live below ``scraper`` and ``pipeline``
because both use them: the crawl judges its run and turns a signal into a clean
cancellation; the CLI maps every error to a code.
"""

from __future__ import annotations

import signal
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """All well."""
    DEGRADED = 1
    """Pages failed above the configured fraction, or new data-quality failures."""
    FATAL = 2
    """Bad configuration, the site blocking us, robots.txt unreachable, or the
    environment failing: an unwritable path, a full disk, a corrupt, read-only or newer
    database, a missing database."""
    LOCKED = 3
    """Another run holds the lock."""
    SIGINT = 128 + signal.SIGINT
    """Interrupted by SIGINT (Ctrl-C): 130. The run is left to resume."""
    SIGTERM = 128 + signal.SIGTERM
    """Interrupted by SIGTERM (a systemd stop, ``kill``): 143. The run is left to resume."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived. A ``KeyboardInterrupt``, so no ``except Exception`` on
    the way out swallows it."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
