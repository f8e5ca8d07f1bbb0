"""One polite GET: redirects followed one hop at a time, each hop through its host's gate.

``Fetcher.get`` makes one attempt at a URL (the retry policy around it is
``scraper.retry``): it follows at most ``max_redirects`` redirects, only to allowed hosts
and to URLs robots.txt allows, each hop's exchange made by ``scraper.http``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from urllib.parse import urljoin

from schemas.errors import FetchError, RedirectRefused, RobotsDisallowed
from schemas.settings import LimitSettings
from scraper.http import HttpxExchange
from scraper.politeness import Politeness
from scraper.response import BodyCheck, Response
from scraper.urls import host_of

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class Fetcher:
    """GETs through the host gates: redirects followed one hop at a time (each hop only
    to an allowed host, robots.txt asked, the gate passed again), each hop's HTTP
    exchange made by an ``HttpxExchange``."""

    def __init__(
        self,
        limits: LimitSettings,
        politeness: Politeness,
        user_agent: str,
        allowed_hosts: Iterable[str],
        may_fetch: Callable[[str], bool] | None = None,
    ) -> None:
        self.limits = limits
        self.politeness = politeness
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.may_fetch = may_fetch
        connections = politeness.places(len(self.allowed_hosts))
        self.exchange = HttpxExchange(limits, user_agent, connections)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.exchange.aclose()

    def host_allowed(self, url: str) -> bool:
        return host_of(url) in self.allowed_hosts

    async def get(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        check: Callable[[str], BodyCheck] | None = None,
    ) -> Response:
        """One attempt at ``url``, redirects included. Raises ``FetchError`` subclasses.
        ``check(url)`` makes the ``BodyCheck`` a 200's body is shown to, for the URL that
        answered (the end of the redirects)."""
        started = time.monotonic()
        redirects = 0
        current = url
        last_status: int | None = None
        while True:
            host = host_of(current)
            refusal = self._refusal(current, host, redirects)
            if refusal is not None:
                refusal.status = last_status
                raise refusal
            gate = self.politeness.gate(host)
            checking = partial(check, current) if check is not None else None
            async with gate.slot() as sent:
                response = await self.exchange.exchange(current, headers, sent, checking)
            location = response.header("location")
            if response.status not in REDIRECT_STATUSES or not location:
                response.redirects = redirects
                response.elapsed_ms = int((time.monotonic() - started) * 1000)
                return response
            last_status = response.status
            redirects += 1
            if redirects > self.limits.max_redirects:
                too_many = RedirectRefused(
                    f"more than {self.limits.max_redirects} redirects from {url}"
                )
                too_many.status = last_status
                raise too_many
            current = urljoin(current, location)

    def _refusal(self, url: str, host: str, redirects: int) -> FetchError | None:
        """Why hop ``url`` may not be requested: a host that is not allowed, or (for a
        redirect) a URL robots.txt disallows. None when it may."""
        if host not in self.allowed_hosts:
            return RedirectRefused(f"redirect to a host that is not allowed: {url}")
        if redirects and self.may_fetch is not None and not self.may_fetch(url):
            return RobotsDisallowed(f"redirect to {url}, which robots.txt disallows")
        return None
