"""What the crawl state is made of, before it is written or as it is read back: frontier
items, fetch log records, what an earlier run knew of a URL, the 404 count of a run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schemas.columns import OUTCOMES

LOADABLE = ("new", "changed")


@dataclass(frozen=True)
class Known:
    """What an earlier run stored about a URL, for conditional requests and change checks."""

    etag: str | None
    last_modified: str | None
    content_sha256: str | None


@dataclass(frozen=True)
class FrontierItem:
    rowid: int
    page_key: str
    url: str
    depth: int
    known: Known | None = None


@dataclass
class FetchRecord:
    """One ``fetches`` row, before it is written."""

    outcome: str
    url: str
    status: int | None = None
    attempts: int = 0
    bytes: int = 0
    elapsed_ms: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_sha256: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")


@dataclass(frozen=True)
class GoneCount:
    """A run's 404/410 answers against the comparisons live at its start."""

    live: int
    """Pages with a stored body and no ``gone_at`` when the run started."""
    answered: int
    """Of those, how many answered 404/410 in this run."""
    unmarked: int
    """Pages (any) that answered 404/410 in this run and have no ``gone_at`` yet."""

    def held_back(self, max_fraction: float) -> bool:
        return self.answered > max_fraction * self.live


PageResult = tuple[FrontierItem, FetchRecord, dict[str, int], Iterable[str]]
"""One fetched page as ``record_many`` writes it: the frontier item, its fetch log row,
the counters it moves and the links found on it."""


@dataclass(frozen=True)
class FetchRef:
    """The fetch log row a page came from (absent for records read from JSON lines)."""

    fetch_id: int
    url: str
    fetched_at: str
    run_id: str
    warc_file: str | None = None
    warc_offset: int | None = None
