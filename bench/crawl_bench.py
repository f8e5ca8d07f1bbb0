"""Crawl throughput beside its floor and Scrapy, and the crawler's peak memory.

    .venv/bin/python bench/crawl_bench.py                 # everything
    .venv/bin/python bench/crawl_bench.py --skip-memory --skip-scrapy

The demo site runs in a process of its own (so it does not share the crawler's GIL),
serving live-size comparison pages with no delay and no faults. To keep the server out
of the way, bodies come from a cache of 64 rendered pages reused across all URLs (each
URL still a distinct comparison with its own sitemap entry, named after the first role
of the body it serves, so that the block-page check, which wants a role of the URL in
the page's title or h1, sees a comparison page): ``Site(paths=)`` names the pages and an
override of ``Site.render`` serves the cached bodies.

- floor: a bare ``httpx.AsyncClient`` loop GETting the same comparison URLs at the same
  concurrency (body read and decoded, nothing else: no state, no archive);
- crawler: ``scraper.crawl.crawl`` on a fresh database and archive: robots.txt, sitemaps,
  every page fetched, hashed, checked, archived (WARC) and recorded (SQLite);
- Scrapy: a spider GETting the same URLs at 16 in flight (benchmark-only extra);
- fetch only: the crawler's own fetch layer (``fetch_with_retries`` through the same
  ``Fetcher``, gates and block-page check) over the same URLs, recording nothing: what
  the crawl costs before the archive and the database;
- memory: the crawler's peak RSS in a child process for 2,000 and 20,000 pages.

Rows of one run compare; runs on a shared machine spread widely (``--rounds 3`` keeps
the best of three of each). The figures, the targets and where the crawler's time goes
are in the README, under Benchmarks: one place to keep up to date.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DISTINCT_BODIES = 64


# --- the site, in its own process ---------------------------------------------------------


def bench_paths(pages: int) -> list[str]:
    """The paths of the bench site's pages: page ``i`` serves body ``i % DISTINCT_BODIES``
    and is named after that body's first role, so each URL is a distinct comparison."""
    from demosite.generator import catalog
    from scraper.urls import comparison_path, comparison_slugs

    paths = [catalog(1).path(i) for i in range(pages)]
    for index in range(pages):
        slugs = comparison_slugs(paths[index % DISTINCT_BODIES])
        assert slugs is not None
        paths[index] = comparison_path(slugs[0], f"{slugs[1]}-{index}")
    return paths


def serve(pages: int) -> None:
    """``--serve PAGES``: run the demo site until killed; print its base URL first."""
    from demosite import generator
    from demosite.resources import page_resource
    from demosite.server import serve_forever
    from demosite.site import PageState, Resource, Site

    class BenchSite(Site):
        def __init__(self) -> None:
            super().__init__(seed=1, pages=pages, faults="clean", paths=bench_paths(pages))
            self.bodies: dict[int, Resource] = {}

        def render(self, index: int, state: PageState) -> Resource:
            key = index % DISTINCT_BODIES
            if key not in self.bodies:
                page = generator.generate_page(self.seed, key, pages=self.pages)
                self.bodies[key] = page_resource(
                    page.html.encode(), "text/html; charset=utf-8", page.path, 0
                )
                self.bodies[key].gzipped()
            return self.bodies[key]

    asyncio.run(serve_forever(BenchSite(), port=0, announce=lambda url: print(url, flush=True)))


class Server:
    def __init__(self, pages: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(pages)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        if not self.base_url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"demo site did not start: {self.base_url!r}")
        self.urls = self._urls()

    def _urls(self) -> list[str]:
        import httpx

        paths = httpx.get(self.base_url + "_admin/pages", timeout=60).json()["pages"]
        return [self.base_url.rstrip("/") + p for p in paths]

    def warm(self) -> None:
        """Render the distinct bodies and fill the server's page cache before timing."""
        asyncio.run(floor(self.urls, 8))

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


# --- the three clients --------------------------------------------------------------------


