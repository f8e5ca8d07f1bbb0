"""Parse speed per markup family: ``scraper.parse.parse_page`` (the grid reader, value
conversion, the intro and pydantic validation) beside the floor (selectolax
``LexborHTMLParser(html).css("table")`` alone) and ``pandas.read_html``, on the same generated
pages of each family, in both sizes ("small" and "live", the live site's page size).

    .venv/bin/python bench/parse_bench.py [--pages 200] [--rounds 5] [--families rows,dl]

``pandas.read_html`` reads only ``<table>`` markup, so its column is filled for the families
it can read (``rows``, ``transposed``) and "-" elsewhere.

Floor and parser are timed in alternating rounds over the same pages and the best round of
each is reported, so both see the same machine load; times are the process's CPU time
(``time.process_time``), which other processes on a shared machine disturb least. Every
page is first checked to parse to its expected record, which also warms the allocator for
both. ``pandas.read_html`` (needs lxml: the ``bench`` extra) runs one round, after one
page read untimed.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import statistics
import sys
import time
from collections.abc import Callable
from io import StringIO

from selectolax.lexbor import LexborHTMLParser

from demosite.generator import FAMILIES, SIZES, VARIANTS, generate_page
from scraper.parse import PARSER_VERSION, parse_page

PANDAS_FAMILIES = ("rows", "transposed")
PANDAS_TARGET = 8.0
"""The parser must be at least this many times faster than ``pandas.read_html``."""


def target(family: str, size: str) -> float:
    """The issue's ceiling on parse time over the floor."""
    if size == "small":
        return 5.0
    return 1.5 if family == "rows" else 2.0


Page = tuple[str, str | None]


def pages_of(family: str, size: str, count: int, seed: int) -> list[Page]:
    pages = []
    for index in range(count):
        page = generate_page(
            seed, index, family=family, variant=VARIANTS[index % len(VARIANTS)], size=size
        )
        expected = page.expected.model_copy(update={"parser_version": PARSER_VERSION})
        if parse_page(page.html, page.expected.url) != expected:
            sys.exit(
                f"page {index} ({family}, {size}, {page.variant}) does not parse to its record"
            )
        pages.append((page.html, page.expected.url))
    return pages


def ms_per_page(work: Callable[[str, str | None], object], pages: list[Page]) -> float:
    gc.collect()
    start = time.process_time()
    for html, url in pages:
        work(html, url)
    return (time.process_time() - start) / len(pages) * 1000


def floor(html: str, url: str | None) -> object:
    return LexborHTMLParser(html).css("table")


def pandas_read_html(html: str, url: str | None) -> object:
    import pandas

    return pandas.read_html(StringIO(html))


def steady_allocator() -> str:
    """Fix glibc's mmap and trim thresholds so that the buffers of a live page are reused
    from the heap in every round. Left alone they move with what the process did before,
    and the floor's time per live page jumps between two levels (the slower one mostly
    page faults on fresh memory). Fixed, it stays at the faster level: the stricter floor
    to compare the parser with."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        if libc.mallopt(m_mmap_threshold, 32 << 20) and libc.mallopt(m_trim_threshold, 64 << 20):
            return "glibc mmap/trim thresholds fixed at 32/64 MB"
    except OSError:
        pass
    return "allocator left as is"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200, help="pages per row (default 200)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated")
    parser.add_argument("--no-pandas", action="store_true", help="skip pandas.read_html")
    args = parser.parse_args()

    allocator = steady_allocator()
    print(
        f"parser {PARSER_VERSION}, {args.pages} pages per row, best of {args.rounds} rounds, "
        f"CPU ms per page; {allocator}"
    )
    print(
        f"{'family':11} {'size':6} {'avg KB':>7} {'floor ms':>9} {'parse ms':>9} {'ratio':>6} "
        f"{'target':>7} {'pandas ms':>10} {'faster':>7}"
    )
    misses = 0
    for family in args.families.split(","):
        for size in SIZES:
            pages = pages_of(family, size, args.pages, args.seed)
            kb = statistics.mean(len(html.encode()) for html, _ in pages) / 1024
            ms_per_page(floor, pages)
            floors, parses = [], []
            for _ in range(args.rounds):
                floors.append(ms_per_page(floor, pages))
                parses.append(ms_per_page(parse_page, pages))
            best_floor, best_parse = min(floors), min(parses)
            ratio = best_parse / best_floor
            ceiling = target(family, size)
            missed = ratio > ceiling
            line = (
                f"{family:11} {size:6} {kb:7.1f} {best_floor:9.3f} {best_parse:9.3f} "
                f"{ratio:5.2f}x {ceiling:6.1f}x"
            )
            if args.no_pandas or family not in PANDAS_FAMILIES:
                line += f" {'-':>10} {'-':>7}"
            else:
                pandas_read_html(*pages[0])  # its imports and lxml's setup are not per page
                pandas_ms = ms_per_page(pandas_read_html, pages[: max(20, args.pages // 5)])
                faster = pandas_ms / best_parse
                missed = missed or faster < PANDAS_TARGET
                line += f" {pandas_ms:10.3f} {faster:6.1f}x"
            misses += missed
            print(line + ("  missed" if missed else ""), flush=True)
    print(f"{misses} row(s) miss a target")


if __name__ == "__main__":
    main()
