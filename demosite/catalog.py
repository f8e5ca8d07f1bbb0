"""Which roles a seeded site has, which pairs it compares, and each role's figures.

Pair ``i`` of a seed never depends on how many pages the site has: the catalog is
extended lazily and only ever at its end. Each role has one set of figures per seed, the
same on every page it appears on.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from functools import lru_cache

from demosite import figures as figurelib
from demosite import render, vocab
from schemas.records import SideRecord
from scraper.urls import comparison_path, slugify


@dataclass(frozen=True)
class Role:
    title: str
    slug: str
    figures: SideRecord
    time_unit: str


def _all_titles() -> list[str]:
    titles = list(vocab.BASE_TITLES)
    for prefix in vocab.TITLE_PREFIXES:
        titles += [f"{prefix} {base}" for base in vocab.BASE_TITLES[4:]]
    for suffix in vocab.TITLE_SUFFIXES:
        titles += [f"{base} {suffix}" for base in vocab.BASE_TITLES[4:]]
    return titles


def _unique_titles(seed: int) -> list[str]:
    """Every title once per slug: the seed page's four first, the rest shuffled by seed."""
    rng = random.Random(f"{seed}:titles")
    titles = _all_titles()
    head, tail = titles[:4], titles[4:]
    rng.shuffle(tail)
    seen: set[str] = set()
    unique: list[str] = []
    for title in head + tail:
        slug = slugify(title)
        if slug not in seen:
            seen.add(slug)
            unique.append(title)
    return unique


