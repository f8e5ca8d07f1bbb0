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
from typing import Any

from schemas.columns import COUNTERS, LOAD_COUNTERS

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


def counts(conn: sqlite3.Connection) -> Row:
    """Sizes of the main tables, for the page's header."""
    return rows(
        conn,
        "SELECT (SELECT COUNT(*) FROM roles) AS roles, "
        "(SELECT COUNT(*) FROM comparisons) AS comparisons, "
        "(SELECT COUNT(*) FROM comparisons WHERE gone_at IS NULL) AS live_comparisons, "
        "(SELECT COUNT(*) FROM role_observations) AS observations",
    )[0]
