"""Refused pages: a page whose latest stored body the parser refused is recorded in
``parse_issues``, loaded not at all, counted as a failed page toward the exit code, and
listed (``careers status``, the HTML report, the JSON run report) on every run until a
load parses a body of it. Real WARC files, a real SQLite file, real generated pages.

A refused body is made without relying on one parser version: a page cut short (the
parser says ``truncated``) or the block-page fixture at the page's URL
(``not_a_comparison``). The tests assert ``parse_<kind>`` for whatever kind the parser
gives; only ``test_a_redesigned_page_is_refused_as_markup_changed`` names a kind. The
refresh test redesigns demo-site pages into the ``renamed`` family (labels the parser does
not know) and asserts on whatever kind the run reports.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser
from support.commands import careers, last_run_report, latest_figures, refresh_one_worker
from support.load import (
    add_run,
    archive_pages,
    count,
    log_gone,
    log_unchanged,
    pages,
)
from support.rows import add_fetch, finish_run

import scraper.document
from demosite.generator import GeneratedPage
from pipeline.load import LoadReport, load_pending
from pipeline.prune import prune
from pipeline.report import write_report
from pipeline.status import (
    UnparsedPage,
    collect,
    format_status,
    refused_pages_report,
    unparsed_pages,
)
from schemas.errors import ParseError
from schemas.records import ComparisonRecord
from schemas.settings import Settings
from scraper.parse import parse_page
from scraper.tables import ROWS
from store.db import connect

pytestmark = pytest.mark.usefixtures("databases_stay_clean")

BLOCK_PAGE = Path(__file__).resolve().parent / "fixtures" / "block-page.html"
AT = ["2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z", "2026-11-15T00:00:00Z"]
AT += ["2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z"]
P = 3
"""The page that gets refused."""


def cut_short(html: str) -> str:
    """The page's first half, cut before a tag (so the bytes decode back to this text)."""
    return html[: html.index("<", len(html) // 2)]


def block_page(html: str) -> str:
    return BLOCK_PAGE.read_text(encoding="utf-8")


REFUSALS: dict[str, Callable[[str], str]] = {"cut_short": cut_short, "block_page": block_page}


def refusal_kind(html: str, url: str) -> str:
    """The ``ParseError`` kind the parser (whichever version) gives ``html``."""
    with pytest.raises(ParseError) as refused:
        parse_page(html, url=url)
    return str(refused.value.kind)


def readable_pages(n: int) -> list[GeneratedPage]:
    """``n`` generated pages this parser reads, so the only refusals are the tests' own."""
    found: list[GeneratedPage] = []
    for page in pages(range(3 * n)):
        try:
            parse_page(page.html, url=page.expected.url)
        except ParseError:
            continue
        found.append(page)
        if len(found) == n:
            return found
    raise AssertionError(f"fewer than {n} of {3 * n} generated pages parse")


def settings() -> Settings:
    s = Settings()
    s.run.workers = 1
    s.run.batch_size = 4
    return s


@dataclass
class Site:
    """A database that loaded ``generated`` in run r1, and the refused body of page P."""

    tmp: Path
    conn: sqlite3.Connection
    archive: Path
    generated: list[GeneratedPage]
    refused: str
    kind: str

    @property
    def db(self) -> Path:
        return self.tmp / "careers.db"

    @property
    def url(self) -> str:
        return self.page.expected.url or ""

    @property
    def page(self) -> GeneratedPage:
        return self.generated[P]

    def urls(self, but: int | None = None) -> list[str]:
        return [p.expected.url or "" for i, p in enumerate(self.generated) if i != but]

    def run(self, n: int) -> str:
        return add_run(self.conn, f"r{n}", AT[n - 1])

    def serve(self, n: int, html: str, outcome: str = "changed") -> None:
        """Run ``n`` fetches page P with body ``html``; every other page answers 304."""
        run_id = self.run(n)
        archive_pages(self.conn, self.archive, run_id, AT[n - 1], [(self.url, html)], outcome)
        log_unchanged(self.conn, run_id, AT[n - 1], self.urls(but=P))

    def load(self, run_id: str | None = None, reparse: bool = False) -> LoadReport:
        return load_pending(self.conn, settings(), run_id, self.archive, reparse=reparse)

    def listed(self) -> list[UnparsedPage]:
        return unparsed_pages(self.conn)

    def figures(self) -> list[tuple[object, ...]]:
        return [tuple(r) for r in self.conn.execute("SELECT * FROM role_latest ORDER BY 1")]

    def analysts_rows(self) -> dict[str, list[tuple[object, ...]]]:
        """Every row of the tables a load writes figures to, and page P's comparison (the
        other pages' 304s move their own ``last_seen_at``)."""
        tables = ("roles", "role_observations", "role_gender", "role_race", "role_skills")
        rows = {t: self.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
        rows["comparison"] = self.conn.execute(
            "SELECT * FROM comparisons WHERE page_key = ?", (self.page.path,)
        ).fetchall()
        return {t: [tuple(r) for r in found] for t, found in rows.items()}

    def last_seen(self) -> str:
        return str(
            self.conn.execute(
                "SELECT last_seen_at FROM comparisons WHERE page_key = ?", (self.page.path,)
            ).fetchone()[0]
        )


@pytest.fixture(params=sorted(REFUSALS))
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    generated = readable_pages(8)
    conn = connect(tmp_path / "careers.db")
    archive = tmp_path / "archive"
    add_run(conn, "r1", AT[0])
    archive_pages(conn, archive, "r1", AT[0], ((p.expected.url or "", p.html) for p in generated))
    refused = REFUSALS[request.param](generated[P].html)
    kind = refusal_kind(refused, generated[P].expected.url or "")
    loaded = Site(tmp_path, conn, archive, generated, refused, kind)
    assert loaded.load("r1").failed_pages == 0
    yield loaded
    conn.close()


def report_page(site: Site, run_id: str) -> LexborHTMLParser:
    return LexborHTMLParser(write_report(site.db, site.tmp / "report", run_id).read_text())


def unparsed_rows(page: LexborHTMLParser) -> list[str]:
    """The URLs in the report's unparsed table (its rows travel gzipped in a script)."""
    node = page.css_first("script#report-tables")
    assert node is not None
    spec = json.loads(gzip.decompress(base64.b64decode(node.text())))["unparsed"]
    column = [c["key"] for c in spec["columns"]].index("url")
    return [row[column] for row in spec["rows"]]


def assert_listed(site: Site, run_id: str) -> None:
    """Page P is listed, with its kind, in the view, status, the run report and the HTML
    report (whose first section is the list)."""
    listed = site.listed()
    assert [(p.url, p.kind, p.run_id) for p in listed] == [(site.url, site.kind, "r2")]
    assert listed[0].fetched_at == AT[1] and listed[0].message
    assert listed[0].comparison_id is not None  # role_latest still shows its old figures
    text = format_status(collect(site.conn, site.db, site.archive))
    assert f"unparsed: 1 page whose latest stored body did not parse ({site.kind}: 1)" in text
    assert site.url in text
    run_report = refused_pages_report(site.conn, run_id)
    assert run_report["unparsed_count"] == 1
    assert [(p["url"], p["kind"]) for p in run_report["unparsed_pages"]] == [(site.url, site.kind)]
    page = report_page(site, run_id)
    assert [s.attributes["id"] for s in page.css("main > section")][0] == "unparsed"
    summary = page.css_first("#unparsed-summary")
    assert summary is not None and f"({site.kind}: 1)" in summary.text()
    assert unparsed_rows(page) == [site.url]


def assert_not_listed(site: Site, run_id: str) -> None:
    assert site.listed() == []
    assert "unparsed" not in format_status(collect(site.conn, site.db, site.archive))
    assert refused_pages_report(site.conn, run_id)["unparsed_count"] == 0
    assert report_page(site, run_id).css_first("#unparsed") is None


def test_a_refused_page_is_recorded_not_loaded_and_listed_until_a_new_body_parses(
    site: Site,
) -> None:
    figures, observations = site.figures(), count(site.conn, "role_observations")
    analysts_rows = site.analysts_rows()
    assert_not_listed(site, "r1")

    # run 2: page P is refused
    site.serve(2, site.refused)
    report = site.load("r2")
    assert (report.pages, report.failed_pages) == (1, 1)
    assert report.parse_failures == {site.kind: 1}
    issue = site.conn.execute(
        "SELECT i.kind, i.url, i.warc_file, f.load_state FROM parse_issues i "
        "JOIN fetches f USING (fetch_id) WHERE i.run_id = 'r2'"
    ).fetchone()
    assert tuple(issue) == (f"parse_{site.kind}", site.url, issue["warc_file"], "failed")
    assert issue["warc_file"], "the refused body stays in the WARC archive"
    # nothing of it is loaded: role_latest keeps the previous figures, P was not "seen"
    assert site.figures() == figures
    assert count(site.conn, "role_observations") == observations
    assert count(site.conn, "role_observations", "run_id = 'r2'") == 0
    assert site.analysts_rows() == analysts_rows
    assert site.last_seen() == AT[0]
    assert refused_pages_report(site.conn, "r2")["parse_failures"] == {site.kind: 1}
    assert_listed(site, "r2")

    # run 3: P answers 304 (the body it confirms is the refused one): still listed,
    # and not counted as a sighting of the old figures
    site.run(3)
    log_unchanged(site.conn, "r3", AT[2], site.urls())
    site.load()
    assert site.last_seen() == AT[0]
    assert count(site.conn, "comparisons", "last_seen_at = ?", AT[2]) == len(site.generated) - 1
    assert refused_pages_report(site.conn, "r3")["parse_failures"] == {}
    assert_listed(site, "r3")

    # run 4: P answers 200 with the same bytes (the crawler logs it unchanged, no body)
    site.run(4)
    add_fetch(site.conn, "r4", AT[3], site.url, "unchanged", 200)
    site.load()
    assert site.figures() == figures
    assert_listed(site, "r4")

    # run 5: P is served as before and parses: no longer listed, no new history
    site.serve(5, site.page.html)
    report = site.load("r5")
    assert (report.failed_pages, report.records_written) == (0, 0)
    assert site.figures() == figures
    assert site.last_seen() == AT[4]
    assert_not_listed(site, "r5")


def test_reparse_after_a_parser_fix_recovers_the_page_from_the_archive(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures = site.figures()
    site.serve(2, site.refused)
    site.load("r2")
    site.run(3)
    log_unchanged(site.conn, "r3", AT[2], site.urls())
    site.load()

    # the parser is not fixed yet: a reparse refuses P again, it stays listed
    again = site.load(reparse=True)
    assert again.parse_failures == {site.kind: 1}
    assert again.pages == len(site.generated) + 1
    listed = site.listed()
    assert [(p.url, p.kind, p.run_id) for p in listed] == [(site.url, site.kind, "r2")]
    assert count(site.conn, "parse_issues", "kind LIKE 'parse%'") == 1, "replaced, not added"

    # a parser that reads the new body (here: it reads it as the page it stands for)
    original = scraper.document.parse_page
    bodies = {site.refused: site.page.html}

    def fixed(html: str, url: str | None = None) -> ComparisonRecord:
        return original(bodies.get(html, html), url=url)

    monkeypatch.setattr(scraper.document, "parse_page", fixed)
    recovered = site.load(reparse=True)
    assert (recovered.failed_pages, recovered.records_written) == (0, 0)
    assert site.listed() == []
    assert count(site.conn, "parse_issues", "kind LIKE 'parse%'") == 0
    assert count(site.conn, "fetches", "load_state = 'failed'") == 0
    assert site.figures() == figures
    assert site.last_seen() == AT[2], "the 304 of run 3 counts once the body it confirms parsed"


def test_only_the_latest_stored_body_counts(site: Site) -> None:
    # refused twice in a row: listed once, as the latest refusal
    site.serve(2, site.refused)
    site.load("r2")
    run_id = site.run(3)
    archive_pages(site.conn, site.archive, run_id, AT[2], [(site.url, site.refused + " ")])
    site.load(run_id)
    assert [(p.url, p.run_id, p.fetched_at) for p in site.listed()] == [(site.url, "r3", AT[2])]
    # a newer body waiting to be loaded does not hide the refusal before it
    run_id = site.run(4)
    archive_pages(site.conn, site.archive, run_id, AT[3], [(site.url, site.page.html)])
    assert [p.run_id for p in site.listed()] == ["r3"]
    site.load(run_id)
    assert site.listed() == []
    # a refusal older than the body that parsed is history, not a problem
    run_id = site.run(5)
    archive_pages(site.conn, site.archive, run_id, "2026-11-02T00:00:00Z", [(site.url, "<p>")])
    site.load(run_id)
    assert count(site.conn, "fetches", "load_state = 'failed'") == 3
    assert site.listed() == []


def test_prune_does_not_bring_back_a_refusal_a_later_body_replaced(site: Site) -> None:
    site.serve(2, site.refused)
    site.load("r2")
    site.serve(3, site.page.html)  # parses again, same figures: no observation rows
    site.load("r3")
    assert site.listed() == []
    for n in (4, 5):
        site.run(n)
        log_unchanged(site.conn, f"r{n}", AT[n - 1], site.urls())
        site.load()
    for n in range(1, 6):
        finish_run(site.conn, f"r{n}", AT[n - 1])
    pruned = prune(site.conn, site.archive, keep_runs=2)
    assert pruned.fetch_rows >= 1
    assert count(site.conn, "fetches", "run_id = 'r3' AND page_key = ?", site.page.path) == 0
    assert count(site.conn, "fetches", "load_state = 'failed'") == 1, "prune keeps refusals"
    assert site.listed() == []


def test_a_refused_page_that_is_gone_is_no_longer_listed(site: Site) -> None:
    site.serve(2, site.refused)
    site.load("r2")
    assert len(site.listed()) == 1
    site.run(3)
    # and what the crawl decides at the end of run 3 (the gone guard lets it mark the page)
    log_gone(site.conn, "r3", AT[2], site.url, 410)
    site.load()
    assert site.listed() == []


def relabelled(html: str) -> str:
    """The page with every known row label renamed, as a redesign might word them."""
    labels = sorted({label for table in ROWS.values() for label in table}, key=len, reverse=True)
    pattern = re.compile(r">\s*(" + "|".join(map(re.escape, labels)) + r")\s*<", re.IGNORECASE)
    return pattern.sub(lambda m: f">The {m.group(1).lower()} figure<", html)


def test_a_redesigned_page_is_refused_as_markup_changed(tmp_path: Path) -> None:
    page = readable_pages(P + 1)[P]
    html = relabelled(page.html)
    assert html != page.html
    conn = connect(tmp_path / "careers.db")
    add_run(conn, "r1", AT[0])
    archive_pages(conn, tmp_path / "archive", "r1", AT[0], [(page.expected.url or "", html)])
    report = load_pending(conn, settings(), "r1", tmp_path / "archive")
    assert report.parse_failures == {"markup_changed": 1}
    assert count(conn, "parse_issues", "kind = 'parse_markup_changed'") == 1
    assert count(conn, "role_observations") == 0
    assert [p.kind for p in unparsed_pages(conn)] == ["markup_changed"]


# --- the commands: exit codes follow run.failed_fraction, stderr names the kinds --------


@pytest.mark.parametrize("refused", [1, 2])
def test_load_and_reparse_exit_codes_follow_failed_fraction(tmp_path: Path, refused: int) -> None:
    """60 pages, run.failed_fraction 2%: one refused page (1.7%) exits 0, two (3.3%) exit 1
    with a problem line naming the kind; ``--reparse`` judges the same pages the same way."""
    generated = readable_pages(60)
    bodies = [(p.expected.url or "", p.html) for p in generated]
    for i in range(refused):
        bodies[i] = (bodies[i][0], cut_short(bodies[i][1]))
    kind = refusal_kind(bodies[0][1], bodies[0][0])
    db, archive = tmp_path / "careers.db", tmp_path / "archive"
    conn = connect(db)
    add_run(conn, "r1", AT[0])
    archive_pages(conn, archive, "r1", AT[0], bodies)
    conn.close()
    expected = (
        f"{refused} {'page' if refused == 1 else 'pages'} failed to parse ({kind}: {refused})"
    )
    for args in ((), ("--reparse",)):
        done = careers("load", "--db", str(db), "--archive-dir", str(archive), *args)
        if refused == 1:
            assert (done.returncode, done.stderr) == (0, ""), done.stderr
        else:
            assert done.returncode == 1, done.stderr
            assert f"careers load: 2 of 60 pages failed (3.3% > 2.0%): {expected}" in done.stderr
            assert f"2 did not parse ({kind}: 2; see parse_issues)" in done.stderr
    status = careers("status", "--db", str(db), "--archive-dir", str(archive))
    assert f"unparsed: {refused} " in status.stdout and f"({kind}: {refused})" in status.stdout
    listed = json.loads(careers("status", "--db", str(db), "--json").stdout)["unparsed_pages"]
    assert sorted(p["url"] for p in listed) == sorted(url for url, _ in bodies[:refused])


def first_report_section(out: Path) -> str:
    page = LexborHTMLParser((out / "report" / "index.html").read_text(encoding="utf-8"))
    return str(page.css("main > section")[0].attributes["id"])


def test_refresh_reports_redesigned_pages_until_they_parse(demo_site_factory, tmp_path) -> None:
    """61 pages, run.failed_fraction 2%. Two redesigned pages: exit 1, the problem line
    names the kind, nothing loaded; the next run (304s) exits 0 and still lists them; a
    redesign the parser reads clears them; one redesigned page exits 0, still listed."""
    running = demo_site_factory(pages=60, markup="rows")
    first = refresh_one_worker(running.base_url, tmp_path)
    assert (first.returncode, first.stderr) == (0, "")
    figures = latest_figures(tmp_path)

    redesigned = running.site.redesign(2, "renamed")
    second = refresh_one_worker(running.base_url, tmp_path)
    report = last_run_report(tmp_path)
    [kind] = report["parse_failures"]
    assert report["parse_failures"] == {kind: 2} and report["failed_parses"] == 2
    assert second.returncode == 1 and report["exit_code"] == 1
    assert second.stderr == (
        "careers: 2 of 61 pages failed (3.3% > 2.0%): 0 fetch failures, 0 blocked, "
        f"2 pages failed to parse ({kind}: 2)\n"
    )
    assert report["records_written"] == 0 and latest_figures(tmp_path) == figures
    assert report["unparsed_count"] == 2
    listed = report["unparsed_pages"]
    assert sorted(p["page_key"] for p in listed) == sorted(redesigned)
    assert {(p["kind"], p["run_id"]) for p in listed} == {(kind, report["run_id"])}
    assert first_report_section(tmp_path) == "unparsed"
    refused_run = report["run_id"]

    third = refresh_one_worker(running.base_url, tmp_path)
    report = last_run_report(tmp_path)
    assert (third.returncode, third.stderr) == (0, "")
    assert report["not_modified"] == 61 and report["parse_failures"] == {}
    assert [p["run_id"] for p in report["unparsed_pages"]] == [refused_run] * 2
    assert first_report_section(tmp_path) == "unparsed"
    status = careers("status", "--db", str(tmp_path / "careers.db"))
    assert f"unparsed: 2 pages whose latest stored body did not parse ({kind}: 2)" in status.stdout
    assert all(path in status.stdout for path in redesigned)

    assert sorted(running.site.redesign(2, "rows")) == sorted(redesigned)
    fourth = refresh_one_worker(running.base_url, tmp_path)
    report = last_run_report(tmp_path)
    assert (fourth.returncode, fourth.stderr) == (0, "")
    assert report["changed"] == 2 and report["records_written"] == 0
    assert (report["unparsed_count"], report["unparsed_pages"]) == (0, [])
    assert first_report_section(tmp_path) == "run"
    assert latest_figures(tmp_path) == figures

    one = running.site.redesign(1, "renamed")
    fifth = refresh_one_worker(running.base_url, tmp_path)
    report = last_run_report(tmp_path)
    assert (fifth.returncode, fifth.stderr) == (0, ""), "1 of 61 is within failed_fraction"
    assert report["parse_failures"] == {kind: 1}
    assert [p["page_key"] for p in report["unparsed_pages"]] == one
    assert first_report_section(tmp_path) == "unparsed"
