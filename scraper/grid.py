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

from itertools import takewhile

from selectolax.lexbor import LexborHTMLParser, LexborNode

from schemas.records import Side
from scraper.intro import section_headings
from scraper.lines import (
    SKIPPED_IDS,
    TEXT,
    Cell,
    Labels,
    Line,
    card_side,
    cell_of,
    is_label_header,
    joined,
    legend_columns,
    placed_by_stylesheet,
    read_cells,
    title_in,
)
from scraper.readings import Grid, Reading, Unaligned
from scraper.roles import RoleNames
from scraper.section import Section
from scraper.tables import ROWS, Row
from scraper.values import clean

LABELS: dict[str, Row] = {key: row for rows in ROWS.values() for key, row in rows.items()}
"""Every known row label (compared by ``row_key``), whichever section shows it."""


def read_grid(
    tree: LexborHTMLParser, names: RoleNames, headings: list[tuple[LexborNode, str]]
) -> Grid:
    """The grid's readings, section by section; ``headings`` are the page's heading
    elements (``h1``-``h6``, ``role=heading``) and their clean texts, in page order."""
    grid = Grid()
    styling = tree.css("style, [style]")  # one scan of the page for both kinds of CSS
    styled = {node.mem_id for node in styling if node.tag != "style"}
    placed = placed_by_stylesheet(tree, [node for node in styling if node.tag == "style"])
    known = Labels.of(LABELS)
    sections, others = section_headings(tree, names, headings, LABELS)
    starts = {node.mem_id for _, node, _ in sections}
    for section, node, level in sections:
        grid.sections.append(section)
        stops = starts | {mem_id for mem_id, other in others.items() if other <= level}
        stops.discard(node.mem_id)
        region = _Region(section, names, grid, known, styled, placed)
        region.collect(node, stops)
        region.read()
    return grid


