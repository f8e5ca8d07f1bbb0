"""The loader against real WARC files, real parsed demo pages and a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.load import (
    add_run,
    archive_pages,
    assert_loaded_as,
    count,
    demo_db,
    log_gone,
    log_unchanged,
    pages,
)

from pipeline.load import load_pending, load_records
from schemas.settings import Settings

pytestmark = pytest.mark.usefixtures("databases_stay_clean")


def settings(batch_size: int = 7, workers: int = 1) -> Settings:
    s = Settings()
    s.run.batch_size = batch_size
    s.run.workers = workers
    return s


def test_demo_pages_load_as_the_generator_expects(tmp_path: Path) -> None:
    generated = pages(range(30))
    conn, archive = demo_db(tmp_path, generated)
    report = load_pending(conn, settings(), run_id="r1", archive_dir=archive)
    assert (report.pages, report.failed_pages, report.records_written) == (30, 0, 60)
    for page in generated:
        assert_loaded_as(conn, page.expected)
    assert count(conn, "fetches", "load_state = 'loaded' AND loaded_at IS NOT NULL") == 30
    assert count(conn, "comparisons") == 30
    run = conn.execute("SELECT records_written, warnings, dq_failures FROM runs").fetchone()
    assert tuple(run) == (60, 0, report.dq_failures)


def test_loading_twice_adds_nothing(tmp_path: Path) -> None:
    generated = pages(range(12))
    conn, archive = demo_db(tmp_path, generated)
    load_pending(conn, settings(), run_id="r1", archive_dir=archive)
    tables = (
        "roles",
        "comparisons",
        "role_observations",
        "role_gender",
        "role_race",
        "role_skills",
    )
    before = {t: count(conn, t) for t in tables}
    again = load_pending(conn, settings(), run_id="r1", archive_dir=archive)
    assert again.pages == 0
    assert {t: count(conn, t) for t in tables} == before
    # the same records loaded again from JSON lines: still no new history, only last_seen_at
    report = load_records(conn, (p.expected for p in generated), fetched_at="2026-11-02T00:00:00Z")
    assert (report.records_written, report.unchanged) == (0, 12)
    assert {t: count(conn, t) for t in tables} == before
    assert count(conn, "comparisons", "last_seen_at = '2026-11-02T00:00:00Z'") == 12
    assert count(conn, "comparisons", "last_changed_at = '2026-11-01T00:00:00Z'") == 12


def test_a_changed_page_adds_one_observation_per_changed_role(tmp_path: Path) -> None:
    generated = pages(range(10))
    conn, archive = demo_db(tmp_path, generated)
    load_pending(conn, settings(), run_id="r1", archive_dir=archive)
    observations = count(conn, "role_observations")
    changed = pages([3], revision=1)[0]
    assert changed.expected.sides.a != generated[3].expected.sides.a
    assert changed.expected.sides.b != generated[3].expected.sides.b
    at2 = "2026-11-08T00:00:00Z"
    add_run(conn, "r2", at2)
    # page 3 changed; page 4 refetched with identical content; the rest answered 304
    archive_pages(
        conn,
        archive,
        "r2",
        at2,
        [
            (changed.expected.url or "", changed.html),
            (generated[4].expected.url or "", generated[4].html),
        ],
        outcome="changed",
    )
    log_unchanged(
        conn, "r2", at2, [p.expected.url or "" for i, p in enumerate(generated) if i not in (3, 4)]
    )
    report = load_pending(conn, settings(), run_id="r2", archive_dir=archive)
    assert report.records_written == 2
    assert count(conn, "role_observations") == observations + 2
    assert_loaded_as(conn, changed.expected)
    history = conn.execute(
        "SELECT fetched_at, superseded_at FROM role_history WHERE page_key = ? AND side = 'a' "
        "ORDER BY fetched_at",
        (changed.path,),
    ).fetchall()
    assert [tuple(r) for r in history] == [("2026-11-01T00:00:00Z", at2), (at2, None)]
    comp = conn.execute("SELECT * FROM comparisons WHERE page_key = ?", (changed.path,)).fetchone()
    assert (comp["last_seen_at"], comp["last_changed_at"]) == (at2, at2)
    same = conn.execute(
        "SELECT * FROM comparisons WHERE page_key = ?", (generated[4].path,)
    ).fetchone()
    assert (same["last_seen_at"], same["last_changed_at"]) == (at2, "2026-11-01T00:00:00Z")
    assert count(conn, "comparisons", "last_seen_at = ?", at2) == 10


def test_reparsing_the_same_fetches_adds_no_history(tmp_path: Path) -> None:
    generated = pages(range(8))
    conn, archive = demo_db(tmp_path, generated)
    load_pending(conn, settings(), run_id="r1", archive_dir=archive)
    at2 = "2026-11-08T00:00:00Z"
    add_run(conn, "r2", at2)
    changed = pages([2], revision=1)[0]
    archive_pages(
        conn, archive, "r2", at2, [(changed.expected.url or "", changed.html)], outcome="changed"
    )
    load_pending(conn, settings(), run_id="r2", archive_dir=archive)
    snapshot = conn.execute("SELECT * FROM role_observations ORDER BY observation_id").fetchall()
    children = [count(conn, t) for t in ("role_gender", "role_race", "role_skills")]
    report = load_pending(
        conn, settings(batch_size=3, workers=2), archive_dir=archive, reparse=True
    )
    assert report.pages == 9
    assert report.records_written == 0
    after = conn.execute("SELECT * FROM role_observations ORDER BY observation_id").fetchall()
    assert [tuple(r) for r in after] == [tuple(r) for r in snapshot]
    assert [count(conn, t) for t in ("role_gender", "role_race", "role_skills")] == children
    assert_loaded_as(conn, changed.expected)


def test_a_page_that_cannot_be_read_is_recorded_and_loaded_by_reparse(tmp_path: Path) -> None:
    generated = pages(range(4))
    conn, archive = demo_db(tmp_path, generated[:3])
    at2 = "2026-11-02T00:00:00Z"
    add_run(conn, "r2", at2)
    late = archive_pages(
        conn, archive, "r2", at2, [(generated[3].expected.url or "", generated[3].html)]
    )[0]
    broken = archive_pages(
        conn,
        archive,
        "r2",
        at2,
        [
            (
                "https://www.zippia.com/x-jobs/x-vs-y-differences/",
                "<html><body>blocked</body></html>",
            )
        ],
    )[0]
    warc = conn.execute(
        "SELECT warc_file FROM fetches WHERE fetch_id = ?", (late.fetch_id,)
    ).fetchone()[0]
    moved = tmp_path / "elsewhere.warc.gz"
    (archive / warc).rename(moved)
    report = load_pending(conn, settings(), archive_dir=archive)
    assert (report.pages, report.failed_pages) == (5, 2)
    issues = conn.execute(
        "SELECT fetch_id, kind, warc_file, warc_offset, url FROM parse_issues "
        "WHERE kind LIKE 'parse_%' ORDER BY fetch_id"
    ).fetchall()
    assert [(r[0], r[1]) for r in issues] == [
        (late.fetch_id, "parse_archive_unreadable"),
        (broken.fetch_id, "parse_not_a_comparison"),
    ]
    assert all(r["warc_file"] and r["warc_offset"] is not None for r in issues)
    assert count(conn, "fetches", "load_state = 'failed'") == 2
    moved.rename(archive / warc)
    report = load_pending(conn, settings(), archive_dir=archive, reparse=True)
    assert report.failed_pages == 1
    assert_loaded_as(conn, generated[3].expected)
    assert count(conn, "fetches", "load_state = 'failed'") == 1
    assert count(conn, "parse_issues", "kind LIKE 'parse_%'") == 1


def test_a_page_gone_sets_gone_at_and_coming_back_clears_it(tmp_path: Path) -> None:
    generated = pages(range(3))
    conn, archive = demo_db(tmp_path, generated)
    load_pending(conn, settings(), run_id="r1", archive_dir=archive)
    url = generated[1].expected.url or ""
    add_run(conn, "r2", "2026-11-08T00:00:00Z")
    log_gone(conn, "r2", "2026-11-08T00:00:00Z", url, 410)
    load_pending(conn, settings(), archive_dir=archive)
    gone = conn.execute("SELECT page_key FROM comparisons WHERE gone_at IS NOT NULL").fetchall()
    assert [r[0] for r in gone] == [generated[1].path]
    add_run(conn, "r3", "2026-11-15T00:00:00Z")
    log_unchanged(conn, "r3", "2026-11-15T00:00:00Z", [url])
    load_pending(conn, settings(), archive_dir=archive)
    assert count(conn, "comparisons", "gone_at IS NOT NULL") == 0
    assert count(conn, "comparisons", "last_seen_at = '2026-11-15T00:00:00Z'") == 1
