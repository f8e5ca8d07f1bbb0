"""Pytest fixtures that serve the demo site in-process on a free port of 127.0.0.1
(registered by ``tests/conftest.py``).

``demo_site`` is a clean 50-page site (seed 1, mixed markup); ``demo_site_factory(pages=,
faults=, seed=, crawl_delay=, slow_seconds=, markup=)`` starts others (all stopped at
teardown). See ``support.demo_site.start_site``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.demo_site import SiteFactory, start_site

from demosite.server import RunningSite


@pytest.fixture
def demo_site_factory() -> Iterator[SiteFactory]:
    started: list[RunningSite] = []

    def start(**options: object) -> RunningSite:
        running = start_site(**options)  # type: ignore[arg-type]
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def demo_site(demo_site_factory: SiteFactory) -> RunningSite:
    return demo_site_factory()
