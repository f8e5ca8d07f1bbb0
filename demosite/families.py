"""Markup families: the ways one comparison grid can be laid out.

A ``Grid`` is what a section shows: row labels and, per role, a title and one cell per
label (cells already rendered by ``demosite.cells``, so every family fills them the same
way and honours the cosmetic variant). A family only decides where those go:

- ``rows``: today's ``<table>``, a header row naming the roles, one ``<tr>`` per metric.
- ``transposed``: a ``<table>`` with the roles as rows and the metrics as columns.
- ``aria``: ``<div role="table">`` of ``role="row"`` divs, ``columnheader`` /
  ``rowheader`` spans and ``cell`` divs; no table tags.
- ``divs``: rows of ``<div>``s with hashed CSS-module class names only.
- ``dl``: a legend naming the roles, then ``<dt>`` label and one ``<dd>`` per role.
- ``cards``: one ``<article>`` per role, its title as heading, listing label/value pairs.
- ``columns``: a column of labels, then one column per role: [title, v1..vk].
- ``mirrored``: the label in the middle: header [A, blank, B], rows [a, label, b].
- ``wrapped``: rows of divs, the values wrapped in one element: header [blank, [A, B]],
  rows [label, [a, b]].
- ``renamed`` (not in ``FAMILIES``): ``rows`` with every label renamed to a synonym the
  parser does not know, a page it must refuse (the redesign drill).

Which fields a missing cell leaves unreliable depends on the family (``Family.missing``):
``both`` sides of that row when a short row cannot say whose cell is gone (its cells line
up with the header by position, and the remaining one would slide under the wrong role,
even in ``mirrored``), ``side`` when the reader can tell (a card is titled and its pairs
are labelled), ``line`` (every label of that role's row or column) when a short line
shifts its later values onto the wrong labels.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from demosite.cells import LABEL_FIELDS, TABLE_ROWS, Classes, Markup


@dataclass(frozen=True)
class Column:
    """One role in a grid: its title and one cell per grid label (None: no such cell)."""

    title: str
    cells: tuple[str | None, ...]


@dataclass(frozen=True)
class Grid:
    """A section's figures as HTML fragments, in the order the page shows them."""

    labels: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def titles(self) -> list[str]:
        return [column.title for column in self.columns]

    def rows(self) -> Iterator[tuple[str, list[str | None]]]:
        """``(label, one cell per role)`` for each label."""
        for i, label in enumerate(self.labels):
            yield label, [column.cells[i] for column in self.columns]

    def transposed(self) -> Grid:
        """The roles as labels and the labels as columns (a missing cell stays missing)."""
        return Grid(
            tuple(self.titles),
            tuple(Column(label, tuple(cells)) for label, cells in self.rows()),
        )


@dataclass
class Context:
    """What a family draws on: the variant, the page's class names and a seeded rng
    for the family's own choices (legend form, pair markup, ...)."""

    markup: Markup
    cls: Classes
    rng: random.Random


Renderer = Callable[[Grid, Context], str]


# --- elements ----------------------------------------------------------------------------


def _el(spec: str, inner: str) -> str:
    """``_el('td class="x"', "1")`` -> ``<td class="x">1</td>``."""
    return f"<{spec}>{inner}</{spec.partition(' ')[0]}>"


def _values(spec: str, cells: Sequence[str | None]) -> str:
    """One element per present cell; a missing cell leaves no element."""
    return "".join(_el(spec, cell) for cell in cells if cell is not None)


def _title(title: str, ctx: Context) -> str:
    """A header cell's text; the ``classic`` variant puts titles in ``<strong>``."""
    return f"<strong>{title}</strong>" if ctx.markup.header_td and title else title


@dataclass(frozen=True)
class _Specs:
    """How a row-structured family spells a row, a header cell, a label and a value."""

    row: str
    head: str
    label: str
    value: str


def _lines(
    grid: Grid, specs: _Specs, ctx: Context, *, split: int = 0, corner: str = ""
) -> tuple[str, list[str]]:
    """The header row naming the roles and one row per label. The label cell goes after
    the first ``split`` roles' cells (0: first; 1: between a mirrored grid's roles)."""
    titles = grid.titles
    heads = [*titles[:split], corner, *titles[split:]]
    header = _el(specs.row, "".join(_el(specs.head, _title(t, ctx)) for t in heads))
    rows = [
        _el(
            specs.row,
            _values(specs.value, cells[:split])
            + _el(specs.label, label)
            + _values(specs.value, cells[split:]),
        )
        for label, cells in grid.rows()
    ]
    return header, rows


