"""Only ``http``/``https`` URLs on allowed hosts enter the frontier, ``fetches``,
``url_state`` and the report's links; everything else is dropped and counted in
``rejected_urls`` (issue 14)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from local_site import Answer, local_site, not_found, sitemap_of
from support.commands import last_run_report, refresh
from support.crawl import make_settings, run

from pipeline.report import tables
from scraper.urls import is_web_url, web_url_or_none
from store.db import connect

GOOD = "ra-jobs/ra-vs-sb-differences/"
BAD_SCHEMES = ("gopher", "ftp", "javascript")


def page(links: list[str]) -> Answer:
    anchors = "".join(f'<a href="{u}">x</a>' for u in links)
    body = f"<html><head><title>Ra vs Sb</title></head><body><h1>Ra vs Sb</h1>{anchors}</body>"
    return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode()


def bad_urls(base: str, path: str) -> list[str]:
    host = base.split("://", 1)[1].rstrip("/")
    return [f"{scheme}://{host}{path}" for scheme in BAD_SCHEMES]


def rows(db: Path, sql: str) -> list[sqlite3.Row]:
    conn = connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_sitemap_entries_that_are_not_http_are_dropped_and_counted(tmp_path: Path) -> None:
    with local_site() as site:
        entries = [site.base_url + GOOD, *bad_urls(site.base_url, "/rc-jobs/rc-vs-sd-differences/")]
        site.routes["/sitemap.xml"] = (200, {}, sitemap_of(entries))
        site.routes["/" + GOOD] = page([])
        proc = refresh(site.base_url, tmp_path, "-v")
        asked = [p for p in site.requests if p.endswith("-differences/")]
    assert proc.returncode in (0, 1), proc.stderr  # 1: the stand-in page does not parse
    assert asked == ["/" + GOOD]  # once, never the others, never retried
    report = last_run_report(tmp_path)
    assert report["rejected_urls"] == 3 and report["discovered"] == 1
    assert "rejected_urls=3" in proc.stdout  # the summary line
    db = tmp_path / "careers.db"
    for table in ("frontier", "fetches", "url_state"):
        urls = [r["url"] for r in rows(db, f"SELECT url FROM {table}")]
        assert urls and all(is_web_url(u) for u in urls), (table, urls)
    assert rows(db, "SELECT rejected_urls FROM runs")[0][0] == 3


def test_links_that_are_not_http_are_dropped_and_counted(tmp_path: Path) -> None:
    with local_site() as site:
        linked = "/rc-jobs/rc-vs-sd-differences/"
        site.routes["/sitemap.xml"] = (200, {}, sitemap_of([site.base_url + GOOD]))
        site.routes["/" + GOOD] = page([*bad_urls(site.base_url, linked), linked])
        settings = make_settings(site.base_url, tmp_path, site={"follow_depth": 1})
        report = run(settings, finalize=True)
        asked = [p for p in site.requests if p.endswith("-differences/")]
    assert report.counters["rejected_urls"] == 3
    assert sorted(asked) == sorted(["/" + GOOD, linked])
    frontier = [r["url"] for r in rows(settings.output.db, "SELECT url FROM frontier")]
    assert len(frontier) == 2 and all(is_web_url(u) for u in frontier)


def test_a_frontier_row_left_by_an_older_version_is_rejected_not_fetched(tmp_path: Path) -> None:
    routes: dict[str, Answer] = {}
    with local_site(routes, not_found) as site:
        routes["/sitemap.xml"] = (200, {}, sitemap_of([site.base_url + GOOD]))
        routes["/" + GOOD] = page([])
        settings = make_settings(site.base_url, tmp_path, run={"limit": 0})
        first = run(settings, finalize=True)  # leaves the frontier pending
        conn = connect(settings.output.db)
        conn.execute(  # raw: a row only an older version wrote (today's crawl rejects the URL)
            "INSERT INTO frontier (run_id, page_key, url, source, discovered_at, updated_at) "
            "VALUES (?, '/x', ?, 'sitemap', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            (first.run_id, bad_urls(site.base_url, "/rc-jobs/rc-vs-sd-differences/")[0]),
        )
        conn.close()
        resumed = run(make_settings(site.base_url, tmp_path), finalize=True)
    assert resumed.run_id == first.run_id and resumed.exit_code == 0
    assert resumed.counters["rejected_urls"] == 1
    fetched = [r["url"] for r in rows(settings.output.db, "SELECT url FROM fetches")]
    assert fetched == [site.base_url + GOOD]


def test_the_report_links_only_http_urls() -> None:
    fetches = [
        {"url": "javascript://h/a-jobs/a-vs-b-differences/", "outcome": "failed"},
        {"url": "https://h/a-jobs/a-vs-c-differences/", "outcome": "new"},
    ]
    table = tables.fetch_table(fetches, tables.common_origin(f["url"] for f in fetches), 2)
    assert [r[0] for r in table.rows] == [None, "https://h/a-jobs/a-vs-c-differences/"]
    same_origin = tables.fetch_table(fetches[:1], "javascript://h", 1)
    assert next(iter(same_origin.rows))[0] is None


def test_canonical_urls_are_http_on_any_host() -> None:
    assert web_url_or_none("https://elsewhere.example/A-jobs/a-vs-b-differences/?x=1") == (
        "https://elsewhere.example/a-jobs/a-vs-b-differences/"
    )
    assert web_url_or_none("javascript://www.zippia.com/a-jobs/a-vs-b-differences/") is None
    assert web_url_or_none(None) is None


def test_the_loader_stores_no_canonical_url_that_is_not_http(tmp_path: Path) -> None:
    from support.load import pages

    from pipeline.load import load_records

    good, bad = (p.expected for p in pages(range(2)))

    def path(url: str | None) -> str:
        return "/" + "/".join((url or "").split("/")[3:])

    bad = bad.model_copy(update={"url": "javascript://www.zippia.com" + path(bad.url)})
    good = good.model_copy(update={"url": "https://elsewhere.example" + path(good.url)})
    conn = connect(tmp_path / "careers.db")
    try:
        load_records(conn, [good, bad])
        canonical = [r[0] for r in conn.execute("SELECT canonical_url FROM comparisons")]
    finally:
        conn.close()
    assert sorted(canonical, key=str) == sorted([None, good.url], key=str)
