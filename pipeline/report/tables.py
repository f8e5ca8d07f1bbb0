"""The report's interactive tables: which columns each shows, and their rows as compact
JSON the page's small script renders (search, sort, pagination, filters).

A table's rows are an iterable made as they are read: from a query's cursor for the
tables that grow with the site (the fetch log, the run's issues), so the JSON is written
one row at a time (``tables_json``) and no table is ever held whole."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal
from urllib.parse import urlsplit

from pipeline.report.changes import Changes
from pipeline.report.queries import Row, issue_group
from pipeline.status import UnparsedPage
from schemas.columns import OUTCOMES
from scraper.urls import is_web_url

ColumnType = Literal["text", "usd", "usd2", "int", "num", "pct", "bytes", "url", "bool"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: ColumnType = "text"
    title: str = ""
    prefix: str = ""
    """For ``url`` columns: prepended to the link target, not shown (the page's origin)."""


@dataclass(frozen=True)
class Filter:
    """A choice in a table's filter menu: rows whose ``column`` equals ``value`` (or, with
    ``above``, exceeds it). ``key`` is what links on the page select it by."""

    key: str
    label: str
    column: str
    value: Any = None
    above: float | None = None


@dataclass
class Table:
    id: str
    columns: Sequence[Column]
    rows: Iterable[list[Any]]
    """Read once, when the page is written."""
    filters: Sequence[Filter] = ()
    sort: tuple[str, Literal["asc", "desc"]] | None = None
    page_size: int = 25
    caption: str = ""
    total: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def spec(self) -> dict[str, Any]:
        """What the page's script needs besides the rows."""
        return {
            "columns": [c.__dict__ for c in self.columns],
            "filters": [f.__dict__ for f in self.filters],
            "sort": list(self.sort) if self.sort else None,
            "pageSize": self.page_size,
        }


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def tables_json(tables: Iterable[Table], rows_per_piece: int = 500) -> Iterator[str]:
    """``{id: {columns, filters, sort, pageSize, rows}}`` of every table, as JSON text in
    pieces of ``rows_per_piece`` rows, encoded as they are read."""
    yield "{"
    for n, table in enumerate(tables):
        yield f'{"," if n else ""}{_json(table.id)}:{_json(table.spec())[:-1]},"rows":['
        rows = iter(table.rows)
        first = True
        while piece := list(islice(rows, rows_per_piece)):
            yield ("" if first else ",") + _json(piece)[1:-1]
            first = False
        yield "]}"
    yield "}"


def _table(table_id: str, columns: Sequence[Column], rows: Iterable[Row], **kw: Any) -> Table:
    return Table(table_id, columns, ([_cell(r, c) for c in columns] for r in rows), **kw)


def _cell(row: Row, column: Column) -> Any:
    """A row's value for ``column``; a ``url`` column's value only when the link it makes
    is ``http``/``https`` (a ``javascript:`` URL in the database is never a link)."""
    value = row.get(column.key)
    if column.type != "url" or value is None:
        return value
    return value if is_web_url(column.prefix + str(value)) else None


ROLE_COLUMNS: tuple[Column, ...] = (
    Column("title", "Role"),
    Column("yearly_salary_usd", "Yearly salary", "usd", "USD per year, overview table"),
    Column("hourly_rate_usd", "Hourly rate", "usd2", "USD per hour"),
    Column("average_salary_usd", "Average salary", "usd", "USD per year, salary table"),
    Column("salary_range_low_usd", "Range low", "usd", "USD per year"),
    Column("salary_range_high_usd", "Range high", "usd", "USD per year"),
    Column("growth_rate_pct", "Growth", "pct", "Job growth rate, %"),
    Column("number_of_jobs", "Jobs", "int"),
    Column("job_satisfaction", "Satisfaction", "num", "Job satisfaction"),
    Column("most_common_degree", "Degree"),
    Column("most_common_major", "Major"),
    Column("average_age", "Age", "num", "Average age, years"),
    Column("years_of_experience", "Experience", "num", "Years of experience"),
    Column("comparisons_seen", "Pages", "int", "Comparison pages the role was seen on"),
    Column("disagreeing_fields", "Pages disagree on", "text", "Figures its pages show differently"),
)


def role_table(roles: list[Row]) -> Table:
    return _table(
        "roles", ROLE_COLUMNS, roles, sort=("title", "asc"),
        caption=f"Latest figures of {len(roles):,} roles (the role_latest view).",
    )  # fmt: skip


def fetch_table(fetches: Iterable[Row], origin: str, count: int) -> Table:
    """The run's ``count`` fetches, URLs shortened by their common ``origin``."""
    columns = (
        Column("url", "Page" + (f" (on {origin})" if origin else ""), "url", prefix=origin),
        Column("outcome", "Outcome"),
        Column("status", "HTTP status", "int"),
        Column("attempts", "Attempts", "int"),
        Column("bytes", "Bytes", "bytes"),
        Column("elapsed_ms", "Time (ms)", "int"),
        Column("error", "Error"),
    )
    rows = (dict(f, url=f["url"][len(origin) :] if origin else f["url"]) for f in fetches)
    filters = [Filter(o, o.replace("_", " "), "outcome", o) for o in OUTCOMES]
    filters.append(Filter("retried", "retried (attempts > 1)", "attempts", above=1))
    return _table(
        "fetch-log", columns, rows, filters=filters,
        caption=f"Every page this run fetched or tried: {count:,} rows of fetches.",
    )  # fmt: skip


def common_origin(urls: Iterable[str]) -> str:
    """``scheme://host[:port]`` shared by every URL, else ``""``."""
    origins: set[str] = set()
    for url in urls:
        parts = urlsplit(url)
        origins.add(f"{parts.scheme}://{parts.netloc}" if parts.scheme else "")
        if len(origins) > 1:
            return ""
    return origins.pop() if origins else ""


def issue_table(issues: Iterable[Row], count: int) -> Table:
    """The run's ``count`` rows of ``parse_issues``."""
    columns = (
        Column("group", "Counted as"),
        Column("kind", "Kind"),
        Column("url", "Page", "url"),
        Column("table", "Table"),
        Column("row", "Row"),
        Column("side", "Side"),
        Column("raw", "Raw value"),
        Column("message", "Message"),
        Column("known", "Known", "bool", "Already failed on the previous run (not new)"),
    )
    rows = (
        dict(i, group=issue_group(i["kind"]).replace("_", " "), known=bool(i["known"]))
        for i in issues
    )
    filters = (
        Filter("warning", "parse warnings", "group", "warning"),
        Filter("dq_failure", "data-quality failures", "group", "dq failure"),
        Filter("parse_failure", "pages that did not parse", "group", "parse failure"),
    )
    return _table(
        "issues", columns, rows, filters=filters,
        caption=f"{count:,} rows of parse_issues recorded by this run.",
    )  # fmt: skip


def unparsed_table(pages: Sequence[UnparsedPage]) -> Table:
    """Pages whose latest stored body did not parse, whichever run fetched it."""
    columns = (
        Column("url", "Page", "url"),
        Column("kind", "Why it did not parse"),
        Column("message", "What the parser found"),
        Column("fetched_at", "Body fetched at"),
        Column("run_id", "In run"),
        Column("previous", "Previous figures", "bool", "role_latest still shows its figures"),
    )
    rows = [
        {
            "url": p.url,
            "kind": p.kind,
            "message": p.message,
            "fetched_at": p.fetched_at,
            "run_id": p.run_id,
            "previous": p.comparison_id is not None,
        }
        for p in pages
    ]
    kinds = sorted({str(p.kind) for p in pages})
    return _table(
        "unparsed", columns, rows, sort=("url", "asc"),
        filters=[Filter(k, k.replace("_", " "), "kind", k) for k in kinds],
        caption=f"{len(pages):,} pages whose latest stored body did not parse "
        "(the unparsed_pages view).",
    )  # fmt: skip


def change_tables(changes: Changes, limit: int) -> dict[str, Table]:
    """Changed figures (the ``limit`` largest relative changes first), new and vanished pages."""
    figures = sorted(
        changes.changed_figures,
        key=lambda r: (
            r["difference_pct"] is None,
            -abs(r["difference_pct"] or 0),
            r["role"],
            r["field"],
        ),
    )
    shown = figures[:limit]
    changed = _table(
        "changed-figures",
        (
            Column("role", "Role"),
            Column("page", "On the page"),
            Column("side", "Side"),
            Column("field", "Figure"),
            Column("old", "Previous value", "num"),
            Column("new", "New value", "num"),
            Column("difference", "Difference", "num"),
            Column("difference_pct", "Difference (%)", "pct"),
        ),
        shown,
        total=len(figures),
        caption=(
            f"{len(figures):,} figures changed on {changes.changed_pages:,} pages"
            + (
                f"; the {len(shown):,} largest relative changes are listed."
                if len(shown) < len(figures)
                else "."
            )
        ),
    )
    comparison_columns = (
        Column("a_title", "Role A"),
        Column("b_title", "Role B"),
        Column("url", "Page", "url"),
    )
    new = _table(
        "new-comparisons", comparison_columns, changes.new_comparisons[:limit],
        total=len(changes.new_comparisons),
        caption=f"{len(changes.new_comparisons):,} comparison pages first seen in this run.",
    )  # fmt: skip
    vanished_rows = [dict(r, why=f"answered {r.get('status')}") for r in changes.gone] + [
        dict(r, why="missing from the sitemaps of this complete run") for r in changes.missing
    ]
    vanished = _table(
        "disappeared", (*comparison_columns, Column("why", "Why")), vanished_rows[:limit],
        total=len(vanished_rows),
        caption=(
            f"{len(changes.gone):,} pages answered 404/410; {len(changes.missing):,} known pages "
            "were missing from this run's sitemaps."
        ),
    )  # fmt: skip
    return {t.id: t for t in (changed, new, vanished)}
