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
    SIZES                         # "small" (~10 KB) and "live" (~200 KB)
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
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from demosite import cells, families, render, vocab
from demosite import hard as hard_cases
from schemas.records import ComparisonRecord, MonthsRange, RoleRef, SideRecord, Sides
from scraper.urls import comparison_path, slugify

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

#: (min months, max months, unit shown) a role can take to become.
_TIME_RANGES: tuple[tuple[int, int, str], ...] = (
    (1, 3, "months"),
    (3, 6, "months"),
    (6, 12, "months"),
    (12, 24, "years"),
    (24, 48, "years"),
    (24, 36, "years"),
    (36, 60, "years"),
    (48, 72, "years"),
    (72, 96, "years"),
    (96, 120, "years"),
)


def parser_version() -> str:
    """The parser's version when ``scraper.parse`` is importable, else ``"unknown"``."""
    try:
        from scraper.parse import PARSER_VERSION
    except Exception:  # the parser is optional for the generator
        return "unknown"
    return str(PARSER_VERSION)


@dataclass(frozen=True)
class Role:
    title: str
    slug: str
    figures: SideRecord
    time_unit: str


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


# --- the catalog: which roles exist and which pairs are compared --------------------------


def _all_titles() -> list[str]:
    titles = list(vocab.BASE_TITLES)
    for prefix in vocab.TITLE_PREFIXES:
        titles += [f"{prefix} {base}" for base in vocab.BASE_TITLES[4:]]
    for suffix in vocab.TITLE_SUFFIXES:
        titles += [f"{base} {suffix}" for base in vocab.BASE_TITLES[4:]]
    return titles


