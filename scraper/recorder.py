"""Recording fetched pages: the body into the WARC archive at once, the rows in group commits.

Runs on the crawl's event loop, with no thread. A store thread was tried first, to let
sqlite and zlib work while the loop fetched; it cost more CPU per page than it saved: the
two threads took the GIL from each other after every socket, sqlite and zlib call. A
page's WARC record (a gzip-encoded body is stored, not deflated again) and its share of a
group commit are short enough to run between socket reads; ``bench/crawl_cost_bench.py``
times both inside a crawl, and the README's Benchmarks section keeps the figures.

A worker hands its page to ``Recorder.record`` and waits until the transaction that holds
it has committed; only then does it take another URL. So a crawl killed at any moment has
at most one fetched-but-unrecorded page per worker (fetched again by the next run), never a
recorded page it fetches twice. Pages waiting together are committed together: as soon as
``batch`` are waiting (``scraper.workers.group_size``), or after ``delay`` seconds.

The database is written from the loop, so a commit that has to wait for another writer
stalls the crawl for as long (``busy_timeout``, 30 s at most). Every command that writes
takes the run lock first, so only a writer from outside the tool can cause that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from scraper.archive import WarcArchive
from scraper.response import Response
from store.crawl_records import FetchRecord, FrontierItem, PageResult
from store.crawl_state import CrawlState

FLUSH_DELAY = 0.05
"""Seconds the first page of a group waits for others before it is committed alone."""


class Recorder:
    def __init__(
        self, state: CrawlState, archive: WarcArchive, batch: int, delay: float = FLUSH_DELAY
    ) -> None:
        self.state = state
        self.archive = archive
        self.batch = max(1, batch)
        self.delay = delay
        self._waiting: list[tuple[PageResult, asyncio.Future[None]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._failure: Exception | None = None

    async def record(
        self,
        item: FrontierItem,
        fetch: FetchRecord,
        counts: dict[str, int],
        links: Iterable[str] = (),
        body: Response | None = None,
    ) -> None:
        """Archive ``body`` (when given), then return once the page's rows are committed.
        The archive record comes first: a kill in between leaves a record nothing points
        to, never a row pointing nowhere."""
        if body is not None:
            self._archive(item, fetch, body)
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.append(((item, fetch, counts, links), done))
        if len(self._waiting) >= self.batch:
            self.flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.delay, self._flush_later)
        await done

    def _archive(self, item: FrontierItem, fetch: FetchRecord, response: Response) -> None:
        assert response.body is not None and response.raw_sha256 is not None
        ref = self.archive.write_response(
            response.url,
            response.status,
            response.headers,
            response.body,
            response.wire_bytes,
            response.raw_sha256,
            reason=response.reason,
            extra_warc_headers={"WARC-Careers-Page-Key": item.page_key},
        )
        fetch.warc_file, fetch.warc_offset = ref.warc_file, ref.warc_offset

    def flush(self) -> None:
        """Commit every waiting page in one transaction and wake their workers.

        A failure goes to the workers still waiting. With none left to hear of it (they
        were cancelled: a fatal stop is unwinding) it is raised here, or, when the timer
        ran this flush, kept and raised by the next one: the crawl's last flush at the
        latest. A kept failure also fails the pages that wait after it: the crawl is
        stopping, and they stay pending for the next run.
        """
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        group, self._waiting = self._waiting, []
        failure, self._failure = self._failure, None
        if failure is None and group:
            try:
                self.state.record_many([rows for rows, _ in group])
            except Exception as exc:
                failure = exc
        if failure is None:
            for _, done in group:
                if not done.done():
                    done.set_result(None)
            return
        waiting = [done for _, done in group if not done.done()]
        for done in waiting:
            done.set_exception(failure)
        if not waiting:
            raise failure

    def _flush_later(self) -> None:
        """The timer's flush: a failure nobody waited for is kept for the next flush,
        not handed to the event loop's exception handler (which would only log it)."""
        try:
            self.flush()
        except Exception as exc:
            self._failure = exc
