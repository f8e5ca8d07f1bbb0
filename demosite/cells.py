"""What goes inside a comparison grid's cells, whatever the grid's markup family.

The cosmetic *variants* live here: each is a ``Markup`` that every family honours
(label case, entities, value wrappers, part separators, null text, ``$48K`` money,
shuffled rows and sections, wrapper divs; the table-only fields ``thead``,
``header_td`` and ``label_tag`` are read by the families built on tables). A family
(``demosite.families``) only decides where the cells go; ``cell``, ``label`` and
``wrap`` below are the one way every family fills them.

- ``seed`` mirrors ``data/seed-page.html``.
- ``classic``: no ``<thead>`` (header row of ``<td><strong>`` cells in ``<tbody>``),
  ``<th>`` row labels, values in ``<span>``, parts split by ``<br>``, ``N/A`` for
  unknown, Title Case labels, salary ranges in ``$48K`` form.
- ``wrapped``: extra wrapper ``<div>``s around sections, grids and cell contents,
  values in ``<strong><a>``, parts in ``<ul><li>``, shuffled rows, empty unknown cells.
- ``shuffled``: shuffled sections and rows, ``<th>`` labels, values in ``<b>``, parts
  separated by plain spaces, lower-case labels.
- ``entities``: ``&nbsp;``, named and numeric entities (``&#36;``, ``&#37;``,
  ``&#39;``, ``&#x27;``, ``&amp;``) in titles, labels and values; UPPER-CASE labels.
"""

from __future__ import annotations

import hashlib
import html as htmllib
from dataclasses import dataclass

from schemas.records import SideRecord


@dataclass(frozen=True)
class Markup:
    """One cosmetic variant (see the module docstring)."""

    name: str
    value_wrap: tuple[str, ...]
    part_sep: str  # "div", "br", "li" or "space"
    thead: bool = True
    header_td: bool = False
    label_tag: str = "td"
    shuffle_rows: bool = False
    shuffle_sections: bool = False
    wrappers: int = 0
    entities: bool = False
    null_text: str = "-"
    label_case: str = "as_is"
    money_k: bool = False


MARKUPS: dict[str, Markup] = {
    m.name: m
    for m in (
        Markup("seed", (), "div"),
        Markup(
            "classic",
            ("span",),
            "br",
            thead=False,
            header_td=True,
            label_tag="th",
            null_text="N/A",
            label_case="title",
            money_k=True,
        ),
        Markup("wrapped", ("strong", "a"), "li", shuffle_rows=True, wrappers=2, null_text=""),
        Markup(
            "shuffled",
            ("b",),
            "space",
            thead=False,
            label_tag="th",
            shuffle_rows=True,
            shuffle_sections=True,
            wrappers=1,
            label_case="lower",
        ),
        Markup("entities", ("span",), "div", entities=True, label_case="upper"),
    )
}
VARIANT_NAMES: tuple[str, ...] = tuple(MARKUPS)

#: The rows of each section, in the order the site shows them.
TABLE_ROWS: dict[str, tuple[str, ...]] = {
    "overview": (
        "Yearly salary",
        "Hourly rate",
        "Growth rate",
        "Number of jobs",
        "Job satisfaction",
        "Most common degree",
        "Average age",
        "Years of experience",
    ),
    "salary": (
        "Average salary",
        "Salary range",
        "Highest paying City",
        "Highest paying state",
        "Best paying company",
        "Best paying industry",
    ),
    "education": ("Most common degree", "Most common major", "Most common college"),
    "demographics": ("Average age", "Gender ratio", "Race ratio", "LGBT Percentage"),
}

#: The ``SideRecord`` fields each row label shows.
LABEL_FIELDS: dict[str, tuple[str, ...]] = {
    "Yearly salary": ("yearly_salary_usd",),
    "Hourly rate": ("hourly_rate_usd",),
    "Growth rate": ("growth_rate_pct",),
    "Number of jobs": ("number_of_jobs",),
    "Job satisfaction": ("job_satisfaction",),
    "Most common degree": ("most_common_degree", "most_common_degree_pct"),
    "Average age": ("average_age",),
    "Years of experience": ("years_of_experience",),
    "Average salary": ("average_salary_usd",),
    "Salary range": ("salary_range_low_usd", "salary_range_high_usd"),
    "Highest paying City": ("highest_paying_city",),
    "Highest paying state": ("highest_paying_state",),
    "Best paying company": ("best_paying_company",),
    "Best paying industry": ("best_paying_industry",),
    "Most common major": ("most_common_major",),
    "Most common college": ("most_common_college",),
    "Gender ratio": ("gender_pct",),
    "Race ratio": ("race_pct",),
    "LGBT Percentage": ("lgbt_pct",),
}

