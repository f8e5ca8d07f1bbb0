"""Everything the report reads from the database, as plain Python values.

Only SQL lives here: the charts and the page never see a cursor. Each function does
one query (or one small group of them) and returns rows as dicts, ``None`` kept as
``None`` so missing figures stay missing all the way to the page. What grows with the
site's pages (the fetch log, the comparisons, the run's issues) comes as an iterator,
read from the cursor as the report consumes it, so the report holds one row of it at a
time; those iterators must be consumed while the connection is open.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas.columns import COUNTERS, FIGURE_COLUMNS, LOAD_COUNTERS

Row = dict[str, Any]
Shares = dict[str, float | None]


def stream(
    conn: sqlite3.Connection, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
) -> Iterator[Row]:
    """The rows of ``sql`` as dicts, queried at the first ``next`` and read as needed."""
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    for r in cur:
        yield dict(zip(names, r, strict=True))


def rows(
    conn: sqlite3.Connection, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
) -> list[Row]:
    return list(stream(conn, sql, params))


# --- runs -------------------------------------------------------------------------------


def pick_run(conn: sqlite3.Connection, run_id: str | None) -> Row | None:
    """The run the report is about: ``run_id``, else the most recently started run.

    Raises ``KeyError`` for a ``run_id`` the database does not hold.
    """
    if run_id is not None:
        found = rows(conn, "SELECT * FROM runs WHERE run_id = ?", (run_id,))
        if not found:
            raise KeyError(f"no run {run_id!r} in the database")
        return found[0]
    found = rows(conn, "SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1")
    return found[0] if found else None


def previous_run(conn: sqlite3.Connection, run: Row) -> Row | None:
    """The last run that started before ``run``."""
    found = rows(
        conn,
        "SELECT * FROM runs WHERE started_at < ? OR (started_at = ? AND rowid < "
        "(SELECT rowid FROM runs WHERE run_id = ?)) ORDER BY started_at DESC, rowid DESC LIMIT 1",
        (run["started_at"], run["started_at"], run["run_id"]),
    )
    return found[0] if found else None


def run_counters(run: Row) -> dict[str, int]:
    return {name: int(run.get(name) or 0) for name in COUNTERS + LOAD_COUNTERS}


def fetch_log(conn: sqlite3.Connection, run_id: str) -> Iterator[Row]:
    return stream(
        conn,
        "SELECT url, outcome, status, attempts, bytes, elapsed_ms, fetched_at, error "
        "FROM fetches WHERE run_id = ? ORDER BY fetch_id",
        (run_id,),
    )


def fetch_count(conn: sqlite3.Connection, run_id: str) -> int:
    return int(
        conn.execute("SELECT count(*) FROM fetches WHERE run_id = ?", (run_id,)).fetchone()[0]
    )


def fetched_urls(conn: sqlite3.Connection, run_id: str) -> Iterator[str]:
    for (url,) in conn.execute("SELECT url FROM fetches WHERE run_id = ?", (run_id,)):
        yield url


def frontier_sources(conn: sqlite3.Connection, run_id: str) -> list[Row]:
    """How this run's URLs were discovered: count per source and state."""
    return rows(
        conn,
        "SELECT source, state, COUNT(*) AS urls FROM frontier WHERE run_id = ? "
        "GROUP BY source, state ORDER BY urls DESC",
        (run_id,),
    )


def run_issues(conn: sqlite3.Connection, run_id: str) -> Iterator[Row]:
    return stream(
        conn,
        'SELECT kind, url, "table", row, side, raw, message, known FROM parse_issues '
        "WHERE run_id = ? ORDER BY issue_id",
        (run_id,),
    )


def issue_count(conn: sqlite3.Connection, run_id: str) -> int:
    sql = "SELECT count(*) FROM parse_issues WHERE run_id = ?"
    return int(conn.execute(sql, (run_id,)).fetchone()[0])


def issue_group(kind: str) -> str:
    """Which counter a ``parse_issues`` row falls under: ``dq_failure`` (kinds ``dq_*``,
    written by the data-quality checks), ``parse_failure`` (``parse_*``: the page did not
    parse) or ``warning`` (the parser's warnings)."""
    if kind.startswith("dq_"):
        return "dq_failure"
    if kind.startswith("parse_"):
        return "parse_failure"
    return "warning"


# --- latest figures ---------------------------------------------------------------------


def role_latest(conn: sqlite3.Connection) -> list[Row]:
    """One row per role from the ``role_latest`` view (title, figures, ``observation_id``,
    ``comparisons_seen``, ``disagrees``)."""
    return rows(conn, "SELECT * FROM role_latest ORDER BY title COLLATE NOCASE, role_slug")


def composition(
    conn: sqlite3.Connection, table: str, observation_ids: Iterable[int]
) -> dict[int, Shares]:
    """``role_gender`` or ``role_race`` shares per observation, labels in stored order."""
    if table not in ("role_gender", "role_race"):
        raise ValueError(table)
    ids = list(observation_ids)
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    out: dict[int, Shares] = {i: {} for i in ids}
    for r in rows(
        conn,
        f"SELECT observation_id, label, pct FROM {table} WHERE observation_id IN ({marks}) "
        "ORDER BY observation_id, rowid",
        ids,
    ):
        out[r["observation_id"]][r["label"]] = r["pct"]
    return out


