"""Write the report: gather the data, build charts and tables, render the Jinja2 template
into one self-contained ``index.html`` (plotly.js inlined once; no network needed).

The page is streamed to its file piece by piece as the template renders; plotly.js is
copied in as the bytes plotly ships, and the tables' rows are packed as they are read from
the database, so neither the page, nor plotly.js, nor a table is ever held whole. The
report reads one snapshot of the database, from the first query to the last row
written."""

from __future__ import annotations

import base64
import json
import pkgutil
import re
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from pipeline.report import changes, charts, queries, tables
from pipeline.status import kind_counts, unparsed_pages
from schemas.columns import COUNTERS, LOAD_COUNTERS
from schemas.database import SCHEMA_VERSION, user_version
from schemas.errors import ReportError
from store.db import replacing

PACKAGE_DIR = Path(__file__).resolve().parent.parent
MOST_SEEN_ROLES = 20
CHANGE_ROWS = 2000
"""At most this many rows in each change table (the total is always stated)."""
PLOTLY_JS = "\x00plotly.min.js\x00"
"""Where the page gets plotly.js: ``render`` yields the file's bytes in its place."""
TABLES_JSON = "\x00tables.json\x00"
"""Where the page gets its tables: ``render`` yields them, packed, in its place."""
_MARKER = re.compile("(\x00[a-z.]+\x00)")
PACK_BYTES = 48 * 1024
"""Compressed bytes gathered before they are base64-encoded and written."""


@dataclass(frozen=True)
class Counter:
    name: str
    value: int
    target: str
    filter: str | None
    description: str


_COUNTER_TARGETS: dict[str, tuple[str, str | None, str]] = {
    "discovered": ("discovery", None, "URLs this run found to fetch (sitemaps, seeds, links)"),
    "fetched": ("fetch-log", None, "Requests that got an answer"),
    "not_modified": ("fetch-log", "not_modified", "Answered 304 Not Modified"),
    "unchanged": ("fetch-log", "unchanged", "Fetched, same content hash as before"),
    "changed": ("fetch-log", "changed", "Fetched, content changed since the last fetch"),
    "new": ("fetch-log", "new", "Fetched for the first time"),
    "retried": ("fetch-log", "retried", "Needed more than one attempt"),
    "failed": ("fetch-log", "failed", "Could not be fetched after retries"),
    "gone": ("fetch-log", "gone", "Answered 404 or 410"),
    "blocked": ("fetch-log", "blocked", "A block or captcha page instead of data"),
    "robots_skipped": ("fetch-log", "robots_skipped", "Disallowed by robots.txt, not requested"),
    "deferred": ("fetch-log", "deferred", "Left for a later run (long Retry-After)"),
    "bytes": ("fetch-log", None, "Bytes of page bodies received"),
    "rejected_urls": ("discovery", None, "Not http/https on an allowed host: dropped, not fetched"),
    "rejected_sitemaps": ("discovery", None, "Sitemaps refused: not XML, or declaring a DOCTYPE"),
    "gone_held": ("fetch-log", None, "Answered 404/410 but not marked gone: too many at once"),
    "records_written": ("changes", None, "Role observations written to the database"),
    "warnings": ("issues", "warning", "Parse warnings recorded in parse_issues"),
    "dq_failures": ("issues", "dq_failure", "Data-quality checks that failed"),
}


def counters(run: dict[str, Any]) -> list[Counter]:
    values = queries.run_counters(run)
    return [
        Counter(name, values[name], *_COUNTER_TARGETS[name]) for name in COUNTERS + LOAD_COUNTERS
    ]


def packed(pieces: Iterable[str]) -> Iterator[bytes]:
    """The text of ``pieces``, gzipped and base64-encoded as it comes: the tables' rows
    (tens of thousands of URLs repeating the same slugs) compress well; the page inflates
    them with the browser's built-in ``DecompressionStream``."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # a gzip member
    held = bytearray()
    for piece in pieces:
        held += deflate.compress(piece.encode("utf-8"))
        if len(held) >= PACK_BYTES:
            cut = len(held) - len(held) % 3
            yield base64.b64encode(held[:cut])
            del held[:cut]
    held += deflate.flush()
    yield base64.b64encode(held)


def json_script(value: Any) -> str:
    """JSON safe to place inside ``<script type="application/json">``."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["json_script"] = lambda v: markupsafe.Markup(json_script(v))
    env.filters["thousands"] = lambda v: "" if v is None else f"{v:,}"
    return env


@cache
def _static(name: str) -> str:
    return (PACKAGE_DIR / "static" / name).read_text(encoding="utf-8")


@cache
def _plotly_template() -> dict[str, Any]:
    import plotly.io as pio

    template: dict[str, Any] = pio.templates["plotly_white"].to_plotly_json()
    return template


def open_database(db_path: Path) -> sqlite3.Connection:
    """Read-only: the report writes nothing outside its own directory."""
    if not Path(db_path).is_file():
        raise ReportError(f"no database at {db_path}")
    conn = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True, timeout=30)
    found = user_version(conn)
    if found != SCHEMA_VERSION:
        conn.close()
        raise ReportError(
            f"{db_path} has schema version {found}, this report reads version "
            f"{SCHEMA_VERSION}; run `careers load` to bring it up to date"
        )
    return conn


