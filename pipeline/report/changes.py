"""What a run changed, compared with what the database held before it: the report's
"Changes" section (changed figures, new comparisons, pages gone or missing from the
sitemaps). SQL only, as in ``pipeline.report.queries``, whose row helpers it uses."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from pipeline.report.queries import Row, rows
from schemas.columns import FIGURE_COLUMNS


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


def since_previous(conn: sqlite3.Connection, run: Row, previous: Row | None) -> Changes:
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
