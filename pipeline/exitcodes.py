"""Exit codes, the same for every ``careers`` command (cron and make depend on them)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """All well."""
    DEGRADED = 1
    """Pages failed above the configured fraction, or new data-quality failures."""
    FATAL = 2
    """Bad configuration, the site blocking us, robots.txt unreachable."""
    LOCKED = 3
    """Another run holds the lock."""
