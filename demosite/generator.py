"""Seeded comparison pages and the exact record each must parse to.

The demo site, the parser's regression tests and the benchmarks all draw their pages
from here, so it lives in the package, not under ``tests/``.

API::

    page = generate_page(seed, index, family=None, variant=None, size="live",
                         base_url="https://www.zippia.com/", pages=None, revision=0,
                         hard=None)
    page.html        # the full document, as the site serves it
    page.expected    # schemas.records.ComparisonRecord it parses to (warnings: [])
    page.path        # "/{a}-jobs/{a}-vs-{b}-differences/"
    page.slug_a, page.slug_b, page.title_a, page.title_b, page.variant, page.index
    page.family      # the grid markup (see demosite.families)
    page.hard        # the hard case, or None (see demosite.hard)
    page.damaged_fields  # {"a.field", "b.field", ...} a missing_cell page no longer
                         # shows reliably: the parser may null them or refuse the page

    FAMILIES                      # grid markups family=None spreads over the pages
    pick_family(seed, index)      # the one page ``index`` gets
    REFUSED_FAMILY, RENAMED_LABELS  # "renamed": row labels as synonyms the parser lacks
    HARD_CASES                    # reversed, third_column, missing_cell, repeated_label
    VARIANTS                      # cosmetic variants, applied in every family (demosite.cells)
    SIZES                         # "small", and "live" (the live site's page size)
    cat = catalog(seed)           # which comparison is page ``index``, without rendering
    cat.extend(pages); cat.path(index)
    cat.pair(index) -> (slug_a, slug_b);  cat.index_of(slug_a, slug_b) -> int | None
    cat.role_title(slug); cat.comparisons_of(slug, pages) -> [index, ...]
    role_figures(seed, slug) -> SideRecord     # one role's figures for the whole site
    national_figures(seed) -> SideRecord       # the "All jobs" role of third_column
    seed_page() -> (html, ComparisonRecord)    # the real page in demosite/data

Determinism: everything is a function of the arguments; nothing reads the clock or
global random state. Page ``index`` is the same comparison whatever
the site's page count, so ``pages=20000`` just extends the catalog. Each role has one
set of figures per seed, the same on every page it appears on; ``revision > 0`` is the
demo site's *change* switch: that page shows altered figures for both its roles.

Pages vary (per index, seeded) in everything the parse issue lists: intro phrasings for
the time to become each role (both at once, each apart with either role named first,
or no sentence -> ``months_to_become`` None), the higher-paid sentence (absent, or the
two roles equally paid, as on every 40th page -> ``higher_paid`` None), descriptions
present or not, ``-`` cells, negative growth, the markup family and variant (neither
changes ``expected``: the same figures in every markup). The first three pairs are
fixed: the seed page's two "compare with other careers" links and the seed pair in the
other order (the seed pair itself is the real page, ``seed_page()``).

The parts live in modules of their own: ``demosite.catalog`` (roles, pairs, figures per
role), ``demosite.figures`` (drawing and revising figures), ``demosite.intro`` (the
intro's sentences), ``demosite.render`` (the markup); this module puts a page together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from importlib import resources

from demosite import cells, families, render
from demosite import hard as hard_cases
from demosite.catalog import Catalog, Role, catalog, related_links, role, role_figures
from demosite.figures import national_figures, revise, seed_record
from demosite.hard import Hard
from demosite.intro import Intro, intro, skills_sentences
from schemas.records import ComparisonRecord, RoleRef, SideRecord, Sides
from scraper.urls import comparison_path

__all__ = [
    "DEFAULT_BASE_URL",
    "FAMILIES",
    "HARD_CASES",
    "REFUSED_FAMILY",
    "RENAMED_LABELS",
    "SEED_PATH",
    "SEED_SLUGS",
    "SIZES",
    "VARIANTS",
    "Catalog",
    "GeneratedPage",
    "catalog",
    "generate_page",
    "national_figures",
    "parser_version",
    "pick_family",
    "role_figures",
    "seed_page",
]

SIZES: tuple[str, ...] = ("small", "live")
VARIANTS: tuple[str, ...] = render.VARIANT_NAMES
#: grid markups pages are spread over (``family=None``); see ``demosite.families``
FAMILIES: tuple[str, ...] = families.FAMILIES
#: a markup the parser must refuse: ``rows`` with every label a synonym it does not know
REFUSED_FAMILY = "renamed"
RENAMED_LABELS: dict[str, str] = cells.RENAMED_LABELS
HARD_CASES: tuple[str, ...] = hard_cases.HARD_CASES
DEFAULT_BASE_URL = "https://www.zippia.com/"
SEED_PATH = (
    "/customer-service-operations-manager-jobs/"
    "customer-service-operations-manager-vs-operations-project-manager-differences/"
)
SEED_SLUGS = ("customer-service-operations-manager", "operations-project-manager")


def parser_version() -> str:
    """The parser's version when ``scraper.parse`` is importable, else ``"unknown"``."""
    try:
        from scraper.parse import PARSER_VERSION
    except Exception:  # the parser is optional for the generator
        return "unknown"
    return str(PARSER_VERSION)


