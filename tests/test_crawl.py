"""The crawler against the bundled demo site on 127.0.0.1: discovery, exactly-once
fetching, the fetch log and archive, incremental refresh, faults, robots.txt, resume."""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from support.crawl import make_settings, run
from support.rows import add_run

from demosite.faults import PERMANENT, TRANSIENT
from demosite.server import RunningSite
from demosite.site import Missing
from schemas.columns import COUNTERS
from schemas.errors import RobotsUnreachable
from schemas.settings import Settings
from scraper.archive import read_body
from scraper.urls import page_key
from store.db import connect


def client(site: RunningSite, settings: Settings) -> dict[str, Any]:
    return site.client_stats(settings.politeness.user_agent_header)


def fetch_rows(settings: Settings, run_id: str | None = None) -> list[sqlite3.Row]:
    conn = connect(settings.output.db)
    try:
        sql = "SELECT * FROM fetches" + (" WHERE run_id = ?" if run_id else "")
        return conn.execute(sql + " ORDER BY fetch_id", (run_id,) if run_id else ()).fetchall()
    finally:
        conn.close()


def integrity_ok(settings: Settings) -> None:
    conn = connect(settings.output.db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def warm(site: RunningSite) -> None:
    """Render (and gzip) every page before the crawl, so the server thread - which shares
    this process's GIL - answers at once and its timestamps are not skewed by rendering."""
    from demosite.generator import SEED_PATH

    for path in [SEED_PATH, *site.site.paths]:
        site.site.resolve(path).gzipped()  # type: ignore[union-attr]


#: How late the server may timestamp a request start: it shares this process (and two
#: busy cores) with the crawler, and a stamp taken late shortens the gap that follows
#: it. Measured: up to ~20 ms under load. Intervals under test are >= 10x this.
CLOCK_SLACK = 0.025


@pytest.fixture
def fine_switching() -> Any:
    """A short GIL switch interval while timing: the server thread stamps promptly."""
    import sys

    before = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)
    yield
    sys.setswitchinterval(before)


def live_keys(site: RunningSite) -> set[str]:
    return {page_key(p) for p in site.site.live_paths()}


