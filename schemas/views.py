"""The analysts' views and the queries the schema and the storage layer share, as SQL
text for the migrations in ``schemas.database`` (which never change once released:
a new version of a view is a new migration)."""

from __future__ import annotations

from schemas.columns import FIGURE_COLUMNS, scalar_type

DISAGREE_TOLERANCE = 0.005
"""Numbers on two pages disagree when they differ by more than this fraction (0.5%)."""

_CURRENT_OBSERVATIONS = """
    SELECT * FROM (
        SELECT o.*, row_number() OVER (
            PARTITION BY o.comparison_id, o.side
            ORDER BY o.fetched_at DESC, o.observation_id DESC
        ) AS _newest
        FROM role_observations o
    ) WHERE _newest = 1"""

_CURRENT_KEYS = """
    SELECT comparison_id, side, observation_id, role_slug, fetched_at FROM (
        SELECT o.comparison_id, o.side, o.observation_id, o.role_slug, o.fetched_at,
            row_number() OVER (
                PARTITION BY o.comparison_id, o.side
                ORDER BY o.fetched_at DESC, o.observation_id DESC
            ) AS _newest
        FROM role_observations o
    ) WHERE _newest = 1"""
"""The keys of ``_CURRENT_OBSERVATIONS`` only (v9): a view that reads it twice has SQLite
materialize it, and whole observation rows (descriptions included) would be held in
memory for every comparison; the figures are then joined by ``observation_id``."""


def _is_numeric(column: str) -> bool:
    return column.startswith("months_to_become") or scalar_type(column) != "TEXT"


def _greater(x: str, y: str, portable: bool) -> str:
    """SQLite's scalar ``max(x, y)``; with ``portable``, the same as a ``CASE``, which
    other engines reading the file (DuckDB) do not take for the aggregate ``max``."""
    return f"CASE WHEN {x} >= {y} THEN {x} ELSE {y} END" if portable else f"max({x}, {y})"


def _disagreement(column: str, portable: bool) -> str:
    """SQL, evaluated per role over its comparisons' latest figures: true when they differ."""
    if _is_numeric(column):
        largest = _greater(f"abs(max({column}))", f"abs(min({column}))", portable)
        return f"(max({column}) - min({column}) > {DISAGREE_TOLERANCE} * {largest})"
    return f"(count(DISTINCT {column}) > 1)"


def _pair_key(portable: bool) -> str:
    a, b = "c.role_a_slug", "c.role_b_slug"
    if portable:
        return f"CASE WHEN {a} <= {b} THEN {a} || '|' || {b} ELSE {b} || '|' || {a} END"
    return f"min({a}, {b}) || '|' || max({a}, {b})"


def _spread(portable: bool) -> tuple[str, str]:
    """``role_latest``'s two verdicts over a role's current figures: whether any differ,
    and which."""
    any_disagrees = " OR ".join(_disagreement(c, portable) for c in FIGURE_COLUMNS)
    which = " || ".join(
        f"CASE WHEN {_disagreement(c, portable)} THEN '{c},' ELSE '' END" for c in FIGURE_COLUMNS
    )
    return any_disagrees, which


def _comparison_columns(portable: bool) -> str:
    """``comparison_wide``'s columns and its comparison and role joins, up to the joins of
    the sides' observations (``a`` and ``b``), which each version makes its own way."""
    sides = ",\n    ".join(
        f"{s}.{c} AS {s}_{c}" for s in ("a", "b") for c in ("observation_id", *FIGURE_COLUMNS)
    )
    return f"""SELECT c.comparison_id,
    {_pair_key(portable)} AS pair_key,
    c.role_a_slug, ra.title AS role_a_title, c.role_b_slug, rb.title AS role_b_title,
    c.page_key, c.url, c.canonical_url, c.higher_paid,
    c.first_seen_at, c.last_seen_at, c.last_changed_at,
    {sides}
FROM comparisons c
JOIN roles ra ON ra.role_slug = c.role_a_slug
JOIN roles rb ON rb.role_slug = c.role_b_slug"""


