"""Sitemaps: indexes followed, gzipped files inflated with a cap, parsed as a stream.

Only comparison URLs on allowed hosts come out; the crawler writes them to the frontier
in batches, so a sitemap of any size never sits in memory as a list. Entries naming a
comparison page that are not ``http``/``https`` on an allowed host are dropped and counted
(``SitemapTally.rejected_urls``); a sitemap that is not XML, or declares a DOCTYPE (no
sitemap needs one; an external entity is how XXE starts), is refused with one warning and
counted (``rejected_sitemaps``), and what was read of it before stands.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from schemas.errors import FetchError, SitemapRefused
from schemas.settings import RetrySettings
from scraper.fetch import Fetcher
from scraper.inflate import Inflater
from scraper.response import Response
from scraper.retry import fetch_with_retries
from scraper.urls import comparison_slugs, is_web_url, normalize_url

log = logging.getLogger(__name__)

MAX_INDEX_DEPTH = 3
_GZIP_MAGIC = b"\x1f\x8b"
_DOCTYPE = b"<!doctype"


@dataclass
class SitemapTally:
    """What the sitemaps held that the crawl would not take."""

    rejected_urls: int = 0
    rejected_sitemaps: int = 0


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _payload(response: Response, limit: int) -> Generator[bytes, None, None]:
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
    tail = b""
    for chunk in data:
        _refuse_doctype(tail + chunk)
        tail = chunk[-len(_DOCTYPE) :]
        parser.feed(chunk)
        yield from _drain(parser, root)
    parser.close()
    yield from _drain(parser, root)


def _refuse_doctype(data: bytes) -> None:
    """Raise ``SitemapRefused`` when ``data`` (a chunk, with the end of the one before)
    holds a DOCTYPE declaration, before the parser sees it."""
    if _DOCTYPE in data.lower():
        raise SitemapRefused("declares a DOCTYPE (entities are not read from sitemaps)")


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
    tally: SitemapTally | None = None,
) -> AsyncIterator[str]:
    """Normalized comparison URLs from the sitemaps (and the indexes they name); what is
    dropped or refused on the way is counted in ``tally``."""
    tally = tally if tally is not None else SitemapTally()
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
        if response.status != 200:
            log.warning("sitemap %s skipped: HTTP %s", url, response.status)
            response.close()
            continue
        payload = _payload(response, max_bytes)
        try:
            for kind, loc in parse_sitemap(payload):
                target = urljoin(url, loc)
                if not _takes(fetcher, target, kind):
                    tally.rejected_urls += 1
                elif kind == "sitemap":
                    if depth < MAX_INDEX_DEPTH:
                        queue.append((target, depth + 1))
                elif comparison_slugs(target):
                    yield normalize_url(target)
        except (ParseError, SitemapRefused, FetchError) as exc:
            tally.rejected_sitemaps += 1
            log.warning("sitemap %s rejected: %s", url, exc)
        finally:
            payload.close()  # before the body it reads from is closed
            response.close()


def _takes(fetcher: Fetcher, target: str, kind: str) -> bool:
    """Whether a sitemap entry may be followed: an index entry or a comparison URL that is
    ``http``/``https`` on an allowed host. Other entries (role pages, ...) are not asked
    about: they are not taken, but not rejected either."""
    if kind != "sitemap" and not comparison_slugs(target):
        return True
    return is_web_url(target) and fetcher.host_allowed(target)
