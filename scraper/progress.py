"""How far a crawl has got, shown while it runs: a rich bar on a terminal, a periodic
log line otherwise (cron, systemd, CI logs)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from schemas.columns import OUTCOMES

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class CrawlProgress:
    """A rich bar on a terminal; a log line every ``every`` seconds otherwise."""

    def __init__(self, log: logging.Logger, interactive: bool, every: float = 10.0) -> None:
        self.log = log
        self.every = every
        self._last = time.monotonic()
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        if interactive:
            self._bar = _bar()
            self._bar.start()
            self._task = self._bar.add_task("crawl", total=None, detail="")

    def update(self, counters: dict[str, int]) -> None:
        """Called after every page: the line is only built when it is shown."""
        if self._bar is None:
            now = time.monotonic()
            if now - self._last < self.every:
                return
            self._last = now
        done = sum(counters[o] for o in OUTCOMES)
        detail = (
            f"new {counters['new']} changed {counters['changed']} "
            f"304 {counters['not_modified']} failed {counters['failed']}"
        )
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task, completed=done, total=counters["discovered"], detail=detail
            )
            return
        self.log.info("crawl: %d of %d URLs settled (%s)", done, counters["discovered"], detail)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _bar() -> Progress:
    """The terminal's bar; rich is imported only when one is shown."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("crawl"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        transient=True,
    )
