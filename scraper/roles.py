"""The two roles a page compares, as its URL, h1 and ``<title>`` name them.

Side a is the role the URL names first (else the h1, else the ``<title>``). Each role goes
by a set of slug forms, so a grid cell names a role whatever its case or punctuation, and
a text that could be either role names neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from schemas.records import Side
from scraper.urls import slugify
from scraper.values import clean

TITLE_MAX = 160
"""Longer texts are never a role title (and are not slugged to find out)."""
_VS = re.compile(r"\s+vs\.?\s+", re.IGNORECASE)
_TITLE_TAIL = re.compile(r"\s*(?::|\s-\s|\s\|\s).*$")


@dataclass(frozen=True)
class RoleNames:
    """How the page names its two roles: slug forms of the URL's slugs and of the h1 and
    ``<title>`` "X vs Y" halves, per side. A text names a role when its slug is one of
    that side's and none of the other's."""

    a: frozenset[str]
    b: frozenset[str]
    shortest: int = field(init=False)
    """No text shorter than the shortest slug slugs to one (a slug only drops characters)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "shortest", min(map(len, self.a | self.b), default=1))

    def side_of(self, text: str) -> Side | None:
        if len(text) < self.shortest or len(text) > TITLE_MAX:
            return None
        slug = _slug(text.rstrip(" :"))
        in_a, in_b = slug in self.a, slug in self.b
        if in_a == in_b:
            return None
        return "a" if in_a else "b"


@lru_cache(maxsize=8192)
def _slug(text: str) -> str:
    return slugify(text.replace("\u2019", "'"))


def _halves(text: str, tail: bool = False) -> tuple[str, str] | None:
    """``("X", "Y")`` of an "X vs Y" text (less a ``<title>``'s ": What Are…" tail)."""
    parts = _VS.split(text, maxsplit=1)
    if len(parts) != 2:
        return None
    second = _TITLE_TAIL.sub("", parts[1]) if tail else parts[1]
    first, second = clean(parts[0]), clean(second)
    return (first, second) if first and second else None


def role_names(slugs: tuple[str, str] | None, h1: str, title: str) -> RoleNames | None:
    """The slug forms each role goes by, side a being the role the URL (else the h1, else
    the ``<title>``) names first; None when the page names no two roles."""
    named = [pair for pair in (_halves(h1), _halves(title, tail=True)) if pair]
    if slugs is None and not named:
        return None
    if slugs is not None and not named and not _mentions(slugs, f"{h1} {title}"):
        return None
    a: set[str] = set()
    b: set[str] = set()
    first = slugs or (slugify(named[0][0]), slugify(named[0][1]))
    a.add(first[0])
    b.add(first[1])
    for one, two in named:
        one, two = slugify(one), slugify(two)
        if one in b or two in a:
            one, two = two, one
        elif (
            one not in a
            and two not in b
            and _resembles(one, b) + _resembles(two, a) > (_resembles(one, a) + _resembles(two, b))
        ):
            one, two = two, one  # other forms of the names, in the other order
        a.add(one)
        b.add(two)
    both = a & b
    return RoleNames(frozenset(a - both), frozenset(b - both))


def _mentions(slugs: tuple[str, str], text: str) -> bool:
    slug = slugify(text)
    return slugs[0] in slug or slugs[1] in slug


def _resembles(slug: str, forms: set[str]) -> int:
    """How many words ``slug`` shares with the closest of ``forms``."""
    words = set(slug.split("-"))
    return max((len(words & set(form.split("-"))) for form in forms), default=0)
