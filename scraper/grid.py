"""The comparison grid, in any markup: DOM -> ``(section, label, side, value text)`` readings.

Nothing here looks at tag names to find the grid or at class names at all. The grid is
located by its text: the section headings ("… overview", "… salary", …), the row labels
(``scraper.tables.ROWS``) and the two role titles the page names in its h1, ``<title>`` and
URL. Which value belongs to which label and role is decided by the DOM order and nesting
of what holds those texts:

- a **line** is the element that holds a label's (or a title's) cell; its **cells** are its
  child nodes, in order (an empty element is an empty cell, so positions hold);
- a line with one label is a metric row: its other cells are values, tied to the roles by
  the cells at the same positions in a header line that names both roles (a table, an ARIA
  grid, rows of divs, a label in the middle), or by the one role card it sits in;
- a line with labels side by side and nothing else is a label header (roles as rows, a
  column of labels): each line headed by one role title and of the same shape holds that
  role's values at the labels' positions;
- any other line with labels is a run of ``label, value…`` groups (``<dl>``, label/value
  lists): each group's values are tied to the roles by a legend naming them in order, or
  by the one role card it sits in.

A label this cannot tie to one value per role is reported as unaligned, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

from schemas.records import Side
from scraper.tables import ROWS, Row, row_key, section_of
from scraper.urls import slugify
from scraper.values import clean

LABELS: dict[str, Row] = {key: row for rows in ROWS.values() for key, row in rows.items()}
"""Every known row label (compared by ``row_key``), whichever section shows it."""

_HEADINGS = "h1,h2,h3,h4,h5,h6,[role=heading]"
_SKIPPED = frozenset({"script", "style", "template", "noscript", "-comment"})
_NOT_CELLS = frozenset(
    {"br", "wbr", "hr", "img", "svg", "picture", "i", "input", "button", "link", "meta", "source"}
)
"""Elements that, when empty, are decoration between cells rather than an empty cell."""
_TITLE_MAX = 160
_SIDES: tuple[Side, Side] = ("a", "b")


@dataclass(frozen=True)
class RoleNames:
    """How the page names its two roles: slug forms of the URL's slugs and of the h1 and
    ``<title>`` "X vs Y" halves, per side. A text names a role when its slug is one of
    that side's and none of the other's."""

    a: frozenset[str]
    b: frozenset[str]

    def side_of(self, text: str) -> Side | None:
        if not text or len(text) > _TITLE_MAX:
            return None
        slug = _slug(text.rstrip(" :"))
        in_a, in_b = slug in self.a, slug in self.b
        if in_a == in_b:
            return None
        return "a" if in_a else "b"


@lru_cache(maxsize=8192)
def _slug(text: str) -> str:
    return slugify(text.replace("\u2019", "'"))


@dataclass(frozen=True)
class Reading:
    """One value of the grid: its section, the label as shown, the label's key, the side it
    belongs to and its raw text."""

    section: str
    label: str
    key: str
    side: Side
    raw: str


@dataclass
class Unaligned:
    """A label found whose values could not be tied to the roles."""

    section: str
    label: str
    key: str
    reason: str


@dataclass
class Grid:
    """What the grid reader found on a page."""

    readings: list[Reading] = field(default_factory=list)
    titles: dict[Side, str] = field(default_factory=dict)
    """Each role's title exactly as the grid shows it (its first use)."""
    sections: list[str] = field(default_factory=list)
    """Sections whose heading was found, in page order."""
    labels: dict[str, set[str]] = field(default_factory=dict)
    """Label keys found under each section's heading, tied to values or not."""
    unaligned: list[Unaligned] = field(default_factory=list)
    unknown: list[tuple[str, str, list[str]]] = field(default_factory=list)
    """``(section, label, values)`` of rows shaped like the metric rows read whose label
    is not a known one."""
    titled: set[str] = field(default_factory=set)
    """Sections whose grid names both roles, whatever its labels."""
    positioned: list[str] = field(default_factory=list)
    """Grid elements whose inline style moves them from where their DOM order puts them."""
    headers: list[_Line] = field(default_factory=list, repr=False)
    """Header lines naming both roles, of every section read so far."""


@dataclass
class _Cell:
    node: LexborNode
    text: str
    key: str | None = None
    """The row label key, when the cell is a known label."""
    side: Side | None = None
    """The role the cell names, when it is a role title."""


