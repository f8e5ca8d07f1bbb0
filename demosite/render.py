"""Markup for a generated comparison page, in the variants the parser must survive.

The ``seed`` variant mirrors ``data/seed-page.html``. The others each exercise a set of
the parse issue's robustness rules, so that together they cover all of them:

- ``classic``: no ``<thead>`` (header row of ``<td><strong>`` cells in ``<tbody>``),
  ``<th>`` row labels, values in ``<span>``, parts split by ``<br>``, ``N/A`` for
  unknown, Title Case labels, salary ranges in ``$48K`` form.
- ``wrapped``: extra wrapper ``<div>``s around sections, tables and cell contents,
  values in ``<strong><a>``, parts in ``<ul><li>``, shuffled rows, empty unknown cells.
- ``shuffled``: shuffled sections and rows, ``<th>`` labels, values in ``<b>``, parts
  separated by plain spaces, lower-case labels.
- ``entities``: ``&nbsp;``, named and numeric entities (``&#36;``, ``&#37;``,
  ``&#39;``, ``&#x27;``, ``&amp;``) in titles, labels and values; UPPER-CASE labels.

CSS-module class names carry a hash of the deploy (the seed) and the variant, as the
live site's change on every redeploy.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import json
import random
from dataclasses import dataclass
from functools import lru_cache

from schemas.records import SideRecord


@dataclass(frozen=True)
class Markup:
    name: str
    thead: bool
    header_td: bool
    label_tag: str
    value_wrap: tuple[str, ...]
    part_sep: str
    shuffle_rows: bool
    shuffle_sections: bool
    wrappers: int
    entities: bool
    null_text: str
    label_case: str
    money_k: bool


MARKUPS: dict[str, Markup] = {
    m.name: m
    for m in (
        Markup("seed", True, False, "td", (), "div", False, False, 0, False, "-", "as_is", False),
        Markup(
            "classic",
            False,
            True,
            "th",
            ("span",),
            "br",
            False,
            False,
            0,
            False,
            "N/A",
            "title",
            True,
        ),
        Markup(
            "wrapped",
            True,
            False,
            "td",
            ("strong", "a"),
            "li",
            True,
            False,
            2,
            False,
            "",
            "as_is",
            False,
        ),
        Markup(
            "shuffled",
            False,
            False,
            "th",
            ("b",),
            "space",
            True,
            True,
            1,
            False,
            "-",
            "lower",
            False,
        ),
        Markup(
            "entities",
            True,
            False,
            "td",
            ("span",),
            "div",
            False,
            False,
            0,
            True,
            "-",
            "upper",
            False,
        ),
    )
}
VARIANT_NAMES: tuple[str, ...] = tuple(MARKUPS)


@dataclass
class PageContent:
    url: str
    path: str
    slug_a: str
    slug_b: str
    title_a: str
    title_b: str
    side_a: SideRecord
    side_b: SideRecord
    intro: str
    skills: str
    related: list[tuple[str, str]]
    nav_roles: list[tuple[str, str]]
    deploy: str


# --- words -------------------------------------------------------------------------------


def article(lowered_title: str) -> str:
    return "an" if lowered_title[:1] in "aeiou" else "a"


def plural(lowered_title: str) -> str:
    if lowered_title.endswith(("s", "x", "ch", "sh")):
        return lowered_title + "es"
    if lowered_title[-1:].isalpha():
        return lowered_title + "s"
    return f"{lowered_title} professionals"


def sentence(title: str) -> str:
    lowered = title.lower()
    return lowered[:1].upper() + lowered[1:]


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
    def __init__(self, deploy: str, variant: str) -> None:
        self._salt = f"{deploy}:{variant}"

    def __call__(self, module: str, name: str) -> str:
        digest = hashlib.sha1(f"{self._salt}:{module}:{name}".encode()).digest()
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        suffix = "".join(alphabet[b % len(alphabet)] for b in digest[:5])
        return f"{module}_{name}__{suffix}"


# --- cells -------------------------------------------------------------------------------


def _money(value: int | None) -> str | None:
    return None if value is None else f"${value:,}"


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{num(value)}%"


def _parts(pct: dict[str, float] | None, labels: dict[str, str] | None = None) -> list[str]:
    if pct is None:
        return []
    return [f"{(labels or {}).get(k, k)}, {num(v)}%" for k, v in pct.items()]


def _row_values(side: SideRecord, slug: str, markup: Markup) -> dict[str, object]:
    """Row label -> plain text, list of parts, ("link", href, text) or None."""
    degree = (
        f"{side.most_common_degree}, {num(side.most_common_degree_pct)}%"
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
        "Highest paying City": None if city is None else ("link", f"/{slug}-jobs/salary/", city),
        "Highest paying state": side.highest_paying_state,
        "Best paying company": side.best_paying_company,
        "Best paying industry": side.best_paying_industry,
        "Most common major": side.most_common_major,
        "Most common college": side.most_common_college,
        "Gender ratio": _parts(side.gender_pct, {"male": "Male", "female": "Female"}) or None,
        "Race ratio": _parts(side.race_pct) or None,
        "LGBT Percentage": _pct(side.lgbt_pct),
    }


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


def _label(label: str, markup: Markup) -> str:
    shown = {
        "as_is": label,
        "title": label.title().replace("Lgbt", "LGBT"),
        "lower": label.lower(),
        "upper": label.upper(),
    }[markup.label_case]
    if markup.entities:
        return text(shown, markup).replace(" ", "&nbsp;", 1)
    return text(shown, markup)


def _wrap(inner: str, markup: Markup, cls: Classes, href: str) -> str:
    for tag in reversed(markup.value_wrap):
        if tag == "a":
            inner = f'<a href="{href}">{inner}</a>'
        else:
            inner = f'<{tag} class="{cls("table", "value")}">{inner}</{tag}>'
    if markup.wrappers:
        inner = f'<div class="{cls("table", "cell")}">{inner}</div>'
    return inner


def _cell(value: object, markup: Markup, cls: Classes, role_href: str, salt: int) -> str:
    if value is None:
        return text(markup.null_text, markup)
    if isinstance(value, tuple):
        _, href, shown = value
        return f'<a href="{href}">{text(str(shown), markup, salt)}</a>'
    if isinstance(value, list):
        parts = [text(p, markup, salt + i) for i, p in enumerate(value)]
        if markup.part_sep == "div":
            inner = " ".join(f"<div>{p}</div>" for p in parts)
        elif markup.part_sep == "br":
            inner = "<br>".join(parts)
        elif markup.part_sep == "li":
            inner = '<ul class="list-unstyled">' + "".join(f"<li>{p}</li>" for p in parts) + "</ul>"
        else:
            inner = " ".join(parts)
        return _wrap(inner, markup, cls, role_href)
    return _wrap(text(str(value), markup, salt), markup, cls, role_href)


def _table(table: str, c: PageContent, markup: Markup, cls: Classes, rng: random.Random) -> str:
    values_a = _row_values(c.side_a, c.slug_a, markup)
    values_b = _row_values(c.side_b, c.slug_b, markup)
    labels = list(TABLE_ROWS[table])
    if markup.shuffle_rows:
        rng.shuffle(labels)
    td, lt = cls("table", "data"), markup.label_tag
    rows = []
    for i, label in enumerate(labels):
        cells = [
            _cell(values_a[label], markup, cls, f"/{c.slug_a}-jobs/", i),
            _cell(values_b[label], markup, cls, f"/{c.slug_b}-jobs/", i + 1),
        ]
        rows.append(
            f'<tr><{lt} class="{td}">{_label(label, markup)}</{lt}>'
            + "".join(f'<td class="{td}">{cell}</td>' for cell in cells)
            + "</tr>"
        )
    th = cls("table", "head")
    titles = [text(c.title_a, markup, 1), text(c.title_b, markup, 2)]
    if markup.header_td:
        header = (
            f'<tr><td class="{th}"></td>'
            + "".join(f'<td class="{th}"><strong>{t}</strong></td>' for t in titles)
            + "</tr>"
        )
    else:
        header = (
            f'<tr><th class="{th}"></th>'
            + "".join(f'<th class="{th}">{t}</th>' for t in titles)
            + "</tr>"
        )
    body = "\n".join(rows)
    if markup.thead:
        inner = f"<thead>{header}</thead>\n<tbody>\n{body}\n</tbody>"
    else:
        inner = f"<tbody>\n{header}\n{body}\n</tbody>"
    out = f'<table class="{cls("table", "table")} compare-table">\n{inner}\n</table>'
    for depth in range(markup.wrappers):
        out = f'<div class="{cls("layout", f"wrap{depth}")}">{out}</div>'
    return out


_TABLE_BLURBS = {
    "overview": None,
    "salary": "{pa} and {pb} have different pay scales, as shown below.",
    "education": (
        "There are a few differences between {aa} and {ab} in terms of educational background:"
    ),
    "demographics": "Here are the differences between {pa}' and {pb}' demographics:",
}


def _section(table: str, c: PageContent, markup: Markup, cls: Classes, rng: random.Random) -> str:
    ta, tb = c.title_a.lower(), c.title_b.lower()
    heading = f"{sentence(c.title_a)} vs {tb} {table}"
    blurb = _TABLE_BLURBS[table]
    paragraph = ""
    if blurb:
        said = blurb.format(
            pa=sentence(plural(ta)),
            pb=plural(tb),
            aa=f"{article(ta)} {ta}",
            ab=f"{article(tb)} {tb}",
        )
        paragraph = f"<p>{text(said, markup)}</p>\n"
    body = (
        f'<h2 class="z-mb-24">{text(heading, markup)}</h2>\n{paragraph}'
        f"{_table(table, c, markup, cls, rng)}"
    )
    if markup.wrappers > 1:
        body = f'<div class="{cls("section", "inner")}">{body}</div>'
    return f'<section class="bg-white z-p-20 z-mb-24" id="{table}">\n{body}\n</section>'


def _what_they_do(c: PageContent, markup: Markup) -> str:
    parts = []
    for title, side in ((c.title_a, c.side_a), (c.title_b, c.side_b)):
        if side.description is None:
            continue
        lowered = title.lower()
        question = text(f"What does {article(lowered)} {lowered} do?", markup)
        parts.append(
            f'<h2 class="z-mb-24">{question}</h2>\n<p>{text(side.description, markup)}</p>'
        )
    if not parts:
        return ""
    return (
        '<section class="bg-white z-p-20 z-mb-24" id="what-they-do">\n'
        + "\n".join(parts)
        + "\n</section>"
    )


def _related(c: PageContent, markup: Markup) -> str:
    items = "\n".join(
        f'<li><a class="list-link" href="{htmllib.escape(href)}">{text(label, markup)}</a></li>'
        for href, label in c.related
    )
    heading = text(f"Compare {c.title_a.lower()} with other careers", markup)
    return (
        '<section class="bg-white z-p-20 z-mb-24" id="related">\n'
        f'<h2 class="z-mb-24">{heading}</h2>\n'
        f'<ul class="list-unstyled">\n{items}\n</ul>\n</section>'
    )


# --- live-size padding -------------------------------------------------------------------


@lru_cache(maxsize=8)
def _nav_entries(deploy: str, roles: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """Pre-serialized JSON navigation entries, the bulk of a live page's payload."""
    rng = random.Random(f"{deploy}:nav")
    entries = []
    for i in range(900):
        slug, title = roles[i % len(roles)]
        entry = {
            "id": rng.randrange(10**6, 10**7),
            "slug": slug,
            "title": title,
            "href": f"/{slug}-jobs/",
            "jobCount": rng.randrange(1000, 500000),
            "medianSalary": rng.randrange(25000, 200000),
            "tags": rng.sample(
                [
                    "remote",
                    "entry-level",
                    "full-time",
                    "part-time",
                    "hybrid",
                    "contract",
                    "union",
                    "night-shift",
                    "travel",
                ],
                3,
            ),
            "image": f"/_next/image?url=%2Fimages%2F{slug}.webp&w=256&q=75",
        }
        entries.append(json.dumps(entry, separators=(",", ":")))
    return tuple(entries)


