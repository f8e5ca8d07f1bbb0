"""The only SQL that writes the analysts' comparison tables: ``roles``, ``comparisons``,
``role_observations`` with its long-format children (``role_gender``, ``role_race``,
``role_skills``) and ``role_search``, plus the reads the loader's history rules need.

The loader's rows go in with plain ``executemany`` of complete rows with explicit ids:
sqlite-utils' ``insert_all`` builds the same statements with more work per row, which
``bench/load_bench.py`` measures against a bare ``executemany`` floor. ``role_search``
goes through ``upsert_all`` (complete records only: lessons.md, sqlite-utils#873).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas.columns import FIGURE_COLUMNS
from schemas.views import ROLE_SEARCH_COLUMNS, ROLE_SEARCH_ROWS
from store.db import Database, chunks

OBSERVATION_COLUMNS: tuple[str, ...] = (
    "observation_id",
    "comparison_id",
    "role_slug",
    "side",
    "fetch_id",
    "fetched_at",
    "run_id",
    "parser_version",
    "record_sha256",
    *FIGURE_COLUMNS,
)
_INSERT_OBSERVATION = (
    f"INSERT INTO role_observations ({', '.join(OBSERVATION_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(OBSERVATION_COLUMNS))})"
)
_UPDATE_OBSERVATION = (
    "UPDATE role_observations SET "
    + ", ".join(f"{c} = ?" for c in OBSERVATION_COLUMNS[4:])
    + " WHERE observation_id = ?"
)
_COMPARISON_VALUES = (
    "page_key",
    "url",
    "canonical_url",
    "higher_paid",
    "first_seen_at",
    "last_seen_at",
    "last_changed_at",
    "content_sha256",
)
_CHILD = "INSERT INTO {} (observation_id, role_slug, {}, {}) VALUES (?, ?, ?, ?)"
_CHILDREN = ("role_gender", "role_race", "role_skills")
_STORED_FIGURES = f"""
    SELECT c.page_key, {", ".join(f"o.{c}" for c in FIGURE_COLUMNS)}
    FROM role_observations o JOIN comparisons c ON c.comparison_id = o.comparison_id
    WHERE o.role_slug = ? AND c.page_key != ? AND c.gone_at IS NULL
    ORDER BY o.fetched_at DESC, o.observation_id DESC
    LIMIT 1
"""


@dataclass
class Comparison:
    """A ``comparisons`` row as the loader keeps it during a batch."""

    comparison_id: int
    page_key: str
    url: str
    canonical_url: str | None
    higher_paid: str | None
    first_seen_at: str
    last_seen_at: str
    last_changed_at: str
    content_sha256: str | None
    stored: bool
    dirty: bool = False

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _COMPARISON_VALUES)


@dataclass
class Observation:
    """The latest ``role_observations`` row of a comparison's side."""

    observation_id: int
    record_sha256: str
    fetched_at: str
    fetch_id: int | None


@dataclass
class Rows:
    """Rows waiting to be written, parents before children."""

    roles: dict[str, str] = field(default_factory=dict)
    observations: list[tuple[Any, ...]] = field(default_factory=list)
    gender: list[tuple[Any, ...]] = field(default_factory=list)
    race: list[tuple[Any, ...]] = field(default_factory=list)
    skills: list[tuple[Any, ...]] = field(default_factory=list)


def next_id(conn: sqlite3.Connection, table: str) -> int:
    """One past the largest id of ``comparisons`` or ``role_observations``."""
    column = {"comparisons": "comparison_id", "role_observations": "observation_id"}[table]
    return int(conn.execute(f"SELECT coalesce(max({column}), 0) FROM {table}").fetchone()[0]) + 1


def comparisons_of(
    conn: sqlite3.Connection, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Comparison]:
    """The stored comparisons of these ``(role_a_slug, role_b_slug)`` pairs."""
    found: dict[tuple[str, str], Comparison] = {}
    for chunk in chunks(sorted(set(pairs)), 400):
        values = ", ".join("(?, ?)" for _ in chunk)
        # a join, not "(a, b) IN (VALUES ...)": SQLite scans the whole table for that
        rows = conn.execute(
            f"WITH wanted (a, b) AS (VALUES {values}) "
            "SELECT role_a_slug, role_b_slug, comparison_id, "
            f"{', '.join(_COMPARISON_VALUES)} "
            "FROM wanted JOIN comparisons ON role_a_slug = wanted.a AND role_b_slug = wanted.b",
            [s for pair in chunk for s in pair],
        )
        for a, b, cid, *values_of in rows:
            named = dict(zip(_COMPARISON_VALUES, values_of, strict=True))
            found[(a, b)] = Comparison(cid, **named, stored=True)
    return found