@dataclass
class _Line:
    node: LexborNode
    cells: list[_Cell]
    order: int
    """Document position of the line's first text, for "the nearest header before"."""

    def positions(self, *, labels: bool) -> list[int]:
        if labels:
            return [i for i, c in enumerate(self.cells) if c.key is not None]
        return [i for i, c in enumerate(self.cells) if c.side is not None]

    def names_both(self) -> bool:
        sides = [c.side for c in self.cells if c.side is not None]
        return sorted(sides) == ["a", "b"] and all(c.key is None for c in self.cells)


def read_grid(tree: LexborHTMLParser, names: RoleNames) -> Grid:
    """The grid's readings, section by section."""
    grid = Grid()
    sections, others = _headings(tree, names)
    starts = {node.mem_id for _, node, _ in sections}
    for section, node, level in sections:
        grid.sections.append(section)
        stops = starts | {mem_id for mem_id, other in others.items() if other <= level}
        stops.discard(node.mem_id)
        region = _Region(section, names, grid)
        region.collect(_following(node), stops)
        region.read()
    return grid


def _headings(
    tree: LexborHTMLParser, names: RoleNames
) -> tuple[list[tuple[str, LexborNode, int]], dict[int, int]]:
    """``(section, heading node, level)`` of each comparison section, in page order, and
    the level of every other heading that can end a section (``mem_id`` -> level): a
    heading that names a role (a role card's) ends none."""
    sections = []
    others: dict[int, int] = {}
    for node in tree.css(_HEADINGS):
        text = clean(node.text(separator=" "))
        section = _section_of(text)
        if section is not None:
            sections.append((section, node, _level(node)))
        elif names.side_of(text) is None:
            others[node.mem_id] = _level(node)
    if not sections:
        sections = _headings_by_text(tree)
    return sections, others


def _section_of(text: str) -> str | None:
    if not text or len(text) > 200 or row_key(text) in LABELS:
        return None
    return section_of(text)


def _headings_by_text(tree: LexborHTMLParser) -> list[tuple[str, LexborNode, int]]:
    """Section headings that are not heading elements: short texts that compare the two
    roles and end with a section's name ("X vs y salary")."""
    body = tree.body
    if body is None:
        return []
    found = []
    for node in body.traverse(include_text=True):
        if node.tag_id != _TEXT:
            continue
        text = clean(node.text_content or "")
        if " vs " in text.lower() and (section := _section_of(text)) is not None:
            parent = node.parent
            if parent is not None:
                found.append((section, parent, 2))
    return found


def _level(node: LexborNode) -> int:
    tag = node.tag or ""
    if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
        return int(tag[1])
    level = (node.attributes.get("aria-level") or "").strip()
    return int(level) if level.isdigit() else 2


def _probe_text_id() -> int:
    probe = LexborHTMLParser("<p>x</p>").css_first("p")
    assert probe is not None and probe.child is not None
    return probe.child.tag_id


_TEXT = _probe_text_id()


def _following(node: LexborNode) -> Iterator[LexborNode]:
    """Every node after ``node`` and its subtree, in document order."""
    current: LexborNode | None = node
    while current is not None:
        sibling = current.next
        while sibling is None:
            current = current.parent
            if current is None:
                return
            sibling = current.next
        yield from sibling.traverse(include_text=True)
        current = sibling


