"""The four comparison tables: which rows each carries and how a row's cells become fields.

A table is recognized by the heading above it ("… overview", "… salary", "… education",
"… demographics") and its rows by their label, never by markup or class names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from scraper import values
from scraper.values import clean

SECTIONS: tuple[str, ...] = ("overview", "salary", "education", "demographics")

Convert = Callable[[str], Any]


@dataclass(frozen=True)
class Row:
    """A known row: the side-record fields its cell fills and how its text becomes them.

    ``convert`` returns the field's value, or a tuple of values when the row fills several
    fields; it raises ``ValueError`` for a text that is not such a value.
    """

    fields: tuple[str, ...]
    convert: Convert
    field: str | None = dataclasses.field(init=False)
    """The one field a single-field row fills; None for a row that fills several."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "field", self.fields[0] if len(self.fields) == 1 else None)


def section_of(heading: str) -> str | None:
    """The section a heading introduces, by its last word; None for any other heading."""
    last = heading.rstrip(" .:!?").rpartition(" ")[2].lower()
    return last if last in ROWS else None


@lru_cache(maxsize=4096)
def row_key(label: str) -> str:
    """A row label compared case-, whitespace- and entity-insensitively (cached: the same
    few labels recur on every page)."""
    return clean(label).lower().rstrip(":").rstrip()


def _money_int(text: str) -> int | None:
    value = values.parse_money(text)
    return None if value is None else round(value)


def _number_int(text: str) -> int | None:
    value = values.parse_number(text)
    return None if value is None else round(value)


def _text(text: str) -> str | None:
    text = clean(text)
    return None if text.lower() in values.NULL_MARKERS else text


def _money_range(text: str) -> tuple[int | None, int | None]:
    pair = values.parse_money_range(text)
    return (None, None) if pair is None else (round(pair[0]), round(pair[1]))


def _labelled_pct(text: str) -> tuple[str | None, float | None]:
    pair = values.parse_labelled_pct(text)
    return (None, None) if pair is None else pair


def _gender(text: str) -> dict[str, float] | None:
    return values.parse_pct_list(text, lower=True)


_DEGREE = Row(("most_common_degree", "most_common_degree_pct"), _labelled_pct)
_AGE = Row(("average_age",), values.parse_years)

ROWS: dict[str, dict[str, Row]] = {
    "overview": {
        "yearly salary": Row(("yearly_salary_usd",), _money_int),
        "hourly rate": Row(("hourly_rate_usd",), values.parse_money),
        "growth rate": Row(("growth_rate_pct",), values.parse_percent),
        "number of jobs": Row(("number_of_jobs",), _number_int),
        "job satisfaction": Row(("job_satisfaction",), values.parse_rating),
        "most common degree": _DEGREE,
        "average age": _AGE,
        "years of experience": Row(("years_of_experience",), values.parse_years),
    },
    "salary": {
        "average salary": Row(("average_salary_usd",), _money_int),
        "salary range": Row(("salary_range_low_usd", "salary_range_high_usd"), _money_range),
        "highest paying city": Row(("highest_paying_city",), _text),
        "highest paying state": Row(("highest_paying_state",), _text),
        "best paying company": Row(("best_paying_company",), _text),
        "best paying industry": Row(("best_paying_industry",), _text),
    },
    "education": {
        "most common degree": _DEGREE,
        "most common major": Row(("most_common_major",), _text),
        "most common college": Row(("most_common_college",), _text),
    },
    "demographics": {
        "average age": _AGE,
        "gender ratio": Row(("gender_pct",), _gender),
        "race ratio": Row(("race_pct",), values.parse_pct_list),
        "lgbt percentage": Row(("lgbt_pct",), values.parse_percent),
    },
}