def latest_observations(
    conn: sqlite3.Connection, comparison_ids: Iterable[int]
) -> dict[tuple[int, str], Observation]:
    """``{(comparison_id, side): its latest observation}``."""
    latest: dict[tuple[int, str], Observation] = {}
    for chunk in chunks(sorted(comparison_ids), 900):
        rows = conn.execute(
            f"""
            SELECT comparison_id, side, observation_id, record_sha256, fetched_at, fetch_id
            FROM (SELECT *, row_number() OVER (
                    PARTITION BY comparison_id, side
                    ORDER BY fetched_at DESC, observation_id DESC) AS n
                  FROM role_observations
                  WHERE comparison_id IN ({", ".join("?" * len(chunk))}))
            WHERE n = 1
            """,
            chunk,
        )
        for cid, side, oid, sha, at, fid in rows:
            latest[(cid, side)] = Observation(oid, sha, at, fid)
    return latest


def own_observation(
    conn: sqlite3.Connection, comparison_id: int, side: str, fetched_at: str, fetch_id: int | None
) -> tuple[int, str] | None:
    """``(observation_id, record_sha256)`` a fetch (or a record of that time) wrote."""
    row = conn.execute(
        "SELECT observation_id, record_sha256 FROM role_observations "
        "WHERE comparison_id = ? AND side = ? AND (fetched_at = ? OR fetch_id = ?)",
        (comparison_id, side, fetched_at, fetch_id),
    ).fetchone()
    return (row[0], row[1]) if row else None


def digest_before(
    conn: sqlite3.Connection, comparison_id: int, side: str, fetched_at: str, besides: int | None
) -> str | None:
    """The ``record_sha256`` of the side's observation just before ``fetched_at``."""
    row = conn.execute(
        "SELECT record_sha256 FROM role_observations "
        "WHERE comparison_id = ? AND side = ? AND fetched_at < ? AND observation_id IS NOT ? "
        "ORDER BY fetched_at DESC, observation_id DESC LIMIT 1",
        (comparison_id, side, fetched_at, besides),
    ).fetchone()
    return row[0] if row else None


def delete_observation(conn: sqlite3.Connection, observation_id: int) -> None:
    conn.execute("DELETE FROM role_observations WHERE observation_id = ?", (observation_id,))


def restamp_observation(conn: sqlite3.Connection, observation_id: int, parser: str) -> None:
    """The same figures, read again by parser version ``parser``."""
    conn.execute(
        "UPDATE role_observations SET parser_version = ? WHERE observation_id = ?",
        (parser, observation_id),
    )


def replace_observation(conn: sqlite3.Connection, row: Sequence[Any]) -> None:
    """Overwrite an observation (``row`` as ``OBSERVATION_COLUMNS``) and drop its
    children; the caller writes the new children."""
    observation_id = row[0]
    conn.execute(_UPDATE_OBSERVATION, (*row[4:], observation_id))
    for table in _CHILDREN:
        conn.execute(f"DELETE FROM {table} WHERE observation_id = ?", (observation_id,))


def write_rows(
    conn: sqlite3.Connection, rows: Rows, comparisons: Iterable[tuple[str, str, Comparison]]
) -> None:
    """Write the waiting ``rows`` and the new ``(a, b, comparison)`` rows, parents first
    (foreign keys are checked per statement); the buffers are emptied."""
    if rows.roles:
        conn.executemany(
            "INSERT INTO roles (role_slug, title) VALUES (?, ?) ON CONFLICT (role_slug) "
            "DO UPDATE SET title = excluded.title WHERE title IS NOT excluded.title",
            rows.roles.items(),
        )
        rows.roles.clear()
    new = [(a, b, c) for a, b, c in comparisons if not c.stored]
    if new:
        conn.executemany(
            "INSERT INTO comparisons (comparison_id, role_a_slug, role_b_slug, "
            f"{', '.join(_COMPARISON_VALUES)}) VALUES ({', '.join('?' * 11)})",
            [(c.comparison_id, a, b, *c.values()) for a, b, c in new],
        )
        for _, _, c in new:
            c.stored, c.dirty = True, False
    for sql, buffered in (
        (_INSERT_OBSERVATION, rows.observations),
        (_CHILD.format("role_gender", "label", "pct"), rows.gender),
        (_CHILD.format("role_race", "label", "pct"), rows.race),
        (_CHILD.format("role_skills", "rank", "skill"), rows.skills),
    ):
        if buffered:
            conn.executemany(sql, buffered)
            buffered.clear()


