"""robots.txt per RFC 9309, parsed with protego.

- 2xx: the rules apply (only the first 500 KiB are parsed, as the RFC allows);
- 4xx ("unavailable"): everything is allowed;
- 5xx or no answer after retries ("unreachable"): the host must not be crawled, which
  ``fetch_robots`` reports by raising ``RobotsUnreachable``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from protego import Protego

from schemas.errors import FetchError, RetryAfterTooLong, RobotsUnreachable
from schemas.settings import RetrySettings
from scraper.fetch import Fetcher
from scraper.retry import fetch_with_retries

MAX_ROBOTS_BYTES = 500 * 1024


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against (``careers-etl``)."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"


@dataclass
class Robots:
    """The rules for one host. ``rules`` None means everything is allowed (4xx)."""

    url: str
    status: int
    rules: Protego | None
    agent: str

    def allowed(self, url: str) -> bool:
        return self.rules is None or bool(self.rules.can_fetch(url, self.agent))

    def crawl_delay(self) -> float | None:
        if self.rules is None:
            return None
        delay = self.rules.crawl_delay(self.agent)
        rate = self.rules.request_rate(self.agent)
        seconds = [float(delay)] if delay else []
        if rate is not None and rate.requests:
            seconds.append(rate.seconds / rate.requests)
        return max(seconds) if seconds else None

    def sitemaps(self) -> list[str]:
        return list(self.rules.sitemaps) if self.rules is not None else []


async def fetch_robots(
    fetcher: Fetcher, site_root: str, retries: RetrySettings, user_agent: str
) -> Robots:
    url = urljoin(site_root, "/robots.txt")
    agent = agent_token(user_agent)
    try:
        response = await fetch_with_retries(fetcher, url, retries)
    except RetryAfterTooLong as exc:
        raise RobotsUnreachable(url, str(exc)) from exc
    except FetchError as exc:
        raise RobotsUnreachable(url, str(exc)) from exc
    try:
        if response.status >= 500:
            raise RobotsUnreachable(url, f"HTTP {response.status}")
        if 400 <= response.status < 500:
            return Robots(url, response.status, None, agent)
        if response.status != 200:
            raise RobotsUnreachable(url, f"unexpected HTTP {response.status}")
        text = response.read()[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
    finally:
        response.close()
    return Robots(url, response.status, Protego.parse(text), agent)
