"""What a crawler finds the demo site's pages by: robots.txt and the sitemaps.

The sitemap index lists ``comparisons-N.xml`` files (at least three, every third one
gzipped) and ``roles.xml``. Comparison entries mix canonical URLs, URLs without the
trailing slash, with tracking queries, and a few extra ``/preview/`` entries.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape as xml_escape

from demosite.layout import DISALLOWED_PREFIXES, PREVIEW_PREFIX
from demosite.resources import Resource, etag, last_modified, page_resource

SITEMAP_CHUNK = 5000
ROLES_SITEMAP = "roles.xml"


def _lastmod(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def robots_txt(base_url: str, crawl_delay: float | None) -> Resource:
    lines = ["User-agent: *"]
    lines += [f"Disallow: {prefix}" for prefix in DISALLOWED_PREFIXES]
    if crawl_delay is not None:
        lines.append(f"Crawl-delay: {crawl_delay:g}")
    lines += ["", f"Sitemap: {base_url.rstrip('/')}/sitemap.xml", ""]
    return page_resource("\n".join(lines).encode(), "text/plain; charset=utf-8", "robots", 0)


def sitemap_names(pages: int) -> list[str]:
    chunks = max(3, -(-pages // SITEMAP_CHUNK))
    names = [f"comparisons-{n}.xml" + (".gz" if n % 3 == 2 else "") for n in range(1, chunks + 1)]
    return names + [ROLES_SITEMAP]


def chunk_of(name: str) -> int:
    """N of ``comparisons-N.xml[.gz]``."""
    return int(name.split("-")[1].split(".")[0])


def chunk_indexes(name: str, pages: int) -> range:
    """The page indexes comparison sitemap ``name`` lists (removed pages aside)."""
    chunks = len(sitemap_names(pages)) - 1
    return range(chunk_of(name) - 1, pages, chunks)


def sitemap_index(base_url: str, pages: int, generation: int) -> Resource:
    base = base_url.rstrip("/")
    lastmod = _lastmod(last_modified("sitemaps", generation))
    entries = "\n".join(
        f"  <sitemap><loc>{base}/sitemaps/{name}</loc><lastmod>{lastmod}</lastmod></sitemap>"
        for name in sitemap_names(pages)
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}\n</sitemapindex>\n"
    )
    return page_resource(
        body.encode(), "application/xml", f"sitemap-index:{generation}", generation
    )


def comparison_entries(
    seed: int,
    paths: Sequence[str],
    indexes: range,
    removed: set[int],
    stamps: dict[int, int],
    seed_path: str | None,
) -> list[tuple[str, datetime | None]]:
    """``(path, lastmod)`` entries of one comparison sitemap: ``seed_path`` first when
    given, then the live pages of ``indexes`` in the forms the site lists them in."""
    urls: list[tuple[str, datetime | None]] = []
    if seed_path is not None:
        urls.append((seed_path, last_modified("seed", 0)))
    for i in indexes:
        if i in removed:
            continue
        path = paths[i]
        lastmod = last_modified(f"{seed}:{path}", stamps[i])
        shown = (
            path.rstrip("/")
            if i % 11 == 3
            else f"{path}?utm_source=sitemap&utm_campaign=compare"
            if i % 13 == 5
            else path
        )
        urls.append((shown, lastmod))
        if i % 17 == 7:
            urls.append((PREVIEW_PREFIX + path, lastmod))
    return urls


def sitemap(
    name: str, base_url: str, urls: list[tuple[str, datetime | None]], generation: int
) -> Resource:
    """Sitemap ``name`` listing ``urls`` (paths on ``base_url``), gzipped for ``.gz``."""
    base = base_url.rstrip("/")
    entries = "\n".join(
        f"  <url><loc>{xml_escape(base + loc)}</loc>"
        + (f"<lastmod>{_lastmod(lm)}</lastmod>" if lm else "")
        + "</url>"
        for loc, lm in urls
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}\n</urlset>\n"
    ).encode()
    if name.endswith(".gz"):
        return Resource(
            gzip.compress(body, mtime=0),
            "application/gzip",
            etag(body),
            last_modified(f"sitemap:{name}", generation),
            compressible=False,
        )
    return page_resource(body, "application/xml", f"sitemap:{name}", generation)
