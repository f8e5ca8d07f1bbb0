"""A comparison record as the loader writes it: each role's figures in column order,
the hash that decides "changed", its long-format rows, and the issues one page can show
on its own (its parse warnings and the per-page data-quality checks).

``page_rows`` is pure and needs only the record and where it came from, so the parse
workers run it next to the parser and send these plain rows to the loader: the record
is validated once, when it is made, and the loader's process does no per-record work
but its SQL. The checks that need the database (a role's figures on other pages, null
shares against the previous run) are the loader's (``pipeline.quality``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from schemas.records import SCALAR_FIELDS, ComparisonRecord, Side, SideRecord

SIDES: tuple[Side, Side] = ("a", "b")
SHARE_TOLERANCE = 1.5
"""Gender and race shares must sum to 100 within this many points."""
HOURS_PER_YEAR = 2080
HOURLY_TOLERANCE = 0.05
"""The hourly rate must be within 5% of yearly salary / 2080."""


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem found on a page, as a ``parse_issues`` row. ``(kind, check_key)`` names it
    across runs: the same failure on the previous run is *known*, not new."""

    kind: str
    check_key: str
    message: str
    side: Side | None = None
    table: str | None = None
    row: str | None = None
    raw: str | None = None


@dataclass(frozen=True, slots=True)
class SideRows:
    """One role of one page."""

    which: Side
    role_slug: str
    figures: dict[str, Any]
    """``FIGURE_COLUMNS`` of ``role_observations``, in that order."""
    digest: str
    gender: tuple[tuple[str, float], ...]
    race: tuple[tuple[str, float], ...]
    skills: tuple[str, ...]
    checks: tuple[Issue, ...]


@dataclass(frozen=True, slots=True)
class PageRows:
    """One page: where it is, its two roles and what it showed."""

    url: str
    page_key: str
    canonical_url: str | None
    roles: tuple[tuple[str, str], tuple[str, str]]
    """``((slug, title) of role a, (slug, title) of role b)``."""
    higher_paid: str | None
    parser_version: str
    content: str
    """The hash of the whole page's content: equal means unchanged."""
    sides: tuple[SideRows, SideRows]
    warnings: tuple[Issue, ...]

    @property
    def pair(self) -> tuple[str, str]:
        return self.roles[0][0], self.roles[1][0]


def figures_of(side: SideRecord) -> dict[str, Any]:
    """A side's figures keyed by their column names (``FIGURE_COLUMNS``)."""
    figures = {name: getattr(side, name) for name in SCALAR_FIELDS}
    months = side.months_to_become
    figures["months_to_become_min"] = months.min if months else None
    figures["months_to_become_max"] = months.max if months else None
    return figures


def side_sha256(side: SideRecord, figures: dict[str, Any] | None = None) -> str:
    """Content hash of one role's figures on a page: what decides 'changed'. The payload
    is hashed by ``repr`` (floats print their shortest round-trip form, so equal values
    hash equal); it is only ever compared with itself."""
    payload = (
        list((figures or figures_of(side)).values()),
        sorted((side.gender_pct or {}).items()),
        sorted((side.race_pct or {}).items()),
        side.top_skills,
    )
    return hashlib.sha256(repr(payload).encode()).hexdigest()


def comparison_sha256(record: ComparisonRecord, sides: tuple[str, str]) -> str:
    payload = (record.role_a.title, record.role_b.title, record.higher_paid, *sides)
    return hashlib.sha256(repr(payload).encode()).hexdigest()


def _share_check(
    kind: str, shares: Mapping[str, float] | None, side: Side, page: str
) -> Iterator[Issue]:
    if not shares:
        return
    total = sum(shares.values())
    if abs(total - 100) > SHARE_TOLERANCE:
        field = "gender_pct" if kind == "dq_gender_sum" else "race_pct"
        yield Issue(
            kind,
            f"{page}|{side}|{field}",
            f"{field} sums to {total:g}, not 100 ± {SHARE_TOLERANCE:g}",
            side=side,
            table="demographics",
            row=field,
            raw=", ".join(f"{k}: {v:g}" for k, v in shares.items()),
        )


def side_checks(side: SideRecord, which: Side, page: str) -> Iterator[Issue]:
    """The per-page checks of one side: shares, salary range order, hourly vs yearly."""
    yield from _share_check("dq_gender_sum", side.gender_pct, which, page)
    yield from _share_check("dq_race_sum", side.race_pct, which, page)
    low, avg, high = side.salary_range_low_usd, side.average_salary_usd, side.salary_range_high_usd
    ordered = [v for v in (low, avg, high) if v is not None]
    if ordered != sorted(ordered):
        yield Issue(
            "dq_salary_range",
            f"{page}|{which}|salary_range",
            "salary range is not low <= average <= high",
            side=which,
            table="salary",
            row="salary_range",
            raw=f"low={low} average={avg} high={high}",
        )
    hourly, yearly = side.hourly_rate_usd, side.yearly_salary_usd
    if hourly is not None and yearly:
        expected = yearly / HOURS_PER_YEAR
        if abs(hourly - expected) > HOURLY_TOLERANCE * expected:
            yield Issue(
                "dq_hourly_rate",
                f"{page}|{which}|hourly_rate_usd",
                f"hourly rate {hourly:g} is not within {HOURLY_TOLERANCE:.0%} of "
                f"yearly / {HOURS_PER_YEAR} = {expected:.2f}",
                side=which,
                table="overview",
                row="hourly_rate_usd",
                raw=f"hourly={hourly:g} yearly={yearly}",
            )


def _side_rows(record: ComparisonRecord, which: Side, page: str) -> SideRows:
    side = record.side(which)
    figures = figures_of(side)
    return SideRows(
        which,
        record.role(which).slug,
        figures,
        side_sha256(side, figures),
        tuple((side.gender_pct or {}).items()),
        tuple((side.race_pct or {}).items()),
        tuple(side.top_skills),
        tuple(side_checks(side, which, page)),
    )


def _warnings(record: ComparisonRecord, page: str) -> tuple[Issue, ...]:
    return tuple(
        Issue(
            w.kind,
            f"{page}|{w.side}|{w.table}|{w.row}",
            w.message,
            side=w.side,
            table=w.table,
            row=w.row,
            raw=w.raw,
        )
        for w in record.warnings
    )


def page_rows(
    record: ComparisonRecord, url: str, page_key: str, canonical_url: str | None
) -> PageRows:
    """``record`` as rows; ``url``, ``page_key`` and ``canonical_url`` say where it is
    (``scraper.urls.record_place``)."""
    sides = (_side_rows(record, "a", page_key), _side_rows(record, "b", page_key))
    return PageRows(
        url,
        page_key,
        canonical_url,
        ((record.role_a.slug, record.role_a.title), (record.role_b.slug, record.role_b.title)),
        record.higher_paid,
        record.parser_version,
        comparison_sha256(record, (sides[0].digest, sides[1].digest)),
        sides,
        _warnings(record, page_key),
    )