def test_clean_site_every_page_fetched_once_archived_and_logged(
    demo_site: RunningSite,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = make_settings(demo_site, tmp_path)
    report = run(settings)
    keys = live_keys(demo_site)
    assert report.complete and report.exit_code == 0 and report.resumed_from is None
    assert set(report.counters) == set(COUNTERS)
    assert report.counters["new"] == report.counters["fetched"] == len(keys)
    assert report.counters["discovered"] == len(keys)

    stats = client(demo_site, settings)
    assert stats["disallowed"] == 0
    served = stats["complete_200"]
    assert all(served[k] == 1 for k in keys), "every page served whole exactly once"

    rows = fetch_rows(settings, report.run_id)
    assert {r["page_key"] for r in rows} == keys and len(rows) == len(keys)
    for row in rows:
        assert row["outcome"] == "new" and row["status"] == 200 and row["load_state"] == "pending"
        assert row["attempts"] == 1 and row["etag"] and row["last_modified"]
        body = read_body(settings.output.archive_dir, row["warc_file"], row["warc_offset"])
        assert hashlib.sha256(body).hexdigest() == row["content_sha256"]
        assert check(row["url"], body), "the archived body is the comparison page"
    assert sum(r["bytes"] for r in rows) == report.counters["bytes"]

    conn = connect(settings.output.db)
    runs = conn.execute("SELECT * FROM runs").fetchall()
    conn.close()
    assert len(runs) == 1 and runs[0]["exit_code"] == 0 and runs[0]["finished_at"]
    assert runs[0]["complete"] == 1 and runs[0]["new"] == len(keys)
    integrity_ok(settings)


def test_recrawl_uses_304s_then_sees_changes_and_removals(
    demo_site: RunningSite,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = make_settings(demo_site, tmp_path)
    first = run(settings)
    archive_files = sorted(p.name for p in settings.output.archive_dir.iterdir())

    second = run(settings)
    n = first.counters["new"]
    assert second.run_id != first.run_id and second.resumed_from is None
    assert second.counters["not_modified"] == n and second.counters["new"] == 0
    assert second.counters["bytes"] == 0
    assert client(demo_site, settings)["status"]["304"] == n
    assert sorted(p.name for p in settings.output.archive_dir.iterdir()) == archive_files
    assert all(r["load_state"] is None for r in fetch_rows(settings, second.run_id))

    changed = {page_key(p) for p in demo_site.site.change(3)}
    removed = {page_key(p) for p in demo_site.site.remove(2)}
    third = run(settings)
    rows = {r["page_key"]: r for r in fetch_rows(settings, third.run_id)}
    assert {k for k, r in rows.items() if r["outcome"] == "changed"} == changed
    assert all(rows[k]["load_state"] == "pending" and rows[k]["warc_file"] for k in changed)
    assert {k for k, r in rows.items() if r["outcome"] == "gone"} == removed
    assert all(rows[k]["status"] == 410 for k in removed)
    assert third.counters["not_modified"] == n - 5
    conn = connect(settings.output.db)
    gone = {r[0] for r in conn.execute("SELECT page_key FROM url_state WHERE gone_at IS NOT NULL")}
    conn.close()
    assert gone == removed


def test_same_comparison_on_another_port_is_the_same_page(
    demo_site_factory: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    first_site = demo_site_factory(pages=12)
    settings = make_settings(first_site, tmp_path)
    first = run(settings)
    first_site.stop()
    mirror = demo_site_factory(pages=12)
    assert mirror.base_url != first_site.base_url
    again = run(make_settings(mirror, tmp_path))
    assert again.counters["not_modified"] == first.counters["new"]
    assert again.counters["new"] == 0
    keys = {r["page_key"] for r in fetch_rows(settings, again.run_id)}
    assert keys == {r["page_key"] for r in fetch_rows(settings, first.run_id)}


def test_every_fault_is_handled_as_specified(
    demo_site_factory: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    site = demo_site_factory(pages=20, faults="hostile")
    settings = make_settings(
        site,
        tmp_path,
        limits={"timeout": 0.5, "max_decompressed_bytes": 4_000_000},
        retries={"retry_after_cap": 0.5},
    )
    report = run(settings)
    plan = {page_key(p): f for p, f in site.site.fault_plan.items()}
    assert {f.kind for f in plan.values()} == set(TRANSIENT + PERMANENT)
    rows = {r["page_key"]: r for r in fetch_rows(settings, report.run_id)}
    expected_outcome = {
        "429": "deferred",  # Retry-After 1-2 s is above the 0.5 s cap
        "429-date": "deferred",
        "404": "gone",
        "410": "gone",
        "block": "blocked",
        "offsite": "failed",
        "loop": "failed",
        "huge": "failed",
        "gzip-bomb": "failed",
    }
    for key, fault in plan.items():
        row = rows[key]
        want = expected_outcome.get(fault.kind, "new")
        assert row["outcome"] == want, (fault.kind, dict(row))
        if want == "new":  # transient: recovered on the attempt after its failures
            assert row["attempts"] == fault.tries + 1, (fault.kind, dict(row))
        elif fault.kind == "block":
            assert row["attempts"] == 2 and row["load_state"] is None  # retried once
        elif want in ("gone", "failed"):
            assert row["attempts"] == 1, (fault.kind, dict(row))
    errors = {plan[k].kind: rows[k]["error"] for k in plan if rows[k]["error"]}
    assert "limit" in errors["huge"]
    assert "inflates beyond 4000000" in errors["gzip-bomb"]
    assert "not allowed" in errors["offsite"]
    assert "more than 5 redirects" in errors["loop"]
    for key in set(rows) - set(plan):
        assert rows[key]["outcome"] == "new"

    c = report.counters
    assert c["retried"] == sum(r["attempts"] - 1 for r in rows.values())
    assert c["deferred"] == 2 and c["blocked"] == 1 and c["gone"] == 2 and c["failed"] == 4
    assert report.complete and report.exit_code == 1  # 5 of 20 failed or blocked
    stats = client(site, settings)
    assert stats["disallowed"] == 0
    assert stats["blocked"] == 2  # the block page, and the one retry it gets
    assert set(stats["complete_200"].values()) == {1}

    conn = connect(settings.output.db)
    deferred = conn.execute(
        "SELECT count(*) FROM frontier WHERE run_id = ? AND state = 'deferred'", (report.run_id,)
    ).fetchone()[0]
    conn.close()
    assert deferred == 2
    later = run(make_settings(site, tmp_path, retries={"retry_after_cap": 5}))
    rows = {r["page_key"]: r for r in fetch_rows(settings, later.run_id)}
    assert all(rows[k]["outcome"] == "new" for k, f in plan.items() if f.kind.startswith("429"))


def test_robots_disallowed_urls_are_never_requested(
    demo_site: RunningSite,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = demo_site.site
    paths = site.paths[:6]
    robots = "User-agent: *\nDisallow: /_admin/\n" + "".join(f"Disallow: {p}\n" for p in paths[:3])
    real = site.resolve

    def resolve(target: str):  # type: ignore[no-untyped-def]
        if target == "/robots.txt":
            res = real(target)
            return type(res)(robots.encode(), res.content_type, res.etag, res.last_modified)
        return real(target)

    monkeypatch.setattr(site, "resolve", resolve)
    monkeypatch.setattr("demosite.site.is_disallowed", lambda p: p.startswith(tuple(paths[:3])))
    monkeypatch.setattr("demosite.server.is_disallowed", lambda p: p.startswith(tuple(paths[:3])))
    settings = make_settings(demo_site, tmp_path, site={"seeds": paths, "use_sitemaps": False})
    report = run(settings)
    assert report.counters["robots_skipped"] == 3 and report.counters["new"] == 3
    stats = client(demo_site, settings)
    assert stats["disallowed"] == 0 and stats["requests"] == 4  # robots.txt + 3 pages
    outcomes = {r["page_key"]: r["outcome"] for r in fetch_rows(settings)}
    assert {k for k, o in outcomes.items() if o == "robots_skipped"} == set(paths[:3])


def robots_answers(status: int, site: RunningSite, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the demo site answer ``status`` for robots.txt, and serve the rest as usual."""
    real = site.site.resolve
    monkeypatch.setattr(
        site.site, "resolve", lambda t: Missing(status) if t == "/robots.txt" else real(t)
    )


@pytest.mark.parametrize("status", [404, 403, 410])
def test_robots_4xx_allows_everything(
    demo_site: RunningSite,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
) -> None:
    robots_answers(status, demo_site, monkeypatch)
    seeds = demo_site.site.paths[:3]
    settings = make_settings(demo_site, tmp_path, site={"seeds": seeds, "use_sitemaps": False})
    assert run(settings).counters["new"] == 3


@pytest.mark.parametrize("status", [500, 503])
def test_robots_5xx_stops_the_crawl(
    demo_site: RunningSite,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
) -> None:
    robots_answers(status, demo_site, monkeypatch)
    settings = make_settings(demo_site, tmp_path, retries={"max_attempts": 2})
    with pytest.raises(RobotsUnreachable) as caught:
        run(settings)
    assert "robots.txt unreachable" in str(caught.value) and caught.value.run_id
    stats = client(demo_site, settings)
    assert stats["requests"] == 2 and set(stats["status"]) == {str(status)}
    conn = connect(settings.output.db)
    row = conn.execute("SELECT * FROM runs").fetchone()
    conn.close()
    assert row["exit_code"] == 2 and row["complete"] == 0


def test_unreachable_site_is_fatal(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    settings = make_settings(f"http://127.0.0.1:{port}/", tmp_path, retries={"max_attempts": 2})
    with pytest.raises(RobotsUnreachable):
        run(settings)


def test_crawl_delay_is_honoured_when_stricter(
    demo_site_factory: Any,  # noqa: F811
    tmp_path: Path,
    fine_switching: None,
) -> None:
    site = demo_site_factory(pages=6, crawl_delay=0.25)
    warm(site)
    settings = make_settings(
        site,
        tmp_path,
        politeness={"rate": 0, "max_in_flight": 4},
        site={"seeds": site.site.paths[:5], "use_sitemaps": False},
    )
    report = run(settings)
    stats = client(site, settings)
    assert report.counters["new"] == 5 and stats["requests"] == 6
    assert stats["min_interval_s"] >= 0.25 - CLOCK_SLACK
    assert stats["max_in_flight"] == 1  # 0.25 s apart, each answered well within that


def test_in_flight_cap_and_interval_are_never_exceeded(
    demo_site_factory: Any,  # noqa: F811
    tmp_path: Path,
    fine_switching: None,
) -> None:
    from demosite.faults import Fault

    site = demo_site_factory(pages=12, slow_seconds=0.2)
    # every page's first request is held 0.2 s by the server, so requests pile up
    site.site.fault_plan = {p: Fault("slow", 1) for p in site.site.paths}
    fast = make_settings(site, tmp_path / "a", politeness={"rate": 0, "max_in_flight": 3})
    report = run(fast)
    assert report.counters["new"] == 13 and report.counters["retried"] == 0
    stats = client(site, fast)
    assert stats["max_in_flight"] == 3

    site.server.stats.reset()
    warm(site)
    paced = make_settings(
        site,
        tmp_path / "b",
        politeness={"rate": 4, "max_in_flight": 2},
        site={"seeds": site.site.paths[:5], "use_sitemaps": False},
    )
    run(paced)
    stats = client(site, paced)
    assert stats["requests"] == 6 and stats["max_in_flight"] <= 2
    assert stats["min_interval_s"] >= 1 / 4 - CLOCK_SLACK


def test_retry_after_pauses_the_whole_host(
    demo_site_factory: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    import time

    site = demo_site_factory(pages=12, faults="flaky")
    plan = {page_key(p): f for p, f in site.site.fault_plan.items()}
    started: list[tuple[float, str]] = []
    answered: list[tuple[float, str, int | None]] = []
    stats = site.server.stats
    real_start, real_finish = stats.start, stats.finish

    def start(ua: str, path: str, disallowed: bool):  # type: ignore[no-untyped-def]
        started.append((time.monotonic(), path))
        return real_start(ua, path, disallowed)

    def finish(client_, status, path, complete):  # type: ignore[no-untyped-def]
        answered.append((time.monotonic(), path, status))
        return real_finish(client_, status, path, complete)

    stats.start, stats.finish = start, finish  # type: ignore[method-assign]
    warm(site)
    settings = make_settings(site, tmp_path, limits={"timeout": 0.5})
    report = run(settings)
    assert report.counters["new"] == 13 and report.counters["failed"] == 0
    waits = []
    for when, path, status in answered:
        if status != 429:
            continue
        kind = plan[page_key(path)].kind
        wait = (1.0 if len(path) % 2 else 2.0) if kind == "429" else 0.0
        if kind == "429-date":
            continue  # an HTTP date rounded to the second: checked by its own retry below
        waits.append((when, wait))
    assert waits, "the flaky site should have answered some 429s"
    for when, wait in waits:
        # requests already sent when the 429 arrived may land just after it
        window = (when + 2 * CLOCK_SLACK, when + wait - CLOCK_SLACK)
        too_soon = [(t - when, p) for t, p in started if window[0] < t < window[1]]
        assert not too_soon, f"requests started during a {wait} s Retry-After pause: {too_soon}"


@pytest.mark.parametrize("in_flight", [1, 4])
def test_breaker_stops_the_run_on_repeated_blocks(
    demo_site_factory: Any,  # noqa: F811
    tmp_path: Path,
    in_flight: int,
) -> None:
    from demosite.faults import Fault
    from demosite.generator import SEED_PATH
    from schemas.errors import BreakerTripped
    from scraper.urls import comparison_slugs

    site = demo_site_factory(pages=30)
    site.site.fault_plan = {p: Fault("block", 0) for p in [SEED_PATH, *site.site.paths]}
    settings = make_settings(
        site,
        tmp_path,
        politeness={"rate": 0, "max_in_flight": in_flight},
        retries={"breaker_threshold": 3},
    )
    with pytest.raises(BreakerTripped) as caught:
        run(settings)
    assert "3 block pages or 429s in a row" in str(caught.value)
    stats = client(site, settings)
    if in_flight == 1:
        assert stats["blocked"] == 3  # 3 block pages in a row, then not one request more
        assert not [p for p in stats["complete_200"] if comparison_slugs(p)]
    else:  # requests already sent when the third block page came back are answered too
        assert 3 <= stats["blocked"] < 3 + in_flight
    conn = connect(settings.output.db)
    row = conn.execute("SELECT * FROM runs").fetchone()
    pending = conn.execute("SELECT count(*) FROM frontier WHERE state = 'pending'").fetchone()[0]
    blocked = conn.execute("SELECT error FROM fetches WHERE outcome = 'blocked'").fetchall()
    conn.close()
    assert row["exit_code"] == 2 and row["complete"] == 0 and pending >= 28
    # the page whose block tripped the breaker is in the fetch log and the counters, also
    # when its worker was cancelled while waiting for the commit (in_flight 4: the crawl's
    # last flush records it); a page still between its tries stays pending
    assert row["blocked"] == len(blocked) >= 1
    assert any("in a row" in error for (error,) in blocked)


def test_limit_then_resume_then_fresh(
    demo_site: RunningSite,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    total = len(live_keys(demo_site))
    limited = run(make_settings(demo_site, tmp_path, run={"limit": 7}))
    assert limited.counters["fetched"] == 7 and not limited.complete
    assert limited.pending == total - 7

    caplog.set_level(logging.INFO)
    resumed = run(make_settings(demo_site, tmp_path))
    assert resumed.run_id == limited.run_id
    assert resumed.resumed_from == (limited.run_id, total - 7)
    assert f"resuming {total - 7} pending URLs of run {limited.run_id}" in caplog.text
    assert resumed.complete and resumed.counters["new"] == total
    rows = fetch_rows(make_settings(demo_site, tmp_path), limited.run_id)
    assert len(rows) == len({r["page_key"] for r in rows}) == total
    served = client(demo_site, make_settings(demo_site, tmp_path))["complete_200"]
    pages = {p: n for p, n in served.items() if page_key(p) in live_keys(demo_site)}
    assert len(pages) == total and set(pages.values()) == {1}

    again = run(make_settings(demo_site, tmp_path, run={"limit": 3}))
    fresh = run(make_settings(demo_site, tmp_path, run={"fresh": True, "limit": 2}))
    assert fresh.run_id != again.run_id and fresh.resumed_from is None


def test_follow_links_and_role_seeds(
    demo_site: RunningSite,  # noqa: F811
    tmp_path: Path,
) -> None:
    from scraper.links import comparison_links

    site = demo_site.site
    start = site.paths[0]
    settings = make_settings(
        demo_site, tmp_path / "links", site={"seeds": [start], "use_sitemaps": False}
    )
    alone = run(settings)
    assert alone.counters["discovered"] == 1

    followed = make_settings(
        demo_site,
        tmp_path / "follow",
        site={"seeds": [start], "use_sitemaps": False, "follow_depth": 1},
    )
    report = run(followed)
    html = site.resolve(start).body  # type: ignore[union-attr]
    linked = {page_key(u) for u in comparison_links(html, demo_site.url(start))}
    assert linked, "a demo page links to other comparisons"
    keys = {r["page_key"] for r in fetch_rows(followed)}
    assert keys == linked | {start}
    assert report.counters["discovered"] == len(keys)
    assert client(demo_site, followed)["disallowed"] == 0

    slug = site.catalog.pair(0)[0]
    by_role = make_settings(
        demo_site, tmp_path / "role", site={"seeds": [slug], "use_sitemaps": False}
    )
    report = run(by_role)
    keys = {r["page_key"] for r in fetch_rows(by_role)}
    role_html = site.resolve(f"/{slug}-jobs/").body.decode()  # type: ignore[union-attr]
    hrefs = re.findall(r'href="([^"]+)"', role_html)
    want = {page_key(h) for h in hrefs if "-vs-" in h and not h.startswith("/preview/")}
    assert len(want) > 2
    assert keys == want and report.counters["new"] == len(want)
    assert client(demo_site, by_role)["disallowed"] == 0


def test_small_spool_writes_big_bodies_to_disk_and_still_archives_them(
    demo_site: RunningSite,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = make_settings(
        demo_site,
        tmp_path,
        limits={"spool_bytes": 4096},
        site={"seeds": demo_site.site.paths[:4], "use_sitemaps": False},
    )
    report = run(settings)
    assert report.counters["new"] == 4
    for row in fetch_rows(settings):
        body = read_body(settings.output.archive_dir, row["warc_file"], row["warc_offset"])
        assert len(body) > 4096
        assert hashlib.sha256(body).hexdigest() == row["content_sha256"]


def test_only_an_unfinished_crawl_of_the_same_site_is_resumed(
    demo_site_factory: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    first = demo_site_factory(pages=8)
    other = demo_site_factory(pages=8)
    limited = run(make_settings(first, tmp_path, run={"limit": 2}))
    assert not limited.complete
    conn = connect(tmp_path / "careers.db")
    # what an interrupted `careers load` leaves: no site, not complete
    add_run(conn, "load-1", "2099-01-01", "load")
    conn.close()
    elsewhere = run(make_settings(other, tmp_path))
    assert elsewhere.resumed_from is None and elsewhere.run_id != limited.run_id
    back = run(make_settings(first, tmp_path))
    assert back.resumed_from == (limited.run_id, limited.pending)
    assert back.complete


# --- the block-page check ------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
ROLES_URL = (
    "https://www.zippia.com/research-development-rd-engineer-sr-jobs/"
    "research-development-rd-engineer-sr-vs-editors-assistant-intern-differences/"
)
_GRID_TAGS = re.compile(rb"<(/?)(?:table|thead|tbody|tr|th|td)\b", re.IGNORECASE)


def without_tables(body: bytes) -> bytes:
    """The same page with its tables, rows and cells turned into divs."""
    changed = _GRID_TAGS.sub(rb"<\1div", body)
    assert b"<table" not in changed.lower() and b"<td" not in changed.lower()
    return changed


def check(url: str, body: bytes, chunk: int | None = None) -> bool:
    from scraper.blockpage import ComparisonCheck

    page = ComparisonCheck(url)
    step = chunk or max(len(body), 1)
    for start in range(0, len(body), step):
        page.feed(body[start : start + step])
    return page.ok()


def generated(index: int) -> tuple[str, bytes]:
    from demosite import generator

    families = getattr(generator, "FAMILIES", (None,))
    kwargs = {"family": families[index % len(families)]} if families != (None,) else {}
    page = generator.generate_page(7, index, **kwargs)  # type: ignore[arg-type]
    return page.expected.url, page.html.encode()


@pytest.mark.parametrize("chunk", [None, 65536, 8192, 1000, 97])
@pytest.mark.parametrize("index", range(8))
def test_comparison_pages_pass_with_or_without_tables(index: int, chunk: int | None) -> None:
    url, body = generated(index)
    assert check(url, body, chunk)
    assert check(url, without_tables(body), chunk)


def test_the_real_page_passes_in_any_chunks() -> None:
    from demosite.generator import seed_page

    html, record = seed_page()
    for chunk in (None, 4096, 1):
        assert check(record.url, html.encode(), chunk)
        assert check(record.url, without_tables(html.encode()), chunk)


@pytest.mark.parametrize(
    "name, body",
    [
        ("fixture", (FIXTURES / "block-page.html").read_bytes()),
        ("demo site", None),  # demosite.faults.BLOCK_PAGE
        (
            "captcha, the roles named in the body only",
            b"<html><head><title>Security check</title></head><body><h1>One more step</h1>"
            b"<p>Research &amp; Development (R&amp;D) Engineer, Sr. vs Editor's Assistant"
            b" / Intern</p><div class='g-recaptcha'></div></body></html>",
        ),
        (
            "roles in the title, access denied in the h1",
            b"<html><head><title>Research &amp; Development (R&amp;D) Engineer, Sr. vs "
            b"Editor&#x27;s Assistant / Intern</title></head><body><h1>Access Denied</h1>"
            b"<p>Reference #18.a3f</p></body></html>",
        ),
        (
            "roles in the h1, a challenge title",
            b"<html><head><title>Just a moment...</title></head><body>"
            b"<h1>Editor's Assistant / Intern</h1></body></html>",
        ),
        (
            "cloudflare",
            b"<!DOCTYPE html><html><head><TITLE>Attention Required! | Cloudflare</TITLE>"
            b"</head><body><H1 data-translate='block_headline'>Sorry,\n you have been\n"
            b"blocked</H1></body></html>",
        ),
        ("an empty 200", b""),
        ("no title, no h1", b"<html><body><iframe src='https://geo.captcha-delivery.com/'>"),
    ],
)
def test_block_and_captcha_pages_fail(name: str, body: bytes | None) -> None:
    from demosite.faults import BLOCK_PAGE

    body = BLOCK_PAGE if body is None else body
    for chunk in (None, 10, 1):
        assert not check(ROLES_URL, body, chunk), name


@pytest.mark.parametrize(
    "name, body",
    [
        (
            "either role alone, in the title, entities and punctuation",
            b"<title>Editor&#x27;s Assistant / Intern Careers</title><h1>Compare</h1>",
        ),
        (
            "in the h1 only, tags and entities inside it",
            b"<title>Zippia</title><h1 class=x>Research &amp; Development "
            b"<span>(R&amp;D)</span>\n Engineer, Sr.&nbsp;vs them</h1>",
        ),
        (
            "captcha and access denied outside the title and h1",
            b"<html><head><title>Research & Development (R&D) Engineer, Sr. vs X</title>"
            b"<script src='https://www.google.com/recaptcha/api.js'></script>"
            b"<script src='/cdn-cgi/challenge-platform/scripts/jsd/main.js'></script></head>"
            b"<body><h1>Research & Development (R&D) Engineer, Sr.</h1><p>Access denied "
            b'to a captcha? Verify you are human</p><script>{"captcha":1}</script>',
        ),
        ("no h1, the title names a role", b"<title>Editor's Assistant / Intern</title>" * 3),
        (
            "no h1 within the first 64 KB",
            b"<title>Editor's Assistant / Intern</title>" + b"<p>x</p>" * 20_000,
        ),
        (
            "upper-case tags",
            b"<HTML><HEAD><TITLE>Editors Assistant Intern</TITLE></HEAD><BODY><H1>hi</H1>",
        ),
    ],
)
def test_comparison_pages_pass_whatever_their_markup(name: str, body: bytes) -> None:
    for chunk in (None, 1000, 7):
        assert check(ROLES_URL, body, chunk), name


@pytest.mark.parametrize(
    ("h1", "ok"),
    [
        (b"Access&nbsp;Denied.", False),
        (b"ACCESS-DENIED", False),
        (b"Please verify\n you are <b>human</b>", False),
        (b"Human Resources Manager vs Robotics Engineer", True),
        (b"Accessibility: denied claims, blocked drains", True),
    ],
)
def test_signatures_are_whole_words_whatever_separates_them(h1: bytes, ok: bool) -> None:
    url = (
        "https://www.zippia.com/human-resources-manager-jobs/"
        "human-resources-manager-vs-robotics-engineer-differences/"
    )
    title = b"<title>Human Resources Manager vs Robotics Engineer</title>"
    assert check(url, title + b"<h1>" + h1 + b"</h1>") is ok


def test_roles_are_compared_by_whole_slugs_and_other_urls_by_signatures_alone() -> None:
    nurse = "https://www.zippia.com/nurse-jobs/nurse-vs-teacher-differences/"
    assert not check(nurse, b"<title>Nursery Assistant vs Teachers Aide</title><h1>x</h1>")
    assert check(nurse, b"<title>Nurse vs Teacher: What Are The Differences?</title><h1>y</h1>")
    assert check(nurse, "<title>Nurse vs Téacher</title><h1>Téacher</h1>".encode())
    cafe = "https://www.zippia.com/cafe-manager-jobs/cafe-manager-vs-decor-consultant-differences/"
    legacy = "<title>Café Manager vs Décor Consultant</title><h1>Café Manager</h1>"
    assert check(cafe, legacy.encode("cp1252")), "a windows-1252 page names its roles too"
    assert check("https://www.zippia.com/", b"<title>Zippia</title>")
    assert not check("https://www.zippia.com/", b"<title>Access denied</title>")


def test_a_redesign_without_tables_is_crawled_not_counted_as_blocked(
    demo_site_factory: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The same pages, every table turned into divs: they are comparison pages, fetched
    and archived as such, and the breaker never hears of them."""
    import dataclasses
    from urllib.parse import urlsplit

    from demosite.site import Resource
    from scraper.urls import comparison_slugs

    site = demo_site_factory(pages=12)
    resolve = site.site.resolve

    def redesigned(target: str) -> object:
        answer = resolve(target)
        if isinstance(answer, Resource) and comparison_slugs(urlsplit(target).path):
            return dataclasses.replace(answer, body=without_tables(answer.body), _gzipped=[])
        return answer

    site.site.resolve = redesigned  # type: ignore[method-assign]
    settings = make_settings(site, tmp_path, retries={"breaker_threshold": 2})
    report = run(settings)
    assert report.complete and report.exit_code == 0
    assert report.counters["blocked"] == 0 and report.counters["new"] == 13
    for row in fetch_rows(settings):
        body = read_body(settings.output.archive_dir, row["warc_file"], row["warc_offset"])
        assert b"<div" in body and b"<table" not in body.lower()