class _Region(Section):
    """Reads one section's values: its metric rows, label headers and label/value groups."""

    def read(self) -> None:
        self.grid.labels.setdefault(self.section, set()).update(k for _, k, _ in self.labels)
        self._titled = [(cell_of(node), side, order) for node, side, order in self.titles]
        texts = {(clean(n.text_content or "").rstrip(" :"), side) for n, side, _ in self.titles}
        self._title_texts = sorted(texts, key=lambda t: (-len(t[0]), t))
        for cell, side, order in self._titled:
            line = self._line(cell.parent, order)
            if line is None:
                continue
            if line.names_both():
                if line not in self._headers:
                    self._headers.append(line)
            else:
                self._singles.append((line, side))
        if {side for _, side, _ in self._titled} == {"a", "b"}:
            self.grid.titled.add(self.section)
        self._earlier = self.grid.headers[::-1]
        self.grid.headers.extend(self._headers)
        seen: set[int] = set()
        for node, _, order in self.labels:
            cell = cell_of(node)
            line = self._line(cell.parent, order)
            if line is None or line.node.mem_id in seen:
                continue
            seen.add(line.node.mem_id)
            labels = line.positions(labels=True)
            if len(labels) == 1:
                self._row(line, labels[0], line.cells[labels[0]])
            elif is_label_header(line, labels):
                self._label_header(line, labels)
            else:
                self._groups(line, labels)
        self._unknown_rows()

    # --- the three shapes -----------------------------------------------------------------

    def _row(self, line: Line, at: int, label: Cell) -> None:
        """A metric row: its values by the nearest header row of its shape (this section's,
        else an earlier section's), else by its role card, else by the titles its values
        carry; else, when the label's line may only be the label's cell with something
        beside it (an info icon's "?"), by the header row the line around it lines up with."""
        if self._by_header(line, at, label):
            return
        values = [c for i, c in enumerate(line.cells) if i != at]
        card = card_side(line.node, self._cards)
        if card is None and len(values) == 1 and self._by_wrapped_header(line, at, label):
            return
        if self._hold_labels(values):
            # a run of pairs in which this label's pair is the label alone: its value is
            # what follows it up to the next pair, in its role's card
            values = list(takewhile(lambda c: not self._hold_labels([c]), line.cells[at + 1 :]))
            if card is None or any(c.side is not None for c in values):
                self._unaligned(label, "its value cells hold other row labels")
                return
        if card is not None:
            self._read(label, card, joined(values) if values else Cell(label.node, ""), None)
            return
        if card is None and self._self_named(label, values):
            return
        outer = self._line(line.node.parent, line.order)
        for _ in range(2):
            if outer is None or outer.positions(labels=True):
                break
            inside = next(
                (i for i, c in enumerate(outer.cells) if c.node.mem_id == line.node.mem_id), None
            )
            if inside is None or self._hold_labels(
                [c for i, c in enumerate(outer.cells) if i != inside]
            ):
                break
            if self._by_header(outer, inside, label):
                return
            line, outer = outer, self._line(outer.node.parent, outer.order)
        self._unaligned(label, "no header row or role card ties its values to the roles")

    def _by_header(self, line: Line, at: int, label: Cell) -> bool:
        parent = line.node.parent
        found = self._header_for(line, at, parent.mem_id if parent is not None else 0)
        if found is None:
            return False
        header, columns = found
        for position, side in columns.items():
            self._read(label, side, line.cells[position], header)
        self._rows_read.add(line.node.mem_id)
        if parent is not None and parent.mem_id not in self._rows_in:
            self._rows_in[parent.mem_id] = (parent, at)
        return True

    def _by_wrapped_header(self, line: Line, at: int, label: Cell) -> bool:
        """A metric row of its label and one cell wrapping the values (``[label, [a, b]]``):
        the values by a header line of as many cells that sits where the wrapper sits, in a
        line of the row's shape whose other cell names nothing (``[corner, [A, B]]``)."""
        wrapper = line.cells[1 - at] if len(line.cells) == 2 else None
        if wrapper is None or wrapper.node.tag_id == TEXT:
            return False
        inner = self._line(wrapper.node, line.order)
        if inner is None or len(inner.cells) < 2 or self._hold_labels(inner.cells):
            return False
        for header in self._header_candidates(line):
            outer = self._line(header.node.parent, header.order)
            if (
                outer is None
                or len(outer.cells) != 2
                or len(header.cells) != len(inner.cells)
                or outer.cells[1 - at].node.mem_id != header.node.mem_id
                or outer.cells[at].key is not None
                or outer.cells[at].side is not None
            ):
                continue
            for position, cell in enumerate(header.cells):
                if cell.side is not None:
                    self._read(label, cell.side, inner.cells[position], header)
            self._rows_read.add(line.node.mem_id)
            return True
        return False

    def _self_named(self, label: Cell, values: list[Cell]) -> bool:
        """Values that each carry their role's title ("Title A: $69,350"), one per role."""
        named = [(card_side(value.node, self._cards), value) for value in values]
        if sorted(side for side, _ in named if side is not None) != ["a", "b"]:
            return False
        for side, value in named:
            if side is not None:
                self._read(label, side, value, None)  # which drops the title it carries
        return True

    def _label_header(self, header: Line, labels: list[int]) -> None:
        """Labels side by side: each role's values are in the line of the same shape that
        its title heads, after the header (a table's rows), else beside it (columns of one
        parent, the labels' column after the roles')."""
        after = [single for single in self._singles if single[0].order >= header.order]
        found = self._role_lines(header, labels, after)
        if len(found) < 2 and (parent := _parent_id(header)) is not None:
            beside = [single for single in self._singles if _parent_id(single[0]) == parent]
            found = self._role_lines(header, labels, beside)
        if len(found) < 2:
            for position in labels:
                self._unaligned(header.cells[position], "no line of values for each role")
            return
        for side, line in found.items():
            offset = len(line.cells) - len(header.cells)
            for position in labels:
                self._read(header.cells[position], side, line.cells[position + offset], line)

    def _role_lines(
        self, header: Line, labels: list[int], singles: list[tuple[Line, Side]]
    ) -> dict[Side, Line]:
        """The first of ``singles`` for each role that has the label header's shape."""
        found: dict[Side, Line] = {}
        for line, side in singles:
            if side in found:
                continue
            offset = len(line.cells) - len(header.cells)
            title_at = line.positions(labels=False)
            if offset not in (0, 1) or len(title_at) != 1:
                continue
            if offset == 1 and (title_at[0] != 0 or len(header.cells) != len(labels)):
                continue
            if offset == 0 and header.cells[title_at[0]].key is not None:
                continue
            if self._hold_labels([c for i, c in enumerate(line.cells) if i != title_at[0]]):
                continue
            found[side] = line
        return found

    def _groups(self, line: Line, labels: list[int]) -> None:
        """A run of ``label, value…`` groups: values by the legend that leads the run or
        comes before it, or by the role card the run is in."""
        lead = Line(line.node, line.cells[: labels[0]], line.order)
        if lead.names_both():
            legend: Line | None = lead
        else:
            legend = next((h for h in reversed(self._headers) if h.order <= line.order), None)
        card = card_side(line.node, self._cards)
        for start, end in zip(labels, labels[1:] + [len(line.cells)], strict=True):
            label, values = line.cells[start], line.cells[start + 1 : end]
            pair_ends = next((i for i, v in enumerate(values) if self._hold_labels([v])), None)
            if pair_ends is not None:
                values = values[:pair_ends]  # the next label's pair, not a value
            if any(v.side is not None for v in values):
                self._unaligned(label, "a role title among its values")
                continue
            if card is not None:
                self._read(label, card, joined(values) if values else Cell(label.node, ""), None)
                continue
            columns = legend_columns(legend, len(values)) if legend is not None else None
            if columns is None:
                self._unaligned(label, f"{len(values)} value(s) and no legend naming the roles")
                continue
            for position, side in columns.items():
                self._read(label, side, values[position], legend)

    def _unknown_rows(self) -> None:
        """Lines beside the metric rows read, of their shape, whose label is not known:
        schema drift, reported rather than read."""
        for parent, at in self._rows_in.values():
            for child in parent.iter():
                if child.mem_id in self._rows_read or child.tag_id in SKIPPED_IDS:
                    continue
                cells = read_cells(child, self.names, self.known)
                if len(cells) <= at or any(c.side or c.key for c in cells) or not cells[at].text:
                    continue
                raw = [c.text for i, c in enumerate(cells) if i != at]
                self.grid.unknown.append((self.section, cells[at].text, raw))

    # --- results --------------------------------------------------------------------------

    def _read(self, label: Cell, side: Side, value: Cell, titled_by: Line | None) -> None:
        """``value`` as ``side``'s, unless it names the other role (a value cell saying
        "Title B: …" under role a's header contradicts it); its own role's title, when it
        carries one, is not part of the value."""
        for title, named in self._title_texts:
            if len(title) < 4 or title not in value.text or title == value.text:
                continue  # longest first: "Project Manager" is not "Manager" named
            if named != side:
                self._unaligned(label, f"its value for role {side} names the other role")
                return
            raw = value.text.replace(title, "", 1).strip(" :;-\u2013\u2014|()")
            value = Cell(value.node, raw)
        grid = self.grid
        if side not in grid.titles:
            title = title_in(titled_by, side) or _title_text(self.titles, side)
            grid.titles[side] = title.rstrip(" :")
        assert label.key is not None
        grid.readings.append(Reading(self.section, label.text, label.key, side, value.text))

    def _unaligned(self, label: Cell, reason: str) -> None:
        assert label.key is not None
        self.grid.unaligned.append(Unaligned(self.section, label.text, label.key, reason))


def _parent_id(line: Line) -> int | None:
    parent = line.node.parent
    return parent.mem_id if parent is not None else None


def _title_text(titles: list[tuple[LexborNode, Side, int]], side: Side) -> str:
    return next((clean(n.text_content or "") for n, s, _ in titles if s == side), "")