class _Region:
    """One section: the nodes from its heading to the next heading of its level or above."""

    def __init__(self, section: str, names: RoleNames, grid: Grid) -> None:
        self.section = section
        self.names = names
        self.grid = grid
        self.labels: list[tuple[LexborNode, str, int]] = []
        self.titles: list[tuple[LexborNode, Side, int]] = []
        self._lines: dict[int, _Line] = {}
        self._rows_in: dict[int, tuple[LexborNode, int]] = {}
        """Parents of the metric rows read (``mem_id`` -> node, label position)."""
        self._rows_read: set[int] = set()

    def collect(self, nodes: Iterator[LexborNode], stop_at: set[int]) -> None:
        """Label and title texts up to the region's end."""
        skipped: LexborNode | None = None
        order = 0
        for node in nodes:
            if skipped is not None:
                if _inside(node, skipped):
                    continue
                skipped = None
            if node.tag_id != _TEXT:
                if node.mem_id in stop_at:
                    return
                if (node.tag or "") in _SKIPPED:
                    skipped = node
                continue
            text = node.text_content or ""
            if not text or text.isspace():
                continue
            order += 1
            key = row_key(text)
            if key in LABELS:
                self.labels.append((node, key, order))
            elif (side := self.names.side_of(clean(text))) is not None:
                self.titles.append((node, side, order))

    def read(self) -> None:
        self.grid.labels.setdefault(self.section, set()).update(k for _, k, _ in self.labels)
        titled = [(self._cell_of(node), side, order) for node, side, order in self.titles]
        cards = _cards([(cell, side) for cell, side, _ in titled])
        headers: list[_Line] = []
        singles: list[tuple[_Line, Side]] = []
        for cell, side, order in titled:
            line = self._line(cell.parent, order)
            if line is None:
                continue
            if line.names_both():
                if line not in headers:
                    headers.append(line)
            else:
                singles.append((line, side))
        if {side for _, side, _ in titled} == {"a", "b"}:
            self.grid.titled.add(self.section)
        earlier = list(self.grid.headers)
        self.grid.headers.extend(headers)
        seen: set[int] = set()
        for node, _, order in self.labels:
            cell = self._cell_of(node)
            line = self._line(cell.parent, order)
            if line is None or line.node.mem_id in seen:
                continue
            seen.add(line.node.mem_id)
            labels = line.positions(labels=True)
            if len(labels) == 1:
                self._row(line, labels[0], line.cells[labels[0]], headers, earlier, cards)
            elif _is_label_header(line, labels):
                self._label_header(line, labels, singles)
            else:
                self._groups(line, labels, headers, cards)
        self._unknown_rows()

    @staticmethod
    def _cell_of(node: LexborNode) -> LexborNode:
        """The outermost element around ``node`` that holds nothing else: the label's or
        title's cell."""
        cell = node
        parent = node.parent
        while parent is not None and _single(parent):
            cell, parent = parent, parent.parent
        return cell

    def _line(self, node: LexborNode | None, order: int) -> _Line | None:
        if node is None:
            return None
        line = self._lines.get(node.mem_id)
        if line is None:
            line = _Line(node, [self._classify(c) for c in _cells(node)], order)
            self._lines[node.mem_id] = line
            for element in (node, *(c.node for c in line.cells)):
                if element.tag_id != _TEXT and _positioned(element):
                    self.grid.positioned.append(f"{element.tag} style={_style(element)!r}")
        return line

    def _classify(self, node: LexborNode) -> _Cell:
        if node.tag_id == _TEXT:
            text = clean(node.text_content or "")
        else:
            text = clean(node.text(separator=" "))
        key = row_key(text) if text else ""
        if key in LABELS:
            return _Cell(node, text, key=key)
        return _Cell(node, text, side=self.names.side_of(text))

    # --- the three shapes -----------------------------------------------------------------

    def _row(
        self,
        line: _Line,
        at: int,
        label: _Cell,
        headers: list[_Line],
        earlier: list[_Line],
        cards: dict[int, Side],
        climbs: int = 2,
    ) -> None:
        """A metric row: its values by the nearest header row of its shape (this section's,
        else an earlier section's), else by its role card; else, when the label's line may
        only be the label's cell with something beside it (an info icon's "?"), the line
        around it."""
        before = [h for h in headers if h.order <= line.order][::-1] + earlier[::-1]
        for header in before:
            columns = _aligned(header, line, at)
            if columns is not None:
                for position, side in columns.items():
                    self._read(label, side, line.cells[position], header)
                parent = line.node.parent
                self._rows_read.add(line.node.mem_id)
                if parent is not None:
                    self._rows_in.setdefault(parent.mem_id, (parent, at))
                return
        values = [c for i, c in enumerate(line.cells) if i != at]
        card = _card_side(line.node, cards)
        if values and card is not None:
            self._read(label, card, _joined(values), None)
            return
        if card is None and self._self_named(label, values, cards):
            return
        outer = self._line(line.node.parent, line.order) if climbs else None
        if outer is not None and not outer.positions(labels=True):
            inside = next(
                (i for i, c in enumerate(outer.cells) if c.node.mem_id == line.node.mem_id), None
            )
            if inside is not None:
                self._row(outer, inside, label, headers, earlier, cards, climbs - 1)
                return
        self._unaligned(label, "no header row or role card ties its values to the roles")

    def _self_named(self, label: _Cell, values: list[_Cell], cards: dict[int, Side]) -> bool:
        """Values that each carry their role's title ("Title A: $69,350"), one per role."""
        named = [(_card_side(value.node, cards), value) for value in values]
        if sorted(side for side, _ in named if side is not None) != ["a", "b"]:
            return False
        for side, value in named:
            if side is not None:
                title = _title_text(self.titles, side)
                raw = value.text.replace(title, "", 1).strip(" :;-\u2013\u2014|()")
                self._read(label, side, _Cell(value.node, raw), None)
        return True

    def _label_header(
        self, header: _Line, labels: list[int], singles: list[tuple[_Line, Side]]
    ) -> None:
        """Labels side by side: each role's values are in the line of the same shape that
        its title heads."""
        found: dict[Side, _Line] = {}
        for line, side in singles:
            if line.order < header.order or side in found:
                continue
            offset = len(line.cells) - len(header.cells)
            title_at = line.positions(labels=False)
            if offset not in (0, 1) or len(title_at) != 1:
                continue
            if offset == 1 and title_at[0] != 0:
                continue
            if offset == 0 and header.cells[title_at[0]].key is not None:
                continue
            found[side] = line
        if len(found) < 2:
            for position in labels:
                self._unaligned(header.cells[position], "no line of values for each role")
            return
        for side, line in found.items():
            offset = len(line.cells) - len(header.cells)
            for position in labels:
                self._read(header.cells[position], side, line.cells[position + offset], line)

    def _groups(
        self, line: _Line, labels: list[int], headers: list[_Line], cards: dict[int, Side]
    ) -> None:
        """A run of ``label, value…`` groups: values by the legend that leads the run or
        comes before it, or by the role card the run is in."""
        lead = _Line(line.node, line.cells[: labels[0]], line.order)
        if lead.names_both():
            legend: _Line | None = lead
        else:
            legend = next((h for h in reversed(headers) if h.order <= line.order), None)
        card = _card_side(line.node, cards)
        for start, end in zip(labels, labels[1:] + [len(line.cells)], strict=True):
            label, values = line.cells[start], line.cells[start + 1 : end]
            if any(v.side is not None for v in values):
                self._unaligned(label, "a role title among its values")
                continue
            if values and card is not None:
                self._read(label, card, _joined(values), None)
                continue
            columns = _legend_columns(legend, len(values)) if legend is not None else None
            if columns is None:
                self._unaligned(label, f"{len(values)} value(s) and no legend naming the roles")
                continue
            for position, side in columns.items():
                self._read(label, side, values[position], legend)

    def _unknown_rows(self) -> None:
        """Lines beside the metric rows read, of their shape, whose label is not known:
        schema drift, reported rather than read."""
        for parent, at in self._rows_in.values():
            for child in _cells(parent):
                if child.mem_id in self._rows_read or child.tag_id == _TEXT:
                    continue
                cells = [self._classify(c) for c in _cells(child)]
                if len(cells) <= at or any(c.side or c.key for c in cells) or not cells[at].text:
                    continue
                raw = [c.text for i, c in enumerate(cells) if i != at]
                self.grid.unknown.append((self.section, cells[at].text, raw))

    # --- results --------------------------------------------------------------------------

    def _read(self, label: _Cell, side: Side, value: _Cell, titled_by: _Line | None) -> None:
        grid = self.grid
        if side not in grid.titles:
            title = _title_in(titled_by, side) or _title_text(self.titles, side)
            grid.titles[side] = title.rstrip(" :")
        assert label.key is not None
        grid.readings.append(Reading(self.section, label.text, label.key, side, value.text))

    def _unaligned(self, label: _Cell, reason: str) -> None:
        assert label.key is not None
        self.grid.unaligned.append(Unaligned(self.section, label.text, label.key, reason))


