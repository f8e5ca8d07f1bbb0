"""The demo site's switches: which generated pages changed their figures, were drawn in
another markup family, or were removed. Thread-safe: tests flip the switches from their
own thread while the server's loop serves."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass

from demosite import generator

MIXED = "mixed"


@dataclass(frozen=True)
class PageState:
    """How a live generated page is served now."""

    #: how many times its figures changed
    revision: int
    #: the markup family it is drawn in
    family: str
    #: how many times it changed or was redesigned: each moves its Last-Modified on
    stamp: int


class Switches:
    """Switch state of the ``pages`` generated pages of site ``seed`` (by page index).

    ``on_switch`` runs, under the switches' lock, after every switch (the site drops its
    cached resources then)."""

    def __init__(self, seed: int, pages: int, markup: str, on_switch: Callable[[], None]) -> None:
        self.seed = seed
        self.pages = pages
        self.markup = markup
        self._on_switch = on_switch
        self._lock = threading.Lock()
        self._revisions: dict[int, int] = {}
        self._removed: set[int] = set()
        self._redesigned: dict[int, str] = {}  # page -> the family it was switched to
        self._redesigns: dict[int, int] = {}  # page -> how many times it was
        self._generation = 0

    @property
    def generation(self) -> int:
        """How many switches were flipped (the sitemaps' revision)."""
        with self._lock:
            return self._generation

    def _eligible(self, excluded: Collection[int]) -> list[int]:
        return [i for i in range(self.pages) if i not in self._removed and i not in excluded]

    def _choose(self, what: str, k: int, pool: list[int]) -> list[int]:
        """``k`` pages of ``pool``, seeded by the switch and how many came before."""
        self._generation += 1
        rng = random.Random(f"{self.seed}:{what}:{self._generation}")
        return sorted(rng.sample(pool, min(k, len(pool))))

    def change(self, k: int, excluded: Collection[int]) -> list[int]:
        """Give ``k`` live pages not in ``excluded`` new figures; returns their indexes."""
        with self._lock:
            chosen = self._choose("change", k, self._eligible(excluded))
            for i in chosen:
                self._revisions[i] = self._revisions.get(i, 0) + 1
            self._on_switch()
            return chosen

    def redesign(self, k: int, family: str, excluded: Collection[int]) -> list[int]:
        """Draw ``k`` live pages not in ``excluded`` and not already in ``family`` in
        ``family``; returns their indexes."""
        with self._lock:
            pool = [i for i in self._eligible(excluded) if self._family(i) != family]
            chosen = self._choose("redesign", k, pool)
            for i in chosen:
                self._redesigned[i] = family
                self._redesigns[i] = self._redesigns.get(i, 0) + 1
            self._on_switch()
            return chosen

    def remove(self, k: int, excluded: Collection[int]) -> list[int]:
        """Remove ``k`` live pages not in ``excluded``; returns their indexes."""
        with self._lock:
            chosen = self._choose("remove", k, self._eligible(excluded))
            self._removed.update(chosen)
            self._on_switch()
            return chosen

    def _family(self, index: int) -> str:
        if index in self._redesigned:
            return self._redesigned[index]
        return generator.pick_family(self.seed, index) if self.markup == MIXED else self.markup

    def _stamp(self, index: int) -> int:
        return self._revisions.get(index, 0) + self._redesigns.get(index, 0)

    def family(self, index: int) -> str:
        """The markup family page ``index`` is served in."""
        with self._lock:
            return self._family(index)

    def page(self, index: int) -> PageState | None:
        """How page ``index`` is served, or None once it is removed."""
        with self._lock:
            if index in self._removed:
                return None
            return PageState(self._revisions.get(index, 0), self._family(index), self._stamp(index))

    def removed(self) -> set[int]:
        with self._lock:
            return set(self._removed)

    def stamps(self, indexes: range) -> tuple[set[int], dict[int, int]]:
        """The removed pages and the stamps of ``indexes``, read at one moment."""
        with self._lock:
            return set(self._removed), {i: self._stamp(i) for i in indexes}

    def snapshot(self) -> tuple[dict[int, int], dict[int, str], list[int]]:
        """(revision per changed page, family per redesigned page, removed pages), each
        in page order."""
        with self._lock:
            return (
                dict(sorted(self._revisions.items())),
                dict(sorted(self._redesigned.items())),
                sorted(self._removed),
            )