#: The ``renamed`` family's labels: a synonym the parser does not know for every row
#: label (a test teaches the parser these to see the renamed pages recover).
RENAMED_LABELS: dict[str, str] = {
    "Yearly salary": "Annual pay",
    "Hourly rate": "Pay per hour",
    "Growth rate": "Job outlook",
    "Number of jobs": "Open positions",
    "Job satisfaction": "Happiness score",
    "Most common degree": "Typical qualification",
    "Average age": "Typical age",
    "Years of experience": "Experience needed",
    "Average salary": "Mean pay",
    "Salary range": "Pay band",
    "Highest paying City": "Top paying metro",
    "Highest paying state": "Top paying region",
    "Best paying company": "Top employer",
    "Best paying industry": "Top sector",
    "Most common major": "Typical field of study",
    "Most common college": "Typical school",
    "Gender ratio": "Sex split",
    "Race ratio": "Ethnic mix",
    "LGBT Percentage": "Share identifying as LGBT",
}


# --- words -------------------------------------------------------------------------------


def num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


# --- escaping ----------------------------------------------------------------------------

_NUMERIC = {"$": "&#36;", "%": "&#37;", "'": "&#39;"}


def text(value: str, markup: Markup, salt: int = 0) -> str:
    """``value`` escaped for HTML; in the ``entities`` variant, spelled with entities."""
    escaped = htmllib.escape(value, quote=False)
    if not markup.entities:
        return escaped
    out = []
    for i, ch in enumerate(escaped):
        if ch in _NUMERIC:
            out.append(_NUMERIC[ch] if (i + salt) % 2 == 0 or ch != "'" else "&#x27;")
        elif ch == " " and (i + salt) % 3 == 0:
            out.append("&nbsp;")
        else:
            out.append(ch)
    return "".join(out)


# --- class names -------------------------------------------------------------------------


class Classes:
    """CSS-module class names (``table_data__v1UoX``) whose hash changes with the deploy
    and the markup, as the live site's change on every redeploy."""

    def __init__(self, deploy: str, variant: str) -> None:
        self._salt = f"{deploy}:{variant}"

    def __call__(self, module: str, name: str) -> str:
        digest = hashlib.sha1(f"{self._salt}:{module}:{name}".encode()).digest()
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        suffix = "".join(alphabet[b % len(alphabet)] for b in digest[:5])
        return f"{module}_{name}__{suffix}"


# --- cell values -------------------------------------------------------------------------


@dataclass(frozen=True)
class Labelled:
    """A label with its share: ``Bachelor's Degree, 56%``, ``Male, 50.2%``."""

    label: str
    pct: str


@dataclass(frozen=True)
class Link:
    href: str
    shown: str


Value = str | Labelled | list[Labelled] | Link | None


def _money(value: int | None) -> str | None:
    return None if value is None else f"${value:,}"


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{num(value)}%"


def _parts(pct: dict[str, float] | None, labels: dict[str, str] | None = None) -> list[Labelled]:
    if pct is None:
        return []
    return [Labelled((labels or {}).get(k, k), f"{num(v)}%") for k, v in pct.items()]