def _table_specs(ctx: Context) -> _Specs:
    cls, markup = ctx.cls, ctx.markup
    data, head = cls("table", "data"), cls("table", "head")
    return _Specs(
        row="tr",
        head=f'{"td" if markup.header_td else "th"} class="{head}"',
        label=f'{markup.label_tag} class="{data}"',
        value=f'td class="{data}"',
    )


def _in_table(header: str, rows: list[str], ctx: Context) -> str:
    body = "\n".join(rows)
    if ctx.markup.thead:
        inner = f"<thead>{header}</thead>\n<tbody>\n{body}\n</tbody>"
    else:
        inner = f"<tbody>\n{header}\n{body}\n</tbody>"
    return f'<table class="{ctx.cls("table", "table")} compare-table">\n{inner}\n</table>'


def _div_specs(ctx: Context, module: str) -> _Specs:
    cls = ctx.cls
    cell = f'div class="{cls(module, "cell")}"'
    return _Specs(
        f'div class="{cls(module, "row")}"', cell, f'div class="{cls(module, "label")}"', cell
    )


def _in_divs(header: str, rows: list[str], ctx: Context, module: str) -> str:
    return f'<div class="{ctx.cls(module, "grid")}">\n' + "\n".join([header, *rows]) + "\n</div>"


# --- the families ------------------------------------------------------------------------


def _rows(grid: Grid, ctx: Context) -> str:
    return _in_table(*_lines(grid, _table_specs(ctx), ctx), ctx)


def _transposed(grid: Grid, ctx: Context) -> str:
    return _rows(grid.transposed(), ctx)


def _aria(grid: Grid, ctx: Context) -> str:
    cls = ctx.cls
    specs = _Specs(
        row=f'div role="row" class="{cls("grid", "row")}"',
        head=f'span role="columnheader" class="{cls("grid", "head")}"',
        label=f'span role="rowheader" class="{cls("grid", "label")}"',
        value=f'div role="cell" class="{cls("grid", "cell")}"',
    )
    header, rows = _lines(grid, specs, ctx)
    body = "\n".join(rows)
    return (
        f'<div role="table" class="{cls("grid", "table")}">\n'
        f'<div role="rowgroup">{header}</div>\n<div role="rowgroup">\n{body}\n</div>\n</div>'
    )


def _divs(grid: Grid, ctx: Context) -> str:
    return _in_divs(*_lines(grid, _div_specs(ctx, "compare"), ctx), ctx, "compare")


def _columns(grid: Grid, ctx: Context) -> str:
    """The grid transposed into div columns: the first column the labels (under a blank
    or "Metric" corner), then one per role, its title first."""
    cls = ctx.cls
    column, child = ctx.rng.choice((("div", "div"), ("ul", "li")))
    item = f'{child} class="{cls("columns", "cell")}"'
    specs = _Specs(f'{column} class="{cls("columns", "column")}"', item, item, item)
    corner = ctx.rng.choice(("", "Metric"))
    return _in_divs(*_lines(grid.transposed(), specs, ctx, corner=corner), ctx, "columns")


def _mirrored(grid: Grid, ctx: Context) -> str:
    if ctx.rng.random() < 0.5:
        return _in_table(*_lines(grid, _table_specs(ctx), ctx, split=1), ctx)
    return _in_divs(*_lines(grid, _div_specs(ctx, "mirror"), ctx, split=1), ctx, "mirror")


def _wrapped(grid: Grid, ctx: Context) -> str:
    """Rows of divs, each a label beside one element that wraps the roles' values: header
    ``[corner, [A, B]]``, rows ``[label, [a, b]]``."""
    cls = ctx.cls
    row, wrap = f'div class="{cls("stack", "row")}"', f'div class="{cls("stack", "values")}"'
    label, cell = f'div class="{cls("stack", "label")}"', f'span class="{cls("stack", "cell")}"'
    titles = "".join(_el(cell, _title(title, ctx)) for title in grid.titles)
    header = _el(row, _el(label, "") + _el(wrap, titles))
    rows = [
        _el(row, _el(label, name) + _el(wrap, _values(cell, cells))) for name, cells in grid.rows()
    ]
    return _in_divs(header, rows, ctx, "stack")


def _legend(titles: list[str], ctx: Context) -> str:
    cls = ctx.cls
    if ctx.rng.random() < 0.5:
        swatch = f'<i class="{cls("legend", "swatch")}"></i>'
        items = "".join(f'<li class="{cls("legend", "item")}">{swatch}{t}</li>' for t in titles)
        return f'<ul class="{cls("legend", "legend")}">{items}</ul>'
    return (
        f'<p class="{cls("legend", "legend")}">'
        + "".join(f"<span>{t}</span>" for t in titles)
        + "</p>"
    )