@lru_cache(maxsize=8)
def _nav_html(deploy: str, variant: str, roles: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    cls = Classes(deploy, variant)
    link = cls("header", "menuLink")
    menu = "\n".join(
        f'<li class="{cls("header", "menuItem")}"><a class="{link}" href="/{slug}-jobs/">'
        f"{htmllib.escape(title, quote=False)}</a></li>"
        for slug, title in roles
    )
    header_menu = f'<ul class="{cls("header", "menu")}">\n{menu}\n</ul>'
    columns = []
    for col in range(6):
        items = "".join(
            f'<li><a href="/{slug}-jobs/">{htmllib.escape(title, quote=False)} jobs</a></li>'
            for slug, title in roles[col::6]
        )
        columns.append(f'<div class="{cls("footer", "column")}"><ul>{items}</ul></div>')
    return header_menu, "\n".join(columns)


def _next_data(c: PageContent, size: str, rng: random.Random) -> str:
    props: dict[str, object] = {
        "props": {
            "pageProps": {
                "slugA": c.slug_a,
                "slugB": c.slug_b,
                "titleA": c.title_a,
                "titleB": c.title_b,
            }
        },
        "page": "/[job]/[comparison]",
        "buildId": hashlib.sha1(c.deploy.encode()).hexdigest()[:8],
    }
    payload = json.dumps(props, separators=(",", ":"))
    if size == "live":
        entries = _nav_entries(c.deploy, tuple(c.nav_roles))
        count = rng.randint(620, 820)
        nav = ",".join(entries[:count])
        payload = payload[:-1] + f',"navigation":[{nav}]}}'
    return payload.replace("</", "<\\/")


# --- the page ----------------------------------------------------------------------------


def render_page(c: PageContent, variant: str, size: str, rng: random.Random) -> str:
    markup = MARKUPS[variant]
    cls = Classes(c.deploy, variant)
    ta, tb = c.title_a.lower(), c.title_b.lower()
    title = f"{c.title_a} vs {c.title_b}: What Are The Differences? - Zippia"
    sections = [
        _section(t, c, markup, cls, rng)
        for t in ("overview", "salary", "education", "demographics")
    ]
    sections.insert(1, _what_they_do(c, markup))
    if markup.shuffle_sections:
        rng.shuffle(sections)
    sections.append(_related(c, markup))
    header_menu = footer_columns = ""
    if size == "live":
        header_menu, footer_columns = _nav_html(c.deploy, variant, tuple(c.nav_roles))
    css = hashlib.sha1(f"{c.deploy}:{variant}:css".encode()).hexdigest()[:10]
    nav_links = "\n".join(
        f'    <a class="{cls("header", "link")}" href="{href}">{label}</a>'
        for href, label in (
            ("/jobs/", "Explore jobs"),
            ("/jobs/search/", "Find specific jobs"),
            ("/careers/", "Explore careers"),
            ("/professions/", "Explore professions"),
            ("/best-companies/", "Best companies"),
            ("/companies/", "Explore companies"),
        )
    )
    esc = htmllib.escape
    description = (
        f"The differences between {plural(ta)} and {plural(tb)} can be seen in a few details."
    )
    heading = f"{text(sentence(c.title_a), markup)} vs {text(tb, markup)}"
    crumbs = (
        f'<div class="{cls("breadcrumbs", "crumbs")}"><a href="/{c.slug_a}-jobs/">'
        f"{text(c.title_a, markup)}</a> &gt; <span>{heading}</span></div>"
    )
    copyright_ = "<p>Copyright &copy; Zippia, Inc.</p>"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title, quote=False)}</title>
<meta name="description" content="{esc(description)}">
<link rel="canonical" href="{esc(c.url)}">
<link rel="stylesheet" href="/_next/static/css/{css}.css">
</head>
<body>
<div id="__next">
<header class="{cls("header", "header")}">
  <nav class="{cls("header", "nav")}">
{nav_links}
  </nav>
{header_menu}
</header>
<main class="container z-mt-24">
{crumbs}
<h1 class="z-mb-16">{heading}</h1>
<div class="content no-margin">
<p>{text(c.intro, markup)}</p>
<p>{text(c.skills, markup)}</p>
</div>

{chr(10).join(s for s in sections if s)}
</main>
<footer class="{cls("footer", "footer")}">{footer_columns}{copyright_}</footer>
</div>
<script id="__NEXT_DATA__" type="application/json">{_next_data(c, size, rng)}</script>
</body>
</html>
"""
