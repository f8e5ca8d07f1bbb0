"""Parsers for the values a comparison page shows in its cells and sentences.

Each takes the cell's text (entities already decoded) and returns the typed value, or
``None`` when the cell is a null marker (``-``, ``N/A``, empty). A text that is neither
a value nor a null marker raises ``ValueError``, so the caller can tell "unknown" from
"did not parse" and warn about the latter.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from scraper.text import visible

NULL_MARKERS = frozenset({"", "-", "--", "\u2013", "\u2014", "\u2212", "n/a", "na", "none"})

_SUFFIX = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\xa0": " "})
_NUMBER = r"[+-]?\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\s*\.\d+"
_MONEY = re.compile(rf"^(?P<neg>-)?\s*\$?\s*(?P<num>{_NUMBER})\s*(?P<suffix>[kmb])?$")
_PLAIN = re.compile(rf"^(?P<num>{_NUMBER})\s*(?P<suffix>[kmb])?$")
_PERCENT = re.compile(rf"^(?P<num>{_NUMBER})\s*%?$")
_YEARS = re.compile(rf"^(?P<num>{_NUMBER})\s*(?:years?|yrs?\.?)?$")
_RATING = re.compile(rf"^(?P<num>{_NUMBER})\s*(?:/\s*5|out of 5|stars?)?$")
_RANGE = re.compile(
    r"^(?:between\s+)?(?P<lo>[^\s].*?)\s*(?:\band\b|\bto\b|-)\s*(?P<hi>\$?\s*[\d.,]+\s*[kmb]?)$"
)
_SHARE = re.compile(
    r"(?=[(.\d])(?P<open>\(\s*)?(?<![\w.])(?P<num>\d+(?:\.\d+)?|\.\d+)\s*%(?(open)\s*\))"
)
"""A percentage of a labelled share: ``56%``, ``56 %``, ``(56%)``; never part of a word
or of a longer number. (The lookahead names the characters a share can start with, which
spares the engine the rest of the pattern everywhere else.)"""
_PART_EDGES = " ,;:|/\u2013\u2014\u00b7\u2022-"
"""What may separate a label from its percentage or one pair from the next."""
_JOINED = re.compile(r"(?i)^(?:and|&)(?:\s+|$)|\s+(?:and|&)$")
"""``and`` or ``&`` between pairs (``Male 50.2% and Female 49.8%``)."""
_NOT_ONE_LABEL = re.compile(r"%|[,;:|]|\s[-\u2013\u2014]\s|(?<!\S)[+-]?\d+(?:[.,]\d+)*(?!\S)")
"""What no single label holds: a percent sign, a separator (two labels, one of them
without its share) or a bare number."""
_SIGNS = ("+", "-", "\u2212")
_UNIT_MONTHS = {"year": 12, "years": 12, "month": 1, "months": 1}
_TIME_RANGE = re.compile(
    r"(?P<less>less than\s+|under\s+)?(?P<lo>\d+(?:\.\d+)?)"
    r"(?:\s*(?:-|to)\s*(?P<hi>\d+(?:\.\d+)?))?\s*(?P<unit>years?|months?)\b"
)


def clean(text: str) -> str:
    """Whitespace (including non-breaking spaces) collapsed to single spaces, ends stripped,
    invisible characters (bidi controls, zero-width spaces: ``scraper.text``) dropped."""
    return " ".join((text if text.isascii() else visible(text)).split())


def _normalized(text: str) -> str | None:
    """Lower-case, dash-normalized text, or None for a null marker."""
    if text in NULL_MARKERS:
        return None
    text = clean(text.translate(_MINUS)).lower()
    return None if text in NULL_MARKERS else text


def _number(num: str, suffix: str | None = None) -> float:
    digits = num.replace(",", "").replace(" ", "")
    multiplier = _SUFFIX[suffix or ""]
    if multiplier == 1:
        return float(digits)
    try:
        return float(Decimal(digits) * multiplier)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
        raise ValueError(num) from exc


def _fail(kind: str, text: str) -> ValueError:
    return ValueError(f"not {kind}: {text!r}")


def parse_money(text: str) -> float | None:
    """``$69,350`` -> 69350.0; ``$69.3K`` -> 69300.0; ``$1.2M`` -> 1200000.0."""
    norm = _normalized(text)
    if norm is None:
        return None
    match = _MONEY.match(norm)
    if not match:
        raise _fail("an amount of money", text)
    value = _number(match["num"], match["suffix"])
    return -value if match["neg"] else value


def parse_number(text: str) -> float | None:
    """A plain number, commas allowed (``249,856``), optionally with a ``K``/``M``/``B`` suffix."""
    norm = _normalized(text)
    if norm is None:
        return None
    match = _PLAIN.match(norm)
    if not match:
        raise _fail("a number", text)
    return _number(match["num"], match["suffix"])


def parse_percent(text: str) -> float | None:
    """``6%`` -> 6.0, ``-2.5%`` -> -2.5 (a bare number is taken as a percentage too)."""
    norm = _normalized(text)
    if norm is None:
        return None
    match = _PERCENT.match(norm)
    if not match:
        raise _fail("a percentage", text)
    return _number(match["num"])


def parse_years(text: str) -> float | None:
    """``44`` or ``6 years`` -> the number of years."""
    norm = _normalized(text)
    if norm is None:
        return None
    match = _YEARS.match(norm)
    if not match:
        raise _fail("a number of years", text)
    return _number(match["num"])


def parse_rating(text: str) -> float | None:
    """A satisfaction score: ``3.5``, ``3.5/5``, ``3.5 out of 5``."""
    norm = _normalized(text)
    if norm is None:
        return None
    match = _RATING.match(norm)
    if not match:
        raise _fail("a rating", text)
    return _number(match["num"])


def parse_money_range(text: str) -> tuple[float, float] | None:
    """``Between $48,000 And $98,000`` (or ``$48K - $98K``, ``$48,000 to $98,000``) ->
    ``(48000.0, 98000.0)``."""
    norm = _normalized(text)
    if norm is None:
        return None
    match = _RANGE.match(norm)
    if not match:
        raise _fail("a salary range", text)
    low, high = parse_money(match["lo"]), parse_money(match["hi"])
    if low is None or high is None:
        raise _fail("a salary range", text)
    return low, high


def parse_labelled_pct(text: str) -> tuple[str, float | None] | None:
    """A label and its share, whatever separates them: ``Bachelor's Degree, 56%``,
    ``Bachelor's Degree 56%``, ``…: 56%``, ``… (56%)``, ``… - 56%``, ``56% Bachelor's
    Degree`` -> ``("Bachelor's Degree", 56.0)``. A label alone gives ``(label, None)``.
    Raises ``ValueError`` for a share without a label, more than one share, a share
    above 100% or a label holding a number."""
    text = clean(text)
    if text.lower() in NULL_MARKERS:
        return None
    pairs = _share_pairs(text)
    if pairs is None:
        return _label(text, text), None
    if len(pairs) != 1:
        raise _fail("a label with one percentage", text)
    return pairs[0]


def parse_pct_list(text: str, lower: bool = False) -> dict[str, float] | None:
    """A run of labelled shares -> ``{label: N}`` in page order, labels as the page spells
    them (lower-cased when ``lower``). Either every label comes before its share
    (``Male, 50.2% Female, 49.8%``, ``Male 50.2% Female 49.8%``, ``Male: 50.2%; Female:
    49.8%``, ``Male (50.2%) Female (49.8%)``, ``Male 50.2% | Female 49.8%``) or every
    share before its label (``50.2% Male 49.8% Female``); what separates the pairs is
    anything the cell's markup left (``<div>``, ``<br>``, ``<li>``, spans: spaces),
    commas, semicolons, bars or nothing.

    Raises ``ValueError`` rather than guess: a share without a label or a label without
    a share (``50.2% 49.8%``, ``Male 50.2% Female``, ``Male, 50.2% Other, Female, 49.8%``),
    a label given two different shares, a share above 100%, shares adding up to more
    than 100.5%, a label holding a number (``Male 50.2 Female 49.8%``). A label left
    without its share between two spaces-only pairs (``A 50% B C 30%``) cannot be told
    from a label of several words and reads as one label ``B C``."""
    text = clean(text)
    if text.lower() in NULL_MARKERS:
        return None
    pairs = _share_pairs(text)
    if not pairs:
        raise _fail("a list of labelled percentages", text)
    result: dict[str, float] = {}
    for label, pct in pairs:
        key = label.lower() if lower else label
        if result.get(key, pct) != pct:
            raise _fail("a list of labelled percentages, each label once", text)
        result[key] = pct
    if sum(result.values()) > 100.5:
        raise _fail("a list of shares of at most 100%", text)
    return result


def _share_pairs(text: str) -> list[tuple[str, float]] | None:
    """``(label, pct)`` pairs of a cleaned text of labelled shares, each label on the side
    of its share that the text starts with; None when the text has no share. Raises
    ``ValueError`` for anything that cannot be paired one label to one share."""
    parts = _SHARE.split(text)  # gap, "(" or None, number, gap, …, gap
    if len(parts) == 1:
        if "%" in text:
            raise _fail("labelled percentages", text)
        return None
    gaps, opens, numbers = parts[::3], parts[1::3], parts[2::3]
    share_first = not gaps[0].strip(_PART_EDGES)
    labels, extra = (gaps[1:], gaps[0]) if share_first else (gaps[:-1], gaps[-1])
    if extra.strip(_PART_EDGES):
        raise _fail("labelled percentages, a label to each", text)
    pairs = []
    for before, opened, number, gap in zip(gaps[:-1], opens, numbers, labels, strict=True):
        pct = float(number)
        if (opened is None and before.endswith(_SIGNS)) or pct > 100:
            raise _fail("percentages of a share (0-100)", text)
        pairs.append((_label(gap.strip(_PART_EDGES), text, share_first), pct))
    return pairs


_LABEL_WORDS = 8
"""A label longer than this is a sentence ("56% of the workers in this role hold …")."""
_SENTENCE_WORDS = frozenset({"of", "in", "for", "with", "are", "is", "hold", "have", "had"})
"""Words a sentence about a share starts with after the number; no label does."""


def _label(gap: str, text: str, after_share: bool = False) -> str:
    """The label in ``gap`` (``and`` around it dropped), checked to be one label; after
    its share, not the rest of a sentence ("56% of workers …")."""
    label = _JOINED.sub("", gap).strip(_PART_EDGES)
    words = label.split()
    if (
        not any(c.isalpha() for c in label)
        or _NOT_ONE_LABEL.search(label)
        or len(words) > _LABEL_WORDS
        or (after_share and words[0] in _SENTENCE_WORDS)
    ):
        raise _fail("labelled percentages, one label to each", text)
    return label


def parse_time_range(text: str) -> tuple[float, float] | None:
    """The first span of time in ``text`` as ``(min, max)`` months: ``4-6 years`` ->
    ``(48, 72)``, ``1-3 months`` -> ``(1, 3)``, ``2 years`` -> ``(24, 24)``,
    ``less than 1 year`` -> ``(0, 12)``. None when the text names no span of time."""
    match = _TIME_RANGE.search(clean(text.translate(_MINUS)).lower())
    if not match:
        return None
    return time_range_months(match)


def time_range_months(match: re.Match[str]) -> tuple[float, float]:
    """``(min, max)`` months from a match of ``TIME_RANGE`` (also when compiled ignoring case)."""
    per = _UNIT_MONTHS[match["unit"].lower()]
    low = float(match["lo"]) * per
    high = float(match["hi"]) * per if match["hi"] else low
    if match["less"]:
        return 0.0, low
    return low, high


TIME_RANGE = _TIME_RANGE
"""The pattern ``parse_time_range`` looks for, for callers that need its position."""
