"""What a section of the comparison grid is made of, found once and looked up by its reader
(``scraper.grid``): its label and title texts, the lines that hold them, the header lines
naming both roles, the role cards, and which header line a row's cells line up with."""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from schemas.records import Side
from scraper.lines import (
    Cell,
    Labels,
    Line,
    aligned,
    positioned,
    read_cells,
    role_cards,
    section_texts,
    style_of,
)
from scraper.readings import Grid
from scraper.roles import RoleNames


class Section:
    """One section: the nodes from its heading to the next heading of its level or above."""

    def __init__(
        self,
        section: str,
        names: RoleNames,
        grid: Grid,
        known: Labels,
        styled: set[int],
        placed: dict[int, str],
    ) -> None:
        self.section = section
        self.names = names
        self.grid = grid
        self.known = known
        self.styled = styled
        """Elements with an inline style (``mem_id``): only those can be positioned."""
        self.placed = placed
        """Elements a ``<style>`` rule positions through their class (``mem_id`` -> class)."""
        self.labels: list[tuple[LexborNode, str, int]] = []
        self.titles: list[tuple[LexborNode, Side, int]] = []
        self._lines: dict[int, Line] = {}
        self._rows_in: dict[int, tuple[LexborNode, int]] = {}
        """Parents of the metric rows read (``mem_id`` -> node, label position)."""
        self._rows_read: set[int] = set()
        self._titled: list[tuple[LexborNode, Side, int]] = []
        self._title_texts: list[tuple[str, Side]] = []
        """The texts of the role titles in this section, for values that carry one, longest
        first."""
        self._headers: list[Line] = []
        """Lines naming both roles, in page order."""
        self._earlier: list[Line] = []
        """Earlier sections' header lines, nearest first."""
        self._singles: list[tuple[Line, Side]] = []
        """Lines headed by one role's title."""
        self._card_nodes: dict[int, Side] | None = None
        self._label_holders: set[int] | None = None
        """Every element holding a label text (``mem_id``), found when first needed."""
        self._aligned: dict[tuple[int, int, int, int], tuple[Line, dict[int, Side]] | None] = {}
        """Rows of one parent, shape and label position, under the same nearest header,
        line up alike."""

    def collect(self, heading: LexborNode, stop_at: set[int]) -> None:
        """Label and title texts from ``heading`` up to the region's end."""
        self.labels, self.titles = section_texts(heading, stop_at, self.names, self.known)

    @property
    def _cards(self) -> dict[int, Side]:
        """The role cards (``mem_id`` -> side), found the first time a line needs them."""
        if self._card_nodes is None:
            headings = [
                (cell, side)
                for cell, side, order in self._titled
                if not self._holds_labels_beside(cell, order)
            ]
            self._card_nodes = role_cards(headings)
        return self._card_nodes

    def _holds_labels_beside(self, cell: LexborNode, order: int) -> bool:
        """Whether a title follows a row label in its line: then it is a value (a role named
        "Finance" shown as another role's industry), not a card's heading."""
        line = self._line(cell.parent, order)
        if line is None:
            return False
        at = next((i for i, c in enumerate(line.cells) if c.node.mem_id == cell.mem_id), None)
        return at is not None and any(c.key is not None for c in line.cells[:at])

    def _line(self, node: LexborNode | None, order: int) -> Line | None:
        if node is None:
            return None
        line = self._lines.get(node.mem_id)
        if line is None:
            line = Line(node, read_cells(node, self.names, self.known), order)
            self._lines[node.mem_id] = line
            if self.styled or self.placed:
                self._positioned(line)
        return line

    def _positioned(self, line: Line) -> None:
        for element in (line.node, *(c.node for c in line.cells)):
            if element.mem_id in self.placed:
                self.grid.positioned.append(f"{element.tag} .{self.placed[element.mem_id]}")
            elif element.mem_id in self.styled and positioned(element):
                self.grid.positioned.append(f"{element.tag} style={style_of(element)!r}")

    def _hold_labels(self, values: list[Cell]) -> bool:
        """Whether any of ``values`` is or holds a row label: then it is no value."""
        if self._label_holders is None:
            holders: set[int] = set()
            for node, _, _ in self.labels:
                parent = node.parent
                while parent is not None and parent.mem_id not in holders:
                    holders.add(parent.mem_id)
                    parent = parent.parent
            self._label_holders = holders
        return any(v.key is not None or v.node.mem_id in self._label_holders for v in values)

    def _header_for(
        self, line: Line, at: int, parent_id: int
    ) -> tuple[Line, dict[int, Side]] | None:
        """The header line ``line`` (whose parent is ``parent_id``)'s cells line up with, and
        which position is which role."""
        nearest = next((h for h in reversed(self._headers) if h.order <= line.order), None)
        key = (
            parent_id,
            len(line.cells),
            at,
            nearest.node.mem_id if nearest is not None else 0,
        )
        if key in self._aligned:
            return self._aligned[key]
        found = None
        for header in self._header_candidates(line):
            columns = aligned(header, line, at)
            if columns is not None:
                found = header, columns
                break
        self._aligned[key] = found
        return found

    def _header_candidates(self, line: Line) -> list[Line]:
        """The header lines ``line`` may line up with, nearest first: this section's before
        it, and earlier sections' when this one names no role (one grid, one header)."""
        candidates = [h for h in self._headers if h.order <= line.order][::-1]
        if not self._titled:
            candidates += self._earlier
        return candidates