def row_values(side: SideRecord, slug: str, markup: Markup) -> dict[str, Value]:
    """Row label -> what its cell shows for ``side`` (None: unknown)."""
    degree = (
        Labelled(side.most_common_degree, f"{num(side.most_common_degree_pct)}%")
        if side.most_common_degree is not None and side.most_common_degree_pct is not None
        else None
    )
    low, high = side.salary_range_low_usd, side.salary_range_high_usd
    if low is None or high is None:
        salary_range = None
    elif markup.money_k:
        salary_range = f"Between ${low // 1000}K And ${high // 1000}K"
    else:
        salary_range = f"Between ${low:,} And ${high:,}"
    city = side.highest_paying_city
    return {
        "Yearly salary": _money(side.yearly_salary_usd),
        "Hourly rate": None if side.hourly_rate_usd is None else f"${side.hourly_rate_usd:.2f}",
        "Growth rate": _pct(side.growth_rate_pct),
        "Number of jobs": None if side.number_of_jobs is None else f"{side.number_of_jobs:,}",
        "Job satisfaction": None if side.job_satisfaction is None else num(side.job_satisfaction),
        "Most common degree": degree,
        "Average age": None if side.average_age is None else num(side.average_age),
        "Years of experience": (
            None if side.years_of_experience is None else num(side.years_of_experience)
        ),
        "Average salary": _money(side.average_salary_usd),
        "Salary range": salary_range,
        "Highest paying City": None if city is None else Link(f"/{slug}-jobs/salary/", city),
        "Highest paying state": side.highest_paying_state,
        "Best paying company": side.best_paying_company,
        "Best paying industry": side.best_paying_industry,
        "Most common major": side.most_common_major,
        "Most common college": side.most_common_college,
        "Gender ratio": _parts(side.gender_pct, {"male": "Male", "female": "Female"}) or None,
        "Race ratio": _parts(side.race_pct) or None,
        "LGBT Percentage": _pct(side.lgbt_pct),
    }


# --- rendering one cell ------------------------------------------------------------------


def label(name: str, markup: Markup) -> str:
    """A row label as the variant shows it (its case, its entities)."""
    shown = {
        "as_is": name,
        "title": name.title().replace("Lgbt", "LGBT"),
        "lower": name.lower(),
        "upper": name.upper(),
    }[markup.label_case]
    if markup.entities:
        return text(shown, markup).replace(" ", "&nbsp;", 1)
    return text(shown, markup)


def wrap(inner: str, markup: Markup, cls: Classes, href: str) -> str:
    """A value inside the variant's wrappers (``<span>``, ``<strong><a>``, a cell div)."""
    for tag in reversed(markup.value_wrap):
        if tag == "a":
            inner = f'<a href="{href}">{inner}</a>'
        else:
            inner = f'<{tag} class="{cls("table", "value")}">{inner}</{tag}>'
    if markup.wrappers:
        inner = f'<div class="{cls("table", "cell")}">{inner}</div>'
    return inner


def _labelled(part: Labelled, markup: Markup, salt: int, split: bool) -> str:
    """``Male, 50.2%``, or with ``split`` the label and the share in spans of their own
    (``<span>Male</span> <span>50.2%</span>``, no comma)."""
    if split:
        return (
            f"<span>{text(part.label, markup, salt)}</span> <span>{text(part.pct, markup)}</span>"
        )
    return text(f"{part.label}, {part.pct}", markup, salt)


def _joined(parts: list[str], sep: str) -> str:
    """Parts of a multi-part cell, separated the variant's way."""
    if sep == "div":
        return " ".join(f"<div>{p}</div>" for p in parts)
    if sep == "br":
        return "<br>".join(parts)
    if sep == "li":
        return '<ul class="list-unstyled">' + "".join(f"<li>{p}</li>" for p in parts) + "</ul>"
    return " ".join(parts)


def cell(
    value: Value, markup: Markup, cls: Classes, role_href: str, salt: int, split: bool = False
) -> str:
    """The inside of one value cell, the same in every family. ``salt`` varies which
    characters the ``entities`` variant spells as entities; ``split`` puts a label and
    its share in separate spans."""
    if value is None:
        return text(markup.null_text, markup)
    if isinstance(value, Link):
        return f'<a href="{value.href}">{text(value.shown, markup, salt)}</a>'
    if isinstance(value, list):
        parts = [_labelled(p, markup, salt + i, split) for i, p in enumerate(value)]
        return wrap(_joined(parts, markup.part_sep), markup, cls, role_href)
    if isinstance(value, Labelled):
        return wrap(_labelled(value, markup, salt, split), markup, cls, role_href)
    return wrap(text(value, markup, salt), markup, cls, role_href)
