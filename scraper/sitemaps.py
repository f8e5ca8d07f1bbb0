"""Sitemaps: indexes followed, gzipped files inflated with a cap, parsed as a stream.

Only comparison URLs on allowed hosts come out; the crawler writes them to the frontier
in batches, so a sitemap of any size never sits in memory as a list.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from schemas.settings import RetrySettings
from scraper.fetch import Fetcher, FetchError, Inflater, Response, fetch_with_retries
from scraper.urls import comparison_slugs, normalize_url

log = logging.getLogger(__name__)

MAX_INDEX_DEPTH = 3
_GZIP_MAGIC = b"\x1f\x8b"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _payload(response: Response, limit: int) -> Iterator[bytes]:
    """The sitemap's XML bytes, inflated when the file itself is gzipped (``.xml.gz``)."""
    chunks = response.iter_chunks()
    first = next(iter(chunks), b"")
    if not first.startswith(_GZIP_MAGIC):
        yield first
        yield from chunks
        return
    inflater = Inflater("gzip", limit)
    yield from inflater.feed(first)
    for chunk in chunks:
        yield from inflater.feed(chunk)
    yield from inflater.finish()


def parse_sitemap(data: Iterator[bytes]) -> Iterator[tuple[str, str]]:
    """``(kind, loc)`` pairs, kind ``"sitemap"`` (from an index) or ``"url"``. Entries are
    dropped from the tree as they are read, so memory stays flat in the sitemap's size."""
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    root: list[Element] = []
    for chunk in data:
        parser.feed(chunk)
        yield from _drain(parser, root)
    parser.close()
    yield from _drain(parser, root)


def _drain(parser: XMLPullParser[Element], root: list[Element]) -> Iterator[tuple[str, str]]:
    events: Iterator[Any] = parser.read_events()
    for kind, elem in events:
        if kind == "start":
            if not root:
                root.append(elem)
            continue
        name = _local(elem.tag)
        if name in ("url", "sitemap"):
            for child in elem:
                if _local(child.tag) == "loc" and child.text and child.text.strip():
                    yield name, child.text.strip()
            root[0].clear()


async def comparison_urls(
    fetcher: Fetcher,
    sitemap_urls: list[str],
    retries: RetrySettings,
    max_bytes: int,
    allowed: Callable[[str], bool],
) -> AsyncIterator[str]:
    """Normalized comparison URLs from the sitemaps (and the indexes they name)."""
    seen: set[str] = set()
    queue = [(url, 0) for url in sitemap_urls]
    while queue:
        url, depth = queue.pop(0)
        if url in seen or not fetcher.host_allowed(url) or not allowed(url):
            continue
        seen.add(url)
        try:
            response = await fetch_with_retries(fetcher, url, retries)
        except FetchError as exc:
            log.warning("sitemap %s skipped: %s", url, exc)
            continue
        try:
            if response.status != 200:
                log.warning("sitemap %s skipped: HTTP %s", url, response.status)
                continue
            for kind, loc in parse_sitemap(_payload(response, max_bytes)):
                target = urljoin(url, loc)
                if kind == "sitemap":
                    if depth < MAX_INDEX_DEPTH:
                        queue.append((target, depth + 1))
                elif comparison_slugs(target) and fetcher.host_allowed(target):
                    yield normalize_url(target)
        except (ParseError, FetchError) as exc:
            log.warning("sitemap %s: stopped reading: %s", url, exc)
        finally:
            response.close()