async def floor(urls: list[str], concurrency: int) -> float:
    """Pages per second of a bare httpx loop: GET, read the (decoded) body, next."""
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0, pool=30.0)) as client:
        todo = iter(urls)

        async def worker() -> None:
            for url in todo:
                response = await client.get(url)
                response.read()
                assert response.status_code == 200, (url, response.status_code)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(urls) / (time.perf_counter() - started)


async def fetch_only(urls: list[str], concurrency: int) -> float:
    """Pages per second of the crawler's own fetch layer alone: ``fetch_with_retries``
    through the same ``Fetcher``, host gate and block-page check, with no frontier, no
    archive and no database - what the crawl costs before it records anything."""
    from schemas.settings import Settings
    from scraper.blockpage import ComparisonCheck
    from scraper.fetch import Fetcher
    from scraper.politeness import Politeness
    from scraper.retry import fetch_with_retries
    from scraper.urls import host_of

    settings = Settings.model_validate(
        {"site": {"base_url": urls[0]}, "politeness": {"rate": 0, "max_in_flight": concurrency}}
    )
    politeness = Politeness(concurrency, 0, settings.retries.breaker_threshold)
    fetcher = Fetcher(settings.limits, politeness, "bench", {host_of(urls[0])})
    todo = iter(urls)

    async def worker() -> None:
        for url in todo:
            response = await fetch_with_retries(
                fetcher, url, settings.retries, check=ComparisonCheck
            )
            assert response.status == 200 and response.looks_right, url
            response.close()

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(2 * concurrency)))
        return len(urls) / (time.perf_counter() - started)
    finally:
        await fetcher.aclose()


def crawl_settings(base_url: str, concurrency: int, workdir: Path) -> Settings:
    """A crawl of the bench site with no delay, its database and archive in ``workdir``."""
    from schemas.settings import Settings

    return Settings.model_validate(
        {
            "site": {"base_url": base_url},
            "politeness": {"rate": 0, "max_in_flight": concurrency},
            "output": {"db": workdir / "careers.db", "archive_dir": workdir / "archive"},
        }
    )


def crawl_once(base_url: str, concurrency: int, workdir: Path) -> tuple[float, dict[str, int]]:
    from scraper.crawl import crawl

    shutil.rmtree(workdir, ignore_errors=True)
    settings = crawl_settings(base_url, concurrency, workdir)
    started = time.perf_counter()
    report = crawl(settings, progress=False)
    elapsed = time.perf_counter() - started
    return report.counters["fetched"] / elapsed, report.counters


SCRAPY_SPIDER = textwrap.dedent(
    """
    import json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls_file, out_file, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    URLS = json.load(open(urls_file))

    class Bench(scrapy.Spider):
        name = "bench"

        async def start(self):  # Scrapy >= 2.13
            for request in self.start_requests():
                yield request

        def start_requests(self):  # older Scrapy
            for url in URLS:
                yield scrapy.Request(url, callback=self.parse, dont_filter=True)

        def parse(self, response):
            assert response.status == 200 and len(response.body) > 1000

    process = CrawlerProcess(settings={
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",
        "USER_AGENT": "careers-etl-bench-scrapy",
    })
    crawler = process.create_crawler(Bench)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    seconds = (stats["finish_time"] - stats["start_time"]).total_seconds()
    json.dump({"pages": stats.get("downloader/response_status_count/200", 0),
               "seconds": seconds}, open(out_file, "w"))
    """
)


def scrapy_available() -> bool:
    try:
        import scrapy  # noqa: F401

        return True
    except ImportError:
        pass
    print("scrapy is not installed; installing it into this venv for the benchmark ...")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "scrapy>=2.11"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        print(f"scrapy: skipped (could not install: {done.stderr.strip()[-300:]})")
        return False
    return True


def scrapy_once(urls: list[str], concurrency: int, workdir: Path) -> float:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "spider.py").write_text(SCRAPY_SPIDER)
    (workdir / "urls.json").write_text(json.dumps(urls))
    out = workdir / "scrapy.json"
    subprocess.run(
        [sys.executable, "spider.py", "urls.json", out.name, str(concurrency)],
        cwd=workdir,
        check=True,
        timeout=900,
    )
    result = json.loads(out.read_text())
    if result["pages"] != len(urls):
        raise RuntimeError(f"scrapy fetched {result['pages']} of {len(urls)} pages")
    return float(result["pages"]) / result["seconds"]


