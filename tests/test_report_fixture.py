"""A loaded fixture database for the report tests: the demo generator's expected records
loaded by the real loader, with the crawl's runs, frontier and fetch log written as the
crawler writes them (two runs: the second changes K pages, removes J, adds some)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from demosite.generator import generate_page
from pipeline.load import load_records
from schemas.columns import COUNTERS
from schemas.records import ComparisonRecord
from scraper.urls import page_key
from store.db import connect

SEED = 11
BASE_URL = "http://127.0.0.1:8765/"
NULL_ROLE_FIELDS = ("average_salary_usd", "salary_range_low_usd", "years_of_experience")


@dataclass
class FixtureRun:
    run_id: str
    started_at: str
    complete: bool = True
    counters: dict[str, int] = field(default_factory=dict)


def record(index: int, revision: int = 0) -> ComparisonRecord:
    return generate_page(SEED, index, size="small", base_url=BASE_URL, revision=revision).expected


def null_role(records: list[ComparisonRecord], slug: str) -> None:
    """Blank some of one role's figures on every page: the page showed ``-`` there."""
    for rec in records:
        for side in ("a", "b"):
            if rec.role(side).slug == slug:
                for name in NULL_ROLE_FIELDS:
                    setattr(rec.side(side), name, None)
                rec.side(side).gender_pct = None


def add_run(
    conn: sqlite3.Connection,
    run: FixtureRun,
    fetched: dict[str, tuple[str, int | None]],
    discovered: dict[str, str],
) -> None:
    """The crawl's rows for one run: ``runs``, ``frontier`` and ``fetches``.

    ``fetched`` maps a URL to (outcome, HTTP status), ``discovered`` a URL to where the
    crawler found it: ``sitemap``, or ``known`` (queued again because an earlier run saw
    it, as the crawler does so removed pages are noticed)."""
    counters = {name: 0 for name in COUNTERS}
    counters["discovered"] = len(discovered)
    for outcome, _ in fetched.values():
        counters[outcome] += 1
    counters["fetched"] = sum(1 for _, status in fetched.values() if status is not None)
    counters.update(run.counters)
    names = ", ".join(counters)
    conn.execute(
        f"INSERT INTO runs (run_id, command, base_url, started_at, finished_at, exit_code, "
        f"complete, {names}) VALUES (?, 'refresh', ?, ?, ?, 0, ?, "
        f"{', '.join('?' * len(counters))})",  # fmt: skip
        (
            run.run_id,
            BASE_URL,
            run.started_at,
            run.started_at,
            int(run.complete),
            *counters.values(),
        ),
    )
    conn.executemany(
        "INSERT INTO frontier (run_id, page_key, url, source, state, discovered_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'done', ?, ?)",
        [
            (run.run_id, page_key(u), u, source, run.started_at, run.started_at)
            for u, source in discovered.items()
        ],
    )
    conn.executemany(
        "INSERT INTO fetches (run_id, page_key, url, fetched_at, outcome, status, attempts, bytes,"
        " elapsed_ms) VALUES (?, ?, ?, ?, ?, ?, 1, ?, 5)",
        [
            (
                run.run_id,
                page_key(u),
                u,
                run.started_at,
                outcome,
                status,
                9000 if status == 200 else 0,
            )
            for u, (outcome, status) in fetched.items()
        ],
    )


@dataclass
class Fixture:
    db: Path
    pages: int
    changed: list[int]
    gone: list[int]
    missing: list[int]
    added: list[int]
    null_slug: str


def build(
    db: Path,
    pages: int = 40,
    changed: tuple[int, ...] = (),
    gone: tuple[int, ...] = (),
    missing: tuple[int, ...] = (),
    added: tuple[int, ...] = (),
    second_run: bool = True,
    second_complete: bool = True,
) -> Fixture:
    """Run 1 (``r1``) fetches pages ``0..pages-1``, all new. Run 2 (``r2``), when asked,
    refetches them: ``changed`` get revision 1, ``gone`` answer 404/410 and left the
    sitemap, ``missing`` left the sitemap but still answer, ``added`` are new pages; the
    rest are unchanged."""
    first = [record(i) for i in range(pages)]
    null_slug = first[0].role_a.slug
    null_role(first, null_slug)
    conn = connect(db)
    try:
        urls = {i: first[i].url or "" for i in range(pages)}
        add_run(
            conn,
            FixtureRun("r1", "2026-11-20T10:00:00Z"),
            {u: ("new", 200) for u in urls.values()},
            dict.fromkeys(urls.values(), "sitemap"),
        )
        load_records(conn, first, run_id="r1", fetched_at="2026-11-20T10:00:05Z")
        if second_run:
            revised = [record(i, revision=1) for i in changed]
            new = [record(i) for i in added]
            null_role(revised + new, null_slug)
            fetched: dict[str, tuple[str, int | None]] = {}
            for i, url in urls.items():
                if i in missing:
                    fetched[url] = ("unchanged", 200)  # still up, no longer listed
                elif i in gone:
                    fetched[url] = ("gone", 404 if i % 2 else 410)
                elif i in changed:
                    fetched[url] = ("changed", 200)
                else:
                    fetched[url] = ("unchanged", 200)
            for rec in new:
                fetched[rec.url or ""] = ("new", 200)
            discovered = {
                u: "known" if i in missing or i in gone else "sitemap" for i, u in urls.items()
            }
            discovered.update(dict.fromkeys((r.url or "" for r in new), "sitemap"))
            add_run(
                conn,
                FixtureRun("r2", "2026-11-21T10:00:00Z", complete=second_complete),
                fetched,
                discovered,
            )
            load_records(conn, revised + new, run_id="r2", fetched_at="2026-11-21T10:00:05Z")
    finally:
        conn.close()
    return Fixture(db, pages, list(changed), list(gone), list(missing), list(added), null_slug)
