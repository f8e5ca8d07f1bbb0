"""``role_search``: one row per role with its title, latest description and latest top
skills, kept by every load and searchable through its FTS5 index ``role_search_fts``."""

from __future__ import annotations

from pathlib import Path

from demosite.generator import generate_page
from pipeline.load import load_records
from schemas.records import ComparisonRecord
from store.db import connect

SEARCH = (
    "SELECT s.role_slug FROM role_search s JOIN role_search_fts f ON f.rowid = s.rowid "
    "WHERE role_search_fts MATCH ? ORDER BY s.role_slug"
)


def records(count: int) -> list[ComparisonRecord]:
    return [generate_page(11, i).expected.model_copy(deep=True) for i in range(count)]


def row(conn, slug: str) -> tuple[str, str | None, str | None]:  # type: ignore[no-untyped-def]
    found = conn.execute(
        "SELECT title, description, skills FROM role_search WHERE role_slug = ?", (slug,)
    ).fetchone()
    return tuple(found)


def test_every_loaded_role_has_its_latest_description_and_skills(tmp_path: Path) -> None:
    conn = connect(tmp_path / "careers.db")
    pages = records(6)
    load_records(conn, pages, fetched_at="2026-12-01T00:00:00.000Z")
    slugs = {r.role(s).slug for r in pages for s in ("a", "b")}  # type: ignore[arg-type]
    assert {r[0] for r in conn.execute("SELECT role_slug FROM role_search")} == slugs
    first = pages[0]
    title, description, skills = row(conn, first.role_a.slug)
    assert title == first.role_a.title
    assert description == first.sides.a.description
    assert skills == ", ".join(first.sides.a.top_skills)


def test_a_search_finds_a_role_by_a_new_word_of_its_description_and_forgets_the_old(
    tmp_path: Path,
) -> None:
    conn = connect(tmp_path / "careers.db")
    pages = records(4)
    slug = pages[0].role_a.slug
    for page in pages:
        for side in ("a", "b"):
            if page.role(side).slug == slug:  # type: ignore[arg-type]
                page.side(side).description = "Keeps the lighthouse lamps burning."  # type: ignore[arg-type]
    load_records(conn, pages, fetched_at="2026-12-01T00:00:00.000Z")
    assert [r[0] for r in conn.execute(SEARCH, ("lighthouse",))] == [slug]
    later = pages[0].model_copy(deep=True)
    later.sides.a.description = "Tends the harbour beacon."
    load_records(conn, [later], fetched_at="2026-12-02T00:00:00.000Z")
    assert [r[0] for r in conn.execute(SEARCH, ("beacon",))] == [slug]
    assert [r[0] for r in conn.execute(SEARCH, ("lighthouse",))] == []


def test_a_batch_of_mixed_records_loses_no_column(tmp_path: Path) -> None:
    """The upsert sends complete records (lessons.md, sqlite-utils#873): a role whose
    page lost its description or skills keeps the latest it had, while another role of
    the same batch gets its new ones."""
    conn = connect(tmp_path / "careers.db")
    page = records(1)[0]
    a, b = page.role_a.slug, page.role_b.slug
    load_records(conn, [page], fetched_at="2026-12-01T00:00:00.000Z")
    before_a, before_b = row(conn, a), row(conn, b)
    assert before_a[1] and before_a[2] and before_b[1] and before_b[2]
    later = page.model_copy(deep=True)
    later.sides.a.description = None
    later.sides.a.top_skills = []
    later.sides.b.description = "Now also reviews the quarterly budgets."
    load_records(conn, [later], fetched_at="2026-12-02T00:00:00.000Z")
    assert row(conn, a) == before_a
    assert row(conn, b) == (before_b[0], "Now also reviews the quarterly budgets.", before_b[2])
    assert conn.execute("SELECT count(*) FROM role_search_fts").fetchone()[0] == 2
