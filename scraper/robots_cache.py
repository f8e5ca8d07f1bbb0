"""The robots.txt of every host a crawl requests from, fetched once per host per run.

The first URL of a host waits for its robots.txt (``scraper.robots``); the others of that
host wait for the same fetch rather than making their own. A ``Crawl-delay`` or
``Request-rate`` stricter than the configured rate slows the host's gate down to it. An
unreachable robots.txt raises ``RobotsUnreachable``, which stops the crawl.
"""

from __future__ import annotations

import asyncio
import logging

from schemas.settings import RetrySettings
from scraper.fetch import Fetcher
from scraper.politeness import Politeness
from scraper.robots import Robots, fetch_robots
from scraper.urls import host_of


class RobotsCache:
    """The rules of each host, by ``host[:port]``, requested with ``base_url``'s scheme."""

    def __init__(
        self,
        base_url: str,
        politeness: Politeness,
        retries: RetrySettings,
        user_agent: str,
        log: logging.Logger,
    ) -> None:
        self.base_url = base_url
        self.politeness = politeness
        self.retries = retries
        self.user_agent = user_agent
        self.log = log
        self._robots: dict[str, Robots] = {}
        self._lock = asyncio.Lock()

    async def for_host(self, fetcher: Fetcher, host: str) -> Robots:
        """The rules of ``host``, fetched through ``fetcher`` the first time."""
        robots = self._robots.get(host)
        if robots is not None:
            return robots
        async with self._lock:
            if host not in self._robots:
                root = f"{self.base_url.split('://', 1)[0]}://{host}/"
                robots = await fetch_robots(fetcher, root, self.retries, self.user_agent)
                self._honour_delay(host, robots)
                self._robots[host] = robots
        return self._robots[host]

    def _honour_delay(self, host: str, robots: Robots) -> None:
        delay = robots.crawl_delay()
        if delay:
            gate = self.politeness.gate(host)
            if delay > gate.interval:
                self.log.info("%s asks for Crawl-delay %gs; honouring it", host, delay)
            gate.slow_down_to(delay)

    def may_fetch(self, url: str) -> bool:
        """Whether robots.txt lets ``url`` be fetched (yes while its host's is unread)."""
        robots = self._robots.get(host_of(url))
        return robots is None or robots.allowed(url)
