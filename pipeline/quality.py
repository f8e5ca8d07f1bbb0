"""Data-quality checks run at load time that need more than the page: a role's figures
on other pages, and null shares against the previous run (the page's own checks are
``schemas.rows.side_checks``, run by the parse workers).

Each check yields ``Issue`` values; the loader writes them to ``parse_issues`` (kind
``dq_...``) and counts them on the run. A check is identified across runs by its
``(kind, check_key)``: the same failure on the previous run is *known*, not new.
Nothing here drops or alters data: a failing record is still loaded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from schemas.columns import FIGURE_COLUMNS
from schemas.rows import Issue
from schemas.views import DISAGREE_TOLERANCE

NULL_JUMP = 0.25
"""A column whose share of nulls rises by more than this between runs is flagged."""
NULL_JUMP_MIN_SIDES = 20
"""Both runs need at least this many role figures loaded before null shares are compared."""


def figures_differ(x: Any, y: Any) -> bool:
    """The rule of ``role_latest.disagrees``: numbers by more than 0.5%, text at all;
    an unknown (None) never disagrees."""
    if x is None or y is None:
        return False
    if isinstance(x, int | float) and isinstance(y, int | float):
        return abs(x - y) > DISAGREE_TOLERANCE * max(abs(x), abs(y))
    return bool(x != y)


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
        self._first: dict[str, tuple[str, tuple[Any, ...]]] = {}
        self._reported: set[tuple[str, str]] = set()
        self._stored = stored

    def check(self, role_slug: str, figures: Mapping[str, Any], page: str) -> Iterator[Issue]:
        """``figures`` holds a value for every one of ``FIGURE_COLUMNS`` (kept as a tuple in
        that order: a run holds one per role)."""
        values = tuple(figures[c] for c in FIGURE_COLUMNS)
        seen = self._first.get(role_slug)
        if seen is None:
            stored = self._stored(role_slug, page) if self._stored else None
            if stored is None:
                self._first[role_slug] = (page, values)
                return
            seen = stored[0], tuple(stored[1][c] for c in FIGURE_COLUMNS)
            self._first[role_slug] = seen
        first_page, first = seen
        if first_page == page or first == values:
            return
        for column, before, value in zip(FIGURE_COLUMNS, first, values, strict=True):
            if (role_slug, column) in self._reported or not figures_differ(before, value):
                continue
            self._reported.add((role_slug, column))
            yield Issue(
                "dq_role_disagrees",
                f"{role_slug}|{column}",
                f"{role_slug}: {column} is {before!r} on {first_page} but {value!r} on {page}",
                row=column,
                raw=f"{before!r} vs {value!r}",
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
