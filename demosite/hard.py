"""Hard cases: pages whose grid a parser must read exactly, or refuse, but never misread.

``generate_page(..., hard=NAME)`` renders one of them in any family:

- ``reversed``: the grids list the roles in the opposite order to the h1 and URL.
- ``third_column``: a third role, "All jobs" (a national average), at a seeded place
  among the two.
- ``missing_cell``: one cell (seeded, one that shows a value) is left out; the page's
  ``damaged_fields`` say what it no longer shows reliably (``families.damaged_fields``).
- ``repeated_label``: the overview repeats the "Average salary" row, and every related
  link carries an "Average salary" figure of its own (never one of the page's).

Only the markup changes: the record a page must parse to is the same as without.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from demosite.cells import LABEL_FIELDS, TABLE_ROWS
from schemas.records import SideRecord

HARD_CASES: tuple[str, ...] = ("reversed", "third_column", "missing_cell", "repeated_label")
THIRD_TITLE = "All jobs"


@dataclass(frozen=True)
class Hard:
    """A hard case's particulars, as the renderer needs them."""

    name: str | None = None
    #: (section, row label, "a" or "b"): the one cell left out
    missing: tuple[str, str, str] | None = None
    #: the "All jobs" role's figures and where the grids list it among the roles
    third: SideRecord | None = None
    third_at: int = 2
    #: where the overview repeats the "Average salary" row
    repeat_at: int = 0
    #: an "Average salary" figure beside each related link
    related_pay: tuple[int, ...] = ()


def _missing_cell(rng: random.Random, fa: SideRecord, fb: SideRecord) -> tuple[str, str, str]:
    """A (section, label, side) whose value is known, to leave out of the grid."""
    candidates = [
        (section, name, key)
        for section, names in TABLE_ROWS.items()
        for name in names
        for key, side in (("a", fa), ("b", fb))
        if all(getattr(side, f) is not None for f in LABEL_FIELDS[name])
    ]
    return rng.choice(candidates)


def _related_pay(others: list[int | None], fa: SideRecord, fb: SideRecord) -> tuple[int, ...]:
    """An "Average salary" per related link: the other role's, never one of the page's."""
    taken = {fa.average_salary_usd, fb.average_salary_usd}
    pays = []
    for pay in others:
        shown = pay or 50_000
        while shown in taken:
            shown += 1_000
        pays.append(shown)
    return tuple(pays)


def hard_case(
    name: str | None,
    rng: random.Random,
    fa: SideRecord,
    fb: SideRecord,
    *,
    national: SideRecord,
    related_pay: list[int | None],
) -> Hard:
    """Case ``name``'s particulars for a page showing ``fa`` and ``fb``: ``national`` is
    the "All jobs" figures, ``related_pay`` the related links' roles' average salaries."""
    if name is None:
        return Hard()
    if name not in HARD_CASES:
        raise KeyError(f"unknown hard case {name!r}; one of {HARD_CASES}")
    if name == "third_column":
        return Hard(name, third=national, third_at=rng.randrange(3))
    if name == "missing_cell":
        return Hard(name, missing=_missing_cell(rng, fa, fb))
    if name == "repeated_label":
        repeat_at = rng.randrange(len(TABLE_ROWS["overview"]) + 1)
        return Hard(name, repeat_at=repeat_at, related_pay=_related_pay(related_pay, fa, fb))
    return Hard(name)