def gather(conn: sqlite3.Connection, run_id: str | None) -> dict[str, Any]:
    """Everything the template shows, from the database alone; the tables' rows are read
    as the page is written, on ``conn``."""
    try:
        run = queries.pick_run(conn, run_id)
    except KeyError as exc:
        raise ReportError(exc.args[0]) from None
    previous = queries.previous_run(conn, run) if run else None
    roles = queries.role_latest(conn)

    most_seen = sorted(roles, key=lambda r: (-r["comparisons_seen"], r["title"]))
    most_seen = most_seen[:MOST_SEEN_ROLES]
    obs_ids = {r["role_slug"]: r["observation_id"] for r in most_seen}
    people: dict[str, dict[str, dict[str, float | None]]] = {}
    for table in ("role_gender", "role_race"):
        by_obs = queries.composition(conn, table, obs_ids.values())
        people[table] = {slug: by_obs.get(oid, {}) for slug, oid in obs_ids.items()}

    sections = {
        "salaries": [
            charts.salary_distribution(roles),
            charts.hourly_vs_yearly(roles),
            charts.salary_ranges(roles),
        ],
        "comparisons": charts.comparison_charts(queries.comparison_latest(conn)),
        "people": [
            charts.composition(
                "gender", "Gender of workers in the most-seen roles", "gender",
                most_seen, people["role_gender"],
            ),
            charts.composition(
                "race", "Race and ethnicity of workers in the most-seen roles",
                "race and ethnicity", most_seen, people["role_race"],
            ),
            charts.age_distribution(roles),
            charts.experience_distribution(roles),
        ],
        "education": [
            charts.most_common("degrees", roles, "most_common_degree", "degree"),
            charts.most_common("majors", roles, "most_common_major", "major"),
            charts.most_common("colleges", roles, "most_common_college", "college"),
        ],
    }  # fmt: skip

    data_tables: dict[str, tables.Table] = {"roles": tables.role_table(roles)}
    unparsed = unparsed_pages(conn)  # the one reading status and the run report share
    if unparsed:
        data_tables["unparsed"] = tables.unparsed_table(unparsed)
    context: dict[str, Any] = {
        "unparsed": unparsed,
        "unparsed_kinds": kind_counts(unparsed),
        "run": run,
        "previous": previous,
        "counts": queries.counts(conn),
        "sections": sections,
        "counters": [],
        "frontier": [],
        "changes": None,
    }
    if run is not None:
        run_id = run["run_id"]
        data_tables["fetch-log"] = tables.fetch_table(
            queries.fetch_log(conn, run_id),
            tables.common_origin(queries.fetched_urls(conn, run_id)),
            queries.fetch_count(conn, run_id),
        )
        data_tables["issues"] = tables.issue_table(
            queries.run_issues(conn, run_id), queries.issue_count(conn, run_id)
        )
        context["counters"] = counters(run)
        context["frontier"] = queries.frontier_sources(conn, run["run_id"])
        change = changes.since_previous(conn, run, previous)
        context["changes"] = change
        if previous is not None:
            data_tables.update(tables.change_tables(change, CHANGE_ROWS))
    context["tables"] = data_tables
    return context


def plotly_js() -> bytes:
    """plotly.js as plotly ships it (UTF-8), what ``plotly.offline.get_plotlyjs`` decodes."""
    data = pkgutil.get_data("plotly", "package_data/plotly.min.js")
    if data is None:
        raise ReportError("plotly.js is missing from the plotly package")
    return data


def render(context: dict[str, Any]) -> Iterator[bytes]:
    """The page, as UTF-8 pieces in order."""
    charts_json = {
        chart.id: chart.figure
        for section in context["sections"].values()
        for chart in section
        if chart.figure is not None
    }
    template = _environment().get_template("report.html.j2")
    pieces = template.generate(
        **context,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        charts_json=charts_json,
        plotly_template=_plotly_template(),
        tables_json=TABLES_JSON,
        plotly_js=PLOTLY_JS,
        report_js=_static("report.js"),
        report_css=_static("report.css"),
    )
    streams: dict[str, Callable[[], Iterable[bytes]]] = {
        PLOTLY_JS: lambda: [plotly_js()],
        TABLES_JSON: lambda: packed(tables.tables_json(context["tables"].values())),
    }
    for piece in pieces:
        for i, part in enumerate(_MARKER.split(piece)):
            if i % 2:
                yield from streams[part]()
            elif part:
                yield part.encode("utf-8")


def write_report(db_path: Path, report_dir: Path, run_id: str | None = None) -> Path:
    """Write ``index.html`` for run ``run_id`` (default: the latest run) into
    ``report_dir`` and return its path. Reads only the database at ``db_path``."""
    target = Path(report_dir) / "index.html"
    conn = open_database(Path(db_path))
    try:
        conn.execute("BEGIN")  # one snapshot for every query, the tables' rows included
        context = gather(conn, run_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        with replacing(target) as tmp, tmp.open("wb") as fh:
            fh.writelines(render(context))
    finally:
        conn.close()
    return target
