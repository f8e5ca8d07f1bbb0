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

``Site.render`` is the one place a generated page becomes a ``Resource``: a subclass
may override it to serve other bodies (the crawl benchmark serves a few cached ones).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from urllib.parse import urlsplit

from demosite import discovery, families, generator, listings
from demosite.faults import Fault, plan_faults
from demosite.layout import LOOP_PREFIX, PREVIEW_PREFIX, is_disallowed
from demosite.resources import (
    Answer,
    Missing,
    Redirect,
    Resource,
    ResourceCache,
    encoded,
    html_resource,
    page_resource,
)
from demosite.switches import MIXED, PageState, Switches
from schemas.records import ComparisonRecord
from scraper.urls import comparison_path, comparison_slugs, role_path, role_slug_of

__all__ = [
    "DEFAULT_PAGES",
    "MARKUPS",
    "MIXED",
    "Missing",
    "PageState",
    "Redirect",
    "Resource",
    "Site",
    "is_disallowed",
]

DEFAULT_PAGES = 200
#: what ``--markup`` offers: one family for every page, or the seeded spread
MARKUPS: tuple[str, ...] = (*generator.FAMILIES, MIXED)


class Site:
    """The pages of one seeded site and its switch state. Thread-safe: tests flip the
    switches from their own thread while the server's loop serves.

    ``paths`` (default: the catalog's) are the paths the generated pages are served at,
    in page order; page ``i`` shows comparison ``i`` of the catalog whatever its path."""

    def __init__(
        self,
        *,
        seed: int = 1,
        pages: int = DEFAULT_PAGES,
        faults: str = "clean",
        crawl_delay: float | None = None,
        cache_pages: int = 256,
        markup: str = MIXED,
        paths: Sequence[str] | None = None,
    ) -> None:
        if pages < 4:
            raise ValueError("pages must be at least 4")
        if markup != MIXED and markup not in families.BY_NAME:
            raise ValueError(f"markup must be {MIXED!r} or one of {tuple(families.BY_NAME)}")
        if paths is not None and len(paths) != pages:
            raise ValueError("paths must name every one of the pages")
        self.seed = seed
        self.pages = pages
        self.profile = faults
        self.crawl_delay = crawl_delay
        self.markup = markup
        self.base_url = "http://127.0.0.1/"
        self.catalog = generator.catalog(seed)
        self.catalog.extend(pages)
        self.paths = (
            list(paths) if paths is not None else [self.catalog.path(i) for i in range(pages)]
        )
        self._index = {p: i for i, p in enumerate(self.paths)}
        self._cache = ResourceCache(cache_pages)
        self._switches = Switches(seed, pages, markup, on_switch=self._cache.clear)
        self.fault_plan: dict[str, Fault] = plan_faults(seed, self.paths, faults)

    # --- switches ---------------------------------------------------------------------

    def fault_for(self, path: str) -> Fault | None:
        """The fault planned for a comparison URL (any form of it), else None."""
        slugs = comparison_slugs(urlsplit(path).path)
        return self.fault_plan.get(comparison_path(*slugs)) if slugs else None

    def _permanently_faulted(self) -> set[int]:
        plan = self.fault_plan
        return {i for i, p in enumerate(self.paths) if p in plan and not plan[p].transient}

    def change(self, k: int) -> list[str]:
        """Give ``k`` live pages (none with a permanent fault) new figures: new body, ETag
        and a newer Last-Modified. Returns their paths."""
        return [self.paths[i] for i in self._switches.change(k, self._permanently_faulted())]

    def redesign(self, k: int, family: str) -> list[str]:
        """Switch ``k`` live pages (none with a permanent fault, none already drawn in
        ``family``) to markup ``family``, any of ``families.BY_NAME`` (``renamed`` too):
        new body and ETag, a newer Last-Modified, the same figures. Returns their paths."""
        if family not in families.BY_NAME:
            raise ValueError(f"family must be one of {tuple(families.BY_NAME)}")
        chosen = self._switches.redesign(k, family, self._permanently_faulted())
        return [self.paths[i] for i in chosen]

    def remove(self, k: int) -> list[str]:
        """Make ``k`` live pages answer 410 and leave the sitemaps. Returns their paths."""
        return [self.paths[i] for i in self._switches.remove(k, self._permanently_faulted())]

    def family_of(self, path: str) -> str | None:
        """The family a generated comparison page (canonical path) is served in."""
        index = self._index.get(path)
        return None if index is None else self._switches.family(index)

    def state(self) -> dict[str, object]:
        revisions, redesigned, removed = self._switches.snapshot()
        return {
            "seed": self.seed,
            "pages": self.pages,
            "faults": self.profile,
            "crawl_delay": self.crawl_delay,
            "markup": self.markup,
            "changed": {self.paths[i]: r for i, r in revisions.items()},
            "redesigned": {self.paths[i]: f for i, f in redesigned.items()},
            "removed": [self.paths[i] for i in removed],
        }

    def live_paths(self) -> list[str]:
        """Canonical paths of the comparisons that answer 200 without faults aside,
        the seed page first."""
        removed = self._switches.removed()
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
        state = None if index is None else self._switches.page(index)
        if index is None or state is None:
            return None
        page = generator.generate_page(
            self.seed, index, base_url=self.base_url, pages=self.pages, revision=state.revision
        )
        return page.expected

    # --- content ----------------------------------------------------------------------

    def resolve(self, target: str) -> Answer:
        """What ``target`` (path and query) answers, faults aside."""
        parts = urlsplit(target)
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        prefix = ""
        if path.startswith(PREVIEW_PREFIX + "/"):
            prefix, path = PREVIEW_PREFIX, path[len(PREVIEW_PREFIX) :]
        if path.startswith(LOOP_PREFIX + "/"):
            return Redirect(path[len(LOOP_PREFIX) :], 302)
        fixed = self._fixed_page(path)
        if fixed is not None:
            return self._cache.get(*fixed)
        if path.startswith("/sitemaps/"):
            return self._sitemap(path.removeprefix("/sitemaps/"))
        slugs = comparison_slugs(path)
        if slugs:
            if not path.endswith("/"):
                return Redirect(prefix + path + "/" + query)
            return self._comparison(comparison_path(*slugs))
        slug = role_slug_of(path)
        if slug and self.catalog.comparisons_of(slug, self.pages):
            if not path.endswith("/"):
                return Redirect(prefix + path + "/" + query)
            return self._cache.get(
                f"role:{slug}", lambda: listings.role_page(self.catalog, slug, self.pages)
            )
        return Missing(404)

    def _fixed_page(self, path: str) -> tuple[str, Callable[[], Resource]] | None:
        """(cache key, builder) of robots.txt, the sitemap index and the home page."""
        if path == "/robots.txt":
            return "robots", lambda: discovery.robots_txt(self.base_url, self.crawl_delay)
        if path == "/sitemap.xml":
            return "sitemap-index", self._sitemap_index
        if path == "/":
            return "home", lambda: listings.home_page(self.catalog, self.pages)
        return None

    def _comparison(self, path: str) -> Resource | Missing:
        if path == generator.SEED_PATH:
            return self._cache.get(path, lambda: html_resource(generator.seed_page()[0], "seed"))
        index = self._index.get(path)
        if index is None:
            return Missing(404)
        state = self._switches.page(index)
        if state is None:
            return Missing(410)
        return self._cache.get(path, lambda: self.render(index, state))

    def render(self, index: int, state: PageState) -> Resource:
        """Generated page ``index`` as served in ``state``: its bytes in the page's
        charset, its ETag and Last-Modified."""
        page = generator.generate_page(
            self.seed,
            index,
            family=state.family,
            base_url=generator.DEFAULT_BASE_URL,
            pages=self.pages,
            revision=state.revision,
        )
        body, content_type = encoded(page.html, index)
        return page_resource(body, content_type, f"{self.seed}:{page.path}", state.stamp)

    # --- sitemaps ---------------------------------------------------------------------

    def _sitemap_index(self) -> Resource:
        generation = self._switches.generation
        return discovery.sitemap_index(self.base_url, self.pages, generation)

    def _sitemap(self, name: str) -> Resource | Missing:
        if name not in discovery.sitemap_names(self.pages):
            return Missing(404)
        generation = self._switches.generation
        return self._cache.get(
            f"sitemap:{name}:{generation}", lambda: self._build_sitemap(name, generation)
        )

    def _build_sitemap(self, name: str, generation: int) -> Resource:
        urls: list[tuple[str, datetime | None]]
        if name == discovery.ROLES_SITEMAP:
            urls = [(role_path(s), None) for s in self.catalog.roles(self.pages)]
        else:
            indexes = discovery.chunk_indexes(name, self.pages)
            removed, stamps = self._switches.stamps(indexes)
            seed_path = generator.SEED_PATH if discovery.chunk_of(name) == 1 else None
            urls = discovery.comparison_entries(
                self.seed, self.paths, indexes, removed, stamps, seed_path
            )
        return discovery.sitemap(name, self.base_url, urls, generation)
