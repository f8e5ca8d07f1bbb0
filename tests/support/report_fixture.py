"""A loaded fixture database for the report tests: the demo generator's expected records
loaded by the real loader, with the crawl's runs, frontier and fetch log written by the
crawler's own storage code (``store.crawl_state.CrawlState``; two runs: the second
changes K pages, removes J, adds some)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from demosite.generator import generate_page
from pipeline.load import load_records
from schemas.records import ComparisonRecord
from scraper.urls import page_key
from store.crawl_records import FetchRecord, FrontierItem
from store.crawl_state import CrawlState
from store.db import connect, transaction
from store.runs import set_counters
from support.rows import pinned

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
    """The crawl's rows for one run: ``runs``, ``frontier``, ``fetches`` and ``url_state``,
    written as a crawl of ``BASE_URL`` writes them, all at ``run.started_at``.

    ``fetched`` maps a URL to (outcome, HTTP status), ``discovered`` a URL to where the
    crawler found it: ``sitemap``, or ``known`` (queued again because an earlier run saw
    it, as the crawler does so removed pages are noticed). The run counts what it
    discovered and fetched as the crawl does; ``run.counters`` then overrides counters.
    Pages that answered 404/410 are marked gone (the gone guard lets them)."""
    at = run.started_at
    state = CrawlState(conn)
    with pinned(at, run.run_id):
        state.open_run(fresh=True, command="refresh", base_url=BASE_URL)
        state.add((url, source, 0) for url, source in discovered.items())
        state.record_many(
            (
                FrontierItem(0, page_key(url), url, 0),
                FetchRecord(
                    outcome,
                    url,
                    status=status,
                    attempts=1,
                    bytes=9000 if status == 200 else 0,
                    elapsed_ms=5,
                ),
                {outcome: 1, "fetched": int(status is not None)},
                (),
            )
            for url, (outcome, status) in fetched.items()
        )
        state.settle_gone(max_fraction=1.0)
        if run.counters:
            with transaction(conn):
                set_counters(conn, run.run_id, run.counters)
        state.finish(complete=run.complete, exit_code=0)


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