def _inside(node: LexborNode, ancestor: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.mem_id == ancestor.mem_id:
            return True
        parent = parent.parent
    return False


def _cells(line: LexborNode) -> Iterator[LexborNode]:
    for child in line.iter(include_text=True):
        if child.tag_id == _TEXT:
            if not (child.text_content or "").isspace():
                yield child
            continue
        tag = child.tag or ""
        if tag in _SKIPPED:
            continue
        if tag in _NOT_CELLS and not child.text(separator=" ").strip():
            continue
        yield child


_PLACING = ("order", "grid-row", "grid-column", "grid-area", "position", "float", "direction")
_PLACING_VALUES = ("reverse", "absolute", "fixed", "rtl")


def _style(node: LexborNode) -> str:
    return (node.attributes.get("style") or "").lower()


def _positioned(node: LexborNode) -> bool:
    """Whether an inline style places the element elsewhere than its DOM order does."""
    style = _style(node)
    if not style:
        return False
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name = name.strip()
        if name in _PLACING or name.startswith(("grid-row", "grid-column")):
            if name in ("order", "grid-area") or name.startswith(("grid-row", "grid-column")):
                return True
            if any(v in value for v in _PLACING_VALUES):
                return True
        elif name in ("flex-direction", "flex-flow") and "reverse" in value:
            return True
    return False


def _joined(values: list[_Cell]) -> _Cell:
    """In a role's card every cell after a label is part of that role's one value (a
    gender split as two ``<div>``s)."""
    if len(values) == 1:
        return values[0]
    return _Cell(values[0].node, " ".join(v.text for v in values if v.text))


def _single(node: LexborNode) -> bool:
    """Whether ``node`` holds one cell."""
    cells = _cells(node)
    return next(cells, None) is not None and next(cells, None) is None


def _is_label_header(line: _Line, labels: list[int]) -> bool:
    """Labels side by side, nothing else but a leading corner cell."""
    consecutive = labels == list(range(labels[0], labels[0] + len(labels)))
    return (
        consecutive
        and len(line.cells) - len(labels) in (0, 1)
        and labels[-1] == len(line.cells) - 1
    )


def _aligned(header: _Line, row: _Line, at: int) -> dict[int, Side] | None:
    """Row position -> side, when ``header``'s cells line up with ``row``'s: one for one, or
    the header without the label column's corner cell."""
    if len(header.cells) == len(row.cells):
        offset = 0
    elif len(header.cells) == len(row.cells) - 1 and at == 0:
        offset = 1
    else:
        return None
    corner = at - offset
    if corner >= 0 and header.cells[corner].side is not None:
        return None
    columns = {}
    for position in range(len(row.cells)):
        h = position - offset
        if position != at and 0 <= h < len(header.cells):
            side = header.cells[h].side
            if side is not None:
                columns[position] = side
    return columns if sorted(columns.values()) == ["a", "b"] else None


def _legend_columns(legend: _Line, count: int) -> dict[int, Side] | None:
    """Value position -> side for a group of ``count`` values, by the legend's items in
    order (leading items that name no role, such as "Compare:", left out)."""
    items = [c for c in legend.cells if c.text]
    while len(items) > count and items[0].side is None:
        items = items[1:]
    if len(items) != count:
        return None
    columns = {i: c.side for i, c in enumerate(items) if c.side is not None}
    return columns if sorted(columns.values()) == ["a", "b"] else None  # type: ignore[return-value]


def _cards(titles: list[tuple[LexborNode, Side]]) -> dict[int, Side]:
    """Each role card (``mem_id`` -> side): the outermost element around a title that holds
    no other title. Only when both roles have one: a lone title is no card layout."""
    counts: dict[int, int] = {}
    chains = []
    for node, side in titles:
        chain = []
        current: LexborNode | None = node
        while current is not None:
            chain.append(current)
            counts[current.mem_id] = counts.get(current.mem_id, 0) + 1
            current = current.parent
        chains.append((chain, side))
    cards: dict[int, Side] = {}
    for chain, side in chains:
        own = [n for n in chain if counts[n.mem_id] == 1]
        if own:
            cards[own[-1].mem_id] = side
    return cards if sorted(set(cards.values())) == ["a", "b"] else {}


def _card_side(node: LexborNode, cards: dict[int, Side]) -> Side | None:
    current: LexborNode | None = node
    while current is not None and cards:
        side = cards.get(current.mem_id)
        if side is not None:
            return side
        current = current.parent
    return None


def _title_in(line: _Line | None, side: Side) -> str | None:
    if line is None:
        return None
    return next((c.text for c in line.cells if c.side == side), None)


def _title_text(titles: list[tuple[LexborNode, Side, int]], side: Side) -> str:
    return next(clean(n.text_content or "") for n, s, _ in titles if s == side)
