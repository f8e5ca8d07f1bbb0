"""The comparison links of a page, and which URLs a crawl takes.

``comparison_links`` finds the links a page has to comparison pages (whatever their
scheme); ``admitted`` keeps the ``http``/``https`` ones on the crawl's allowed hosts and
counts the rest. Seeds, role pages and followed links all pass through ``admitted``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from scraper.urls import comparison_slugs, host_of, is_web_url, normalize_url


def comparison_links(html: bytes, base_url: str) -> Iterator[str]:
    """Absolute URLs of the comparison pages a page links to, whatever their scheme
    (``admitted`` says which a crawl takes)."""
    tree = LexborHTMLParser(html)
    for node in tree.css("a[href]"):
        href = node.attributes.get("href")
        if not href:
            continue
        url = urljoin(base_url, href.strip())
        if comparison_slugs(url):
            yield url


def admitted(urls: Iterable[str], allowed_hosts: set[str]) -> tuple[list[str], int]:
    """``(taken, rejected)``: the ``http``/``https`` URLs on ``allowed_hosts``, normalized
    and without repeats, and how many of ``urls`` were neither."""
    taken: dict[str, None] = {}
    rejected = 0
    for url in urls:
        if is_web_url(url) and host_of(url) in allowed_hosts:
            taken[normalize_url(url)] = None
        else:
            rejected += 1
    return list(taken), rejected
