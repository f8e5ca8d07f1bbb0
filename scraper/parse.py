"""One comparison page's HTML -> a validated ``ComparisonRecord``. Pure: no network, no files.

The document is parsed once and read as one pass over its headings, paragraphs and tables
in document order: a table belongs to the section of the nearest heading before it, a
"What does a … do?" heading owns the paragraph after it, and paragraphs that state intro
facts are kept for when the role titles (from the tables' header rows) are known.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from schemas.records import ComparisonRecord, Side
from scraper.intro import Roles, description_role, mentions_facts, read_intro
from scraper.tables import ROWS, SECTIONS, Row, row_key, section_of
from scraper.urls import comparison_slugs, slugify
from scraper.values import clean

PARSER_VERSION = "1.0"
"""Bumped whenever the same HTML could parse to a different record."""

_BLOCKS = "h1,h2,h3,h4,h5,h6,p,table"
_SCRIPT_KEEP = 2048
"""Script bodies up to this many characters are parsed as they are: not worth a copy."""


def _tag_ids() -> dict[str, int]:
    """Lexbor's numeric ids of the tags the parser looks for: comparing ``node.tag_id`` costs
    a third of ``node.tag``, and a page has a few hundred nodes to compare."""
    probe = LexborHTMLParser(
        "<h1></h1><p></p><table><thead><tr><th></th></tr></thead>"
        "<tbody><tr><td></td></tr></tbody><tfoot></tfoot></table>"
    )
    return {str(node.tag): node.tag_id for node in probe.css("*")}


_IDS = _tag_ids()
_P, _TABLE, _H1, _TR = _IDS["p"], _IDS["table"], _IDS["h1"], _IDS["tr"]
_CELLS = frozenset({_IDS["td"], _IDS["th"]})
_ROW_GROUPS = frozenset({_IDS["thead"], _IDS["tbody"], _IDS["tfoot"]})


class ParseError(Exception):
    """A page that cannot give a trustworthy record. ``kind`` is one of ``truncated`` (the
    markup does not end with ``</html>``), ``no_tables`` (a comparison page without any of
    its four tables), ``not_a_comparison`` (a block page or any other kind of page)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def parse_page(html: str, url: str | None = None) -> ComparisonRecord:
    """The record ``html`` shows; ``url`` is where it came from (else its canonical link)."""
    if not html[-256:].rstrip().lower().endswith("</html>"):
        raise ParseError("truncated", "the document does not end with </html>")
    tree = LexborHTMLParser(_without_script_bodies(html))
    reader = _PageReader()
    for node in tree.css(_BLOCKS):
        reader.feed(node)
    if reader.roles is None:
        raise _not_found(tree, reader)
    return reader.record(_page_url(tree, url))


