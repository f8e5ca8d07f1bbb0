"""Facts the page states in prose: which role earns more, each role's top skills, how long it
takes to become each, and the "What does a … do?" descriptions.

Sentences name roles in lower case, with an article and sometimes in the plural, and not
always in column order, so every role mention is matched to a side by its title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from schemas.records import Side
from scraper.values import TIME_RANGE, time_range_months

_ARTICLE = re.compile(r"(?:an?|the)\s+", re.IGNORECASE)
_BOUNDARY = frozenset(" \t\n,.;:!?)'\u2019")
_MONEY = r"\$\s*[\d,.]+\s*[kmb]?"
_HIGHER = re.compile(
    rf"\s+(?:has|have|earns?|makes?)\s+an\s+average(?:\s+annual)?\s+salary\s+of\s+{_MONEY},?"
    rf"\s+which\s+is\s+(?P<cmp>higher|more|greater|lower|less)\s+than\s+(?:the\s+)?{_MONEY}"
    r"\s+(?:average\s+)?(?:annual\s+)?salary\s+of\s+",
    re.IGNORECASE,
)
_SKILLS = re.compile(r"\bskills\s+(?:for|of)\s+", re.IGNORECASE)
_SKILLS_VERB = re.compile(
    r"\s*(?:include|includes|are|is)\s*:?\s+(?P<list>.+?)(?:\.(?=\s|$)|$)", re.IGNORECASE
)
_RANGE = TIME_RANGE.pattern
_TAKES_BOTH = re.compile(
    rf"\btakes\s+(?:about\s+|around\s+)?(?:{_RANGE})\s+to\s+become\s+both\b", re.IGNORECASE
)
_TAKES_TO_BECOME = re.compile(
    rf"\btakes\s+(?:about\s+|around\s+)?(?:{_RANGE})\s+to\s+become\s+", re.IGNORECASE
)
_BECOMING = re.compile(r"\bbecoming\s+", re.IGNORECASE)
_RANGE_AFTER = re.compile(rf"[^.]*?(?:{_RANGE})", re.IGNORECASE)
_WHAT_DOES = re.compile(r"^what\s+does\s+(?P<role>.+?)\s+do\s*\??$", re.IGNORECASE)
_LIST_SPLIT = re.compile(r"\s*,\s*")
KEYWORDS = re.compile(r"skills|takes|becoming|average salary", re.IGNORECASE)
"""Cheap test for a paragraph worth reading as intro."""


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

    def at_start(self, text: str, pos: int = 0) -> tuple[Side, int] | None:
        """The side whose title starts ``text`` at ``pos`` (after an article), and the end."""
        article = _ARTICLE.match(text, pos)
        starts = (article.end(), pos) if article else (pos,)
        for start in starts:
            for form, side in self._forms:
                end = start + len(form)
                if text[start:end].lower() == form and (end == len(text) or text[end] in _BOUNDARY):
                    return side, end
        return None

    def at_end(self, text: str) -> Side | None:
        """The side whose title ends ``text``."""
        text = text.rstrip()
        for form, side in self._forms:
            start = len(text) - len(form)
            if (
                start >= 0
                and text[start:].lower() == form
                and (start == 0 or text[start - 1] == " ")
            ):
                return side
        return None

    def exactly(self, text: str) -> Side | None:
        found = self.at_start(text)
        return found[0] if found and found[1] == len(text.rstrip(" ?.")) else None


def _forms(title: str) -> set[str]:
    key = " ".join(title.replace("\u2019", "'").split()).lower()
    forms = {key, key + "s", key + "es"}
    if key.endswith("y"):
        forms.add(key[:-1] + "ies")
    return forms


def description_role(heading: str) -> str | None:
    """The role named by a "What does a … do?" heading, None for any other heading."""
    match = _WHAT_DOES.match(heading)
    return match["role"] if match else None


def read_intro(paragraphs: Iterable[str], roles: Roles) -> IntroFacts:
    """The facts the intro sentences state; the first statement of each fact wins."""
    facts = IntroFacts()
    for text in paragraphs:
        text = text.replace("\u2019", "'")
        if facts.higher_paid is None:
            _read_higher_paid(text, roles, facts)
        _read_skills(text, roles, facts)
        _read_months(text, roles, facts)
    return facts


def _read_higher_paid(text: str, roles: Roles, facts: IntroFacts) -> None:
    match = _HIGHER.search(text)
    if not match:
        return
    earner = roles.at_end(text[: match.start()])
    other = roles.at_start(text, match.end())
    other_side = other[0] if other else None
    if earner is None and other_side is not None:
        earner = _other(other_side)
    if earner is None or earner == other_side:
        facts.problems.append(
            (match[0].strip(), "could not tell which role the salary comparison names")
        )
        return
    higher = match["cmp"].lower() in ("higher", "more", "greater")
    facts.higher_paid = earner if higher else _other(earner)


def _read_skills(text: str, roles: Roles, facts: IntroFacts) -> None:
    for match in _SKILLS.finditer(text):
        found = roles.at_start(text, match.end())
        listed = _SKILLS_VERB.match(text, found[1]) if found else None
        if found and listed:
            facts.top_skills.setdefault(found[0], split_list(listed["list"]))


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


def _read_months(text: str, roles: Roles, facts: IntroFacts) -> None:
    both = _TAKES_BOTH.search(text)
    if both:
        facts.months_to_become.setdefault("a", time_range_months(both))
        facts.months_to_become.setdefault("b", time_range_months(both))
        return
    for match in _TAKES_TO_BECOME.finditer(text):
        found = roles.at_start(text, match.end())
        if found:
            facts.months_to_become.setdefault(found[0], time_range_months(match))
        else:
            facts.problems.append((match[0], "could not tell which role this time span is for"))
    for match in _BECOMING.finditer(text):
        found = roles.at_start(text, match.end())
        after = _RANGE_AFTER.match(text, found[1]) if found else None
        if found and after:
            facts.months_to_become.setdefault(found[0], time_range_months(after))


def _other(side: Side) -> Side:
    return "b" if side == "a" else "a"
