"""Data-quality checks run at load time.

Each check yields ``Issue`` values; the loader writes them to ``parse_issues`` (kind
``dq_...``) and counts them on the run. A check is identified across runs by its
``(kind, check_key)``: the same failure on the previous run is *known*, not new.
Nothing here drops or alters data: a failing record is still loaded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from schemas.database import DISAGREE_TOLERANCE
from schemas.records import SCALAR_FIELDS, Side, SideRecord

SHARE_TOLERANCE = 1.5
"""Gender and race shares must sum to 100 within this many points."""
HOURS_PER_YEAR = 2080
HOURLY_TOLERANCE = 0.05
"""The hourly rate must be within 5% of yearly salary / 2080."""
NULL_JUMP = 0.25
"""A column whose share of nulls rises by more than this between runs is flagged."""
NULL_JUMP_MIN_SIDES = 20
"""Both runs need at least this many role figures loaded before null shares are compared."""


@dataclass(frozen=True)
class Issue:
    kind: str
    check_key: str
    message: str
    side: Side | None = None
    table: str | None = None
    row: str | None = None
    raw: str | None = None


def figures_of(side: SideRecord) -> dict[str, Any]:
    """A side's figures keyed by their column names (``FIGURE_COLUMNS``)."""
    figures = {name: getattr(side, name) for name in SCALAR_FIELDS}
    months = side.months_to_become
    figures["months_to_become_min"] = months.min if months else None
    figures["months_to_become_max"] = months.max if months else None
    return figures


def figures_differ(x: Any, y: Any) -> bool:
    """The rule of ``role_latest.disagrees``: numbers by more than 0.5%, text at all;
    an unknown (None) never disagrees."""
    if x is None or y is None:
        return False
    if isinstance(x, int | float) and isinstance(y, int | float):
        return abs(x - y) > DISAGREE_TOLERANCE * max(abs(x), abs(y))
    return bool(x != y)


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


StoredFigures = Callable[[str, str], "tuple[str, dict[str, Any]] | None"]
"""``(role_slug, page) -> (other page, figures)``: a role's latest stored figures on another
page, or None."""


class RoleAgreement:
    """Does a role show the same figures on every page of the run?

    A page the run did not reload (a 304, an unchanged body) still shows its stored figures,
    so the first time a load meets a role it compares with the role's latest stored figures
    on another page (``stored``): an incremental run and a full re-parse of the same pages
    then reach the same verdict. Holds one set of figures per role (bounded by the number
    of roles, not of pages) and reports each (role, column) disagreement once.
    """

    def __init__(self, stored: StoredFigures | None = None) -> None:
        self._first: dict[str, tuple[str, dict[str, Any]]] = {}
        self._reported: set[tuple[str, str]] = set()
        self._stored = stored

    def check(self, role_slug: str, figures: dict[str, Any], page: str) -> Iterator[Issue]:
        seen = self._first.get(role_slug)
        if seen is None:
            seen = self._stored(role_slug, page) if self._stored else None
            self._first[role_slug] = seen or (page, figures)
            if seen is None:
                return
        first_page, first = seen
        if first_page == page or first == figures:
            return
        for column, value in figures.items():
            if (role_slug, column) in self._reported or not figures_differ(first[column], value):
                continue
            self._reported.add((role_slug, column))
            yield Issue(
                "dq_role_disagrees",
                f"{role_slug}|{column}",
                f"{role_slug}: {column} is {first[column]!r} on {first_page} "
                f"but {value!r} on {page}",
                row=column,
                raw=f"{first[column]!r} vs {value!r}",
            )


def null_jumps(
    current: Mapping[str, tuple[int, int]], previous: Mapping[str, tuple[int, int]]
) -> Iterator[Issue]:
    """Columns whose share of nulls jumped since the previous run (a layout change).

    Both mappings are ``column -> (sides loaded, nulls)``.
    """
    for column, (sides, nulls) in current.items():
        before = previous.get(column)
        if before is None or sides < NULL_JUMP_MIN_SIDES or before[0] < NULL_JUMP_MIN_SIDES:
            continue
        share, share_before = nulls / sides, before[1] / before[0]
        if share - share_before > NULL_JUMP and not math.isclose(share, share_before):
            yield Issue(
                "dq_null_jump",
                column,
                f"{column} is null in {share:.0%} of role figures, "
                f"up from {share_before:.0%} on the previous run",
                row=column,
                raw=f"{nulls}/{sides} vs {before[1]}/{before[0]}",
            )
