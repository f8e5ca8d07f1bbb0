"""One comparison page's HTML -> a validated ``ComparisonRecord``. Pure: no network, no files.

The page is parsed once. ``scraper.grid`` reads the comparison grid, in whatever markup,
into ``(section, label, side, value text)`` readings; this module names the two roles
(URL slugs, h1, ``<title>``), converts each reading by its row's type, reads the intro
sentences and the "What does a … do?" descriptions, and accepts the page only when every
figure is tied to one of the page's two roles and one known row label. Anything less is a
``ParseError``: a refused page is fine, a wrong value is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from schemas.errors import ParseError
from schemas.records import ComparisonRecord, Side
from scraper.grid import LABELS, read_grid
from scraper.intro import PageText, Roles, read_intro
from scraper.readings import Grid, Reading
from scraper.roles import RoleNames, role_names
from scraper.tables import ROWS, SECTIONS, row_key
from scraper.urls import comparison_slugs, slugify

PARSER_VERSION = "2.2"
"""Bumped whenever the same HTML could parse to a different record."""

MIN_LABELS = 6
"""Fewer known row labels tied to values than this, and the page is not trusted."""
MAX_FAILED_SHARE = 0.25
"""More than this share of the labels read failing their type on one side, and the page
is not trusted: the labels are probably tied to the wrong cells."""

_SCRIPT_KEEP = 2048
"""Script bodies up to this many characters are parsed as they are: not worth a copy."""


def parse_page(html: str, url: str | None = None) -> ComparisonRecord:
    """The record ``html`` shows; ``url`` is where it came from (else its canonical link)."""
    if not html[-256:].rstrip().lower().endswith("</html>"):
        raise ParseError("truncated", "the document does not end with </html>")
    tree = LexborHTMLParser(without_script_bodies(html))
    text = PageText(tree)
    url, slugs = _page_url(tree, url)
    names = role_names(slugs, text.h1, text.title)
    if names is None:
        raise ParseError("not_a_comparison", f"not a comparison page ({text.names()[:120]!r})")
    grid = read_grid(tree, names, text.headings)
    _check(grid, tree, names, text)
    return _Record(grid, text).build(url, slugs)


def without_script_bodies(html: str) -> str:
    """``html`` less the bodies of its large ``<script>`` elements.

    A live page is mostly the JSON payload of one script that holds nothing the record
    needs; leaving it out before parsing saves most of the parse. Only a body without any
    ``<`` is left out: such a body is one run of text whatever the tokenizer's state, so
    the rest of the document parses exactly as before.
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
    in ``without_script_bodies`` would leave that body out; else None.

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


def _check(grid: Grid, tree: LexborHTMLParser, names: RoleNames, text: PageText) -> None:
    """Refuse the page unless every figure read is tied to one role and one label."""
    found = sorted({key for keys in grid.labels.values() for key in keys})
    read = {r.key for r in grid.readings}
    if not grid.sections:
        loose = _labels_anywhere(tree)
        if len(loose) >= MIN_LABELS:
            raise _changed(
                f"{len(loose)} known row labels ({_some(sorted(loose))}) but no section "
                f"heading ending in {'/'.join(SECTIONS)}"
            )
        raise ParseError("no_tables", f"no {'/'.join(SECTIONS)} section: no comparison grid")
    if not found and not grid.titled:
        raise ParseError(
            "no_tables",
            f"{len(grid.sections)} section heading(s) ({', '.join(grid.sections)}) but no "
            "known row label under them: no comparison grid",
        )
    if grid.positioned:
        raise _changed(
            "the grid's layout depends on CSS positioning, which the parser does not read: "
            + "; ".join(grid.positioned[:3])
        )
    if not found:
        raise _changed(
            f"the {'/'.join(sorted(grid.titled))} grid names both roles but none of its row "
            "labels is a known one: the labels have changed"
        )
    if len(found) < MIN_LABELS:
        raise _changed(
            f"only {len(found)} known row label(s) under the section headings "
            f"({_some(found)}); at least {MIN_LABELS} are needed"
        )
    missing = [side for side in ("a", "b") if side not in {r.side for r in grid.readings}]
    if missing:
        raise _changed(
            f"{len(found)} known row labels ({_some(found)}) but no value tied to role "
            f"{' or '.join(missing)}: no grid cell names the roles as the h1 "
            f"({text.h1[:80]!r}), the <title> or the URL slugs do "
            f"({', '.join(sorted(names.a | names.b))})" + _why(grid)
        )
    for section in grid.sections:
        if grid.labels.get(section) and not any(r.section == section for r in grid.readings):
            raise _changed(f"the {section} grid cannot be oriented{_why(grid, section)}")
    if len(read) < MIN_LABELS:
        raise _changed(
            f"only {len(read)} known row label(s) tied to both roles ({_some(sorted(read))}); "
            f"at least {MIN_LABELS} are needed"
        )


def _why(grid: Grid, section: str | None = None) -> str:
    reasons = [u for u in grid.unaligned if section is None or u.section == section]
    if not reasons:
        return ""
    first = reasons[0]
    return f": {first.label!r} in {first.section}: {first.reason}"