class Catalog:
    """Role titles and comparison pairs for one seed, extended lazily and prefix-stable:
    pair ``i`` never depends on how many pages the site has."""

    #: pairs forced first so the seed page's "compare with other careers" links resolve
    _FIXED = ((0, 2), (0, 3), (1, 0))

    def __init__(self, seed: int) -> None:
        self.seed = seed
        rng = random.Random(f"{seed}:titles")
        titles = _all_titles()
        head, tail = titles[:4], titles[4:]
        rng.shuffle(tail)
        seen: set[str] = set()
        self.titles: list[str] = []
        for title in head + tail:
            slug = slugify(title)
            if slug not in seen:
                seen.add(slug)
                self.titles.append(title)
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
            self._extend_locked(upto)

    def _extend_locked(self, upto: int) -> None:
        while len(self._pairs) <= upto:
            k = len(self._pairs)
            if k < len(self._FIXED):
                self._add(*self._FIXED[k])
                continue
            pool = min(len(self.titles), 24 + k // 3)
            rng = self._rng
            if k % 40 == 20 and self._add_equally_paid(pool, rng):
                continue
            if k > 10 and rng.random() < 0.12:
                a, b = self._pairs[rng.randrange(len(self._pairs))]
                if (b, a) not in self._index and (b, a) != (0, 1):
                    self._add(b, a)
                    continue
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


# --- one role's figures -------------------------------------------------------------------


def _tenths_summing_to_1000(rng: random.Random, weights: list[float]) -> list[int]:
    total = sum(weights)
    parts = [max(1, int(1000 * w / total)) for w in weights]
    parts[parts.index(max(parts))] += 1000 - sum(parts)
    return parts


def _description(rng: random.Random, title: str) -> str:
    lowered = title.lower()
    duties = rng.sample(vocab.DUTIES, 3)
    opening = rng.choice(vocab.DUTY_OPENINGS)
    return (
        f"{render.article(lowered).capitalize()} {lowered} {opening} {duties[0]}. "
        f"Their responsibilities include {duties[1]} and {duties[2]}. "
        "They work with many people in the organization, so communication skills matter."
    )


def _seed_record() -> dict:
    text = resources.files("demosite").joinpath("data/seed-expected.json").read_text("utf-8")
    return json.loads(text)


def _random_figures(rng: random.Random, title: str) -> tuple[SideRecord, str]:
    yearly = int(rng.lognormvariate(11.05, 0.38))
    yearly = min(max(yearly, 24_000), 260_000)
    if rng.random() < 0.15:  # the site rounds some figures, so some roles are paid the same
        yearly = rng.choice((52_000, 64_000, 78_000))
    low = int(yearly * rng.uniform(0.55, 0.8)) // 1000 * 1000
    high = -(-int(yearly * rng.uniform(1.2, 1.7)) // 1000) * 1000
    male = rng.randint(80, 920)
    race = _tenths_summing_to_1000(rng, [rng.uniform(0.5, 1.5) * w for w in (8, 5, 15, 7, 64, 1)])
    labels = list(vocab.RACE_LABELS)
    if rng.random() < 0.3:
        rng.shuffle(labels)
        race_weights = dict(zip(vocab.RACE_LABELS, race, strict=True))
        race = [race_weights[label] for label in labels]
    months = rng.choice(_TIME_RANGES) if rng.random() < 0.9 else None
    figures = SideRecord(
        yearly_salary_usd=yearly,
        hourly_rate_usd=round(yearly / 2080, 2),
        growth_rate_pct=float(
            rng.randint(-9, 15) if rng.random() < 0.85 else round(rng.uniform(-5, 12), 1)
        ),
        number_of_jobs=rng.randint(2_000, 450_000),
        job_satisfaction=round(rng.uniform(2.5, 4.9), 1) if rng.random() < 0.25 else None,
        most_common_degree=rng.choice(vocab.DEGREES),
        most_common_degree_pct=float(rng.randint(28, 82)),
        average_age=float(rng.randint(26, 52)),
        years_of_experience=float(rng.randint(1, 12)),
        average_salary_usd=yearly,
        salary_range_low_usd=low,
        salary_range_high_usd=high,
        highest_paying_city=rng.choice(vocab.CITIES),
        highest_paying_state=rng.choice(vocab.STATES),
        best_paying_company=rng.choice(vocab.COMPANIES),
        best_paying_industry=rng.choice(vocab.INDUSTRIES),
        most_common_major=rng.choice(vocab.MAJORS),
        most_common_college=rng.choice(vocab.COLLEGES),
        gender_pct={"male": male / 10, "female": (1000 - male) / 10},
        race_pct={label: part / 10 for label, part in zip(labels, race, strict=True)},
        lgbt_pct=float(rng.randint(4, 16)) if rng.random() < 0.8 else round(rng.uniform(4, 16), 1),
        top_skills=rng.sample(vocab.SKILLS, 3),
        description=_description(rng, title) if rng.random() < 0.8 else None,
        months_to_become=MonthsRange(min=months[0], max=months[1]) if months else None,
    )
    for name in (
        "number_of_jobs",
        "growth_rate_pct",
        "years_of_experience",
        "lgbt_pct",
        "most_common_college",
        "best_paying_company",
        "best_paying_industry",
        "highest_paying_state",
        "most_common_major",
        "gender_pct",
        "race_pct",
    ):
        if rng.random() < 0.05:
            setattr(figures, name, None)
    return figures, months[2] if months else "years"


@lru_cache(maxsize=8192)
def role(seed: int, slug: str) -> Role:
    """One role's figures for the whole site (the same on every page it appears on)."""
    cat = catalog(seed)
    title = cat.role_title(slug)
    if title is None:
        raise KeyError(slug)
    seed_roles = _seed_roles()
    if slug in seed_roles:
        return Role(title, slug, seed_roles[slug], "years")
    figures, unit = _random_figures(random.Random(f"{seed}:role:{slug}"), title)
    return Role(title, slug, figures, unit)


def role_figures(seed: int, slug: str) -> SideRecord:
    return role(seed, slug).figures.model_copy(deep=True)


@lru_cache(maxsize=1)
def _seed_roles() -> dict[str, SideRecord]:
    record = _seed_record()
    return {
        record["role_a"]["slug"]: SideRecord.model_validate(record["sides"]["a"]),
        record["role_b"]["slug"]: SideRecord.model_validate(record["sides"]["b"]),
    }


def seed_page(base_url: str | None = None) -> tuple[str, ComparisonRecord]:
    """The real page bundled in ``demosite/data`` and its record (``url`` on ``base_url``
    when given, else the live URL)."""
    html = resources.files("demosite").joinpath("data/seed-page.html").read_text("utf-8")
    data = _seed_record()
    if base_url is not None:
        data["url"] = base_url.rstrip("/") + SEED_PATH
    data["parser_version"] = parser_version()
    return html, ComparisonRecord.model_validate(data)


# --- the change switch ---------------------------------------------------------------------


def _revise(figures: SideRecord, rng: random.Random) -> SideRecord:
    """The figures a changed page shows: new pay and job counts, still consistent."""
    revised = figures.model_copy(deep=True)
    if revised.yearly_salary_usd is not None:
        yearly = int(revised.yearly_salary_usd * rng.uniform(1.02, 1.12)) + 1
        revised.yearly_salary_usd = revised.average_salary_usd = yearly
        revised.hourly_rate_usd = round(yearly / 2080, 2)
        if revised.salary_range_high_usd is not None:
            revised.salary_range_high_usd = max(
                revised.salary_range_high_usd, -(-yearly // 1000) * 1000
            )
    revised.number_of_jobs = rng.randint(2_000, 450_000)
    return revised


# --- one page ------------------------------------------------------------------------------


def _time_phrase(months: MonthsRange, unit: str) -> str:
    lo, hi = int(months.min), int(months.max)
    if unit == "years":
        return f"{lo // 12}-{hi // 12} years"
    return f"{lo}-{hi} months"


def _intro(
    rng: random.Random, ra: Role, rb: Role, fa: SideRecord, fb: SideRecord
) -> tuple[list[str], MonthsRange | None, MonthsRange | None, str | None]:
    """Intro sentences, the months each side then shows, and ``higher_paid``."""
    ta, tb = ra.title.lower(), rb.title.lower()
    name_a, name_b = f"{render.article(ta)} {ta}", f"{render.article(tb)} {tb}"
    sentences = [
        f"The differences between {render.plural(ta)} and {render.plural(tb)} can be seen in "
        "a few details. Each job has different responsibilities and duties."
    ]
    ma, mb = fa.months_to_become, fb.months_to_become
    months_a = months_b = None
    if ma is not None and mb is not None and rng.random() < 0.9:
        if ma == mb and ra.time_unit == rb.time_unit:
            sentences.append(
                f"It typically takes {_time_phrase(ma, ra.time_unit)} to become "
                f"both {name_a} and {name_b}."
            )
        else:
            first, second = (
                ((ma, ra.time_unit, name_a), (mb, rb.time_unit, name_b))
                if rng.random() < 0.5
                else ((mb, rb.time_unit, name_b), (ma, ra.time_unit, name_a))
            )
            sentences.append(
                f"While it typically takes {_time_phrase(first[0], first[1])} to become "
                f"{first[2]}, becoming {second[2]} takes usually requires "
                f"{_time_phrase(second[0], second[1])}."
            )
        months_a, months_b = ma, mb
    higher: str | None = None
    ya, yb = fa.average_salary_usd, fb.average_salary_usd
    if ya is not None and yb is not None and ya == yb:
        sentences.append(
            f"Additionally, {name_a} and {name_b} both have an average salary of ${ya:,}."
        )
    elif ya is not None and yb is not None and rng.random() < 0.85:
        higher = "a" if ya > yb else "b"
        (hi_name, hi_pay), (lo_name, lo_pay) = (
            ((name_a, ya), (name_b, yb)) if higher == "a" else ((name_b, yb), (name_a, ya))
        )
        sentences.append(
            f"Additionally, {hi_name} has an average salary of ${hi_pay:,}, which is higher "
            f"than the ${lo_pay:,} average annual salary of {lo_name}."
        )
    return sentences, months_a, months_b, higher


def _skills_sentences(ra: Role, rb: Role, fa: SideRecord, fb: SideRecord) -> str:
    ta, tb = ra.title.lower(), rb.title.lower()
    sa, sb = fa.top_skills, fb.top_skills
    return (
        f"The top three skills for {render.article(ta)} {ta} include {sa[0]}, {sa[1]} and "
        f"{sa[2]}. The most important skills for {render.article(tb)} {tb} are {sb[0]}, "
        f"{sb[1]}, and {sb[2]}."
    )


def _related(seed: int, slug: str, index: int, pages: int) -> list[tuple[str, str, str]]:
    """``(href, text, other role's slug)`` "compare with other careers" links of a page, as
    the site writes them: mostly canonical, some without the trailing slash, with a
    tracking query, or into the ``/preview/`` path robots.txt disallows."""
    cat = catalog(seed)
    links = []
    for i, other in enumerate(cat.comparisons_of(slug, pages)[:12]):
        if other == index:
            continue
        a, b = cat.pair(other)
        path = comparison_path(a, b)
        style = (index + i) % 7
        href = (
            path.rstrip("/")
            if style == 1
            else f"{path}?utm_source=compare&utm_medium=related"
            if style == 3
            else f"/preview{path}"
            if style == 5
            else path
        )
        text = f"{render.sentence(cat.role_title(a) or a)} vs {(cat.role_title(b) or b).lower()}"
        links.append((href, text, b if a == slug else a))
    return links


def pick_family(seed: int, index: int) -> str:
    """The family page ``index`` is drawn in when none is asked for: every run of
    ``len(FAMILIES)`` pages from a multiple of it holds each family once, in a seeded order."""
    order = list(FAMILIES)
    random.Random(f"{seed}:families:{index // len(order)}").shuffle(order)
    return order[index % len(order)]


@lru_cache(maxsize=16)
def national_figures(seed: int) -> SideRecord:
    """The "All jobs" national average a ``third_column`` page shows beside its roles."""
    return _random_figures(random.Random(f"{seed}:all-jobs"), "All jobs")[0]


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
    cat = catalog(seed)
    slug_a, slug_b = cat.pair(index)
    ra, rb = role(seed, slug_a), role(seed, slug_b)
    fa, fb = ra.figures, rb.figures
    if revision:
        fa = _revise(fa, random.Random(f"{seed}:rev:{index}:{revision}:a"))
        fb = _revise(fb, random.Random(f"{seed}:rev:{index}:{revision}:b"))
    rng = random.Random(f"{seed}:page:{index}")
    variant = variant or VARIANTS[rng.randrange(len(VARIANTS))]
    sentences, months_a, months_b, higher = _intro(rng, ra, rb, fa, fb)
    path = comparison_path(slug_a, slug_b)
    url = base_url.rstrip("/") + path
    site_pages = pages or max(index + 1, 200)
    related = _related(seed, slug_a, index, site_pages)
    if hard == "repeated_label":  # the case needs related links: borrow some if none
        for other in (slug_b, cat.slugs[0]):
            related = related or _related(seed, other, index, site_pages)
    case = hard_cases.hard_case(
        hard,
        random.Random(f"{seed}:hard:{index}:{hard}"),
        fa,
        fb,
        national=national_figures(seed),
        related_pay=[role(seed, other).figures.average_salary_usd for _, _, other in related],
    )
    content = render.PageContent(
        url=url,
        path=path,
        slug_a=slug_a,
        slug_b=slug_b,
        title_a=ra.title,
        title_b=rb.title,
        side_a=fa,
        side_b=fb,
        intro=" ".join(sentences),
        skills=_skills_sentences(ra, rb, fa, fb),
        related=[(href, text) for href, text, _ in related],
        nav_roles=[(s, cat.role_title(s) or s) for s in cat.roles(min(60, pages or 60))],
        deploy=f"{seed}",
        hard=case,
    )
    html = render.render_page(
        content,
        variant,
        size,
        random.Random(f"{seed}:markup:{index}"),
        family,
        random.Random(f"{seed}:layout:{index}:{family}"),
    )
    sides = {}
    for key, figures, months in (("a", fa, months_a), ("b", fb, months_b)):
        side = figures.model_copy(deep=True)
        side.months_to_become = months
        sides[key] = side
    expected = ComparisonRecord(
        url=url,
        role_a=RoleRef(title=ra.title, slug=slug_a),
        role_b=RoleRef(title=rb.title, slug=slug_b),
        higher_paid=higher,  # type: ignore[arg-type]
        parser_version=parser_version(),
        sides=Sides(a=sides["a"], b=sides["b"]),
        warnings=[],
    )
    damaged = families.damaged_fields(family, *case.missing) if case.missing else frozenset()
    return GeneratedPage(
        index=index,
        seed=seed,
        path=path,
        slug_a=slug_a,
        slug_b=slug_b,
        title_a=ra.title,
        title_b=rb.title,
        variant=variant,
        size=size,
        revision=revision,
        html=html,
        expected=expected,
        family=family,
        hard=hard,
        damaged_fields=damaged,
    )
