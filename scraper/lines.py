"""Lines and cells: the DOM structure the grid reader reasons about.

A *line* is an element holding cells; its *cells* are its child nodes in order, an empty
element being an empty cell (so positions hold) and empty decoration (``<br>``, icons)
being none. These helpers tie cells across lines by position (a header row above a metric
row, a legend above a run of values) or by containment (a role's card).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Container, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from selectolax.lexbor import LexborHTMLParser, LexborNode

from schemas.records import Side
from scraper.roles import RoleNames
from scraper.tables import row_key
from scraper.values import clean

SKIPPED = frozenset({"script", "style", "template", "noscript", "-comment"})
"""Nodes whose text is never the page's: code, styles, templates, comments."""
_NOT_CELLS = frozenset(
    {"br", "wbr", "hr", "img", "svg", "picture", "i", "input", "button", "link", "meta", "source"}
)
"""Elements that, when empty, are decoration between cells rather than an empty cell."""


class Cell:
    """One cell of a line: its node, its text, the row label it is (``key``) if any, and
    the role it names (``side``, looked up only when asked: most cells are values)."""

    __slots__ = ("node", "text", "key", "_names", "_side")

    def __init__(
        self, node: LexborNode, text: str, key: str | None = None, names: RoleNames | None = None
    ) -> None:
        self.node = node
        self.text = text
        self.key = key
        self._names = names
        self._side: Side | None = None

    @property
    def side(self) -> Side | None:
        if self._names is not None:
            self._side = self._names.side_of(self.text)
            self._names = None
        return self._side


@dataclass
class Line:
    node: LexborNode
    cells: list[Cell]
    order: int
    """Document position of the line's first text, for "the nearest header before"."""

    def positions(self, *, labels: bool) -> list[int]:
        if labels:
            return [i for i, c in enumerate(self.cells) if c.key is not None]
        return [i for i, c in enumerate(self.cells) if c.side is not None]

    def names_both(self) -> bool:
        sides = [c.side for c in self.cells if c.side is not None]
        return sorted(sides) == ["a", "b"] and all(c.key is None for c in self.cells)


def _tag_ids() -> dict[str, int]:
    """Lexbor's numeric tag ids: comparing ``node.tag_id`` costs a fraction of ``node.tag``."""
    probe = LexborHTMLParser(
        "<body><p>x</p><script></script><style></style><template></template>"
        "<noscript></noscript><!-- c --><br><wbr><hr><img><svg></svg><picture></picture><i></i>"
        "<input><button></button><link><meta><source></body>"
    )
    assert probe.body is not None
    return {str(node.tag): node.tag_id for node in probe.body.traverse(include_text=True)}


_IDS = _tag_ids()
TEXT = _IDS["-text"]
SKIPPED_IDS = frozenset(_IDS[tag] for tag in SKIPPED)
_NOT_CELL_IDS = frozenset(_IDS[tag] for tag in _NOT_CELLS)


def following(node: LexborNode) -> Iterator[LexborNode]:
    """The roots of the subtrees after ``node``'s, in document order: their traversals,
    one after the other, are every node after ``node`` and its subtree."""
    current: LexborNode | None = node
    while current is not None:
        sibling = current.next
        while sibling is None:
            current = current.parent
            if current is None:
                return
            sibling = current.next
        yield sibling
        current = sibling


def after(node: LexborNode, root: LexborNode) -> int | None:
    """The ``mem_id`` of the node that follows ``node``'s subtree in ``root``'s traversal;
    None when that subtree runs to the traversal's end."""
    current: LexborNode | None = node
    while current is not None and current.mem_id != root.mem_id:
        sibling = current.next
        if sibling is not None:
            return sibling.mem_id
        current = current.parent
    return None


def cells_of(line: LexborNode) -> list[LexborNode]:
    """The child nodes of ``line`` that are cells, in order."""
    return [child for child in line.iter(include_text=True, skip_empty=True) if is_cell(child)]


class Labels(NamedTuple):
    """The known row labels (keys, compared by ``row_key``) and the shortest one's length:
    no shorter text is a label, as a label's key only drops characters."""

    keys: Container[str]
    shortest: int

    @classmethod
    def of(cls, keys: Collection[str]) -> Labels:
        return cls(keys, min(map(len, keys), default=0))


def read_cells(line: LexborNode, names: RoleNames, labels: Labels) -> list[Cell]:
    """The cells of ``line`` with their texts and row labels (``cells_of`` and each cell's
    text in one pass: every cell's text is needed anyway)."""
    cells = []
    for child in line.iter(include_text=True, skip_empty=True):
        tag_id = child.tag_id
        if tag_id == TEXT:
            raw = child.text_content or ""
            if raw.isspace():
                continue
            text = clean(raw)
        elif tag_id in SKIPPED_IDS:
            continue
        else:
            text = clean(child.text(separator=" "))
            if not text and tag_id in _NOT_CELL_IDS:
                continue
        key = row_key(text) if len(text) >= labels.shortest else None
        if key in labels.keys:
            cells.append(Cell(child, text, key))
        else:
            cells.append(Cell(child, text, None, names))
    return cells


def is_cell(node: LexborNode) -> bool:
    tag_id = node.tag_id
    if tag_id == TEXT:
        return not (node.text_content or "").isspace()
    if tag_id in SKIPPED_IDS:
        return False
    return tag_id not in _NOT_CELL_IDS or bool(node.text(separator=" ").strip())