def _some(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _changed(message: str) -> ParseError:
    return ParseError("markup_changed", message)


def _labels_anywhere(tree: LexborHTMLParser) -> set[str]:
    """Known row labels anywhere in the body (only for the refusal message)."""
    body = tree.body
    if body is None:
        return set()
    return {
        key
        for node in body.traverse(include_text=True)
        if node.is_text_node and (key := row_key(node.text_content or "")) in LABELS
    }


class _Record:
    """The record of a page whose grid passed ``_check``: readings converted by their
    row's type, then the intro's facts."""

    def __init__(self, grid: Grid, text: PageText) -> None:
        self.grid = grid
        self.text = text
        self.sides: dict[Side, dict[str, Any]] = {"a": {}, "b": {}}
        self.warnings: list[dict[str, Any]] = []

    def warn(self, kind: str, message: str, **where: Any) -> None:
        self.warnings.append({"kind": kind, "message": message, **where})

    def build(self, url: str | None, slugs: tuple[str, str] | None) -> ComparisonRecord:
        grid = self.grid
        self._convert(grid.readings)
        self._grid_warnings()
        title_a, title_b = grid.titles["a"], grid.titles["b"]
        higher_paid = self._read_text(Roles(title_a, title_b))
        slug_a, slug_b = slugs or (slugify(title_a), slugify(title_b))
        return ComparisonRecord.model_validate(
            {
                "url": url,
                "role_a": {"title": title_a, "slug": slug_a},
                "role_b": {"title": title_b, "slug": slug_b},
                "higher_paid": higher_paid,
                "parser_version": PARSER_VERSION,
                "sides": self.sides,
                "warnings": self.warnings,
            }
        )

    def _convert(self, readings: Iterable[Reading]) -> None:
        """Each reading into its fields; a value that does not fit its row's type is null
        with a warning, and too many of those on one side refuse the page."""
        failed: dict[Side, set[str]] = {"a": set(), "b": set()}
        keys: set[str] = set()
        for reading in readings:
            keys.add(reading.key)
            row = LABELS[reading.key]
            try:
                parsed = row.convert(reading.raw)
            except ValueError as exc:
                failed[reading.side].add(reading.key)
                self.warn(
                    "unparsed_value",
                    str(exc),
                    table=reading.section,
                    row=reading.label,
                    side=reading.side,
                    raw=reading.raw,
                )
                continue
            values = (
                ((row.field, parsed),)
                if row.field is not None
                else zip(row.fields, parsed, strict=True)
            )
            for name, value in values:
                if value is not None:
                    self._set(reading, name, value)
        for side, keys_failed in failed.items():
            if len(keys_failed) > MAX_FAILED_SHARE * len(keys):
                raise _changed(
                    f"{len(keys_failed)} of the {len(keys)} row labels read do not fit their "
                    f"type for role {side} ({_some(sorted(keys_failed))}): the labels are not "
                    "where their values are"
                )

    def _set(self, reading: Reading, name: str, value: Any) -> None:
        """A field shown twice for one role with two values (two grids that disagree, a
        header that ties the wrong cells) refuses the page: which is right is unknown."""
        fields = self.sides[reading.side]
        if name in fields and fields[name] != value:
            raise _changed(
                f"{name} of role {reading.side} is {fields[name]!r} in one place and {value!r} "
                f"in the {reading.section} grid ({reading.label!r}: {reading.raw!r})"
            )
        fields[name] = value

    def _grid_warnings(self) -> None:
        grid = self.grid
        read: dict[str, set[str]] = {}
        sides: dict[str, set[Side]] = {}
        for reading in grid.readings:
            read.setdefault(reading.section, set()).add(reading.key)
            sides.setdefault(reading.key, set()).add(reading.side)
        for item in grid.unaligned:
            if len(sides.get(item.key, ())) < 2:
                self.warn(
                    "unaligned_row",
                    f"row {item.label!r}: {item.reason}; its fields are null",
                    table=item.section,
                    row=item.label,
                )
        for section, label, raw in grid.unknown:
            self.warn(
                "unknown_row",
                f"row {label!r} is not a known {section} row",
                table=section,
                row=label,
                raw=" | ".join(raw),
            )
        for section in SECTIONS:
            if section not in read:
                self.warn(
                    "missing_section",
                    f"the page has no {section} table; its fields are null",
                    table=section,
                )
                continue
            shown = grid.labels.get(section, set())
            for key in ROWS[section]:
                if key not in read[section] and key not in shown:
                    self.warn(
                        "missing_row",
                        f"the {section} table has no {key!r} row",
                        table=section,
                        row=key,
                    )

    def _read_text(self, roles: Roles) -> Side | None:
        """The descriptions and the intro's facts; returns the higher-paid side."""
        for role, text in self.text.descriptions:
            described = roles.exactly(role)
            if described is None:
                self.warn(
                    "intro", f"'What does {role} do?' names neither role", table="page", raw=role
                )
            else:
                self.sides[described].setdefault("description", text)
        facts = read_intro(self.text.intro, roles)
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
        return facts.higher_paid
