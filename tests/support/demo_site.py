"""The demo site for tests: served in-process on a free port of 127.0.0.1.

``start_site`` gives a site the way the fixtures of ``tests/plugins/demo_site.py`` do (a
clean 50-page site, seed 1, mixed markup, unless told otherwise); its "slow" fault
stalls ``FIXTURE_SLOW_SECONDS``: give the client a shorter timeout to see it time out.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from demosite.server import RunningSite, start_in_thread
from demosite.site import MIXED, Site

FIXTURE_PAGES = 50
FIXTURE_SLOW_SECONDS = 2.0

SiteFactory = Callable[..., RunningSite]


def start_site(
    *,
    pages: int = FIXTURE_PAGES,
    faults: str = "clean",
    seed: int = 1,
    crawl_delay: float | None = None,
    slow_seconds: float = FIXTURE_SLOW_SECONDS,
    port: int = 0,
    markup: str = MIXED,
) -> RunningSite:
    site = Site(seed=seed, pages=pages, faults=faults, crawl_delay=crawl_delay, markup=markup)
    return start_in_thread(site, port=port, slow_seconds=slow_seconds)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