def cell_of(node: LexborNode) -> LexborNode:
    """The outermost element around ``node`` (a label's or title's text) that holds nothing
    else: the label's or title's cell."""
    cell = node
    parent = node.parent
    while parent is not None and _alone(cell):
        cell, parent = parent, parent.parent
    return cell


def _alone(cell: LexborNode) -> bool:
    """Whether no sibling of ``cell`` (itself a cell) is a cell."""
    sibling = cell.next
    while sibling is not None:
        if is_cell(sibling):
            return False
        sibling = sibling.next
    sibling = cell.prev
    while sibling is not None:
        if is_cell(sibling):
            return False
        sibling = sibling.prev
    return True


_PLACING = ("order", "grid-row", "grid-column", "grid-area", "position", "float", "direction")
_PLACING_VALUES = ("reverse", "absolute", "fixed", "rtl")


def style_of(node: LexborNode) -> str:
    return (node.attributes.get("style") or "").lower()


def positioned(node: LexborNode) -> bool:
    """Whether an inline style places the element elsewhere than its DOM order does."""
    return places(style_of(node))


def places(declarations: str) -> bool:
    """Whether CSS ``declarations`` (lower-cased) move an element from where its DOM
    order puts it: ``order``, ``grid-row``/``-column``/``-area``, absolute or fixed
    positions, floats, reversed flex directions, right-to-left text."""
    for declaration in declarations.split(";"):
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


_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")


def placed_by_stylesheet(tree: LexborHTMLParser, styles: list[LexborNode]) -> dict[int, str]:
    """Elements (``mem_id`` -> class) that a rule of the page's ``<style>`` elements
    (``styles``) moves from their DOM order, through a class selector: such a grid needs
    its CSS to be read."""
    classes: set[str] = set()
    for style in styles:
        for selectors, body in _RULE.findall(style.text()):
            if places(body.lower()):
                classes.update(_CLASS.findall(selectors))
    return {
        node.mem_id: name for name in sorted(classes) for node in tree.css(f'[class~="{name}"]')
    }


def joined(values: list[Cell]) -> Cell:
    """In a role's card every cell after a label is part of that role's one value (a
    gender split as two ``<div>``s)."""
    if len(values) == 1:
        return values[0]
    return Cell(values[0].node, " ".join(v.text for v in values if v.text))


def is_label_header(line: Line, labels: list[int]) -> bool:
    """Labels side by side, nothing else but a leading corner cell."""
    consecutive = labels == list(range(labels[0], labels[0] + len(labels)))
    return (
        consecutive
        and len(line.cells) - len(labels) in (0, 1)
        and labels[-1] == len(line.cells) - 1
    )


def aligned(header: Line, row: Line, at: int) -> dict[int, Side] | None:
    """Row position -> side, when ``header``'s cells line up with ``row``'s: one for one, or
    the header without the label column's corner cell (it then starts with a named cell: a
    row one cell longer than a header that has its empty corner has a cell the header does
    not name)."""
    if len(header.cells) == len(row.cells):
        offset = 0
    elif len(header.cells) == len(row.cells) - 1 and at == 0 and header.cells[0].text:
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


def legend_columns(legend: Line, count: int) -> dict[int, Side] | None:
    """Value position -> side for a group of ``count`` values, by the legend's items in
    order (leading items that name no role, such as "Compare:", left out)."""
    items = [c for c in legend.cells if c.text]
    while len(items) > count and items[0].side is None:
        items = items[1:]
    if len(items) != count:
        return None
    columns = {i: c.side for i, c in enumerate(items) if c.side is not None}
    return columns if sorted(columns.values()) == ["a", "b"] else None  # type: ignore[return-value]


def role_cards(titles: list[tuple[LexborNode, Side]]) -> dict[int, Side]:
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


def card_side(node: LexborNode, cards: dict[int, Side]) -> Side | None:
    current: LexborNode | None = node
    while current is not None and cards:
        side = cards.get(current.mem_id)
        if side is not None:
            return side
        current = current.parent
    return None


def title_in(line: Line | None, side: Side) -> str | None:
    if line is None:
        return None
    return next((c.text for c in line.cells if c.side == side), None)


def section_texts(
    heading: LexborNode, stop_at: set[int], names: RoleNames, known: Labels
) -> tuple[list[tuple[LexborNode, str, int]], list[tuple[LexborNode, Side, int]]]:
    """The label texts ``(node, key, order)`` and role-title texts ``(node, side, order)``
    from ``heading`` to the first node of ``stop_at`` (the section's end), in page order;
    scripts, styles and templates skipped."""
    order = 0
    labels: list[tuple[LexborNode, str, int]] = []
    titles: list[tuple[LexborNode, Side, int]] = []
    side_of = names.side_of
    keys, shortest_label = known
    shortest_title = names.shortest
    text_id, skipped_ids = TEXT, SKIPPED_IDS
    for top in following(heading):
        resume: int | None = None
        # where the traversal leaves the subtree it skips (script, style, …)
        for node in top.traverse(include_text=True, skip_empty=True):
            if resume is not None:
                if node.mem_id != resume:
                    continue
                resume = None
            tag_id = node.tag_id
            if tag_id != text_id:
                if node.mem_id in stop_at:
                    return labels, titles
                if tag_id in skipped_ids:
                    resume = after(node, top)
                    if resume is None:
                        break
                continue
            text = node.text_content
            if not text or text.isspace():
                continue
            order += 1
            if len(text) >= shortest_label and (key := row_key(text)) in keys:
                labels.append((node, key, order))
            elif len(text) >= shortest_title and (side := side_of(clean(text))):
                titles.append((node, side, order))
    return labels, titles
