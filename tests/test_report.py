"""The analyst report, checked against the SQL that should produce each number.

The fixture database holds the demo generator's expected records loaded by the real
loader, and the crawl's rows of two runs (the second changes K pages and removes J).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from selectolax.lexbor import LexborHTMLParser
from support.report_fixture import Fixture, FixtureRun, add_run, build

from pipeline.cli import cli
from pipeline.report import write_report
from schemas.columns import COUNTERS, LOAD_COUNTERS
from schemas.errors import ReportError
from store.db import connect

SECTIONS = (
    "run", "salaries", "comparisons", "people", "education", "changes", "roles", "fetch-log",
    "issues",
)  # fmt: skip
CHANGED = (1, 2, 3)
GONE = (4, 5)
MISSING = (6,)
ADDED = (40, 41)


class Page:
    """The written report, parsed: its DOM, chart figures and table data."""

    def __init__(self, path: Path) -> None:
        self.html = path.read_text(encoding="utf-8")
        self.dom = LexborHTMLParser(self.html)
        self.charts: dict[str, Any] = self._json("report-charts")
        self.tables: dict[str, Any] = json.loads(
            gzip.decompress(base64.b64decode(self._script("report-tables")))
        )

    def _script(self, element_id: str) -> str:
        node = self.dom.css_first(f"script#{element_id}")
        assert node is not None, element_id
        return node.text()

    def _json(self, element_id: str) -> Any:
        return json.loads(self._script(element_id))

    def text(self, selector: str) -> str:
        node = self.dom.css_first(selector)
        assert node is not None, selector
        return node.text(strip=True)

    def count(self, name: str) -> int:
        return int(self.text(f'[data-count="{name}"]').replace(",", ""))

    def table(self, table_id: str) -> list[dict[str, Any]]:
        spec = self.tables[table_id]
        keys = [c["key"] for c in spec["columns"]]
        return [dict(zip(keys, row, strict=True)) for row in spec["rows"]]

    def trace(self, chart_id: str, name: str) -> dict[str, Any]:
        return next(t for t in self.charts[chart_id]["data"] if t.get("name") == name)


def sql(db: Path, query: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fixture, Page]:
    tmp = tmp_path_factory.mktemp("report")
    fixture = build(
        tmp / "careers.db", pages=40, changed=CHANGED, gone=GONE, missing=MISSING, added=ADDED
    )
    return fixture, Page(write_report(fixture.db, tmp / "report"))


def test_every_section_and_chart_is_present(two_runs: tuple[Fixture, Page]) -> None:
    _, page = two_runs
    assert [s.attributes["id"] for s in page.dom.css("main > section")] == list(SECTIONS)
    assert set(page.charts) == {
        "salary-distribution", "hourly-yearly", "salary-ranges", "salary-gaps", "higher-paid",
        "gender", "race", "age", "experience", "degrees", "majors", "colleges",
    }  # fmt: skip
    for chart_id, figure in page.charts.items():
        layout = figure["layout"]
        assert layout["title"]["text"], chart_id
        axes = [k for k in layout if k.startswith(("xaxis", "yaxis"))]
        titled = [k for k in axes if layout[k].get("title", {}).get("text")]
        assert {k[0] for k in titled} == {"x", "y"}, (chart_id, axes)
        caption = page.text(f"#chart-{chart_id} figcaption")
        assert any(ch.isdigit() for ch in caption), (chart_id, caption)
    units = [
        layout["xaxis"]["title"]["text"]
        for layout in (page.charts[c]["layout"] for c in ("salary-distribution", "salary-gaps"))
    ]
    assert all("USD per year" in u for u in units)


def test_page_is_self_contained(two_runs: tuple[Fixture, Page]) -> None:
    _, page = two_runs
    assert page.dom.css("script[src]") == []
    assert page.dom.css("link") == []
    assert page.html.count("plotly.js v") == 1  # the library, inlined once


def test_counters_equal_the_runs_row_and_link_to_their_rows(
    two_runs: tuple[Fixture, Page],
) -> None:
    fixture, page = two_runs
    run = sql(fixture.db, "SELECT * FROM runs WHERE run_id = 'r2'")[0]
    section_ids = {n.attributes.get("id") for n in page.dom.css("[id]")}
    fetch_rows = page.table("fetch-log")
    for name in COUNTERS + LOAD_COUNTERS:
        link = page.dom.css_first(f"#counter-{name}")
        assert link is not None, name
        assert page.text(f"#counter-{name} .value").replace(",", "") == str(run[name]), name
        assert str(link.attributes["href"]).lstrip("#") in section_ids, name
        wanted = link.attributes.get("data-filter")
        if link.attributes["href"] == "#fetch-log" and wanted and wanted != "retried":
            assert sum(1 for r in fetch_rows if r["outcome"] == wanted) == run[name], name
    assert (
        len(fetch_rows) == sql(fixture.db, "SELECT COUNT(*) FROM fetches WHERE run_id = 'r2'")[0][0]
    )


def test_salary_distribution_bins_equal_sql(two_runs: tuple[Fixture, Page]) -> None:
    fixture, page = two_runs
    bars = page.charts["salary-distribution"]["data"][0]
    width = bars["width"] / 0.95
    known = sql(fixture.db, "SELECT COUNT(average_salary_usd) FROM role_latest")[0][0]
    assert sum(bars["y"]) == known
    for centre, count in zip(bars["x"], bars["y"], strict=True):
        low, high = centre - width / 2, centre + width / 2
        expected = sql(
            fixture.db,
            "SELECT COUNT(*) FROM role_latest WHERE average_salary_usd >= ? AND "
            "average_salary_usd < ?",
            (low - 1e-6, high - 1e-6),
        )[0][0]
        if centre == bars["x"][-1]:
            expected = sql(
                fixture.db,
                "SELECT COUNT(*) FROM role_latest WHERE average_salary_usd >= ?",
                (low - 1e-6,),
            )[0][0]
        assert count == expected, (low, high)


def test_salary_ranges_are_the_top_and_bottom_roles(two_runs: tuple[Fixture, Page]) -> None:
    fixture, page = two_runs
    ranked = sql(
        fixture.db,
        "SELECT title, average_salary_usd, salary_range_low_usd, salary_range_high_usd "
        "FROM role_latest WHERE average_salary_usd IS NOT NULL "
        "ORDER BY average_salary_usd DESC, title",
    )
    averages = page.charts["salary-ranges"]["data"]
    shown = [t for t in averages if t.get("name") == "Average"]
    top, bottom = shown[0]["x"][::-1], shown[1]["x"][::-1]  # drawn bottom-up
    assert top == [r["average_salary_usd"] for r in ranked[:15]]
    assert bottom == [r["average_salary_usd"] for r in ranked[-15:]]
    lows = [t for t in averages if t.get("name") == "Low"][0]["x"][::-1]
    assert lows == [r["salary_range_low_usd"] for r in ranked[:15]]


def test_hourly_consistency_counts_equal_sql(two_runs: tuple[Fixture, Page]) -> None:
    fixture, page = two_runs
    off = sql(
        fixture.db,
        "SELECT COUNT(*) FROM role_latest WHERE hourly_rate_usd IS NOT NULL AND "
        "yearly_salary_usd IS NOT NULL AND "
        "abs(hourly_rate_usd - yearly_salary_usd / 2080.0) > 0.05 * yearly_salary_usd / 2080.0",
    )[0][0]
    both = sql(
        fixture.db,
        "SELECT COUNT(*) FROM role_latest WHERE hourly_rate_usd IS NOT NULL AND "
        "yearly_salary_usd IS NOT NULL",
    )[0][0]
    caption = page.text("#chart-hourly-yearly figcaption")
    assert f"{both - off} of {both} roles with both figures are within 5%, {off} are not" in caption


def test_salary_gaps_equal_sql(two_runs: tuple[Fixture, Page]) -> None:
    fixture, page = two_runs
    expected = sql(
        fixture.db,
        "SELECT a_yearly_salary_usd AS a, b_yearly_salary_usd AS b FROM comparison_wide "
        "JOIN comparisons USING (comparison_id) WHERE gone_at IS NULL AND "
        "a_yearly_salary_usd IS NOT NULL AND b_yearly_salary_usd IS NOT NULL "
        "ORDER BY abs(a_yearly_salary_usd - b_yearly_salary_usd) DESC LIMIT 20",
    )
    a = page.trace("salary-gaps", "Role A (first on the page)")["x"][::-1]
    b = page.trace("salary-gaps", "Role B")["x"][::-1]
    assert sorted(abs(x - y) for x, y in zip(a, b, strict=True)) == sorted(
        abs(r["a"] - r["b"]) for r in expected
    )
    stated = sql(
        fixture.db,
        "SELECT higher_paid, COUNT(*) AS n FROM comparisons WHERE gone_at IS NULL "
        "GROUP BY higher_paid",
    )
    bars = page.charts["higher-paid"]["data"]
    by_side = {"Role A": 0, "Role B": 0, "Not stated": 0}
    for trace in bars:
        for x, y in zip(trace["x"], trace["y"], strict=True):
            by_side[x] += y
    names = {"a": "Role A", "b": "Role B", None: "Not stated"}
    assert by_side == {names[r["higher_paid"]]: r["n"] for r in stated} | {
        k: v for k, v in by_side.items() if v == 0
    }


def test_people_and_education_equal_sql(two_runs: tuple[Fixture, Page]) -> None:
    fixture, page = two_runs
    gender = {t["name"]: t for t in page.charts["gender"]["data"]}
    most_seen = sql(
        fixture.db,
        "SELECT title, observation_id, comparisons_seen FROM role_latest "
        "ORDER BY comparisons_seen DESC, title LIMIT 20",
    )
    labels = gender["male"]["y"][::-1]
    assert len(labels) == len(most_seen)
    for label, role in zip(labels, most_seen, strict=True):
        assert label.startswith(role["title"][:35]), (label, role["title"])
        assert f"({role['comparisons_seen']} pages" in label
    for i, role in enumerate(most_seen):
        shares: dict[str, float] = dict(
            sql(  # type: ignore[arg-type]
                fixture.db,
                "SELECT label, pct FROM role_gender WHERE observation_id = ?",
                (role["observation_id"],),
            )
        )
        for label, trace in gender.items():
            assert trace["x"][::-1][i] == shares.get(label), (role["title"], label)
    for chart_id, column in (
        ("degrees", "most_common_degree"),
        ("majors", "most_common_major"),
        ("colleges", "most_common_college"),
    ):
        expected = sql(
            fixture.db,
            f"SELECT {column} AS v, COUNT(*) AS n FROM role_latest WHERE {column} IS NOT NULL "
            f"GROUP BY {column} ORDER BY n DESC",
        )
        bars = page.charts[chart_id]["data"][0]
        shown = dict(zip(bars["customdata"], bars["x"], strict=True))
        assert all(shown[v] == n for v, n in expected if v in shown)
        assert sorted(shown.values(), reverse=True) == [r["n"] for r in expected[: len(shown)]]
    ages = sql(fixture.db, "SELECT COUNT(average_age) FROM role_latest")[0][0]
    assert sum(page.charts["age"]["data"][0]["y"]) == ages


def test_roles_table_is_role_latest(two_runs: tuple[Fixture, Page]) -> None:
    fixture, page = two_runs
    rows = page.table("roles")
    expected = sql(fixture.db, "SELECT * FROM role_latest ORDER BY title COLLATE NOCASE")
    assert len(rows) == len(expected)
    for shown, row in zip(rows, expected, strict=True):
        for key in shown:
            assert shown[key] == row[key], (row["title"], key)


def test_nulls_are_missing_not_zero(two_runs: tuple[Fixture, Page]) -> None:
    fixture, page = two_runs
    title = sql(fixture.db, "SELECT title FROM roles WHERE role_slug = ?", (fixture.null_slug,))
    role = next(r for r in page.table("roles") if r["title"] == title[0][0])
    assert role["average_salary_usd"] is None
    assert role["salary_range_low_usd"] is None
    assert role["years_of_experience"] is None
    roles = sql(fixture.db, "SELECT COUNT(*) FROM role_latest")[0][0]
    known = sql(fixture.db, "SELECT COUNT(years_of_experience) FROM role_latest")[0][0]
    assert known < roles
    assert sum(page.charts["experience"]["data"][0]["y"]) == known
    assert 0 not in page.charts["experience"]["data"][0]["x"]
    gender = page.charts["gender"]["data"]
    row = next(i for i, y in enumerate(gender[0]["y"]) if y.startswith(title[0][0][:30]))
    assert gender[0]["y"][row].endswith("no data)")
    assert all(trace["x"][row] is None for trace in gender)
    for trace in page.charts["salary-ranges"]["data"]:
        assert 0 not in (trace.get("x") or [])


def test_change_section_after_a_run_that_changed_k_and_removed_j(
    two_runs: tuple[Fixture, Page],
) -> None:
    fixture, page = two_runs
    assert page.count("changed-pages") == len(CHANGED)
    assert page.count("disappeared") == len(GONE) + len(MISSING)
    assert page.count("gone") == len(GONE)
    assert page.count("missing") == len(MISSING)
    assert page.count("new-comparisons") == len(ADDED)
    assert page.dom.css_first("#partial-run") is None

    changed = page.table("changed-figures")
    expected_pages = {
        r[0]
        for r in sql(
            fixture.db,
            "SELECT ra.title || ' vs ' || rb.title FROM comparisons c "
            "JOIN roles ra ON ra.role_slug = c.role_a_slug "
            "JOIN roles rb ON rb.role_slug = c.role_b_slug WHERE c.url IN ("
            "SELECT url FROM fetches WHERE run_id = 'r2' AND outcome = 'changed')",
        )
    }
    assert {r["page"] for r in changed} == expected_pages
    assert page.count("changed-figures") == len(changed)
    for r in changed:
        if r["field"] not in ("yearly_salary_usd", "average_salary_usd"):
            continue
        history = sql(
            fixture.db,
            f"SELECT {r['field']} FROM role_history h JOIN comparisons c USING (comparison_id) "
            "WHERE h.role_slug = (SELECT role_slug FROM roles WHERE title = ?) AND h.side = ? "
            "AND c.url IN (SELECT url FROM fetches WHERE run_id = 'r2' AND outcome = 'changed') "
            "ORDER BY h.fetched_at",
            (r["role"], r["side"]),
        )
        values = [h[0] for h in history]
        assert [r["old"], r["new"]] in [values[i : i + 2] for i in range(len(values) - 1)]
        assert r["difference"] == r["new"] - r["old"]

    vanished = page.table("disappeared")
    gone_urls = {r[0] for r in sql(fixture.db, "SELECT url FROM fetches WHERE outcome = 'gone'")}
    assert {r["url"] for r in vanished if r["why"].startswith("answered")} == gone_urls
    assert len([r for r in vanished if r["why"].startswith("missing")]) == len(MISSING)
    new_urls = {r["url"] for r in page.table("new-comparisons")}
    assert new_urls == {
        r[0]
        for r in sql(fixture.db, "SELECT url FROM fetches WHERE outcome = 'new' AND run_id = 'r2'")
    }


def test_partial_run_counts_only_404_and_410_as_disappeared(tmp_path: Path) -> None:
    fixture = build(
        tmp_path / "careers.db", pages=20, changed=(1,), gone=(4,), missing=(6, 7),
        second_complete=False,
    )  # fmt: skip
    page = Page(write_report(fixture.db, tmp_path / "report"))
    assert page.count("changed-pages") == 1
    assert page.count("gone") == 1
    assert page.count("missing") == 0
    assert page.dom.css_first("#partial-run") is not None


def test_a_page_missing_from_the_sitemaps_disappears_once(tmp_path: Path) -> None:
    fixture = build(tmp_path / "careers.db", pages=12, missing=(6,))
    conn = connect(fixture.db)
    try:
        listing = dict(conn.execute("SELECT url, source FROM frontier WHERE run_id = 'r2'"))
        add_run(conn, FixtureRun("r3", "2026-11-22T10:00:00Z"), {}, listing)
    finally:
        conn.close()
    assert Page(write_report(fixture.db, tmp_path / "r2", run_id="r2")).count("missing") == 1
    page = Page(write_report(fixture.db, tmp_path / "r3", run_id="r3"))
    assert page.count("missing") == 0
    assert page.count("disappeared") == 0


def test_first_run_says_there_is_no_previous_run(tmp_path: Path) -> None:
    fixture = build(tmp_path / "careers.db", pages=12, second_run=False)
    page = Page(write_report(fixture.db, tmp_path / "report"))
    assert "no previous run" in page.text("#no-previous-run")
    assert page.dom.css_first("#change-summary") is None
    assert "changed-figures" not in page.tables
    assert page.text("#counter-new .value") == "12"


def test_report_on_an_earlier_run(two_runs: tuple[Fixture, Page], tmp_path: Path) -> None:
    fixture, _ = two_runs
    page = Page(write_report(fixture.db, tmp_path / "report", run_id="r1"))
    assert "no previous run" in page.text("#no-previous-run")
    assert len(page.table("fetch-log")) == 40


def test_empty_database_still_writes_a_page(tmp_path: Path) -> None:
    connect(tmp_path / "careers.db").close()
    page = Page(write_report(tmp_path / "careers.db", tmp_path / "report"))
    assert page.charts == {}
    assert len(page.dom.css("figure.chart .empty")) == 12
    assert "No run is recorded" in page.text("#run")


def test_writes_only_its_index_html(two_runs: tuple[Fixture, Page], tmp_path: Path) -> None:
    fixture, _ = two_runs
    before = hashlib.sha256(fixture.db.read_bytes()).hexdigest()
    listing = sorted(p.name for p in fixture.db.parent.iterdir())
    out = tmp_path / "out"
    write_report(fixture.db, out)
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]
    assert hashlib.sha256(fixture.db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in fixture.db.parent.iterdir()) == listing


def test_refuses_a_missing_database_or_run(tmp_path: Path, two_runs: tuple[Fixture, Page]) -> None:
    with pytest.raises(ReportError, match="no database"):
        write_report(tmp_path / "absent.db", tmp_path / "report")
    with pytest.raises(ReportError, match="no run 'r9'"):
        write_report(two_runs[0].db, tmp_path / "report", run_id="r9")
    assert not (tmp_path / "report").exists()


def test_cli(two_runs: tuple[Fixture, Page], tmp_path: Path) -> None:
    fixture, _ = two_runs
    runner = CliRunner()
    args = ["report", "--db", str(fixture.db), "--report-dir", str(tmp_path / "r")]
    result = runner.invoke(cli, [*args, "--run", "r1"], env={"CAREERS_CONFIG": ""})
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(tmp_path / "r" / "index.html")
    assert "r1" in Page(tmp_path / "r" / "index.html").text("#run")
    result = runner.invoke(cli, [*args, "--run", "nope"], env={"CAREERS_CONFIG": ""})
    assert result.exit_code == 2
    assert "no run 'nope'" in result.output