def update_comparisons(conn: sqlite3.Connection, comparisons: Iterable[Comparison]) -> None:
    """Write back the stored comparisons a batch changed."""
    dirty = [c for c in comparisons if c.dirty]
    if dirty:
        sets = ", ".join(f"{name} = ?" for name in _COMPARISON_VALUES)
        conn.executemany(
            f"UPDATE comparisons SET {sets} WHERE comparison_id = ?",
            [(*c.values(), c.comparison_id) for c in dirty],
        )
        for c in dirty:
            c.dirty = False


def refresh_role_search(database: Database, role_slugs: Iterable[str]) -> int:
    """Bring the ``role_search`` rows of these roles in line with their observations
    (the FTS triggers update ``role_search_fts``); returns how many rows were written.
    Rows that would not change are not sent, so an unchanged page costs the index
    nothing. Keep one ``Database`` per connection: sqlite-utils probes what SQLite
    supports once per instance."""
    conn = database.conn
    changed: list[dict[str, Any]] = []
    for chunk in chunks(sorted(set(role_slugs)), 900):
        marks = ", ".join("?" * len(chunk))
        stored = {
            row[0]: tuple(row)
            for row in conn.execute(
                f"SELECT {', '.join(ROLE_SEARCH_COLUMNS)} FROM role_search "
                f"WHERE role_slug IN ({marks})",
                chunk,
            )
        }
        for row in conn.execute(f"{ROLE_SEARCH_ROWS} WHERE r.role_slug IN ({marks})", chunk):
            if stored.get(row[0]) != tuple(row):
                changed.append(dict(zip(ROLE_SEARCH_COLUMNS, row, strict=True)))
    if changed:
        database.table("role_search").upsert_all(changed, pk="role_slug")
    return len(changed)


def stored_figures(
    conn: sqlite3.Connection, role_slug: str, page: str
) -> tuple[str, dict[str, Any]] | None:
    """The role's latest stored figures on another page that is not gone."""
    row = conn.execute(_STORED_FIGURES, (role_slug, page)).fetchone()
    if row is None:
        return None
    values = tuple(row)
    return values[0], dict(zip(FIGURE_COLUMNS, values[1:], strict=True))


def update_presence(conn: sqlite3.Connection) -> int:
    """Fetches without a body to load still say something about a comparison: a page
    fetched again unchanged (``not_modified``/``unchanged``) moves its ``last_seen_at``,
    unless the body it confirms is one that did not parse (the page is in
    ``unparsed_pages``: its stored figures are not what the site shows); a page answering
    404/410 (``gone``) after it was last seen sets ``gone_at``, which a later sighting
    clears, unless the crawl decided it is not gone (``url_state.gone_at`` unset: the run
    held its 404s back, ``store.crawl_state.CrawlState.settle_gone``, or a later answer
    cleared it). Returns how many comparisons' ``last_seen_at`` moved; run it inside a
    transaction."""
    moved = conn.execute(
        """
        UPDATE comparisons SET last_seen_at = f.seen
        FROM (SELECT page_key, max(fetched_at) AS seen FROM fetches
              WHERE outcome IN ('unchanged', 'not_modified')
                AND page_key NOT IN (SELECT page_key FROM unparsed_pages)
              GROUP BY page_key) AS f
        WHERE comparisons.page_key = f.page_key AND f.seen > comparisons.last_seen_at
        """
    ).rowcount
    conn.execute(
        """
        UPDATE comparisons SET gone_at = f.gone
        FROM (SELECT page_key, max(fetched_at) AS gone FROM fetches
              WHERE outcome = 'gone' AND page_key NOT IN (
                  SELECT page_key FROM url_state WHERE gone_at IS NULL)
              GROUP BY page_key) AS f
        WHERE comparisons.page_key = f.page_key AND f.gone > comparisons.last_seen_at
          AND comparisons.gone_at IS NULL
        """
    )
    conn.execute(
        "UPDATE comparisons SET gone_at = NULL WHERE gone_at IS NOT NULL AND last_seen_at > gone_at"
    )
    return int(moved)