class Catalog:
    """Role titles and comparison pairs for one seed, extended lazily and prefix-stable:
    pair ``i`` never depends on how many pages the site has."""

    #: pairs forced first so the seed page's "compare with other careers" links resolve
    _FIXED = ((0, 2), (0, 3), (1, 0))

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.titles = _unique_titles(seed)
        self.slugs = [slugify(t) for t in self.titles]
        self._by_slug = {s: i for i, s in enumerate(self.slugs)}
        self._rng = random.Random(f"{seed}:pairs")
        self._pairs: list[tuple[int, int]] = []
        self._index: dict[tuple[int, int], int] = {}
        self._by_role: dict[int, list[int]] = {}
        self._lock = threading.Lock()
        self._paid: dict[int, list[int]] = {}
        self._paid_seen = 0

    def _add(self, a: int, b: int) -> None:
        self._index[(a, b)] = len(self._pairs)
        self._by_role.setdefault(a, []).append(len(self._pairs))
        self._by_role.setdefault(b, []).append(len(self._pairs))
        self._pairs.append((a, b))

    def extend(self, pages: int) -> None:
        """Make sure the first ``pages`` pairs exist (thread-safe)."""
        self._extend(pages - 1)

    def _extend(self, upto: int) -> None:
        if len(self._pairs) > upto:
            return
        with self._lock:
            while len(self._pairs) <= upto:
                self._add_next()

    def _add_next(self) -> None:
        """Add pair ``len(self._pairs)``: a fixed one, two equally paid roles (every
        40th), now and then an earlier pair in the other order, else a new random pair."""
        k = len(self._pairs)
        if k < len(self._FIXED):
            self._add(*self._FIXED[k])
            return
        pool = min(len(self.titles), 24 + k // 3)
        rng = self._rng
        if k % 40 == 20 and self._add_equally_paid(pool, rng):
            return
        if k > 10 and rng.random() < 0.12:
            a, b = self._pairs[rng.randrange(len(self._pairs))]
            if (b, a) not in self._index and (b, a) != (0, 1):
                self._add(b, a)
                return
        while True:
            a, b = rng.randrange(pool), rng.randrange(pool)
            if a != b and (a, b) not in self._index and (a, b) != (0, 1):
                break
        self._add(a, b)

    def _add_equally_paid(self, pool: int, rng: random.Random) -> bool:
        """Compare two roles with the same average salary (the intro then names no
        higher-paid role), when the pool has such a pair not yet compared."""
        for i in range(self._paid_seen, pool):
            pay = role(self.seed, self.slugs[i]).figures.average_salary_usd
            if pay is not None:
                self._paid.setdefault(pay, []).append(i)
        self._paid_seen = max(self._paid_seen, pool)
        groups = [g for _, g in sorted(self._paid.items()) if len(g) > 1]
        for _ in range(20 if groups else 0):
            group = groups[rng.randrange(len(groups))]
            a, b = rng.sample(group, 2)
            if (a, b) not in self._index and {a, b} != {0, 1}:
                self._add(a, b)
                return True
        return False

    def pair_indexes(self, index: int) -> tuple[int, int]:
        self._extend(index)
        return self._pairs[index]

    def pair(self, index: int) -> tuple[str, str]:
        a, b = self.pair_indexes(index)
        return self.slugs[a], self.slugs[b]

    def path(self, index: int) -> str:
        return comparison_path(*self.pair(index))

    def index_of(self, slug_a: str, slug_b: str, pages: int | None = None) -> int | None:
        a, b = self._by_slug.get(slug_a), self._by_slug.get(slug_b)
        if a is None or b is None:
            return None
        if pages is not None:
            self._extend(pages - 1)
        index = self._index.get((a, b))
        return index if index is not None and (pages is None or index < pages) else None

    def role_title(self, slug: str) -> str | None:
        i = self._by_slug.get(slug)
        return None if i is None else self.titles[i]

    def roles(self, pages: int) -> list[str]:
        """Slugs of the roles on the first ``pages`` comparisons, in first-seen order."""
        self._extend(pages - 1)
        seen: dict[int, None] = {}
        for a, b in self._pairs[:pages]:
            seen.setdefault(a)
            seen.setdefault(b)
        return [self.slugs[i] for i in seen]

    def comparisons_of(self, slug: str, pages: int) -> list[int]:
        """Indexes (< ``pages``) of the comparisons ``slug`` takes part in, either side."""
        self._extend(pages - 1)
        role = self._by_slug.get(slug)
        return [i for i in self._by_role.get(role, []) if i < pages] if role is not None else []


@lru_cache(maxsize=16)
def catalog(seed: int) -> Catalog:
    return Catalog(seed)


@lru_cache(maxsize=8192)
def role(seed: int, slug: str) -> Role:
    """One role's figures for the whole site (the same on every page it appears on)."""
    title = catalog(seed).role_title(slug)
    if title is None:
        raise KeyError(slug)
    seed_roles = figurelib.seed_roles()
    if slug in seed_roles:
        return Role(title, slug, seed_roles[slug], "years")
    figures, unit = figurelib.random_figures(random.Random(f"{seed}:role:{slug}"), title)
    return Role(title, slug, figures, unit)


def role_figures(seed: int, slug: str) -> SideRecord:
    return role(seed, slug).figures.model_copy(deep=True)


def _related_href(path: str, style: int) -> str:
    if style == 1:
        return path.rstrip("/")
    if style == 3:
        return f"{path}?utm_source=compare&utm_medium=related"
    if style == 5:
        return f"/preview{path}"
    return path


def related_links(seed: int, slug: str, index: int, pages: int) -> list[tuple[str, str, str]]:
    """``(href, text, other role's slug)`` "compare with other careers" links of page
    ``index`` for role ``slug``, as the site writes them: mostly canonical, some without
    the trailing slash, with a tracking query, or into the ``/preview/`` path robots.txt
    disallows."""
    cat = catalog(seed)
    links = []
    for i, other in enumerate(cat.comparisons_of(slug, pages)[:12]):
        if other == index:
            continue
        a, b = cat.pair(other)
        href = _related_href(comparison_path(a, b), (index + i) % 7)
        text = f"{render.sentence(cat.role_title(a) or a)} vs {(cat.role_title(b) or b).lower()}"
        links.append((href, text, b if a == slug else a))
    return links
