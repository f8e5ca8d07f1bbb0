"""Helpers shared by the loader, export, query and schema tests: real WARC files and
real fetch-log rows built from the demo generator's pages (no crawler involved; the rows
are written through the storage layer, ``support.rows``). The ``databases_stay_clean``
fixture (``tests/conftest.py``) checks the SQLite files a test leaves with
``assert_db_clean``."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from demosite.generator import GeneratedPage, generate_page
from schemas.records import ComparisonRecord
from scraper.archive import WarcArchive
from store.db import connect
from support import rows

SEED = 11
BASE = "https://www.zippia.com/"


def assert_db_clean(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def pages(indexes: Iterable[int], revision: int = 0, size: str = "small") -> list[GeneratedPage]:
    return [generate_page(SEED, i, size=size, revision=revision) for i in indexes]


def add_run(conn: sqlite3.Connection, run_id: str, started_at: str, command: str = "crawl") -> str:
    return rows.add_run(conn, run_id, started_at, command)


@dataclass
class Archived:
    fetch_id: int
    url: str
    html: str


def archive_pages(
    conn: sqlite3.Connection,
    archive_dir: Path,
    run_id: str,
    fetched_at: str,
    bodies: Iterable[tuple[str, str]],
    outcome: str = "new",
) -> list[Archived]:
    """Store ``(url, html)`` bodies in a WARC file and log one pending fetch for each."""
    stored = list(bodies)
    fetches = []
    with WarcArchive(archive_dir, prefix=run_id) as warc:
        for url, html in stored:
            body = html.encode()
            sha = hashlib.sha256(body).hexdigest()
            ref = warc.write_response(
                url, 200, [("Content-Type", "text/html")], body, len(body), sha
            )
            fetches.append(
                rows.FetchRecord(
                    outcome,
                    url,
                    status=200,
                    attempts=1,
                    bytes=len(body),
                    content_sha256=sha,
                    warc_file=ref.warc_file,
                    warc_offset=ref.warc_offset,
                )
            )
    ids = rows.add_fetches(conn, run_id, fetched_at, fetches)
    return [Archived(i, url, html) for i, (url, html) in zip(ids, stored, strict=True)]


def log_unchanged(
    conn: sqlite3.Connection, run_id: str, fetched_at: str, urls: Iterable[str]
) -> None:
    """Log a 304 for each of ``urls``: the page did not change, no body."""
    records = [rows.FetchRecord("not_modified", url, status=304, attempts=1) for url in urls]
    rows.add_fetches(conn, run_id, fetched_at, records)


def log_gone(conn: sqlite3.Connection, run_id: str, fetched_at: str, url: str, status: int) -> None:
    """Log a 404/410 for ``url``, and the crawl's end-of-run decision that it is gone."""
    rows.add_fetch(conn, run_id, fetched_at, url, "gone", status)
    rows.settle_gone(conn, run_id, fetched_at)


def demo_db(
    tmp_path: Path,
    generated: list[GeneratedPage],
    run_id: str = "r1",
    at: str = "2026-11-01T00:00:00Z",
) -> tuple[sqlite3.Connection, Path]:
    conn = connect(tmp_path / "careers.db")
    archive = tmp_path / "archive"
    add_run(conn, run_id, at)
    archive_pages(conn, archive, run_id, at, ((p.expected.url or "", p.html) for p in generated))
    return conn, archive


def count(conn: sqlite3.Connection, table: str, where: str = "1", *args: object) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", args).fetchone()[0])


def observation(conn: sqlite3.Connection, slug_a: str, slug_b: str, side: str) -> sqlite3.Row:
    return conn.execute(
        "SELECT o.* FROM role_observations o JOIN comparisons c USING (comparison_id) "
        "WHERE c.role_a_slug = ? AND c.role_b_slug = ? AND o.side = ? "
        "ORDER BY o.fetched_at DESC LIMIT 1",
        (slug_a, slug_b, side),
    ).fetchone()


def assert_loaded_as(conn: sqlite3.Connection, record: ComparisonRecord) -> None:
    """The latest rows for ``record``'s comparison hold exactly its figures."""
    comp = conn.execute(
        "SELECT * FROM comparisons WHERE role_a_slug = ? AND role_b_slug = ?",
        (record.role_a.slug, record.role_b.slug),
    ).fetchone()
    assert comp is not None
    assert comp["higher_paid"] == record.higher_paid
    for which in ("a", "b"):
        ref, side = record.role(which), record.side(which)  # type: ignore[arg-type]
        title = conn.execute("SELECT title FROM roles WHERE role_slug = ?", (ref.slug,)).fetchone()
        assert title[0] == ref.title
        row = observation(conn, record.role_a.slug, record.role_b.slug, which)
        assert row["role_slug"] == ref.slug
        for name, value in side.model_dump(
            exclude={"gender_pct", "race_pct", "top_skills", "months_to_become"}
        ).items():
            assert row[name] == value, (ref.slug, name)
        months = side.months_to_become
        assert (row["months_to_become_min"], row["months_to_become_max"]) == (
            (months.min, months.max) if months else (None, None)
        )
        oid = row["observation_id"]
        gender = dict(
            conn.execute(
                "SELECT label, pct FROM role_gender WHERE observation_id = ?", (oid,)
            ).fetchall()
        )
        race = conn.execute(
            "SELECT label, pct FROM role_race WHERE observation_id = ? ORDER BY rowid", (oid,)
        ).fetchall()
        skills = [
            r[0]
            for r in conn.execute(
                "SELECT skill FROM role_skills WHERE observation_id = ? ORDER BY rank", (oid,)
            )
        ]
        assert gender == (side.gender_pct or {})
        assert [tuple(r) for r in race] == list((side.race_pct or {}).items())
        assert skills == side.top_skills