def _wide_views(portable: bool) -> str:
    """``role_latest`` and ``comparison_wide`` as v1 to v8 wrote them."""
    figures = ", ".join(f"r.{c}" for c in FIGURE_COLUMNS)
    any_disagrees, which = _spread(portable)
    return f"""
CREATE VIEW role_latest AS
WITH current AS ({_CURRENT_OBSERVATIONS}
),
ranked AS (
    SELECT current.*, row_number() OVER (
        PARTITION BY role_slug ORDER BY fetched_at DESC, comparison_id ASC, side ASC
    ) AS _pick
    FROM current
),
spread AS (
    SELECT role_slug,
        count(DISTINCT comparison_id) AS comparisons_seen,
        CASE WHEN {any_disagrees} THEN 1 ELSE 0 END AS disagrees,
        nullif(rtrim({which}, ','), '') AS disagreeing_fields
    FROM current GROUP BY role_slug
)
SELECT r.role_slug, roles.title, {figures},
    r.fetched_at, r.run_id, r.parser_version, r.comparison_id, r.side, r.observation_id,
    spread.comparisons_seen, spread.disagrees, spread.disagreeing_fields
FROM ranked r
JOIN spread ON spread.role_slug = r.role_slug
JOIN roles ON roles.role_slug = r.role_slug
WHERE r._pick = 1;

CREATE VIEW comparison_wide AS
WITH current AS ({_CURRENT_OBSERVATIONS}
)
{_comparison_columns(portable)}
LEFT JOIN current a ON a.comparison_id = c.comparison_id AND a.side = 'a'
LEFT JOIN current b ON b.comparison_id = c.comparison_id AND b.side = 'b';
"""


def _lean_views(portable: bool) -> str:
    """``role_latest`` and ``comparison_wide`` over ``_CURRENT_KEYS``: the rows of
    ``_wide_views``."""
    figures = ", ".join(f"o.{c}" for c in FIGURE_COLUMNS)
    any_disagrees, which = _spread(portable)
    return f"""
CREATE VIEW role_latest AS
WITH current AS ({_CURRENT_KEYS}
),
ranked AS (
    SELECT observation_id, role_slug, row_number() OVER (
        PARTITION BY role_slug ORDER BY fetched_at DESC, comparison_id ASC, side ASC
    ) AS _pick
    FROM current
),
spread AS (
    SELECT o.role_slug,
        count(DISTINCT o.comparison_id) AS comparisons_seen,
        CASE WHEN {any_disagrees} THEN 1 ELSE 0 END AS disagrees,
        nullif(rtrim({which}, ','), '') AS disagreeing_fields
    FROM current JOIN role_observations o ON o.observation_id = current.observation_id
    GROUP BY o.role_slug
)
SELECT o.role_slug, roles.title, {figures},
    o.fetched_at, o.run_id, o.parser_version, o.comparison_id, o.side, o.observation_id,
    spread.comparisons_seen, spread.disagrees, spread.disagreeing_fields
FROM ranked r
JOIN role_observations o ON o.observation_id = r.observation_id
JOIN spread ON spread.role_slug = r.role_slug
JOIN roles ON roles.role_slug = r.role_slug
WHERE r._pick = 1;

CREATE VIEW comparison_wide AS
WITH current AS ({_CURRENT_KEYS}
)
{_comparison_columns(portable)}
LEFT JOIN current ca ON ca.comparison_id = c.comparison_id AND ca.side = 'a'
LEFT JOIN role_observations a ON a.observation_id = ca.observation_id
LEFT JOIN current cb ON cb.comparison_id = c.comparison_id AND cb.side = 'b'
LEFT JOIN role_observations b ON b.observation_id = cb.observation_id;
"""


