"""Facts the page states in prose: which role earns more, each role's top skills, how long it
takes to become each, and the "What does a … do?" descriptions.

The page's headings also mark where the comparison grid's sections begin and end
(``section_headings``).

Sentences name roles in lower case, with an article and sometimes in the plural, and not
always in column order, so every role mention is matched to a side by its title.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from schemas.records import Side
from scraper.lines import TEXT
from scraper.roles import RoleNames
from scraper.tables import row_key, section_of
from scraper.values import TIME_RANGE, clean, time_range_months

_ARTICLES = ("a ", "an ", "the ")
_BOUNDARY = frozenset(" ,.;:!?)'")
_MONEY = r"\$ ?[\d,.]+ ?[kmb]?"
_HIGHER = re.compile(
    rf" (?:has|have|earns?|makes?) an average (?:annual )?salary of {_MONEY},? which is "
    rf"(?P<cmp>higher|more|greater|lower|less) than (?:the )?{_MONEY} (?:average )?(?:annual )?"
    "salary of "
)
_SKILLS_VERB = re.compile(r" ?(?:include|includes|are|is):? ")
_RANGE = TIME_RANGE.pattern
_TAKES = re.compile(rf"takes (?:about |around )?(?:{_RANGE}) to become (?P<both>both )?")
_RANGE_AFTER = re.compile(rf"[^.]*?(?:{_RANGE})")
_WHAT_DOES = re.compile(r"what does (?P<role>.+?) do ?\??", re.IGNORECASE)
_LIST_SPLIT = re.compile(r" ?, ?")
_TEXT_BLOCKS = "h1,h2,h3,h4,h5,h6,[role=heading],p"
_P, _H1 = (node.tag_id for node in LexborHTMLParser("<p></p><h1></h1>").css("p,h1"))


@dataclass
class IntroFacts:
    higher_paid: Side | None = None
    top_skills: dict[Side, list[str]] = field(default_factory=dict)
    months_to_become: dict[Side, tuple[float, float]] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    """``(raw, message)`` for sentences found but not understood."""


class Roles:
    """Matches role mentions in prose to sides by title, case-insensitively, with or without
    an article, singular or plural."""

    def __init__(self, title_a: str, title_b: str) -> None:
        forms: list[tuple[str, Side]] = [(form, "a") for form in _forms(title_a)]
        forms += [(form, "b") for form in _forms(title_b)]
        # Longest first, so "project manager" wins over "manager" when both titles fit.
        self._forms: list[tuple[str, Side]] = sorted(set(forms), key=lambda p: -len(p[0]))

    def at_start(self, low: str, pos: int = 0) -> tuple[Side, int] | None:
        """The side whose title starts lower-cased ``low`` at ``pos`` (after an article), and
        where the mention ends."""
        starts: tuple[int, ...] = (pos,)
        for article in _ARTICLES:
            if low.startswith(article, pos):
                starts = (pos + len(article), pos)
                break
        for start in starts:
            for form, side in self._forms:
                end = start + len(form)
                if low.startswith(form, start) and (end == len(low) or low[end] in _BOUNDARY):
                    return side, end
        return None

    def at_end(self, low: str, end: int) -> Side | None:
        """The side whose title ends lower-cased ``low[:end]``."""
        for form, side in self._forms:
            start = end - len(form)
            if low.startswith(form, start) and (start == 0 or low[start - 1] == " "):
                return side
        return None

    def exactly(self, text: str) -> Side | None:
        found = self.at_start(lowered(text))
        return found[0] if found and found[1] == len(text.rstrip(" ?.")) else None


def lowered(text: str) -> str:
    """``text`` lower-cased, curly apostrophes straightened, always the same length, so
    positions found in it hold in ``text``."""
    low = text.replace("\u2019", "'").lower()
    if len(low) != len(text):
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text.replace("\u2019", "'"))
    return low


def mentions_facts(text: str) -> bool:
    """Cheap test for a paragraph worth reading as intro (before its whitespace is
    collapsed, so no keyword ends in a space)."""
    low = text.lower()
    return "skills" in low or "takes" in low or "becoming" in low or "salary" in low


def _forms(title: str) -> set[str]:
    key = " ".join(lowered(title).split())
    forms = {key, key + "s", key + "es"}
    if key.endswith("y"):
        forms.add(key[:-1] + "ies")
    return forms


def description_role(heading: str) -> str | None:
    """The role named by a "What does a … do?" heading, None for any other heading."""
    match = _WHAT_DOES.fullmatch(heading) if heading[:9].lower() == "what does" else None
    return match["role"] if match else None


def read_intro(paragraphs: Iterable[str], roles: Roles) -> IntroFacts:
    """The facts the intro sentences (whitespace-collapsed) state; the first statement of
    each fact wins."""
    facts = IntroFacts()
    for text in paragraphs:
        low = lowered(text)
        if facts.higher_paid is None and "salary of " in low:
            _read_higher_paid(low, roles, facts)
        if "skills " in low:
            _read_skills(text, low, roles, facts)
        if "takes " in low or "becoming " in low:
            _read_months(low, roles, facts)
    return facts


def _read_higher_paid(low: str, roles: Roles, facts: IntroFacts) -> None:
    match = _HIGHER.search(low, max(0, low.find("salary of ") - 40))
    if not match:
        return
    earner = roles.at_end(low, match.start())
    other = roles.at_start(low, match.end())
    other_side = other[0] if other else None
    if earner is None and other_side is not None:
        earner = _other(other_side)
    if earner is None or earner == other_side:
        facts.problems.append(
            (match[0].strip(), "could not tell which role the salary comparison names")
        )
        return
    higher = match["cmp"] in ("higher", "more", "greater")
    facts.higher_paid = earner if higher else _other(earner)


def _read_skills(text: str, low: str, roles: Roles, facts: IntroFacts) -> None:
    at = low.find("skills ")
    while at >= 0:
        at += len("skills ")
        if low.startswith(("for ", "of "), at):
            found = roles.at_start(low, low.index(" ", at) + 1)
            verb = _SKILLS_VERB.match(low, found[1]) if found else None
            if found and verb:
                end = low.find(". ", verb.end())
                listed = text[verb.end() : end if end >= 0 else len(text)]
                facts.top_skills.setdefault(found[0], split_list(listed))
        at = low.find("skills ", at)


def split_list(text: str) -> list[str]:
    """``A, B and C`` / ``A, B, and C`` -> ``[A, B, C]`` (an item may contain "and" when the
    list uses commas)."""
    parts = [p for p in _LIST_SPLIT.split(text.strip().rstrip(".")) if p]
    if parts and parts[-1].lower().startswith("and "):
        parts[-1] = parts[-1][4:].lstrip()
    elif parts and len(parts) < 3 and " and " in parts[-1]:
        head, tail = parts[-1].rsplit(" and ", 1)
        parts[-1:] = [head.strip(), tail.strip()]
    return parts


def _read_months(low: str, roles: Roles, facts: IntroFacts) -> None:
    for match in _TAKES.finditer(low):
        if match["both"]:
            facts.months_to_become.setdefault("a", time_range_months(match))
            facts.months_to_become.setdefault("b", time_range_months(match))
            continue
        found = roles.at_start(low, match.end())
        if found:
            facts.months_to_become.setdefault(found[0], time_range_months(match))
        else:
            facts.problems.append((match[0], "could not tell which role this time span is for"))
    at = low.find("becoming ")
    while at >= 0:
        found = roles.at_start(low, at + len("becoming "))
        after = _RANGE_AFTER.match(low, found[1]) if found else None
        if found and after:
            facts.months_to_become.setdefault(found[0], time_range_months(after))
        at = low.find("becoming ", at + 1)


def _other(side: Side) -> Side:
    return "b" if side == "a" else "a"


class PageText:
    """The h1, ``<title>``, intro paragraphs and role descriptions, in document order: a
    "What does a … do?" heading owns the paragraph after it; paragraphs that state intro
    facts are kept for when the role titles are known. ``headings`` keeps every heading
    with its text, for the grid reader's sections: one scan of the page serves both."""

    def __init__(self, tree: LexborHTMLParser) -> None:
        node = tree.css_first("title")
        self.title = clean(node.text()) if node is not None else ""
        self.h1 = ""
        self.descriptions: list[tuple[str, str]] = []
        self.intro: list[str] = []
        self.headings: list[tuple[LexborNode, str]] = []
        described: str | None = None
        for node in tree.css(_TEXT_BLOCKS):
            tag_id = node.tag_id
            if tag_id == _P:
                raw = node.text_lexbor()
                if described is not None:
                    if paragraph := clean(raw):
                        self.descriptions.append((described, paragraph))
                        described = None
                elif mentions_facts(raw):
                    self.intro.append(clean(raw))
                continue
            heading = clean(node.text(separator=" "))
            self.headings.append((node, heading))
            described = description_role(heading)
            if tag_id == _H1 and not self.h1:
                self.h1 = heading

    def names(self) -> str:
        return " ".join(t for t in (self.title, self.h1) if t)