def comparison_latest(conn: sqlite3.Connection) -> Iterator[Row]:
    """Each comparison still on the site, with both sides' latest yearly salary
    (the ``comparison_wide`` view)."""
    return stream(
        conn,
        """
        SELECT w.comparison_id, w.url, w.higher_paid,
               w.role_a_title AS a_title, w.role_b_title AS b_title,
               w.a_yearly_salary_usd, w.b_yearly_salary_usd
        FROM comparison_wide w JOIN comparisons c USING (comparison_id)
        WHERE c.gone_at IS NULL
        """,
    )


# --- change since the previous run ------------------------------------------------------


@dataclass
class Changes:
    """What run ``run_id`` changed, compared with what the database held before it."""

    run_id: str
    previous_run_id: str | None
    complete: bool
    changed_pages: int = 0
    changed_figures: list[Row] = field(default_factory=list)
    new_comparisons: list[Row] = field(default_factory=list)
    gone: list[Row] = field(default_factory=list)
    missing: list[Row] = field(default_factory=list)


def _observation_pairs(conn: sqlite3.Connection, run_id: str) -> list[tuple[Row, Row]]:
    """(previous, new) observation of each comparison side that run ``run_id`` changed."""
    found = rows(
        conn,
        """
        WITH touched AS (
            SELECT DISTINCT comparison_id FROM role_observations WHERE run_id = ?
        ),
        ordered AS (
            SELECT o.*, r.title, ra.title || ' vs ' || rb.title AS page,
                   LEAD(o.observation_id) OVER (
                       PARTITION BY o.comparison_id, o.side
                       ORDER BY o.fetched_at, o.observation_id
                   ) AS next_id
            FROM role_observations o
            JOIN touched USING (comparison_id)
            JOIN roles r USING (role_slug)
            JOIN comparisons c ON c.comparison_id = o.comparison_id
            JOIN roles ra ON ra.role_slug = c.role_a_slug
            JOIN roles rb ON rb.role_slug = c.role_b_slug
        )
        SELECT * FROM ordered
        """,
        (run_id,),
    )
    by_id = {r["observation_id"]: r for r in found}
    pairs = []
    for old in found:
        new = by_id.get(old["next_id"]) if old["next_id"] is not None else None
        if new is not None and new["run_id"] == run_id and old["run_id"] != run_id:
            pairs.append((old, new))
    return pairs