def analyst_views(portable: bool = False, lean: bool = False) -> str:
    """The analysts' views; ``portable`` (v8) writes SQLite's two-argument ``min``/``max``
    as ``CASE``, so DuckDB's sqlite scanner binds the views with their real types; ``lean``
    (v9) gives the same rows holding only the current observations' keys while it runs."""
    views = _lean_views(portable) if lean else _wide_views(portable)
    history = ", ".join(f"o.{c}" for c in FIGURE_COLUMNS)
    return (
        views
        + f"""
CREATE VIEW role_history AS
SELECT o.role_slug, roles.title, o.fetched_at,
    lead(o.fetched_at) OVER (
        PARTITION BY o.comparison_id, o.side ORDER BY o.fetched_at, o.observation_id
    ) AS superseded_at,
    o.run_id, o.parser_version, o.comparison_id, o.side, c.page_key, o.observation_id,
    {history}
FROM role_observations o
JOIN roles ON roles.role_slug = o.role_slug
JOIN comparisons c ON c.comparison_id = o.comparison_id;
"""
    )


ANSWERED: tuple[str, ...] = ("new", "changed", "unchanged", "not_modified", "gone")
"""Outcomes in which the site said what the page is now (a body, "same as before", or
"gone"): the latest of them decides whether a page is still on the site."""


def unparsed_pages_view(not_gone: str) -> str:
    """The ``unparsed_pages`` view, with ``not_gone`` the rule that keeps a page gone from
    the site off the list."""
    return f"""
CREATE VIEW unparsed_pages AS
SELECT f.page_key, f.url, substr(i.kind, length('parse_') + 1) AS kind, i.message,
    f.fetched_at, f.run_id, f.fetch_id, f.warc_file, f.warc_offset,
    (SELECT min(c.comparison_id) FROM comparisons c WHERE c.page_key = f.page_key)
        AS comparison_id
FROM fetches f
LEFT JOIN parse_issues i ON i.issue_id = (
    SELECT min(p.issue_id) FROM parse_issues p
    WHERE p.fetch_id = f.fetch_id AND p.kind LIKE 'parse\\_%' ESCAPE '\\'
)
WHERE f.load_state = 'failed' AND f.warc_file IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM fetches later
    WHERE later.page_key = f.page_key AND later.warc_file IS NOT NULL
      AND later.load_state IN ('loaded', 'failed')
      AND (later.fetched_at > f.fetched_at
           OR (later.fetched_at = f.fetched_at AND later.fetch_id > f.fetch_id))
  )
  AND NOT EXISTS (
    SELECT 1 FROM comparisons seen
    WHERE seen.page_key = f.page_key AND seen.last_seen_at > f.fetched_at
  )
  AND {not_gone};
"""


ROLE_SEARCH_COLUMNS: tuple[str, ...] = ("role_slug", "title", "description", "skills")
ROLE_SEARCH_FTS: tuple[str, ...] = ("title", "description", "skills")
"""The columns of ``role_search`` and those its full-text index ``role_search_fts`` holds."""

ROLE_SEARCH_ROWS = """
SELECT r.role_slug, r.title,
  (SELECT o.description FROM role_observations o
   WHERE o.role_slug = r.role_slug AND o.description IS NOT NULL
   ORDER BY o.fetched_at DESC, o.observation_id DESC LIMIT 1) AS description,
  (SELECT group_concat(k.skill, ', ') FROM (
     SELECT s.skill FROM role_skills s
     WHERE s.observation_id = (
       SELECT o.observation_id FROM role_observations o
       WHERE o.role_slug = r.role_slug
         AND EXISTS (SELECT 1 FROM role_skills x WHERE x.observation_id = o.observation_id)
       ORDER BY o.fetched_at DESC, o.observation_id DESC LIMIT 1)
     ORDER BY s.rank) k) AS skills
FROM roles r
"""
"""Each role's ``role_search`` row as the observations make it: its title, its latest
description and its latest top skills (``", "``-joined, in rank order). Filter with a
``WHERE`` on ``r.role_slug``."""
