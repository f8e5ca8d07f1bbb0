"""Runs that lose everything say so: the gone guard, a run that fetched nothing because
every page was deferred or refused, a 403 as a refusal, a rejected sitemap, and the run
JSON's ``csv_files`` (issue 14)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from local_site import Answer, local_site, not_found, sitemap_of
from support.commands import last_run_report, refresh
from support.crawl import make_settings, run

from schemas.errors import ExitCode


def live_comparisons(out: Path) -> int:
    conn = sqlite3.connect(out / "careers.db")
    try:
        return int(
            conn.execute("SELECT count(*) FROM comparisons WHERE gone_at IS NULL").fetchone()[0]
        )
    finally:
        conn.close()


def gone_url_states(out: Path) -> int:
    conn = sqlite3.connect(out / "careers.db")
    try:
        return int(
            conn.execute("SELECT count(*) FROM url_state WHERE gone_at IS NOT NULL").fetchone()[0]
        )
    finally:
        conn.close()


# --- the gone guard --------------------------------------------------------------------


def test_every_page_404_marks_none_gone_exits_1_and_says_why(demo_site_factory, tmp_path):
    site = demo_site_factory(pages=20)
    assert refresh(site.base_url, tmp_path).returncode == 0
    live = live_comparisons(tmp_path)
    assert live > 20
    # the same database pointed at another server on 127.0.0.1 (``make demo`` with its port
    # taken): robots.txt and an empty sitemap, and every comparison page answers 404
    with local_site({"/sitemap.xml": (200, {}, sitemap_of([]))}) as wrong:
        proc = refresh(wrong.base_url, tmp_path)
    assert proc.returncode == ExitCode.DEGRADED, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"{live} of {live} pages answered 404/410; not marking them gone" in lines[0]
    assert "is the base URL right?" in lines[0]
    assert live_comparisons(tmp_path) == live
    assert gone_url_states(tmp_path) == 0
    report = last_run_report(tmp_path)
    assert report["gone"] == report["gone_held"] == live and report["exit_code"] == 1
    assert report["problems"] == [lines[0].removeprefix("careers: ")]

    # the right base URL again: nothing was lost, every page is still there
    again = refresh(site.base_url, tmp_path)
    assert again.returncode == 0, again.stderr
    assert last_run_report(tmp_path)["not_modified"] == live


def test_a_few_removed_pages_are_marked_gone(demo_site_factory, tmp_path):
    site = demo_site_factory(pages=30)
    assert refresh(site.base_url, tmp_path).returncode == 0
    live = live_comparisons(tmp_path)
    removed = site.site.remove(2)  # 2 of 31: under the 10% of run.max_gone_fraction
    proc = refresh(site.base_url, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    report = last_run_report(tmp_path)
    assert report["gone"] == len(removed) == 2 and report["gone_held"] == 0
    assert live_comparisons(tmp_path) == live - 2
    assert gone_url_states(tmp_path) == 2


def test_the_gone_fraction_is_a_setting(demo_site_factory, tmp_path):
    site = demo_site_factory(pages=30)
    assert refresh(site.base_url, tmp_path).returncode == 0
    site.site.remove(2)
    proc = refresh(site.base_url, tmp_path, env={"CAREERS_RUN__MAX_GONE_FRACTION": "0.05"})
    assert proc.returncode == ExitCode.DEGRADED, proc.stderr
    assert "pages answered 404/410; not marking them gone" in proc.stderr
    assert last_run_report(tmp_path)["gone_held"] == 2
    assert gone_url_states(tmp_path) == 0


def test_the_crawl_alone_holds_url_state_back_too(demo_site, tmp_path):
    settings = make_settings(demo_site, tmp_path)
    assert run(settings, finalize=True).exit_code == 0
    with local_site({"/sitemap.xml": (200, {}, sitemap_of([]))}) as wrong:
        report = run(make_settings(wrong.base_url, tmp_path), finalize=True)
    assert report.exit_code == 1
    live = len(demo_site.site.live_paths())
    assert report.counters["gone"] == report.counters["gone_held"] == live
    assert report.gone is not None and (report.gone.live, report.gone.answered) == (live, live)
    assert gone_url_states(tmp_path) == 0
    assert report.problems and "not marking them gone" in report.problems[0]


# --- a run that got nothing ------------------------------------------------------------


def _every_page(answer: Answer):
    def pages(path: str) -> Answer:
        return answer if path.endswith("-differences/") else not_found(path)

    return pages


def _comparison_sitemap(base: str, count: int) -> bytes:
    return sitemap_of([f"{base}r{i}-jobs/r{i}-vs-s{i}-differences/" for i in range(count)])


@pytest.mark.parametrize(
    ("answer", "counter"),
    [
        ((429, {"Retry-After": "3600"}, b"slow down"), "deferred"),
        ((403, {"Content-Type": "text/html"}, b"<title>403 Forbidden</title>"), "blocked"),
    ],
    ids=["429-retry-after-3600", "403"],
)
def test_a_run_that_fetched_nothing_because_it_was_refused_exits_2(
    tmp_path: Path, answer: Answer, counter: str
) -> None:
    with local_site(pages=_every_page(answer)) as site:
        site.routes["/sitemap.xml"] = (200, {}, _comparison_sitemap(site.base_url, 5))
        proc = refresh(site.base_url, tmp_path)
    assert proc.returncode == ExitCode.FATAL, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no page fetched: 5 " in lines[0], proc.stderr
    report = last_run_report(tmp_path)
    assert report[counter] == 5 and report["exit_code"] == 2


def test_a_403_on_every_page_trips_the_breaker(tmp_path: Path) -> None:
    forbidden: Answer = (403, {"Content-Type": "text/html"}, b"<title>403 Forbidden</title>")
    with local_site(pages=_every_page(forbidden)) as site:
        site.routes["/sitemap.xml"] = (200, {}, _comparison_sitemap(site.base_url, 30))
        proc = refresh(site.base_url, tmp_path, "--max-in-flight", "1")
        asked = sum(1 for p in site.requests if p.endswith("-differences/"))
    assert proc.returncode == ExitCode.FATAL, proc.stderr
    assert "block pages or 429s in a row" in proc.stderr
    assert asked == 10  # retries.breaker_threshold, then not one request more
    report = last_run_report(tmp_path)
    assert report["blocked"] == 10 and report["failed"] == 0


# --- a rejected sitemap ----------------------------------------------------------------

XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&xxe;</loc></url>'
    b"</urlset>\n"
)


@pytest.mark.parametrize("body", [XXE, b"this is not XML", b"\x00\x01\x02binary"], ids=str)
def test_a_rejected_sitemap_is_one_warning_counted_and_exit_0(tmp_path: Path, body: bytes) -> None:
    with local_site({"/sitemap.xml": (200, {"Content-Type": "application/xml"}, body)}) as site:
        proc = refresh(site.base_url, tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "sitemap.xml rejected" in lines[0] and "Traceback" not in proc.stderr
    assert last_run_report(tmp_path)["rejected_sitemaps"] == 1


# --- the run JSON ----------------------------------------------------------------------


def test_csv_files_is_an_array_of_the_paths_written(demo_site_factory, tmp_path):
    site = demo_site_factory(pages=5)
    assert refresh(site.base_url, tmp_path).returncode == 0
    files = last_run_report(tmp_path)["outputs"]["csv_files"]
    assert isinstance(files, list) and files
    assert all(Path(f).is_file() for f in files)
    assert str(tmp_path / "csv" / "role_latest.csv") in {str(Path(tmp_path, f)) for f in files}
    assert any(f.endswith(".csv") for f in files)


def test_a_first_run_where_every_page_404s_says_so_and_exits_2(tmp_path):
    """A fresh database has nothing live to hold back: a wrong base URL must still not
    pass for a run that went well."""
    paths = [f"/a{i}-jobs/a{i}-vs-b{i}-differences/" for i in range(20)]
    with local_site({"/sitemap.xml": (200, {}, b"")}) as wrong:
        wrong.routes["/sitemap.xml"] = (
            200,
            {},
            sitemap_of([wrong.base_url.rstrip("/") + p for p in paths]),
        )
        proc = refresh(wrong.base_url, tmp_path)
    assert proc.returncode == ExitCode.FATAL, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "no page fetched: 20 answered 404/410 (is the base URL right?)" in line


def test_a_run_that_holds_its_404s_back_keeps_refused_pages_listed(demo_site_factory, tmp_path):
    site = demo_site_factory(pages=20)
    assert refresh(site.base_url, tmp_path).returncode == 0
    [refused] = site.site.redesign(1, "renamed")
    assert refresh(site.base_url, tmp_path).returncode in (0, 1)
    assert unparsed(tmp_path) == [refused]
    with local_site({"/sitemap.xml": (200, {}, sitemap_of([]))}) as wrong:
        assert refresh(wrong.base_url, tmp_path).returncode == ExitCode.DEGRADED
    assert unparsed(tmp_path) == [refused], "nothing was marked gone, so it is still unread"


def unparsed(out: Path) -> list[str]:
    conn = sqlite3.connect(out / "careers.db")
    try:
        return [r[0] for r in conn.execute("SELECT page_key FROM unparsed_pages")]
    finally:
        conn.close()


def test_a_redirect_to_a_renamed_comparison_is_checked_against_where_it_landed(tmp_path):
    """The block-page check asks the page that answered about the roles of its own URL:
    an old comparison URL redirected to the roles' new slugs is a page, not a block."""
    from demosite.generator import generate_page

    page = generate_page(11, 5, size="small")
    old = "/old-a-jobs/old-a-vs-old-b-differences/"
    with local_site() as site:
        site.routes["/sitemap.xml"] = (200, {}, sitemap_of([site.base_url.rstrip("/") + old]))
        site.routes[old] = (301, {"Location": page.path}, b"")
        site.routes[page.path] = (200, {"Content-Type": "text/html"}, page.html.encode())
        report = run(make_settings(site.base_url, tmp_path), finalize=True)
    assert report.counters["blocked"] == 0
    assert report.counters["new"] == 1 and report.exit_code == 0
