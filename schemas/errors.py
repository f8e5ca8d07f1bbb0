"""Exceptions every layer raises and the CLI maps to exit codes (``pipeline.exitcodes``).

So far: ``Interrupted``. It lives below ``scraper`` and ``pipeline`` because both raise it:
the CLI's signal handler, and the crawl's event loop, which turns a signal into a clean
cancellation first.
"""

from __future__ import annotations

import signal


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived. A ``KeyboardInterrupt``, so no ``except Exception`` on
    the way out swallows it."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
