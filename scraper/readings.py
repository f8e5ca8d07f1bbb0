"""What the grid reader finds on a page: each value tied to a section, a label and a role
(``Reading``), the labels it could not tie (``Unaligned``), and the rest ``parse`` needs to
accept or refuse the page (``Grid``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from schemas.records import Side
from scraper.lines import Line


class Reading(NamedTuple):
    """One value of the grid: its section, the label as shown, the label's key, the side it
    belongs to and its raw text."""

    section: str
    label: str
    key: str
    side: Side
    raw: str


@dataclass
class Unaligned:
    """A label found whose values could not be tied to the roles."""

    section: str
    label: str
    key: str
    reason: str


@dataclass
class Grid:
    """What the grid reader found on a page."""

    readings: list[Reading] = field(default_factory=list)
    titles: dict[Side, str] = field(default_factory=dict)
    """Each role's title exactly as the grid shows it (its first use)."""
    sections: list[str] = field(default_factory=list)
    """Sections whose heading was found, in page order."""
    labels: dict[str, set[str]] = field(default_factory=dict)
    """Label keys found under each section's heading, tied to values or not."""
    unaligned: list[Unaligned] = field(default_factory=list)
    unknown: list[tuple[str, str, list[str]]] = field(default_factory=list)
    """``(section, label, values)`` of rows shaped like the metric rows read whose label
    is not a known one."""
    titled: set[str] = field(default_factory=set)
    """Sections whose grid names both roles, whatever its labels."""
    positioned: list[str] = field(default_factory=list)
    """Grid elements whose inline style moves them from where their DOM order puts them."""
    headers: list[Line] = field(default_factory=list, repr=False)
    """Header lines naming both roles, of every section read so far."""