def section_headings(
    tree: LexborHTMLParser,
    names: RoleNames,
    headings: list[tuple[LexborNode, str]],
    labels: Container[str],
) -> tuple[list[tuple[str, LexborNode, int]], dict[int, int]]:
    """``(section, heading node, level)`` of each comparison section, in page order, and
    the level of every other heading that can end a section (``mem_id`` -> level): a
    heading that names a role (a role card's) ends none. A heading that is a row label
    (``labels``, keys by ``row_key``) introduces no section."""
    sections = []
    others: dict[int, int] = {}
    for node, text in headings:
        section = _section_of(text, labels)
        if section is not None:
            sections.append((section, node, _level(node)))
        elif names.side_of(text) is None:
            others[node.mem_id] = _level(node)
    if not sections:
        sections = _headings_by_text(tree, labels)
    return sections, others


def _section_of(text: str, labels: Container[str]) -> str | None:
    if not text or len(text) > 200 or row_key(text) in labels:
        return None
    return section_of(text)


def _headings_by_text(
    tree: LexborHTMLParser, labels: Container[str]
) -> list[tuple[str, LexborNode, int]]:
    """Section headings that are not heading elements: short texts that compare the two
    roles and end with a section's name ("X vs y salary")."""
    body = tree.body
    if body is None:
        return []
    found = []
    for node in body.traverse(include_text=True):
        if node.tag_id != TEXT:
            continue
        text = clean(node.text_content or "")
        if " vs " in text.lower() and (section := _section_of(text, labels)) is not None:
            parent = node.parent
            if parent is not None:
                found.append((section, parent, 2))
    return found


def _level(node: LexborNode) -> int:
    tag = node.tag or ""
    if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
        return int(tag[1])
    level = (node.attributes.get("aria-level") or "").strip()
    return int(level) if level.isascii() and level.isdigit() else 2