# --- memory, in a child process -----------------------------------------------------------


def _status_kb(field: str) -> int:
    """``VmRSS``/``VmHWM`` of this process from /proc (``ru_maxrss`` would include the
    parent's peak from before the exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def crawl_child(base_url: str, concurrency: int, workdir: str) -> None:
    """``--crawl-child``: crawl once, print peak RSS (KB) and counters as JSON."""
    from scraper.crawl import crawl

    imported = _status_kb("VmRSS")
    settings = crawl_settings(base_url, concurrency, Path(workdir))
    started = time.perf_counter()
    report = crawl(settings, progress=False)
    print(
        json.dumps(
            {
                "imported_kb": imported,
                "peak_kb": _status_kb("VmHWM"),
                "end_kb": _status_kb("VmRSS"),
                "fetched": report.counters["fetched"],
                "seconds": time.perf_counter() - started,
            }
        )
    )


def memory(pages: int, concurrency: int, workdir: Path) -> dict[str, float]:
    server = Server(pages)
    try:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--crawl-child",
                server.base_url,
                str(concurrency),
                str(workdir),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--big", type=int, default=20000, help="pages for the memory comparison")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[2, 8, 16])
    ap.add_argument("--rounds", type=int, default=1, help="repeat each measurement; best kept")
    ap.add_argument("--skip-scrapy", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--crawl-child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.crawl_child:
        crawl_child(args.crawl_child[0], int(args.crawl_child[1]), args.crawl_child[2])
        return

    tmp = Path(tempfile.mkdtemp(prefix="crawl-bench-"))
    print(
        f"crawl bench: {args.pages} pages (+ the seed page), live size, no delay; "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    server = Server(args.pages)
    try:
        server.warm()
        print(
            f"{'in flight':>9} {'floor p/s':>10} {'crawler p/s':>12} {'ratio':>6}"
            f" {'fetch only p/s':>15} {'ratio':>6}"
        )
        for c in args.concurrency:
            floors, crawls, fetches = [], [], []
            for _ in range(args.rounds):
                floors.append(asyncio.run(floor(server.urls, c)))
                rate, counters = crawl_once(server.base_url, c, tmp / f"crawl-{c}")
                assert counters["new"] == len(server.urls), counters
                crawls.append(rate)
                fetches.append(asyncio.run(fetch_only(server.urls, c)))
            best_floor, best_crawl, best_fetch = max(floors), max(crawls), max(fetches)
            print(
                f"{c:>9} {best_floor:>10.0f} {best_crawl:>12.0f} {best_crawl / best_floor:>6.0%}"
                f" {best_fetch:>15.0f} {best_fetch / best_floor:>6.0%}"
            )
        if args.skip_scrapy:
            print("scrapy: skipped (--skip-scrapy)")
        elif scrapy_available():
            c = max(args.concurrency)
            rates = [scrapy_once(server.urls, c, tmp / "scrapy") for _ in range(args.rounds)]
            print(f"scrapy at {c} in flight: {max(rates):.0f} pages/s")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    if not args.skip_memory:
        c = max(args.concurrency)
        print(f"peak RSS of the crawling process ({c} in flight):")
        results = {}
        for pages in (args.pages, args.big):
            m = memory(pages, c, tmp / f"mem-{pages}")
            results[pages] = m
            print(
                f"  {m['fetched']:>6} pages: peak {m['peak_kb'] / 1024:6.1f} MB "
                f"(after imports {m['imported_kb'] / 1024:.1f} MB, at the end "
                f"{m['end_kb'] / 1024:.1f} MB), "
                f"{m['fetched'] / m['seconds']:.0f} pages/s"
            )
        growth = (results[args.big]["peak_kb"] - results[args.pages]["peak_kb"]) / 1024
        print(f"  growth {args.pages} -> {args.big} pages: {growth:+.1f} MB")


if __name__ == "__main__":
    main()
