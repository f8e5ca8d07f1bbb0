"""The crawl: discover comparison URLs, fetch each politely once per run, record it.

``crawl(settings)`` creates or resumes a run (``store.crawl_state``), reads robots.txt
(``scraper.robots``), fills the frontier from the seeds, the sitemaps
(``scraper.sitemaps``) and the comparisons earlier runs saw (so pages that disappeared
are noticed as gone), then fetches pending URLs with a fixed set of workers fed from the
database in small chunks. A page's body goes to the WARC archive (``scraper.archive``)
and its result to the database in one transaction (``scraper.recorder``) before its
worker takes another page, so a killed crawl resumes where it stopped. A resumed run
reads robots.txt and the sitemaps again (rules and URLs may have changed; known URLs are
not added twice) but never a page it has recorded.

Everything runs on one event loop, with no thread: the database connection and the
archive writer are used between socket reads (``scraper.recorder`` says why). Fatal
conditions (robots.txt unreachable, the breaker tripping) end the crawl with the
``SiteUnavailable`` that stopped it; what was fetched until then stays recorded, the rest
pending.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from schemas.database import COUNTERS, OUTCOMES
from schemas.errors import (
    BlockedPage,
    FetchError,
    RetryAfterTooLong,
    RobotsDisallowed,
    SiteUnavailable,
)
from schemas.settings import Settings
from schemas.verdict import Verdict, judge
from scraper.archive import WarcArchive
from scraper.blockpage import ComparisonCheck
from scraper.fetch import Fetcher
from scraper.politeness import BreakerNotes, BreakerOpen, BreakerTripped, Politeness
from scraper.recorder import Recorder
from scraper.response import Response
from scraper.retry import Attempts, fetch_with_retries
from scraper.robots import Robots, fetch_robots
from scraper.signals import run_until_signalled
from scraper.sitemaps import SitemapTally, comparison_urls
from scraper.urls import (
    comparison_slugs,
    host_of,
    is_web_url,
    normalize_url,
    role_path,
)
from store.crawl_records import LOADABLE, FetchRecord, FrontierItem, GoneCount
from store.crawl_state import CrawlState
from store.db import connect

BATCH = 256
MIN_GROUP = 8
REFUSING = frozenset({403, 429})
"""Statuses by which a site refuses us: they count toward the breaker and ``blocked``."""


def group_size(slots: int) -> int:
    """Pages committed together: as many as may be in flight, and at least ``MIN_GROUP``
    (a commit's fixed cost is shared by its pages: ``bench/crawl_cost_bench.py``)."""
    return max(slots, MIN_GROUP)


def _first(group: BaseExceptionGroup[SiteUnavailable]) -> SiteUnavailable:
    """The error that stopped the crawl, out of the task group's (nested) group."""
    found = group.exceptions[0]
    return _first(found) if isinstance(found, BaseExceptionGroup) else found


def workers_for(slots: int) -> int:
    """Workers of a crawl with ``slots`` requests allowed in flight: enough to fill a
    group commit while every place is still in use. This is also how many pages a crawl
    killed at any moment can have fetched without recording them (the next run fetches
    them again). The host gates, not the worker count, bound what is in flight."""
    return slots + group_size(slots)


@dataclass
class CrawlReport:
    run_id: str
    counters: dict[str, int]
    resumed_from: tuple[str, int] | None
    complete: bool
    pending: int = 0
    exit_code: int | None = None
    peak_in_flight: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """What made ``exit_code`` non-zero, one line each (finalized runs only)."""
    gone: GoneCount | None = None


def crawl(
    settings: Settings,
    *,
    finalize: bool = True,
    log: logging.Logger | None = None,
    command: str = "crawl",
    progress: bool | None = None,
) -> CrawlReport:
    """Run one crawl to its end (or to ``settings.run.limit`` pages).

    With ``finalize`` the run's row gets ``finished_at`` and ``exit_code`` (``crawl_verdict``;
    2 on a fatal stop), and each problem is logged as a warning; without it the caller
    judges and finishes the row. ``progress`` None: a progress bar when stderr
    is a terminal, periodic log lines otherwise.
    """
    crawler = Crawler(settings, log or logging.getLogger(__name__), command, progress)
    return run_until_signalled(crawler.run(finalize))


def crawl_verdict(counters: dict[str, int], failed_fraction: float) -> Verdict:
    """A crawl on its own, judged by the rule of a whole run (``schemas.verdict.judge``)
    with nothing loaded: no parse failures, no data-quality checks."""
    return judge(counters, {}, 0, failed_fraction)


def comparison_links(html: bytes, base_url: str) -> Iterator[str]:
    """Absolute URLs of the comparison pages a page links to, whatever their scheme
    (``admitted`` says which a crawl takes)."""
    tree = LexborHTMLParser(html)
    for node in tree.css("a[href]"):
        href = node.attributes.get("href")
        if not href:
            continue
        url = urljoin(base_url, href.strip())
        if comparison_slugs(url):
            yield url


def admitted(urls: Iterable[str], allowed_hosts: set[str]) -> tuple[list[str], int]:
    """``(taken, rejected)``: the ``http``/``https`` URLs on ``allowed_hosts``, normalized
    and without repeats, and how many of ``urls`` were neither."""
    taken: dict[str, None] = {}
    rejected = 0
    for url in urls:
        if is_web_url(url) and host_of(url) in allowed_hosts:
            taken[normalize_url(url)] = None
        else:
            rejected += 1
    return list(taken), rejected


class _Progress:
    """A rich bar on a terminal; a log line every ``every`` seconds otherwise."""

    def __init__(self, log: logging.Logger, interactive: bool, every: float = 10.0) -> None:
        self.log = log
        self.every = every
        self._last = time.monotonic()
        self._bar = None
        self._task = None
        if interactive:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                TextColumn("crawl"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                transient=True,
            )
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


class Crawler:
    def __init__(
        self,
        settings: Settings,
        log: logging.Logger,
        command: str = "crawl",
        progress: bool | None = None,
    ) -> None:
        self.settings = settings
        self.log = log
        self.command = command
        self.interactive = sys.stderr.isatty() if progress is None else progress
        site = settings.site
        self.base_url = normalize_url(site.base_url)
        self.allowed_hosts = {host_of(self.base_url), *(h.lower() for h in site.allowed_hosts)}
        self.agent_header = settings.politeness.user_agent_header
        self.politeness = Politeness(
            settings.politeness.max_in_flight,
            settings.politeness.rate,
            settings.retries.breaker_threshold,
        )
        self.robots: dict[str, Robots] = {}
        self._robots_lock = asyncio.Lock()
        self.state: CrawlState
        self.fetcher: Fetcher
        self.recorder: Recorder

    async def run(self, finalize: bool) -> CrawlReport:
        s = self.settings
        conn = connect(s.output.db)
        try:
            self.state = CrawlState(conn)
            run_id, resumed = self.state.open_run(
                fresh=s.run.fresh, command=self.command, base_url=self.base_url
            )
            if resumed is not None:
                self.log.info("resuming %d pending URLs of run %s", resumed[1], run_id)
            else:
                self.log.info("starting crawl run %s of %s", run_id, self.base_url)
            fatal: SiteUnavailable | None = None
            archive = WarcArchive(s.output.archive_dir, prefix=run_id)
            self.recorder = Recorder(self.state, archive, batch=group_size(self._slots()))
            try:
                fatal = await self._crawl()
            finally:
                archive.close()
            gone = self.state.settle_gone(s.run.max_gone_fraction)
            pending = self.state.pending_count()
            complete = fatal is None and pending == 0
            exit_code = None
            problems: list[str] = []
            if finalize and fatal is None:
                verdict = crawl_verdict(self.state.counters, s.run.failed_fraction)
                exit_code, problems = int(verdict.exit_code), verdict.problems
            elif finalize:
                exit_code = 2
            self.state.finish(complete=complete, exit_code=exit_code)
            counters = dict(self.state.counters)
            self._summarize(run_id, counters, pending, complete)
            if fatal is not None:
                fatal.run_id = run_id
                raise fatal
            return CrawlReport(
                run_id=run_id,
                counters=counters,
                resumed_from=resumed,
                complete=complete,
                pending=pending,
                exit_code=exit_code,
                problems=problems,
                gone=gone,
                peak_in_flight={
                    h: self.politeness.gate(h).peak_in_flight for h in sorted(self.allowed_hosts)
                },
            )
        finally:
            conn.close()

    def _summarize(self, run_id: str, c: dict[str, int], pending: int, complete: bool) -> None:
        parts = ", ".join(f"{name} {c[name]}" for name in COUNTERS if c[name])
        state = "complete" if complete else f"{pending} URLs still pending"
        self.log.info("crawl run %s: %s (%s)", run_id, parts or "nothing to do", state)

    async def _crawl(self) -> SiteUnavailable | None:
        s = self.settings
        self.fetcher = Fetcher(
            s.limits,
            self.politeness,
            self.agent_header,
            self.allowed_hosts,
            may_fetch=self._may_fetch,
        )
        progress = _Progress(self.log, self.interactive)
        fatal: SiteUnavailable | None = None
        try:
            await self._robots_for(host_of(self.base_url))
            await self._discover()
            await self._fetch_all(progress)
        except* SiteUnavailable as group:
            fatal = _first(group)
        finally:
            progress.stop()
            await self.fetcher.aclose()
        return fatal

    # --- robots.txt ------------------------------------------------------------------

    async def _robots_for(self, host: str) -> Robots:
        robots = self.robots.get(host)
        if robots is not None:
            return robots
        async with self._robots_lock:
            if host not in self.robots:
                root = f"{self.base_url.split('://', 1)[0]}://{host}/"
                robots = await fetch_robots(
                    self.fetcher, root, self.settings.retries, self.agent_header
                )
                delay = robots.crawl_delay()
                if delay:
                    gate = self.politeness.gate(host)
                    if delay > gate.interval:
                        self.log.info("%s asks for Crawl-delay %gs; honouring it", host, delay)
                    gate.slow_down_to(delay)
                self.robots[host] = robots
        return self.robots[host]

    def _may_fetch(self, url: str) -> bool:
        robots = self.robots.get(host_of(url))
        return robots is None or robots.allowed(url)

    # --- discovery -------------------------------------------------------------------

    async def _discover(self) -> None:
        site = self.settings.site
        seeds: list[tuple[str, str, int]] = []
        for seed in site.seeds:
            seed = seed.strip()
            if not seed:
                continue
            if seed.startswith(("http://", "https://", "/")):
                url = normalize_url(seed, self.base_url)
                if not comparison_slugs(url):
                    self.log.warning("seed %s is not a comparison URL; skipped", seed)
                elif not admitted([url], self.allowed_hosts)[0]:
                    self.log.warning("seed %s is not on an allowed host; skipped", seed)
                else:
                    seeds.append((url, "seed", 0))
            else:
                seeds.extend((u, "seed", 0) for u in await self._role_links(seed))
        added = self.state.add(seeds)
        if site.use_sitemaps:
            added += await self._discover_sitemaps()
        added += self.state.revisit_known(self.base_url)
        pending = self.state.pending_count()
        self.log.info("discovered %d URLs for this run; %d pending", added, pending)

    async def _role_links(self, slug: str) -> list[str]:
        """Comparison links of a role's page, for a seed given as a role slug."""
        url = normalize_url(role_path(slug), self.base_url)
        if not self._may_fetch(url):
            self.log.warning("seed role page %s is disallowed by robots.txt; skipped", url)
            return []
        try:
            response = await fetch_with_retries(self.fetcher, url, self.settings.retries)
        except FetchError as exc:
            self.log.warning("seed role page %s: %s", url, exc)
            return []
        try:
            if response.status != 200:
                self.log.warning("seed role page %s: HTTP %s", url, response.status)
                return []
            taken, rejected = admitted(
                comparison_links(response.read(), response.url), self.allowed_hosts
            )
            if rejected:
                self.state.count({"rejected_urls": rejected})
            return taken
        finally:
            response.close()

    async def _discover_sitemaps(self) -> int:
        robots = self.robots[host_of(self.base_url)]
        sitemap_urls = robots.sitemaps() or [urljoin(self.base_url, "/sitemap.xml")]
        added = 0
        batch: list[tuple[str, str, int]] = []
        tally = SitemapTally()
        urls = comparison_urls(
            self.fetcher,
            sitemap_urls,
            self.settings.retries,
            self.settings.limits.max_decompressed_bytes,
            self._may_fetch,
            tally,
        )
        async for url in urls:
            batch.append((url, "sitemap", 0))
            if len(batch) >= BATCH * 4:
                added += self.state.add(batch)
                batch.clear()
        added += self.state.add(batch)
        self.state.count(
            {"rejected_urls": tally.rejected_urls, "rejected_sitemaps": tally.rejected_sitemaps}
        )
        if tally.rejected_urls:
            self.log.warning(
                "sitemaps: %d entries dropped (not http/https on an allowed host)",
                tally.rejected_urls,
            )
        return added

    # --- fetching --------------------------------------------------------------------

    def _slots(self) -> int:
        """Requests that may be in flight at once, over all allowed hosts."""
        return self.politeness.places(len(self.allowed_hosts))

    async def _fetch_all(self, progress: _Progress) -> None:
        workers = workers_for(self._slots())
        queue: asyncio.Queue[FrontierItem | None] = asyncio.Queue(maxsize=workers * 2)
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

    async def _produce(self, queue: asyncio.Queue[FrontierItem | None]) -> None:
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

    async def _worker(self, queue: asyncio.Queue[FrontierItem | None], progress: _Progress) -> None:
        while True:
            item = await queue.get()
            try:
                if item is None:
                    return
                await self._process(item)
                progress.update(self.state.counters)
            finally:
                queue.task_done()

    def _conditional_headers(self, item: FrontierItem) -> tuple[dict[str, str], str | None]:
        known = item.known
        if known is None or known.content_sha256 is None:
            return {}, None
        headers = {}
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        return headers, known.content_sha256

    async def _process(self, item: FrontierItem) -> None:
        url = item.url
        host = host_of(url)
        if not is_web_url(url) or host not in self.allowed_hosts:
            self.state.reject(item)  # queued by a version that let it in
            return
        robots = await self._robots_for(host)
        if not robots.allowed(url):
            skipped = FetchRecord("robots_skipped", url, error="disallowed by robots.txt")
            await self._record(item, skipped)
            return
        headers, known_sha = self._conditional_headers(item)
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
            await self._record(item, self._failure(url, exc, attempts), attempts)
            return
        except BreakerOpen:
            raise  # never sent: the page stays pending for the next run
        except BreakerTripped as exc:
            await self._tripped(item, exc, "blocked" if attempts.blocked else "failed", attempts)
            raise
        try:
            try:
                notes.settle(refused=response.status in REFUSING)
            except BreakerTripped as exc:
                await self._tripped(item, exc, "blocked", attempts, response.status)
                raise
            record, links, rejected = self._outcome(response, known_sha, bool(headers), item.depth)
            record.attempts = attempts.made
            archived = response if record.outcome in LOADABLE else None
            await self._record(item, record, attempts, links, archived, rejected)
        finally:
            response.close()

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

    @staticmethod
    def _failure(url: str, exc: FetchError, attempts: Attempts) -> FetchRecord:
        if isinstance(exc, RetryAfterTooLong):
            outcome = "deferred"
        elif isinstance(exc, BlockedPage):
            outcome = "blocked"
        elif isinstance(exc, RobotsDisallowed):
            outcome = "robots_skipped"
        else:
            outcome = "failed"
        wire = exc.response.wire_bytes if isinstance(exc, BlockedPage) else 0
        return FetchRecord(
            outcome, url, status=exc.status, attempts=attempts.made, bytes=wire, error=str(exc)
        )

    def _outcome(
        self, response: Response, known_sha: str | None, conditional: bool, depth: int
    ) -> tuple[FetchRecord, list[str], int]:
        """The fetch log row of a response, the links it adds and how many it rejected."""
        status = response.status
        base = FetchRecord(
            "failed",
            response.url,
            status=status,
            bytes=response.wire_bytes,
            elapsed_ms=response.elapsed_ms,
            etag=response.header("etag"),
            last_modified=response.header("last-modified"),
        )
        if status == 304 and conditional:
            base.outcome = "not_modified"
            return base, [], 0
        if status in (404, 410):
            base.outcome = "gone"
            return base, [], 0
        if status in REFUSING:
            base.outcome, base.error = "blocked", f"HTTP {status}: the site refuses us"
            return base, [], 0
        if status != 200:
            base.error = f"HTTP {status}" + (" (redirect without Location)" if status < 400 else "")
            return base, [], 0
        base.content_sha256 = response.sha256
        links, rejected = self._links(depth, response)
        if known_sha is not None and response.sha256 == known_sha:
            base.outcome = "unchanged"
        else:
            base.outcome = "changed" if known_sha is not None else "new"
        return base, links, rejected

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
        counts = {record.outcome: 1, "bytes": record.bytes, "rejected_urls": rejected}
        if record.outcome != "robots_skipped":
            counts["fetched"] = 1
        if attempts is not None:
            counts["retried"] = attempts.retried
        await self.recorder.record(item, record, counts, list(links), archived)
