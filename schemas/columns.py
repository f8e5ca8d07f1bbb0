"""The names and types the schema and the code share: the run counters and fetch
outcomes, each figure column and its SQL type, and the timestamp format of every table."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.records import SCALAR_FIELDS

COUNTERS: tuple[str, ...] = (
    "discovered",
    "fetched",
    "not_modified",
    "unchanged",
    "changed",
    "new",
    "retried",
    "failed",
    "gone",
    "blocked",
    "robots_skipped",
    "deferred",
    "bytes",
    "rejected_urls",
    "rejected_sitemaps",
    "gone_held",
)
"""The crawl's counters, named the same in ``runs``, run reports, summaries and the report."""

LOAD_COUNTERS: tuple[str, ...] = ("records_written", "warnings", "dq_failures")

TRIED: tuple[str, ...] = (
    "new",
    "changed",
    "unchanged",
    "not_modified",
    "failed",
    "gone",
    "blocked",
)
"""Counters of pages the run asked the site for and got an answer about."""
OUTCOMES: tuple[str, ...] = (*TRIED, "deferred", "robots_skipped")
"""What one fetch-log row says happened to a page (``fetches.outcome``); each is a counter."""
FAILED: tuple[str, ...] = ("failed", "blocked")
"""Counters of pages that could not be had; their share of ``TRIED`` decides exit code 1."""


_SCALAR_TYPES = {
    "yearly_salary_usd": "INTEGER",
    "number_of_jobs": "INTEGER",
    "average_salary_usd": "INTEGER",
    "salary_range_low_usd": "INTEGER",
    "salary_range_high_usd": "INTEGER",
}


def scalar_type(name: str) -> str:
    if name in _SCALAR_TYPES:
        return _SCALAR_TYPES[name]
    if name.endswith(("_pct", "_usd", "_age", "_experience", "satisfaction")):
        return "REAL"
    return "TEXT"


FIGURE_COLUMNS: tuple[str, ...] = (*SCALAR_FIELDS, "months_to_become_min", "months_to_become_max")
"""A role's figures as typed columns, named the same in ``role_observations`` and every view."""


def utc_now() -> str:
    """The timestamp format of every table: ISO 8601 UTC with milliseconds and ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
