"""Where a crawl's URLs come from: the seeds, the sitemaps, the comparisons known before.

A seed is a comparison URL (absolute or a path) or a role slug, whose role page is
fetched for the comparisons it links to. The sitemaps are the ones the site's robots.txt
names, else ``/sitemap.xml``; their URLs reach the frontier in batches, so a sitemap of
any size never sits in memory. Comparisons earlier runs saw are queued again, so pages
that disappeared are noticed as gone. A URL already in the run's frontier is not added
twice, so a resumed run reads the seeds and sitemaps again at no cost to what it did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urljoin

from schemas.errors import FetchError
from schemas.settings import Settings
from scraper.fetch import Fetcher
from scraper.links import admitted, comparison_links
from scraper.retry import fetch_with_retries
from scraper.robots import Robots
from scraper.sitemaps import SitemapTally, comparison_urls
from scraper.urls import comparison_slugs, normalize_url, role_path
from store.crawl_state import CrawlState

SITEMAP_BATCH = 1024
"""Sitemap URLs added to the frontier in one call."""

Discovered = tuple[str, str, int]
"""A frontier entry to add: ``(url, source, depth)``."""


class Discovery:
    """Fills a run's frontier before its pages are fetched."""

    def __init__(
        self,
        settings: Settings,
        state: CrawlState,
        fetcher: Fetcher,
        base_url: str,
        allowed_hosts: set[str],
        may_fetch: Callable[[str], bool],
        log: logging.Logger,
    ) -> None:
        self.settings = settings
        self.state = state
        self.fetcher = fetcher
        self.base_url = base_url
        self.allowed_hosts = allowed_hosts
        self.may_fetch = may_fetch
        self.log = log

    async def run(self, robots: Robots) -> None:
        """Add the seeds, the sitemaps' URLs (as named by the site's ``robots``) and the
        known comparisons to the frontier."""
        added = self.state.add(await self._seeds())
        if self.settings.site.use_sitemaps:
            added += await self._sitemaps(robots)
        added += self.state.revisit_known(self.base_url)
        pending = self.state.pending_count()
        self.log.info("discovered %d URLs for this run; %d pending", added, pending)

    async def _seeds(self) -> list[Discovered]:
        seeds: list[Discovered] = []
        for seed in self.settings.site.seeds:
            seed = seed.strip()
            if not seed:
                continue
            if seed.startswith(("http://", "https://", "/")):
                url = self._seed_url(seed)
                if url is not None:
                    seeds.append((url, "seed", 0))
            else:
                seeds.extend((u, "seed", 0) for u in await self._role_links(seed))
        return seeds

    def _seed_url(self, seed: str) -> str | None:
        """The normalized URL of a seed given as a URL or a path, None (with a warning)
        when it is not a comparison page on an allowed host."""
        url = normalize_url(seed, self.base_url)
        if not comparison_slugs(url):
            self.log.warning("seed %s is not a comparison URL; skipped", seed)
        elif not admitted([url], self.allowed_hosts)[0]:
            self.log.warning("seed %s is not on an allowed host; skipped", seed)
        else:
            return url
        return None

    async def _role_links(self, slug: str) -> list[str]:
        """Comparison links of a role's page, for a seed given as a role slug."""
        url = normalize_url(role_path(slug), self.base_url)
        if not self.may_fetch(url):
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

    async def _sitemaps(self, robots: Robots) -> int:
        sitemap_urls = robots.sitemaps() or [urljoin(self.base_url, "/sitemap.xml")]
        added = 0
        batch: list[Discovered] = []
        tally = SitemapTally()
        urls = comparison_urls(
            self.fetcher,
            sitemap_urls,
            self.settings.retries,
            self.settings.limits.max_decompressed_bytes,
            self.may_fetch,
            tally,
        )
        async for url in urls:
            batch.append((url, "sitemap", 0))
            if len(batch) >= SITEMAP_BATCH:
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
