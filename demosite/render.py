"""Markup for a generated comparison page: any grid family, any cosmetic variant.

The page around the grids (``<title>``, canonical link, h1, intro, "What does a … do?",
related links, the live-size payload) is the same in every family; each of the four
sections is a heading ("{Title a} vs {title b} overview|salary|education|demographics",
as ``<h2>``, ``<h3>`` or ``<div role="heading">``) and a grid in the page's family
(``demosite.families``) whose cells the variant (``demosite.cells``) fills.

Hard cases (``demosite.hard``) change only the grids, and the related links.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import random
from dataclasses import dataclass, field

from demosite import families, payload
from demosite.cells import (
    MARKUPS,
    RENAMED_LABELS,
    TABLE_ROWS,
    VARIANT_NAMES,
    Classes,
    Markup,
    Value,
    cell,
    label,
    row_values,
    text,
)
from demosite.families import Column, Context, Grid
from demosite.hard import THIRD_TITLE, Hard
from schemas.records import SideRecord

__all__ = ["MARKUPS", "VARIANT_NAMES", "PageContent", "render_page"]


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
    hard: Hard = field(default_factory=Hard)


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


# --- grids -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Role:
    """A role as the grids list it: ``key`` "a", "b" or "all" (the third role)."""

    key: str
    title: str
    values: dict[str, Value]
    href: str
    salt: int


def _roles(c: PageContent, markup: Markup) -> list[_Role]:
    """The roles in the order the grids list them."""
    roles = [
        _Role("a", c.title_a, row_values(c.side_a, c.slug_a, markup), f"/{c.slug_a}-jobs/", 0),
        _Role("b", c.title_b, row_values(c.side_b, c.slug_b, markup), f"/{c.slug_b}-jobs/", 1),
    ]
    if c.hard.name == "reversed":
        roles.reverse()
    if c.hard.third is not None:
        third = _Role("all", THIRD_TITLE, row_values(c.hard.third, "all", markup), "/jobs/", 2)
        roles.insert(c.hard.third_at, third)
    return roles


def _grid(
    section: str,
    c: PageContent,
    roles: list[_Role],
    family: families.Family,
    ctx: Context,
    rng: random.Random,
) -> Grid:
    markup = ctx.markup
    names = list(TABLE_ROWS[section])
    if markup.shuffle_rows:
        rng.shuffle(names)
    if c.hard.name == "repeated_label" and section == "overview":
        names.insert(c.hard.repeat_at % (len(names) + 1), "Average salary")
    shown = RENAMED_LABELS if family.renamed else {}
    columns = []
    for role in roles:
        cells = tuple(
            None
            if c.hard.missing == (section, name, role.key)
            else cell(
                role.values[name], markup, ctx.cls, role.href, i + role.salt, family.split_parts
            )
            for i, name in enumerate(names)
        )
        columns.append(Column(text(role.title, markup, role.salt + 1), cells))
    return Grid(tuple(label(shown.get(n, n), markup) for n in names), tuple(columns))


# --- sections ----------------------------------------------------------------------------

_TABLE_BLURBS = {
    "overview": None,
    "salary": "{pa} and {pb} have different pay scales, as shown below.",
    "education": (
        "There are a few differences between {aa} and {ab} in terms of educational background:"
    ),
    "demographics": "Here are the differences between {pa}' and {pb}' demographics:",
}


def _heading(inner: str, style: str, cls: Classes) -> str:
    if style == "h3":
        return f'<h3 class="z-mb-16">{inner}</h3>'
    if style == "aria":
        return f'<div role="heading" aria-level="2" class="{cls("section", "title")}">{inner}</div>'
    return f'<h2 class="z-mb-24">{inner}</h2>'


def _section(
    table: str, c: PageContent, grid: str, markup: Markup, cls: Classes, style: str
) -> str:
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
    for depth in range(markup.wrappers):
        grid = f'<div class="{cls("layout", f"wrap{depth}")}">{grid}</div>'
    body = f"{_heading(text(heading, markup), style, cls)}\n{paragraph}{grid}"
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


def _related(c: PageContent, markup: Markup, cls: Classes) -> str:
    """The "Compare … with other careers" links (in the ``repeated_label`` hard case
    each with an "Average salary" figure of its own)."""
    items = []
    for n, (href, shown) in enumerate(c.related):
        item = f'<a class="list-link" href="{htmllib.escape(href)}">{text(shown, markup)}</a>'
        if c.hard.related_pay:
            item += (
                f' <span class="{cls("related", "label")}">{label("Average salary", markup)}'
                f'</span> <span class="{cls("related", "value")}">'
                f"{text(f'${c.hard.related_pay[n]:,}', markup)}</span>"
            )
        items.append(f"<li>{item}</li>")
    heading = text(f"Compare {c.title_a.lower()} with other careers", markup)
    return (
        '<section class="bg-white z-p-20 z-mb-24" id="related">\n'
        f'<h2 class="z-mb-24">{heading}</h2>\n'
        '<ul class="list-unstyled">\n' + "\n".join(items) + "\n</ul>\n</section>"
    )


# --- the page ----------------------------------------------------------------------------

_NAV_LINKS = (
    ("/jobs/", "Explore jobs"),
    ("/jobs/search/", "Find specific jobs"),
    ("/careers/", "Explore careers"),
    ("/professions/", "Explore professions"),
    ("/best-companies/", "Best companies"),
    ("/companies/", "Explore companies"),
)


def _sections(
    c: PageContent, spec: families.Family, ctx: Context, style: str, rng: random.Random
) -> list[str]:
    """The four grid sections and "What does … do?" (shuffled when the variant says so),
    then the related links."""
    markup, cls = ctx.markup, ctx.cls
    roles = _roles(c, markup)
    sections = []
    for table in ("overview", "salary", "education", "demographics"):
        grid = spec.render(_grid(table, c, roles, spec, ctx, rng), ctx)
        sections.append(_section(table, c, grid, markup, cls, style))
    sections.insert(1, _what_they_do(c, markup))
    if markup.shuffle_sections:
        rng.shuffle(sections)
    sections.append(_related(c, markup, cls))
    return sections


def render_page(
    c: PageContent,
    variant: str,
    size: str,
    rng: random.Random,
    family: str = "rows",
    layout_rng: random.Random | None = None,
) -> str:
    """The page's HTML. ``rng`` drives the variant's shuffles and the payload size;
    ``layout_rng`` the family's own choices (legend form, pair markup, ...)."""
    markup = MARKUPS[variant]
    spec = families.BY_NAME[family]
    # rows keeps the class names it always had; other families hash differently
    salt = variant if family == "rows" else f"{variant}:{family}"
    cls = Classes(c.deploy, salt)
    ctx = Context(markup, cls, layout_rng or random.Random(f"{c.deploy}:{c.path}:{family}"))
    style = families.heading_style(family, VARIANT_NAMES.index(variant))
    sections = _sections(c, spec, ctx, style, rng)
    header_menu = footer_columns = ""
    if size == "live":
        header_menu, footer_columns = payload.nav_html(c.deploy, salt, tuple(c.nav_roles))
    css = hashlib.sha1(f"{c.deploy}:{salt}:css".encode()).hexdigest()[:10]
    nav_links = "\n".join(
        f'    <a class="{cls("header", "link")}" href="{href}">{shown}</a>'
        for href, shown in _NAV_LINKS
    )
    esc = htmllib.escape
    ta, tb = c.title_a.lower(), c.title_b.lower()
    title = f"{c.title_a} vs {c.title_b}: What Are The Differences? - Zippia"
    description = (
        f"The differences between {plural(ta)} and {plural(tb)} can be seen in a few details."
    )
    heading = f"{text(sentence(c.title_a), markup)} vs {text(tb, markup)}"
    crumbs = (
        f'<div class="{cls("breadcrumbs", "crumbs")}"><a href="/{c.slug_a}-jobs/">'
        f"{text(c.title_a, markup)}</a> &gt; <span>{heading}</span></div>"
    )
    props = {"slugA": c.slug_a, "slugB": c.slug_b, "titleA": c.title_a, "titleB": c.title_b}
    next_data = payload.next_data(props, c.deploy, c.nav_roles, size, rng)
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
<script id="__NEXT_DATA__" type="application/json">{next_data}</script>
</body>
</html>
"""