@dataclass
class GeneratedPage:
    index: int
    seed: int
    path: str
    slug_a: str
    slug_b: str
    title_a: str
    title_b: str
    variant: str
    size: str
    revision: int
    html: str
    expected: ComparisonRecord = field(repr=False)
    family: str = "rows"
    hard: str | None = None
    #: "a.field" / "b.field" names the page no longer shows reliably (``missing_cell``):
    #: a parser may leave them None, or refuse the page, but never read a wrong value
    damaged_fields: frozenset[str] = frozenset()


def seed_page(base_url: str | None = None) -> tuple[str, ComparisonRecord]:
    """The real page bundled in ``demosite/data`` and its record (``url`` on ``base_url``
    when given, else the live URL)."""
    html = resources.files("demosite").joinpath("data/seed-page.html").read_text("utf-8")
    data = seed_record()
    if base_url is not None:
        data["url"] = base_url.rstrip("/") + SEED_PATH
    data["parser_version"] = parser_version()
    return html, ComparisonRecord.model_validate(data)


def pick_family(seed: int, index: int) -> str:
    """The family page ``index`` is drawn in when none is asked for: every run of
    ``len(FAMILIES)`` pages from a multiple of it holds each family once, in a seeded order."""
    order = list(FAMILIES)
    random.Random(f"{seed}:families:{index // len(order)}").shuffle(order)
    return order[index % len(order)]


@dataclass(frozen=True)
class _Comparison:
    """What page ``index`` of site ``seed`` compares, and the figures it shows."""

    seed: int
    index: int
    role_a: Role
    role_b: Role
    side_a: SideRecord
    side_b: SideRecord

    @property
    def path(self) -> str:
        return comparison_path(self.role_a.slug, self.role_b.slug)


def _comparison(seed: int, index: int, revision: int) -> _Comparison:
    slug_a, slug_b = catalog(seed).pair(index)
    ra, rb = role(seed, slug_a), role(seed, slug_b)
    fa, fb = ra.figures, rb.figures
    if revision:
        fa = revise(fa, random.Random(f"{seed}:rev:{index}:{revision}:a"))
        fb = revise(fb, random.Random(f"{seed}:rev:{index}:{revision}:b"))
    return _Comparison(seed, index, ra, rb, fa, fb)


def _related(c: _Comparison, site_pages: int, hard: str | None) -> list[tuple[str, str, str]]:
    """The page's related links; ``repeated_label`` needs some, so it borrows another
    role's when role a has none."""
    related = related_links(c.seed, c.role_a.slug, c.index, site_pages)
    if hard == "repeated_label":
        for other in (c.role_b.slug, catalog(c.seed).slugs[0]):
            related = related or related_links(c.seed, other, c.index, site_pages)
    return related


