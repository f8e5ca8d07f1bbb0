"""The crawl: discover comparison URLs, fetch each politely once per run, record it.

``crawl(settings)`` creates or resumes a run (``store.crawl_state``), reads robots.txt
(``scraper.robots_cache``), fills the frontier (``scraper.discovery``: the seeds, the
sitemaps and the comparisons earlier runs saw, so pages that disappeared are noticed as
gone), then fetches pending URLs with a fixed set of workers fed from the database in
small chunks (``scraper.workers``). A page's body goes to the WARC archive
(``scraper.archive``) and its result to the database in one transaction
(``scraper.recorder``) before its worker takes another page, so a killed crawl resumes
where it stopped. A resumed run reads robots.txt and the sitemaps again (rules and URLs
may have changed; known URLs are not added twice) but never a page it has recorded.

Everything runs on one event loop, with no thread: the database connection and the
archive writer are used between socket reads (``scraper.recorder`` says why). Fatal
conditions (robots.txt unreachable, the breaker tripping) end the crawl with the
``SiteUnavailable`` that stopped it; what was fetched until then stays recorded, the rest
pending. Once the crawl ends, the run is settled here: 404s marked gone, the verdict
(``schemas.verdict``) and the report.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field

from schemas.columns import COUNTERS
from schemas.errors import BreakerOpen, SiteUnavailable
from schemas.settings import Settings
from schemas.verdict import Verdict, judge
from scraper.archive import WarcArchive
from scraper.discovery import Discovery
from scraper.fetch import Fetcher
from scraper.politeness import Politeness
from scraper.progress import CrawlProgress
from scraper.recorder import Recorder
from scraper.robots_cache import RobotsCache
from scraper.signals import run_until_signalled
from scraper.urls import host_of, normalize_url
from scraper.workers import PageWorkers, group_size, workers_for
from store.crawl_records import GoneCount
from store.crawl_state import CrawlState
from store.db import connect


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


def _first(group: BaseExceptionGroup[SiteUnavailable]) -> SiteUnavailable:
    """The error that stopped the crawl, out of the task group's (nested) group: the one
    that tripped a breaker rather than a request it then held back (``BreakerOpen``),
    whichever task raised first."""
    found = [_first(e) if isinstance(e, BaseExceptionGroup) else e for e in group.exceptions]
    return next((e for e in found if not isinstance(e, BreakerOpen)), found[0])


class Crawler:
    """One run of the crawl, from opening its row to its report."""

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

    async def run(self, finalize: bool) -> CrawlReport:
        conn = connect(self.settings.output.db)
        try:
            state = CrawlState(conn)
            run_id, resumed = self._open(state)
            archive = WarcArchive(self.settings.output.archive_dir, prefix=run_id)
            recorder = Recorder(state, archive, batch=group_size(self._slots()))
            try:
                fatal = await self._crawl(state, recorder)
            finally:
                archive.close()
            return self._close(state, run_id, resumed, fatal, finalize)
        finally:
            conn.close()

    def _open(self, state: CrawlState) -> tuple[str, tuple[str, int] | None]:
        """Create the run, or resume the unfinished one; ``(run_id, resumed_from)``."""
        s = self.settings
        run_id, resumed = state.open_run(
            fresh=s.run.fresh, command=self.command, base_url=self.base_url
        )
        if resumed is not None:
            self.log.info("resuming %d pending URLs of run %s", resumed[1], run_id)
        else:
            self.log.info("starting crawl run %s of %s", run_id, self.base_url)
        return run_id, resumed

    def _slots(self) -> int:
        """Requests that may be in flight at once, over all allowed hosts."""
        return self.politeness.places(len(self.allowed_hosts))

    async def _crawl(self, state: CrawlState, recorder: Recorder) -> SiteUnavailable | None:
        """robots.txt, discovery and the pages; the ``SiteUnavailable`` that stopped them,
        if one did."""
        s = self.settings
        robots = RobotsCache(self.base_url, self.politeness, s.retries, self.agent_header, self.log)
        fetcher = Fetcher(
            s.limits,
            self.politeness,
            self.agent_header,
            self.allowed_hosts,
            may_fetch=robots.may_fetch,
        )
        progress = CrawlProgress(self.log, self.interactive)
        fatal: SiteUnavailable | None = None
        try:
            site_robots = await robots.for_host(fetcher, host_of(self.base_url))
            discovery = Discovery(
                s, state, fetcher, self.base_url, self.allowed_hosts, robots.may_fetch, self.log
            )
            await discovery.run(site_robots)
            workers = PageWorkers(
                s, state, recorder, fetcher, robots, self.politeness, self.allowed_hosts, self.log
            )
            await workers.run(workers_for(self._slots()), progress)
        except* SiteUnavailable as group:
            fatal = _first(group)
        finally:
            progress.stop()
            await fetcher.aclose()
        return fatal

    def _close(
        self,
        state: CrawlState,
        run_id: str,
        resumed: tuple[str, int] | None,
        fatal: SiteUnavailable | None,
        finalize: bool,
    ) -> CrawlReport:
        """Settle the run's 404s, judge it (when ``finalize``), finish its row and log its
        summary; raise ``fatal`` when the crawl was stopped, else return the report."""
        gone = state.settle_gone(self.settings.run.max_gone_fraction)
        pending = state.pending_count()
        complete = fatal is None and pending == 0
        exit_code, problems = self._judge(state.counters, fatal, finalize)
        state.finish(complete=complete, exit_code=exit_code)
        counters = dict(state.counters)
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

    def _judge(
        self, counters: dict[str, int], fatal: SiteUnavailable | None, finalize: bool
    ) -> tuple[int | None, list[str]]:
        """``(exit_code, problems)``: none without ``finalize``, 2 on a fatal stop."""
        if not finalize:
            return None, []
        if fatal is not None:
            return 2, []
        verdict = crawl_verdict(counters, self.settings.run.failed_fraction)
        return int(verdict.exit_code), verdict.problems

    def _summarize(self, run_id: str, c: dict[str, int], pending: int, complete: bool) -> None:
        parts = ", ".join(f"{name} {c[name]}" for name in COUNTERS if c[name])
        state = "complete" if complete else f"{pending} URLs still pending"
        self.log.info("crawl run %s: %s (%s)", run_id, parts or "nothing to do", state)