def _without_script_bodies(html: str) -> str:
    """``html`` less the bodies of its large ``<script>`` elements.

    A live page is mostly the JSON payload of one script (100-300 KB) that holds nothing
    the record needs; leaving it out before parsing saves most of the parse. Only a body
    without any ``<`` is left out: such a body is one run of text whatever the tokenizer's
    state, so the rest of the document parses exactly as before.
    """
    if len(html) < _SCRIPT_KEEP * 8:
        return html
    payload = _script_body_around(html, len(html) // 2)
    if payload is not None:
        body, end = payload
        return html[:body] + html[end:]
    parts: list[str] = []
    kept = 0
    start = html.find("<script")
    while start >= 0:
        body = html.find(">", start) + 1
        end = html.find("<", body) if body else -1
        if end < 0:
            break
        if end - body > _SCRIPT_KEEP and html.startswith("</script", end):
            parts.append(html[kept:body])
            kept = end
        start = html.find("<script", end)
    if not parts:
        return html
    parts.append(html[kept:])
    return "".join(parts)


def _script_body_around(html: str, middle: int) -> tuple[int, int] | None:
    """Where the body of the script that ``middle`` falls in starts and ends, when the scan
    in ``_without_script_bodies`` would leave that body out; else None.

    A live page's payload is most of its length, so the middle of the page is nearly always
    in it, and finding it from there takes two ``memchr``-like scans of the payload instead
    of a search for every ``<script`` in the markup around it. Leaving out only this body
    (and not another large script elsewhere) changes no field: each body left out is one
    the full scan leaves out too.
    """
    start = html.rfind("<", 0, middle)
    if start < 0 or not html.startswith("<script", start):
        return None
    body = html.find(">", start) + 1
    if body == 0 or body > middle:
        return None
    end = html.find("<", body)
    if end - body > _SCRIPT_KEEP and html.startswith("</script", end):
        return body, end
    return None


def _page_url(tree: LexborHTMLParser, url: str | None) -> tuple[str | None, tuple[str, str] | None]:
    """The page's URL and the role slugs it carries, from ``url`` or the canonical link."""
    slugs = comparison_slugs(url) if url else None
    if slugs is None:
        link = tree.css_first('link[rel="canonical"]')
        canonical = link.attributes.get("href") if link is not None else None
        if url is None:
            url = canonical
        if canonical:
            slugs = comparison_slugs(canonical)
    return url, slugs


def _not_found(tree: LexborHTMLParser, reader: _PageReader) -> ParseError:
    title = tree.css_first("title")
    names = " ".join(t for t in (title.text() if title else "", reader.h1) if t)
    found = (
        f"{reader.table_count} <table> element(s), "
        "none under a section heading with both role titles"
    )
    if " vs " in f" {names.lower()} ":
        return ParseError("no_tables", f"none of the {'/'.join(SECTIONS)} tables: {found}")
    return ParseError("not_a_comparison", f"not a comparison page ({names[:120]!r}): {found}")


def _rows(table: LexborNode) -> list[LexborNode]:
    """The table's own rows (not a nested table's), in order."""
    rows = []
    for child in table.iter():
        tag = child.tag_id
        if tag == _TR:
            rows.append(child)
        elif tag in _ROW_GROUPS:
            rows.extend(row for row in child.iter() if row.tag_id == _TR)
    return rows


def _cells(row: LexborNode) -> list[str]:
    return [cell.text_lexbor() for cell in row.iter() if cell.tag_id in _CELLS]


def _titles(header: list[str]) -> tuple[str, str] | None:
    cells = [clean(text) for text in header]
    if len(cells) >= 3 and cells[1] and cells[2]:
        return cells[1], cells[2]
    named = [text for text in cells if text]
    return (named[0], named[1]) if len(named) == 2 else None


class _PageReader:
    """Collects what the page's blocks say, in document order."""

    def __init__(self) -> None:
        self.roles: tuple[str, str] | None = None
        self.sides: dict[Side, dict[str, Any]] = {"a": {}, "b": {}}
        self.warnings: list[dict[str, Any]] = []
        self.found: list[str] = []
        self.table_count = 0
        self.h1 = ""
        self._heading = ""
        self._described: str | None = None
        self._descriptions: list[tuple[str, str]] = []
        self._intro: list[str] = []
        self._higher_paid: Side | None = None
        self._header: list[str] = []
        """The raw header row that named the roles: later tables with the same read as-is."""

    def warn(self, kind: str, message: str, **where: Any) -> None:
        self.warnings.append({"kind": kind, "message": message, **where})

    def feed(self, node: LexborNode) -> None:
        tag = node.tag_id
        if tag == _P:
            self._paragraph(node.text_lexbor())
        elif tag == _TABLE:
            self.table_count += 1
            self._described = None
            self._table(node)
        else:
            self._heading = clean(node.text_lexbor())
            self._described = description_role(self._heading)
            if tag == _H1 and not self.h1:
                self.h1 = self._heading

    def _paragraph(self, text: str) -> None:
        if self._described is not None:
            text = clean(text)
            if text:
                self._descriptions.append((self._described, text))
                self._described = None
        elif mentions_facts(text):
            self._intro.append(clean(text))

    def _table(self, node: LexborNode) -> None:
        section = section_of(self._heading)
        if section is None:
            return
        rows = _rows(node)
        header = _cells(rows[0]) if rows else []
        if header and header == self._header:
            columns: tuple[Side, Side] = ("a", "b")
        else:
            titles = _titles(header)
            if titles is None:
                self.warn(
                    "missing_section",
                    "a table under this heading has no role titles in its header row; skipped",
                    table=section,
                    raw=self._heading,
                )
                return
            columns = self._columns(titles, section)
            if self.roles == titles:
                self._header = header
        known = ROWS[section]
        sides = ((columns[0], self.sides[columns[0]]), (columns[1], self.sides[columns[1]]))
        (_, first), (_, second) = sides
        seen: set[str] = set()
        for tr in rows[1:]:
            cells = _cells(tr)
            key = row_key(cells[0]) if cells else ""
            if not key:
                continue
            seen.add(key)
            row = known.get(key)
            if row is None:
                self._unknown_row(section, cells)
                continue
            name = row.field
            if name is None or len(cells) < 3:
                self._row(section, sides, row, cells)
                continue
            try:
                value_a, value_b = row.convert(cells[1]), row.convert(cells[2])
            except ValueError:
                self._row(section, sides, row, cells)
                continue
            if value_a is not None:
                if name in first and first[name] != value_a:
                    self._conflict(section, sides[0][0], name, value_a, cells[0], cells[1])
                first[name] = value_a
            if value_b is not None:
                if name in second and second[name] != value_b:
                    self._conflict(section, sides[1][0], name, value_b, cells[0], cells[2])
                second[name] = value_b
        if len(seen) < len(known):
            for key in known:
                if key not in seen:
                    self.warn(
                        "missing_row",
                        f"the {section} table has no {key!r} row",
                        table=section,
                        row=key,
                    )
        self.found.append(section)

    def _row(
        self,
        section: str,
        sides: tuple[tuple[Side, dict[str, Any]], ...],
        row: Row,
        cells: list[str],
    ) -> None:
        """A known row's cells into its fields, side by side, warning about each value that
        does not parse (the general case of the loop in ``_table``)."""
        for (side, fields), raw in zip(sides, cells[1:3], strict=False):
            try:
                parsed = row.convert(raw)
            except ValueError as exc:
                self._unparsed(section, side, cells[0], raw, exc)
                continue
            if row.field is not None:
                values: Iterable[tuple[str, Any]] = ((row.field, parsed),)
            else:
                values = zip(row.fields, parsed, strict=True)
            for name, value in values:
                if value is not None:
                    if name in fields and fields[name] != value:
                        self._conflict(section, side, name, value, cells[0], raw)
                    fields[name] = value

    def _unknown_row(self, section: str, cells: list[str]) -> None:
        label = clean(cells[0])
        self.warn(
            "unknown_row",
            f"row {label!r} is not a known {section} row",
            table=section,
            row=label,
            raw=" | ".join(map(clean, cells[1:])),
        )

    def _unparsed(self, section: str, side: Side, label: str, raw: str, exc: ValueError) -> None:
        self.warn(
            "unparsed_value",
            str(exc),
            table=section,
            row=clean(label),
            side=side,
            raw=clean(raw),
        )

    def _columns(self, titles: tuple[str, str], section: str) -> tuple[Side, Side]:
        """Which side each value column is, by the header row's titles."""
        if self.roles is None:
            self.roles = titles
            return "a", "b"
        have = tuple(t.lower() for t in self.roles)
        got = tuple(t.lower() for t in titles)
        if got == have:
            return "a", "b"
        if got == have[::-1]:
            return "b", "a"
        self.warn(
            "conflict",
            f"header titles {titles} differ from {self.roles}; read by position",
            table=section,
            raw=" | ".join(titles),
        )
        return "a", "b"

    def _conflict(
        self, section: str, side: Side, name: str, value: Any, label: str, raw: str
    ) -> None:
        """A field an earlier table showed differently: the later value is kept (a null
        never replaces a value), with a warning."""
        self.warn(
            "conflict",
            f"{name} is {self.sides[side][name]!r} in an earlier table and {value!r} in the "
            f"{section} table; the later is kept",
            table=section,
            row=clean(label),
            side=side,
            raw=clean(raw),
        )

    def record(self, where: tuple[str | None, tuple[str, str] | None]) -> ComparisonRecord:
        assert self.roles is not None
        url, slugs = where
        title_a, title_b = self.roles
        roles = Roles(title_a, title_b)
        self._read_text(roles)
        for section in SECTIONS:
            if section not in self.found:
                self.warn(
                    "missing_section",
                    f"the page has no {section} table; its fields are null",
                    table=section,
                )
        slug_a, slug_b = slugs or (slugify(title_a), slugify(title_b))
        return ComparisonRecord.model_validate(
            {
                "url": url,
                "role_a": {"title": title_a, "slug": slug_a},
                "role_b": {"title": title_b, "slug": slug_b},
                "higher_paid": self._higher_paid,
                "parser_version": PARSER_VERSION,
                "sides": self.sides,
                "warnings": self.warnings,
            }
        )

    def _read_text(self, roles: Roles) -> None:
        for role, text in self._descriptions:
            described = roles.exactly(role)
            if described is None:
                self.warn(
                    "intro", f"'What does {role} do?' names neither role", table="page", raw=role
                )
            else:
                self.sides[described].setdefault("description", text)
        facts = read_intro(self._intro, roles)
        self._higher_paid = facts.higher_paid
        for raw, message in facts.problems:
            self.warn("intro", message, table="intro", raw=raw)
        side: Side
        for side in ("a", "b"):
            skills = facts.top_skills.get(side)
            if skills:
                self.sides[side]["top_skills"] = skills
            span = facts.months_to_become.get(side)
            if span:
                self.sides[side]["months_to_become"] = {"min": span[0], "max": span[1]}
        for fact, found in (
            ("top skills", facts.top_skills),
            ("time to become", facts.months_to_become),
        ):
            if len(found) == 1:
                side = "b" if "a" in found else "a"
                self.warn(
                    "intro", f"the intro gives {fact} for one role only", table="intro", side=side
                )
