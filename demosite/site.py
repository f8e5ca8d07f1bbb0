"""What the demo site serves at each path, and its switches (faults, change, remove,
redesign).

``Site`` knows nothing of sockets: ``resolve(path)`` answers with a ``Resource`` (a body
with its validators), a redirect, or an error status, and the HTTP server in
``demosite.server`` adds faults, conditional requests, compression and counting.

Pages carry canonical links on the live site's base (the demo site is a mirror), so
a page's bytes, ETag and Last-Modified do not depend on the port it is served on.

Every generated comparison page is drawn in the site's ``markup``: one grid family
(``demosite.families``) or ``mixed``, the generator's seeded spread of all of them. The
seed page stays the real page it is (row tables).
"""

from __future__ import annotations

import gzip
import hashlib
import html as htmllib
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

from demosite import families, generator
from demosite.faults import Fault, plan_faults
from schemas.records import ComparisonRecord
from scraper.urls import comparison_path, comparison_slugs, role_path, role_slug_of

DEFAULT_PAGES = 200
MIXED = "mixed"
#: what ``--markup`` offers: one family for every page, or the seeded spread
MARKUPS: tuple[str, ...] = (*generator.FAMILIES, MIXED)
DISALLOWED_PREFIXES: tuple[str, ...] = ("/preview/", "/_admin/")
PREVIEW_PREFIX = "/preview"
LOOP_PREFIX = "/redirect-loop"
ADMIN_PREFIX = "/_admin/"
SITEMAP_CHUNK = 5000
_EPOCH = datetime(2026, 1, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Resource:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime
    compressible: bool = True
    _gzipped: list[bytes] = field(default_factory=list, compare=False, repr=False)

    def gzipped(self) -> bytes:
        if not self._gzipped:
            self._gzipped.append(gzip.compress(self.body, compresslevel=5, mtime=0))
        return self._gzipped[0]


@dataclass(frozen=True)
class Redirect:
    location: str
    status: int = 301


@dataclass(frozen=True)
class Missing:
    status: int  # 404 or 410


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:24] + '"'


def _last_modified(key: str, revision: int) -> datetime:
    """A date derived from what the content is (never the clock): each revision of a
    page (a change of its figures or of its markup) is 30 days newer than the one before."""
    digest = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16)
    return _EPOCH + timedelta(days=30 * revision, seconds=digest % (25 * 86400))


_UTF8_META = '<meta charset="utf-8">'


def _encoded(html: str, index: int) -> tuple[bytes, str]:
    """A page's bytes and ``Content-Type``: one page in nine in windows-1252 declared by
    its ``<meta>``, one in nine in ISO-8859-1 declared only by the HTTP header (which the
    web reads as windows-1252), the rest UTF-8, so the crawl and the loader decode legacy
    charsets as a browser does. Two pages in three with accented text are legacy ones:
    those are the pages a wrong decode spoils."""
    style = (4, 7, 0)[index % 3] if not html.isascii() else index % 9
    if style == 4:
        legacy = html.replace(_UTF8_META, '<meta charset="windows-1252">', 1)
        return legacy.encode("cp1252", "xmlcharrefreplace"), "text/html"
    if style == 7:
        legacy = html.replace(_UTF8_META, "", 1)
        return legacy.encode("latin-1", "xmlcharrefreplace"), "text/html; charset=ISO-8859-1"
    return html.encode(), "text/html; charset=utf-8"


def _resource(body: bytes, content_type: str, key: str, revision: int) -> Resource:
    return Resource(body, content_type, _etag(body), _last_modified(key, revision))


def is_disallowed(path: str) -> bool:
    return path.startswith(DISALLOWED_PREFIXES)