def _content(
    c: _Comparison,
    words: Intro,
    url: str,
    related: list[tuple[str, str, str]],
    pages: int | None,
    case: Hard,
) -> render.PageContent:
    cat = catalog(c.seed)
    return render.PageContent(
        url=url,
        path=c.path,
        slug_a=c.role_a.slug,
        slug_b=c.role_b.slug,
        title_a=c.role_a.title,
        title_b=c.role_b.title,
        side_a=c.side_a,
        side_b=c.side_b,
        intro=" ".join(words.sentences),
        skills=skills_sentences(c.role_a, c.role_b, c.side_a, c.side_b),
        related=[(href, text) for href, text, _ in related],
        nav_roles=[(s, cat.role_title(s) or s) for s in cat.roles(min(60, pages or 60))],
        deploy=f"{c.seed}",
        hard=case,
    )


def _expected(c: _Comparison, words: Intro, url: str) -> ComparisonRecord:
    """The record the page parses to: its figures, with the months the intro states."""
    sides = {}
    for key, figures, months in (("a", c.side_a, words.months_a), ("b", c.side_b, words.months_b)):
        side = figures.model_copy(deep=True)
        side.months_to_become = months
        sides[key] = side
    return ComparisonRecord(
        url=url,
        role_a=RoleRef(title=c.role_a.title, slug=c.role_a.slug),
        role_b=RoleRef(title=c.role_b.title, slug=c.role_b.slug),
        higher_paid=words.higher_paid,  # type: ignore[arg-type]
        parser_version=parser_version(),
        sides=Sides(a=sides["a"], b=sides["b"]),
        warnings=[],
    )


def generate_page(
    seed: int,
    index: int,
    *,
    family: str | None = None,
    variant: str | None = None,
    size: str = "live",
    base_url: str = DEFAULT_BASE_URL,
    pages: int | None = None,
    revision: int = 0,
    hard: str | None = None,
) -> GeneratedPage:
    """Comparison page ``index`` of site ``seed`` and the record it parses to.

    ``family`` (one of ``FAMILIES`` or ``REFUSED_FAMILY``; None: ``pick_family``) is the
    grid markup, ``variant`` the cosmetics, ``hard`` one of ``HARD_CASES``. None of them
    changes the figures: ``expected`` depends on ``seed``, ``index`` and ``revision`` only.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}")
    family = family or pick_family(seed, index)
    if family not in families.BY_NAME:
        raise KeyError(f"unknown family {family!r}; one of {tuple(families.BY_NAME)}")
    c = _comparison(seed, index, revision)
    rng = random.Random(f"{seed}:page:{index}")
    variant = variant or VARIANTS[rng.randrange(len(VARIANTS))]
    words = intro(rng, c.role_a, c.role_b, c.side_a, c.side_b)
    url = base_url.rstrip("/") + c.path
    related = _related(c, pages or max(index + 1, 200), hard)
    case = hard_cases.hard_case(
        hard,
        random.Random(f"{seed}:hard:{index}:{hard}"),
        c.side_a,
        c.side_b,
        national=national_figures(seed),
        related_pay=[role(seed, other).figures.average_salary_usd for _, _, other in related],
    )
    html = render.render_page(
        _content(c, words, url, related, pages, case),
        variant,
        size,
        random.Random(f"{seed}:markup:{index}"),
        family,
        random.Random(f"{seed}:layout:{index}:{family}"),
    )
    damaged = families.damaged_fields(family, *case.missing) if case.missing else frozenset()
    return GeneratedPage(
        index=index,
        seed=seed,
        path=c.path,
        slug_a=c.role_a.slug,
        slug_b=c.role_b.slug,
        title_a=c.role_a.title,
        title_b=c.role_b.title,
        variant=variant,
        size=size,
        revision=revision,
        html=html,
        expected=_expected(c, words, url),
        family=family,
        hard=hard,
        damaged_fields=damaged,
    )
