"""How close any Python reader of the comparison grid can come to the lexbor floor: the
parts every reader has to do, timed one on top of the other, beside ``parse_page``, on the
same row-table pages ``bench/parse_bench.py`` uses.

    .venv/bin/python bench/parse_bound_bench.py [--pages 200] [--rounds 5]

The "bare" reader does only what cannot be left out, and nothing to make its values
certain: it parses the page less its script payload (``without_script_bodies``, as
``parse_page`` does), walks the body's text leaves once looking each up among the known row
labels, takes the text of the cells beside each label's cell in its row (knowing, as no
real reader may, that the page is a row table with the roles in h1 order), converts them by
the row's type, and validates a record. It finds no section, names no role, checks no
alignment, reads no intro and writes no warning. Each line adds one step; its ratio is to
the floor of ``bench/parse_bench.py`` (``LexborHTMLParser(html).css("table")``).
"""

from __future__ import annotations

import argparse
from typing import Any

from parse_bench import Page, floor, ms_per_page, pages_of, steady_allocator, target
from selectolax.lexbor import LexborHTMLParser

from schemas.records import ComparisonRecord
from scraper.grid import LABELS
from scraper.parse import PARSER_VERSION, parse_page, without_script_bodies
from scraper.tables import row_key

_TEXT = LexborHTMLParser("<p>x</p>").css_first("p").first_child.tag_id  # type: ignore[union-attr]


def parsed(html: str, url: str | None) -> LexborHTMLParser:
    return LexborHTMLParser(without_script_bodies(html))


def walked(html: str, url: str | None) -> list[tuple[Any, str]]:
    tree = parsed(html, url)
    labels = []
    assert tree.body is not None
    for node in tree.body.traverse(include_text=True, skip_empty=True):
        if node.tag_id == _TEXT:
            text = node.text_content or ""
            if (key := row_key(text)) in LABELS:
                labels.append((node, key))
    return labels


def converted(html: str, url: str | None) -> list[object]:
    values: list[object] = []
    for node, key in walked(html, url):
        row = node.parent.parent
        convert = LABELS[key].convert
        for cell in list(row.iter())[1:]:
            try:
                values.append(convert(cell.text(separator=" ")))
            except ValueError:
                values.append(None)
    return values


def validator(records: dict[str | None, dict[str, Any]]) -> Any:
    def validated(html: str, url: str | None) -> object:
        converted(html, url)
        return ComparisonRecord.model_validate(records[url])

    return validated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200, help="pages per size (default 200)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    allocator = steady_allocator()
    print(
        f"parser {PARSER_VERSION}, row tables, {args.pages} pages per size, best of "
        f"{args.rounds} rounds, CPU ms per page; {allocator}"
    )
    print(f"{'size':6} {'step':34} {'ms':>7} {'ratio':>6} {'target':>7}")
    for size in ("small", "live"):
        pages: list[Page] = pages_of("rows", size, args.pages, args.seed)
        records = {url: parse_page(html, url).model_dump() for html, url in pages}
        if min(len(converted(html, url)) for html, url in pages) < 40:
            raise SystemExit(f"the bare reader misses values on a {size} page")
        steps = [
            ("floor (lexbor parse + css)", floor),
            ("bare: parse less the payload", parsed),
            ("bare: + walk the text leaves", walked),
            ("bare: + cells beside labels, typed", converted),
            ("bare: + validate the record", validator(records)),
            ("parse_page", parse_page),
        ]
        best = {name: float("inf") for name, _ in steps}
        for _, work in steps:
            ms_per_page(work, pages)
        for _ in range(args.rounds):
            for name, work in steps:
                best[name] = min(best[name], ms_per_page(work, pages))
        base = best[steps[0][0]]
        for name, _ in steps:
            print(
                f"{size:6} {name:34} {best[name]:7.3f} {best[name] / base:5.2f}x "
                f"{target('rows', size):6.1f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
