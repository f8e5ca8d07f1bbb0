"""Parse speed: ``scraper.parse.parse_page`` (full extraction and pydantic validation) beside
the floor (selectolax ``LexborHTMLParser(html).css("table")`` alone) and ``pandas.read_html``,
on the same generated pages, ~10 KB ("small") and ~200 KB ("live").

    .venv/bin/python bench/parse_bench.py [--pages 500] [--rounds 5]

"DOM ms" is the parser's walk over the document reading every heading, paragraph and cell
text and interpreting none: the part of the parse no Python code on selectolax can avoid.

Floor and parser are timed in alternating rounds over the same pages and the best round of
each is reported, so both see the same machine load; times are the process's CPU time
(``time.process_time``), which other processes on a shared machine disturb least. Every
page is first checked to parse to its expected record, which also warms the allocator for
both. ``pandas.read_html`` (needs lxml: the ``bench`` extra) runs one round.
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

from demosite.generator import SIZES, VARIANTS, generate_page
from scraper.parse import (
    _BLOCKS,
    _TABLE,
    PARSER_VERSION,
    _cells,
    _rows,
    _without_script_bodies,
    parse_page,
)

TARGETS = {"small": 3.0, "live": 1.5}

Page = tuple[str, str]


def pages_of(size: str, count: int, seed: int) -> list[Page]:
    pages = []
    for index in range(count):
        page = generate_page(seed, index, variant=VARIANTS[index % len(VARIANTS)], size=size)
        expected = page.expected.model_copy(update={"parser_version": PARSER_VERSION})
        if parse_page(page.html, page.expected.url) != expected:
            sys.exit(f"page {index} ({size}, {page.variant}) does not parse to its record")
        pages.append((page.html, page.expected.url))
    return pages


def ms_per_page(work: Callable[[str, str], object], pages: list[Page]) -> float:
    gc.collect()
    start = time.process_time()
    for html, url in pages:
        work(html, url)
    return (time.process_time() - start) / len(pages) * 1000


def floor(html: str, url: str) -> object:
    return LexborHTMLParser(html).css("table")


def dom_read(html: str, url: str) -> object:
    """What any extraction on selectolax must pay before it interprets anything: the
    parser's own walk (``scraper.parse``'s block query, row and cell helpers, on the markup
    it parses) reading the text of every heading, paragraph and table cell, and nothing
    else."""
    texts = []
    for node in LexborHTMLParser(_without_script_bodies(html)).css(_BLOCKS):
        if node.tag_id == _TABLE:
            texts.extend(_cells(row) for row in _rows(node))
        else:
            texts.append(node.text_lexbor())
    return texts


def pandas_read_html(html: str, url: str) -> object:
    import pandas

    return pandas.read_html(StringIO(html))


def steady_allocator() -> str:
    """Fix glibc's mmap and trim thresholds so that the 200 KB buffers of a live page are
    reused from the heap in every round. Left alone they move with what the process did
    before, and the floor measures 0.26 or 0.52 ms per live page (the slower figure is
    mostly page faults on fresh memory). Fixed, it is always the faster one: the stricter
    floor to compare the parser with."""
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
    parser.add_argument("--pages", type=int, default=500, help="pages per size (default 500)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-pandas", action="store_true", help="skip pandas.read_html")
    args = parser.parse_args()

    allocator = steady_allocator()
    print(
        f"parser {PARSER_VERSION}, {args.pages} pages per size, best of {args.rounds} rounds, "
        f"CPU ms per page; {allocator}"
    )
    header = f"{'size':6} {'avg KB':>7} {'floor ms':>9} {'parse ms':>9} {'ratio':>6} {'target':>7}"
    print(header + f" {'DOM ms':>7} {'ratio':>6} {'pandas ms':>10} {'parse/pandas':>13}")
    for size in SIZES:
        pages = pages_of(size, args.pages, args.seed)
        kb = statistics.mean(len(html.encode()) for html, _ in pages) / 1024
        ms_per_page(floor, pages)
        floors, parses, doms = [], [], []
        for _ in range(args.rounds):
            floors.append(ms_per_page(floor, pages))
            parses.append(ms_per_page(parse_page, pages))
            doms.append(ms_per_page(dom_read, pages))
        best_floor, best_parse, best_dom = min(floors), min(parses), min(doms)
        ratio = best_parse / best_floor
        line = (
            f"{size:6} {kb:7.1f} {best_floor:9.3f} {best_parse:9.3f} {ratio:5.2f}x "
            f"{TARGETS[size]:6.1f}x {best_dom:7.3f} {best_dom / best_floor:5.2f}x"
        )
        if args.no_pandas:
            print(line)
            continue
        pandas_ms = ms_per_page(pandas_read_html, pages)
        print(f"{line} {pandas_ms:10.3f} {best_parse / pandas_ms:12.3f}x")


if __name__ == "__main__":
    main()
