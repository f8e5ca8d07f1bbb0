"""The page workers: a fixed set of tasks fed pending URLs from the frontier, each fetching
one page, recording it, then taking the next.

The producer reads pending URLs in rowid order, in chunks of ``BATCH``; links found on
the way are picked up when the chunks run out, after the pages in flight have been
recorded. A worker checks its URL against the allowed hosts and robots.txt, sends it
(conditionally when the page was stored before) through the retry policy and the host's
breaker, turns the answer into its fetch log row (``scraper.outcomes``) and hands the
page to the ``Recorder``, which archives its body and commits its rows before the worker
takes another URL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from schemas.errors import BreakerOpen, BreakerTripped, FetchError
from schemas.settings import Settings
from scraper.blockpage import ComparisonCheck
from scraper.fetch import Fetcher
from scraper.links import admitted, comparison_links
from scraper.outcomes import (
    REFUSING,
    conditional_headers,
    failure_record,
    page_counts,
    response_record,
)
from scraper.politeness import BreakerNotes, Politeness
from scraper.progress import CrawlProgress
from scraper.recorder import Recorder
from scraper.response import Response
from scraper.retry import Attempts, fetch_with_retries
from scraper.robots_cache import RobotsCache
from scraper.urls import host_of, is_web_url
from store.crawl_records import LOADABLE, FetchRecord, FrontierItem
from store.crawl_state import CrawlState

BATCH = 256
"""Pending URLs read from the frontier at a time."""
MIN_GROUP = 8


def group_size(slots: int) -> int:
    """Pages committed together: as many as may be in flight, and at least ``MIN_GROUP``
    (a commit's fixed cost is shared by its pages: ``bench/crawl_cost_bench.py``)."""
    return max(slots, MIN_GROUP)


def workers_for(slots: int) -> int:
    """Workers of a crawl with ``slots`` requests allowed in flight: enough to fill a
    group commit while every place is still in use. This is also how many pages a crawl
    killed at any moment can have fetched without recording them (the next run fetches
    them again). The host gates, not the worker count, bound what is in flight."""
    return slots + group_size(slots)


Queue = asyncio.Queue[FrontierItem | None]
"""Pending pages on their way to the workers; None tells a worker to stop."""


class PageWorkers:
    """Fetches and records a run's pending pages."""

    def __init__(
        self,
        settings: Settings,
        state: CrawlState,
        recorder: Recorder,
        fetcher: Fetcher,
        robots: RobotsCache,
        politeness: Politeness,
        allowed_hosts: set[str],
        log: logging.Logger,
    ) -> None:
        self.settings = settings
        self.state = state
        self.recorder = recorder
        self.fetcher = fetcher
        self.robots = robots
        self.politeness = politeness
        self.allowed_hosts = allowed_hosts
        self.log = log

    async def run(self, workers: int, progress: CrawlProgress) -> None:
        """Fetch pending pages with ``workers`` tasks until none is left (or the run's
        ``limit`` is reached); a ``SiteUnavailable`` from any of them stops them all."""
        queue: Queue = asyncio.Queue(maxsize=workers * 2)
        counters = self.state.counters
        progress.update(counters)
        try:
            async with asyncio.TaskGroup() as tg:
                for _ in range(workers):
                    tg.create_task(self._worker(queue, progress))
                await self._produce(queue)
                for _ in range(workers):
                    await queue.put(None)
        finally:
            # pages fetched and archived by workers that were cancelled (a fatal stop)
            self.recorder.flush()

    async def _produce(self, queue: Queue) -> None:
        """Feed pending URLs in rowid order; links found on the way are picked up when
        the chunks run out, after the pages in flight have been recorded."""
        limit = self.settings.run.limit
        cursor = 0
        dispatched = 0
        while limit is None or dispatched < limit:
            items = self.state.pending_after(cursor, BATCH)
            if not items:
                await queue.join()
                items = self.state.pending_after(cursor, BATCH)
                if not items:
                    return
            for item in items:
                if limit is not None and dispatched >= limit:
                    self.log.info("stopping at --limit %d", limit)
                    return
                cursor = item.rowid
                await queue.put(item)
                dispatched += 1

    async def _worker(self, queue: Queue, progress: CrawlProgress) -> None:
        while True:
            item = await queue.get()
            try:
                if item is None:
                    return
                await self._process(item)
                progress.update(self.state.counters)
            finally:
                queue.task_done()

    async def _process(self, item: FrontierItem) -> None:
        url = item.url
        host = host_of(url)
        if not is_web_url(url) or host not in self.allowed_hosts:
            self.state.reject(item)  # queued by a version that let it in
            return
        robots = await self.robots.for_host(self.fetcher, host)
        if not robots.allowed(url):
            skipped = FetchRecord("robots_skipped", url, error="disallowed by robots.txt")
            await self._record(item, skipped)
            return
        headers, known_sha = conditional_headers(item)
        attempts = Attempts()
        notes = BreakerNotes(self.politeness.gate(host))
        try:
            response = await fetch_with_retries(
                self.fetcher,
                url,
                self.settings.retries,
                headers=headers,
                check=ComparisonCheck,
                attempts=attempts,
                on_response=notes,
            )
        except FetchError as exc:
            notes.settle(refused=False)
            await self._record(item, failure_record(url, exc, attempts), attempts)
            return
        except BreakerOpen:
            raise  # never sent: the page stays pending for the next run
        except BreakerTripped as exc:
            await self._tripped(item, exc, "blocked" if attempts.blocked else "failed", attempts)
            raise
        try:
            await self._answered(item, response, notes, attempts, known_sha, bool(headers))
        finally:
            response.close()

    async def _answered(
        self,
        item: FrontierItem,
        response: Response,
        notes: BreakerNotes,
        attempts: Attempts,
        known_sha: str | None,
        conditional: bool,
    ) -> None:
        """Record the page that ``response`` answered, once the breaker has judged it."""
        try:
            notes.settle(refused=response.status in REFUSING)
        except BreakerTripped as exc:
            await self._tripped(item, exc, "blocked", attempts, response.status)
            raise
        record = response_record(response, known_sha, conditional)
        links, rejected = self._links(item.depth, response) if response.status == 200 else ([], 0)
        record.attempts = attempts.made
        archived = response if record.outcome in LOADABLE else None
        await self._record(item, record, attempts, links, archived, rejected)

    async def _tripped(
        self,
        item: FrontierItem,
        exc: BreakerTripped,
        outcome: str,
        attempts: Attempts,
        status: int | None = None,
    ) -> None:
        """The page whose answer tripped the breaker is settled as what it got."""
        refused = FetchRecord(
            outcome, item.url, status=status, attempts=attempts.made, error=str(exc)
        )
        await self._record(item, refused, attempts)

    def _links(self, depth: int, response: Response) -> tuple[list[str], int]:
        """The page's comparison links the crawl takes, and how many it rejected."""
        if depth >= self.settings.site.follow_depth:
            return [], 0
        return admitted(comparison_links(response.read(), response.url), self.allowed_hosts)

    async def _record(
        self,
        item: FrontierItem,
        record: FetchRecord,
        attempts: Attempts | None = None,
        links: Iterable[str] = (),
        archived: Response | None = None,
        rejected: int = 0,
    ) -> None:
        counts = page_counts(record, attempts, rejected)
        await self.recorder.record(item, record, counts, list(links), archived)