def _dl(grid: Grid, ctx: Context) -> str:
    """A legend naming the roles, then per label a ``<dt>`` and one ``<dd>`` per role in
    legend order (each group in a ``<div>`` or not)."""
    cls = ctx.cls
    legend = _legend(grid.titles, ctx)
    grouped = ctx.rng.random() < 0.5
    items = []
    for label, cells in grid.rows():
        item = _el(f'dt class="{cls("list", "term")}"', label) + _values("dd", cells)
        items.append(_el(f'div class="{cls("list", "group")}"', item) if grouped else item)
    return f'{legend}\n<dl class="{cls("list", "list")}">\n' + "\n".join(items) + "\n</dl>"


_BLOCK = re.compile(r"<(?:div|ul|p)\b")


def _pairs(pairs: list[tuple[str, str]], style: str, ctx: Context) -> str:
    """A card's label/value pairs in one of three markups."""
    cls = ctx.cls
    if style == "li":
        items = "".join(
            f"<li><span>{label}</span><span>{value}</span></li>" for label, value in pairs
        )
        return f'<ul class="{cls("card", "facts")}">{items}</ul>'
    if style == "dl":
        return (
            "<dl>"
            + "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in pairs)
            + "</dl>"
        )
    # a <p> cannot hold a block (the HTML parser would close it early), so such a value
    # sits in a <div>
    return "\n".join(
        _el("div" if _BLOCK.search(value) else "p", f"<b>{label}:</b> {value}")
        for label, value in pairs
    )


def _cards(grid: Grid, ctx: Context) -> str:
    cls = ctx.cls
    style = ctx.rng.choice(("li", "dl", "p"))
    heading = ctx.rng.choice(("h4", "strong"))
    cards = []
    for column in grid.columns:
        pairs = [(lb, v) for lb, v in zip(grid.labels, column.cells, strict=True) if v is not None]
        title = (
            _el(f'h4 class="{cls("card", "title")}"', column.title)
            if heading == "h4"
            else _el(f'div class="{cls("card", "title")}"', f"<strong>{column.title}</strong>")
        )
        body = _pairs(pairs, style, ctx)
        cards.append(_el(f'article class="{cls("card", "card")}"', f"\n{title}\n{body}\n"))
    return f'<div class="{cls("card", "deck")}">\n' + "\n".join(cards) + "\n</div>"


@dataclass(frozen=True)
class Family:
    name: str
    render: Renderer
    #: which fields a missing cell leaves unreliable: "both", "side" or "line"
    missing: str
    #: multi-part cells put each label and its share in spans of their own
    split_parts: bool = False
    #: row labels are the ``cells.RENAMED_LABELS`` synonyms
    renamed: bool = False


_ALL = (
    Family("rows", _rows, "both"),
    Family("transposed", _transposed, "line"),
    Family("aria", _aria, "both"),
    Family("divs", _divs, "both", split_parts=True),
    Family("dl", _dl, "both"),
    Family("cards", _cards, "side", split_parts=True),
    Family("columns", _columns, "line"),
    Family("mirrored", _mirrored, "both", split_parts=True),
    Family("wrapped", _wrapped, "both", split_parts=True),
    Family("renamed", _rows, "both", renamed=True),
)
BY_NAME: dict[str, Family] = {family.name: family for family in _ALL}
#: the families pages are spread over (``renamed`` is asked for by name only)
FAMILIES: tuple[str, ...] = tuple(f.name for f in _ALL if not f.renamed)
HEADINGS: tuple[str, ...] = ("h2", "h3", "aria")


def heading_style(family: str, variant_index: int) -> str:
    """How section headings are marked up: fixed per family and variant (``rows`` in the
    ``seed`` variant has the seed page's ``<h2>``), all three forms in every family."""
    return HEADINGS[(list(BY_NAME).index(family) + variant_index) % len(HEADINGS)]


def damaged_fields(family: str, section: str, label: str, side: str) -> frozenset[str]:
    """``"a.field"`` / ``"b.field"`` names a grid no longer shows reliably once ``side``'s
    cell for ``label`` in ``section`` is missing (even a field another section repeats)."""
    kind = BY_NAME[family].missing
    labels = TABLE_ROWS[section] if kind == "line" else (label,)
    sides = ("a", "b") if kind == "both" else (side,)
    return frozenset(f"{s}.{name}" for s in sides for lb in labels for name in LABEL_FIELDS[lb])