class Site:
    """The pages of one seeded site and its switch state. Thread-safe: tests flip the
    switches from their own thread while the server's loop serves."""

    def __init__(
        self,
        *,
        seed: int = 1,
        pages: int = DEFAULT_PAGES,
        faults: str = "clean",
        crawl_delay: float | None = None,
        cache_pages: int = 256,
        markup: str = MIXED,
    ) -> None:
        if pages < 4:
            raise ValueError("pages must be at least 4")
        if markup != MIXED and markup not in families.BY_NAME:
            raise ValueError(f"markup must be {MIXED!r} or one of {tuple(families.BY_NAME)}")
        self.seed = seed
        self.pages = pages
        self.profile = faults
        self.crawl_delay = crawl_delay
        self.markup = markup
        self.base_url = "http://127.0.0.1/"
        self.catalog = generator.catalog(seed)
        self.catalog.extend(pages)
        self.paths = [self.catalog.path(i) for i in range(pages)]
        self._index = {p: i for i, p in enumerate(self.paths)}
        self._lock = threading.Lock()
        self._revisions: dict[int, int] = {}
        self._removed: set[int] = set()
        self._redesigned: dict[int, str] = {}  # page -> the family it was switched to
        self._redesigns: dict[int, int] = {}  # page -> how many times it was
        self._generation = 0
        self._cache: OrderedDict[str, Resource] = OrderedDict()
        self._cache_size = cache_pages
        self.fault_plan: dict[str, Fault] = plan_faults(seed, self.paths, faults)

    # --- switches ---------------------------------------------------------------------

    def fault_for(self, path: str) -> Fault | None:
        """The fault planned for a comparison URL (any form of it), else None."""
        slugs = comparison_slugs(urlsplit(path).path)
        return self.fault_plan.get(comparison_path(*slugs)) if slugs else None

    def _eligible(self) -> list[int]:
        return [
            i
            for i in range(self.pages)
            if i not in self._removed
            and not (
                self.paths[i] in self.fault_plan and not self.fault_plan[self.paths[i]].transient
            )
        ]

    def change(self, k: int) -> list[str]:
        """Give ``k`` live pages (none with a permanent fault) new figures: new body, ETag
        and a newer Last-Modified. Returns their paths."""
        with self._lock:
            self._generation += 1
            rng = random.Random(f"{self.seed}:change:{self._generation}")
            chosen = sorted(rng.sample(self._eligible(), min(k, len(self._eligible()))))
            for i in chosen:
                self._revisions[i] = self._revisions.get(i, 0) + 1
            self._cache.clear()
            return [self.paths[i] for i in chosen]

    def redesign(self, k: int, family: str) -> list[str]:
        """Switch ``k`` live pages (none with a permanent fault, none already drawn in
        ``family``) to markup ``family``, any of ``families.BY_NAME`` (``renamed`` too):
        new body and ETag, a newer Last-Modified, the same figures. Returns their paths."""
        if family not in families.BY_NAME:
            raise ValueError(f"family must be one of {tuple(families.BY_NAME)}")
        with self._lock:
            self._generation += 1
            rng = random.Random(f"{self.seed}:redesign:{self._generation}")
            pool = [i for i in self._eligible() if self._family(i) != family]
            chosen = sorted(rng.sample(pool, min(k, len(pool))))
            for i in chosen:
                self._redesigned[i] = family
                self._redesigns[i] = self._redesigns.get(i, 0) + 1
            self._cache.clear()
            return [self.paths[i] for i in chosen]

    def _family(self, index: int) -> str:
        """The markup family page ``index`` is served in (call with the lock held)."""
        if index in self._redesigned:
            return self._redesigned[index]
        return generator.pick_family(self.seed, index) if self.markup == MIXED else self.markup

    def family_of(self, path: str) -> str | None:
        """The family a generated comparison page (canonical path) is served in."""
        index = self._index.get(path)
        if index is None:
            return None
        with self._lock:
            return self._family(index)

    def _stamp(self, index: int) -> int:
        """How many times page ``index`` changed or was redesigned (lock held): each one
        moves its Last-Modified 30 days on."""
        return self._revisions.get(index, 0) + self._redesigns.get(index, 0)

    def remove(self, k: int) -> list[str]:
        """Make ``k`` live pages answer 410 and leave the sitemaps. Returns their paths."""
        with self._lock:
            self._generation += 1
            rng = random.Random(f"{self.seed}:remove:{self._generation}")
            chosen = sorted(rng.sample(self._eligible(), min(k, len(self._eligible()))))
            self._removed.update(chosen)
            self._cache.clear()
            return [self.paths[i] for i in chosen]

    def state(self) -> dict[str, object]:
        with self._lock:
            return {
                "seed": self.seed,
                "pages": self.pages,
                "faults": self.profile,
                "crawl_delay": self.crawl_delay,
                "markup": self.markup,
                "changed": {self.paths[i]: r for i, r in sorted(self._revisions.items())},
                "redesigned": {self.paths[i]: f for i, f in sorted(self._redesigned.items())},
                "removed": [self.paths[i] for i in sorted(self._removed)],
            }

    def live_paths(self) -> list[str]:
        """Canonical paths of the comparisons that answer 200 without faults aside,
        the seed page first."""
        with self._lock:
            removed = set(self._removed)
        return [generator.SEED_PATH] + [p for i, p in enumerate(self.paths) if i not in removed]

    def expected(self, path: str) -> ComparisonRecord | None:
        """The record a live comparison page (any URL form) parses to, with ``url`` on
        this site's base URL, as a crawler would pass it to the parser."""
        slugs = comparison_slugs(urlsplit(path).path)
        if not slugs:
            return None
        canonical = comparison_path(*slugs)
        if canonical == generator.SEED_PATH:
            return generator.seed_page(self.base_url)[1]
        index = self._index.get(canonical)
        with self._lock:
            if index is None or index in self._removed:
                return None
            revision = self._revisions.get(index, 0)
        page = generator.generate_page(
            self.seed, index, base_url=self.base_url, pages=self.pages, revision=revision
        )
        return page.expected

    # --- content ----------------------------------------------------------------------

    def resolve(self, target: str) -> Resource | Redirect | Missing:
        """What ``target`` (path and query) answers, faults aside."""
        parts = urlsplit(target)
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        prefix = ""
        if path.startswith(PREVIEW_PREFIX + "/"):
            prefix, path = PREVIEW_PREFIX, path[len(PREVIEW_PREFIX) :]
        if path.startswith(LOOP_PREFIX + "/"):
            return Redirect(path[len(LOOP_PREFIX) :], 302)
        if path == "/robots.txt":
            return self._cached("robots", self._robots)
        if path == "/sitemap.xml":
            return self._cached("sitemap-index", self._sitemap_index)
        if path.startswith("/sitemaps/"):
            return self._sitemap(path)
        if path == "/":
            return self._cached("home", self._home)
        slugs = comparison_slugs(path)
        if slugs:
            if not path.endswith("/"):
                return Redirect(prefix + path + "/" + query)
            return self._comparison(comparison_path(*slugs))
        slug = role_slug_of(path)
        if slug and self._role_known(slug):
            if not path.endswith("/"):
                return Redirect(prefix + path + "/" + query)
            return self._cached(f"role:{slug}", lambda: self._role_page(slug))
        return Missing(404)

    def _cached(self, key: str, build) -> Resource:  # type: ignore[no-untyped-def]
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        resource = build()
        with self._lock:
            self._cache[key] = resource
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return resource

    def _comparison(self, path: str) -> Resource | Missing:
        if path == generator.SEED_PATH:
            return self._cached(path, self._seed_resource)
        index = self._index.get(path)
        if index is None:
            return Missing(404)
        with self._lock:
            if index in self._removed:
                return Missing(410)
            revision, family, stamp = (
                self._revisions.get(index, 0),
                self._family(index),
                self._stamp(index),
            )
        return self._cached(path, lambda: self._render(index, revision, family, stamp))

    def _seed_resource(self) -> Resource:
        html, _ = generator.seed_page()
        return _resource(html.encode(), "text/html; charset=utf-8", "seed", 0)

    def _render(self, index: int, revision: int, family: str, stamp: int) -> Resource:
        page = generator.generate_page(
            self.seed,
            index,
            family=family,
            base_url=generator.DEFAULT_BASE_URL,
            pages=self.pages,
            revision=revision,
        )
        key = f"{self.seed}:{page.path}"
        body, content_type = _encoded(page.html, index)
        return _resource(body, content_type, key, stamp)

    def _role_known(self, slug: str) -> bool:
        return bool(self.catalog.comparisons_of(slug, self.pages))

    def _role_page(self, slug: str) -> Resource:
        title = self.catalog.role_title(slug) or slug
        items = []
        for n, i in enumerate(self.catalog.comparisons_of(slug, self.pages)):
            a, b = self.catalog.pair(i)
            href = comparison_path(a, b)
            style = (i + n) % 6
            if style == 1:
                href = href.rstrip("/")
            elif style == 2:
                href += "?utm_source=role&utm_medium=compare"
            elif style == 4:
                href = PREVIEW_PREFIX + href
            label = f"{self.catalog.role_title(a)} vs {self.catalog.role_title(b)}"
            items.append(
                f'<li><a class="list-link" href="{htmllib.escape(href)}">'
                f"{htmllib.escape(label, quote=False)}</a></li>"
            )
        if slug in generator.SEED_SLUGS:
            items.insert(
                0,
                f'<li><a class="list-link" href="{generator.SEED_PATH}">'
                "Customer Service/Operations Manager vs Operations Project Manager"
                "</a></li>",
            )
        esc = htmllib.escape(title, quote=False)
        canonical = generator.DEFAULT_BASE_URL.rstrip("/") + role_path(slug)
        body = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{esc} Jobs - Zippia</title>"
            f'<link rel="canonical" href="{canonical}">'
            f'</head><body><div id="__next"><main><h1>{esc} jobs</h1>\n'
            f'<section id="compare"><h2>Compare {htmllib.escape(title.lower(), quote=False)} '
            f'with other careers</h2>\n<ul class="list-unstyled">\n'
            + "\n".join(items)
            + "\n</ul></section></main></div></body></html>\n"
        )
        return _resource(body.encode(), "text/html; charset=utf-8", f"role:{slug}", 0)

    def _home(self) -> Resource:
        links = "\n".join(
            f'<li><a href="{role_path(s)}">{htmllib.escape(self.catalog.role_title(s) or s)}'
            "</a></li>"
            for s in self.catalog.roles(self.pages)
        )
        body = (
            "<!DOCTYPE html>\n<html><head><title>Zippia demo site</title></head><body>"
            f"<h1>Explore careers</h1><ul>\n{links}\n</ul></body></html>\n"
        )
        return _resource(body.encode(), "text/html; charset=utf-8", "home", 0)

    def _robots(self) -> Resource:
        lines = ["User-agent: *"]
        lines += [f"Disallow: {prefix}" for prefix in DISALLOWED_PREFIXES]
        if self.crawl_delay is not None:
            lines.append(f"Crawl-delay: {self.crawl_delay:g}")
        lines += ["", f"Sitemap: {self.base_url.rstrip('/')}/sitemap.xml", ""]
        return _resource("\n".join(lines).encode(), "text/plain; charset=utf-8", "robots", 0)

    # --- sitemaps ---------------------------------------------------------------------

    def _sitemap_names(self) -> list[str]:
        chunks = max(3, -(-self.pages // SITEMAP_CHUNK))
        names = [
            f"comparisons-{n}.xml" + (".gz" if n % 3 == 2 else "") for n in range(1, chunks + 1)
        ]
        return names + ["roles.xml"]

    def _sitemap_index(self) -> Resource:
        base = self.base_url.rstrip("/")
        with self._lock:
            generation = self._generation
        lastmod = _last_modified("sitemaps", generation).strftime("%Y-%m-%dT%H:%M:%SZ")
        entries = "\n".join(
            f"  <sitemap><loc>{base}/sitemaps/{name}</loc><lastmod>{lastmod}</lastmod></sitemap>"
            for name in self._sitemap_names()
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{entries}\n</sitemapindex>\n"
        )
        return _resource(
            body.encode(), "application/xml", f"sitemap-index:{generation}", generation
        )

    def _sitemap(self, path: str) -> Resource | Missing:
        name = path.removeprefix("/sitemaps/")
        names = self._sitemap_names()
        if name not in names:
            return Missing(404)
        with self._lock:
            generation = self._generation
        return self._cached(
            f"sitemap:{name}:{generation}", lambda: self._build_sitemap(name, generation)
        )

    def _build_sitemap(self, name: str, generation: int) -> Resource:
        base = self.base_url.rstrip("/")
        urls: list[tuple[str, datetime | None]] = []
        if name == "roles.xml":
            urls = [(role_path(s), None) for s in self.catalog.roles(self.pages)]
        else:
            n = int(name.split("-")[1].split(".")[0])
            chunks = len(self._sitemap_names()) - 1
            with self._lock:
                removed = set(self._removed)
                stamps = {i: self._stamp(i) for i in range(n - 1, self.pages, chunks)}
            if n == 1:
                urls.append((generator.SEED_PATH, _last_modified("seed", 0)))
            for i in range(n - 1, self.pages, chunks):
                if i in removed:
                    continue
                path = self.paths[i]
                lastmod = _last_modified(f"{self.seed}:{path}", stamps[i])
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
        entries = "\n".join(
            f"  <url><loc>{xml_escape(base + loc)}</loc>"
            + (f"<lastmod>{lm.strftime('%Y-%m-%dT%H:%M:%SZ')}</lastmod>" if lm else "")
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
                _etag(body),
                _last_modified(f"sitemap:{name}", generation),
                compressible=False,
            )
        return _resource(body, "application/xml", f"sitemap:{name}", generation)