def _long_values(conn: sqlite3.Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Gender and race shares and top skills of observations, as extra change fields."""
    out: dict[int, dict[str, Any]] = {i: {} for i in ids}
    for chunk_start in range(0, len(ids), 900):
        chunk = ids[chunk_start : chunk_start + 900]
        marks = ",".join("?" * len(chunk))
        for table, prefix in (("role_gender", "gender"), ("role_race", "race")):
            for r in rows(
                conn,
                f"SELECT observation_id, label, pct FROM {table} WHERE observation_id IN ({marks})",
                chunk,
            ):
                out[r["observation_id"]][f"{prefix}: {r['label']} (%)"] = r["pct"]
        skills: dict[int, list[str]] = {}
        for r in rows(
            conn,
            f"SELECT observation_id, skill FROM role_skills WHERE observation_id IN ({marks}) "
            "ORDER BY observation_id, rank",
            chunk,
        ):
            skills.setdefault(r["observation_id"], []).append(r["skill"])
        for oid, names in skills.items():
            out[oid]["top_skills"] = ", ".join(names)
    return out


def _differs(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return (old is None) != (new is None)
    if isinstance(old, int | float) and isinstance(new, int | float):
        return abs(float(old) - float(new)) > 1e-9
    return bool(old != new)


def changed_figures(conn: sqlite3.Connection, run_id: str) -> tuple[int, list[Row]]:
    """Pages whose figures this run changed, and one row per changed figure:
    page, role, field, old value, new value, difference (numbers only)."""
    pairs = _observation_pairs(conn, run_id)
    ids = [o["observation_id"] for pair in pairs for o in pair]
    extra = _long_values(conn, ids)
    out: list[Row] = []
    pages: set[int] = set()
    for old, new in pairs:
        old_values = {**{f: old[f] for f in FIGURE_COLUMNS}, **extra[old["observation_id"]]}
        new_values = {**{f: new[f] for f in FIGURE_COLUMNS}, **extra[new["observation_id"]]}
        for name in dict.fromkeys([*old_values, *new_values]):
            before, after = old_values.get(name), new_values.get(name)
            if not _differs(before, after):
                continue
            pages.add(new["comparison_id"])
            difference = difference_pct = None
            if isinstance(before, int | float) and isinstance(after, int | float):
                difference = after - before
                difference_pct = difference / abs(before) * 100 if before else None
            out.append(
                {
                    "role": new["title"],
                    "role_slug": new["role_slug"],
                    "comparison_id": new["comparison_id"],
                    "page": new["page"],
                    "side": new["side"],
                    "field": name,
                    "old": before,
                    "new": after,
                    "difference": difference,
                    "difference_pct": difference_pct,
                }
            )
    return len(pages), out


def new_comparisons(conn: sqlite3.Connection, run_id: str) -> list[Row]:
    """Comparisons whose first observation came from this run."""
    return rows(
        conn,
        """
        WITH touched AS (
            SELECT DISTINCT comparison_id FROM role_observations WHERE run_id = :run
        ),
        ordered AS (
            SELECT o.comparison_id, o.run_id, ROW_NUMBER() OVER (
                PARTITION BY o.comparison_id ORDER BY o.fetched_at, o.observation_id
            ) AS k
            FROM role_observations o JOIN touched USING (comparison_id)
        )
        SELECT c.comparison_id, c.url, ra.title AS a_title, rb.title AS b_title
        FROM ordered
        JOIN comparisons c USING (comparison_id)
        JOIN roles ra ON ra.role_slug = c.role_a_slug
        JOIN roles rb ON rb.role_slug = c.role_b_slug
        WHERE ordered.k = 1 AND ordered.run_id = :run
        ORDER BY ra.title, rb.title
        """,
        {"run": run_id},
    )


def _comparisons_by_page_key(conn: sqlite3.Connection) -> dict[str, Row]:
    found = rows(
        conn,
        """
        SELECT c.comparison_id, c.page_key, c.url, c.first_seen_at,
               ra.title AS a_title, rb.title AS b_title
        FROM comparisons c
        JOIN roles ra ON ra.role_slug = c.role_a_slug
        JOIN roles rb ON rb.role_slug = c.role_b_slug
        """,
    )
    return {r["page_key"]: r for r in found}


def listed(conn: sqlite3.Connection, run_id: str) -> set[str]:
    """Pages a run found listed (sitemaps, seeds, links, its carried-over deferrals):
    its frontier without the ``known`` pages the crawler re-queues from earlier runs."""
    return {
        r["page_key"]
        for r in rows(
            conn,
            "SELECT page_key FROM frontier WHERE run_id = ? AND source != 'known'",
            (run_id,),
        )
    }


def _previous_listing(conn: sqlite3.Connection, run: Row) -> set[str] | None:
    """What the last complete run before ``run`` found listed; None when there is none."""
    for r in rows(
        conn,
        "SELECT run_id FROM runs WHERE complete = 1 AND started_at < ? "
        "ORDER BY started_at DESC, rowid DESC",
        (run["started_at"],),
    ):
        found = listed(conn, r["run_id"])
        if found:
            return found
    return None


def disappeared(conn: sqlite3.Connection, run: Row) -> tuple[list[Row], list[Row]]:
    """Comparisons that disappeared in this run: those that answered 404/410
    (``fetches.outcome = 'gone'``) and, for a complete run only, those listed by the
    previous complete run (or, without one, known before this run) that this run no
    longer found listed. A ``--limit`` run is never complete, so it removes nothing."""
    known = _comparisons_by_page_key(conn)
    gone = []
    for r in rows(
        conn,
        "SELECT page_key, url, status FROM fetches WHERE run_id = ? AND outcome = 'gone' "
        "ORDER BY page_key",
        (run["run_id"],),
    ):
        comparison = known.get(r["page_key"], {})
        gone.append({**comparison, **r})
    missing: list[Row] = []
    now_listed = listed(conn, run["run_id"])
    if not run.get("complete") or not now_listed:
        return gone, missing
    before = _previous_listing(conn, run)
    gone_keys = {g["page_key"] for g in gone}
    for key, comparison in sorted(known.items()):
        if key in now_listed or key in gone_keys:
            continue
        if before is not None and key not in before:
            continue
        if comparison["first_seen_at"] < run["started_at"]:
            missing.append(comparison)
    return gone, missing


def changes(conn: sqlite3.Connection, run: Row, previous: Row | None) -> Changes:
    result = Changes(
        run_id=run["run_id"],
        previous_run_id=previous["run_id"] if previous else None,
        complete=bool(run.get("complete")),
    )
    if previous is None:
        return result
    result.changed_pages, result.changed_figures = changed_figures(conn, run["run_id"])
    result.new_comparisons = new_comparisons(conn, run["run_id"])
    result.gone, result.missing = disappeared(conn, run)
    return result


def counts(conn: sqlite3.Connection) -> Row:
    """Sizes of the main tables, for the page's header."""
    return rows(
        conn,
        "SELECT (SELECT COUNT(*) FROM roles) AS roles, "
        "(SELECT COUNT(*) FROM comparisons) AS comparisons, "
        "(SELECT COUNT(*) FROM comparisons WHERE gone_at IS NULL) AS live_comparisons, "
        "(SELECT COUNT(*) FROM role_observations) AS observations",
    )[0]
