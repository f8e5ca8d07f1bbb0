"""Pytest fixtures that serve the demo site in-process on a free port of 127.0.0.1.

``demo_site`` is a clean 50-page site (seed 1, mixed markup); ``demo_site_factory(pages=,
faults=, seed=, crawl_delay=, slow_seconds=, markup=)`` starts others (all stopped at
teardown). A fixture site's "slow" fault stalls 2 s: give the client a shorter timeout to
see it time out. Expose them with ``from demosite.testing import demo_site,
demo_site_factory`` in a conftest.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def site_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``careers demo-site ARGS`` in a process of its own (so a client under test or
    benchmark does not share its GIL); yields the process and the base URL it printed,
    and stops it on the way out."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from pipeline.cli import main; main()", "demo-site", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc, proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
