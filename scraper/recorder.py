"""Recording fetched pages: the body into the WARC archive at once, the rows in group commits.

Runs on the crawl's event loop, with no thread. A store thread was tried first, to let
sqlite and zlib work while the loop fetched; measured, it cost more than it saved: the two
threads took the GIL from each other after every socket, sqlite and zlib call, and a page
cost 2.5-3.5 ms of CPU instead of 1.9 (``bench/crawl_bench.py``, 2 in flight). Writing a
typical page's record takes ~0.1 ms (a gzip-encoded body is stored, not deflated again)
and a commit of a few pages ~0.2 ms, short enough to run between socket reads.

A worker hands its page to ``Recorder.record`` and waits until the transaction that holds
it has committed; only then does it take another URL. So a crawl killed at any moment has
at most one fetched-but-unrecorded page per worker (fetched again by the next run), never a
recorded page it fetches twice. Pages waiting together are committed together: as soon as
as many are waiting as requests may be in flight, or after ``delay`` seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from scraper.archive import WarcArchive
from scraper.fetch import Response
from scraper.frontier import CrawlState, FetchRecord, FrontierItem

_Rows = tuple[FrontierItem, FetchRecord, dict[str, int], Iterable[str]]

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
        self._waiting: list[tuple[_Rows, asyncio.Future[None]]] = []
        self._timer: asyncio.TimerHandle | None = None

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
            self._timer = loop.call_later(self.delay, self.flush)
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

        A failure goes to the workers still waiting; with none left to hear of it (they
        were cancelled, and this is the crawl's last flush) it is raised here.
        """
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        group, self._waiting = self._waiting, []
        if not group:
            return
        try:
            self.state.record_many([rows for rows, _ in group])
        except Exception as exc:
            waiting = [done for _, done in group if not done.done()]
            if not waiting:
                raise
            for done in waiting:
                done.set_exception(exc)
            return
        for _, done in group:
            if not done.done():
                done.set_result(None)
