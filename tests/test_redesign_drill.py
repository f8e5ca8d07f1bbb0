"""The redesign drill, end to end: the default demo site (every markup family, 201 pages)
refreshed by ``careers refresh`` as cron runs it, then 10% of its pages redesigned into
markup the parser refuses, then the parser taught the new labels and the stored pages
re-parsed from the archive."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.commands import last_run_report, latest_figures, refresh_one_worker

import scraper.grid
import scraper.tables
from demosite.generator import RENAMED_LABELS
from pipeline.cli import cli
from scraper.tables import row_key


def count(out: Path, sql: str) -> int:
    conn = sqlite3.connect(out / "careers.db")
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def requests_served(running) -> int:
    return sum(client["requests"] for client in running.stats()["clients"].values())


def teach_the_new_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a parser release adding the redesign's labels as synonyms would do."""
    for section, rows in scraper.tables.ROWS.items():
        taught = dict(rows)
        for label, synonym in RENAMED_LABELS.items():
            if row_key(label) in rows:
                taught[row_key(synonym)] = rows[row_key(label)]
        monkeypatch.setitem(scraper.tables.ROWS, section, taught)
    labels = dict(scraper.grid.LABELS)
    for label, synonym in RENAMED_LABELS.items():
        labels[row_key(synonym)] = labels[row_key(label)]
    monkeypatch.setattr(scraper.grid, "LABELS", labels)
    monkeypatch.setattr("scraper.parse.LABELS", labels)


def test_a_redesign_is_refused_loudly_loses_nothing_and_recovers_by_reparse(
    demo_site_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = demo_site_factory(pages=200)
    assert running.site.markup == "mixed"
    first = refresh_one_worker(running.base_url, tmp_path)
    assert (first.returncode, first.stderr) == (0, "")
    figures = latest_figures(tmp_path)
    observations = count(tmp_path, "SELECT count(*) FROM role_observations")
    assert count(tmp_path, "SELECT count(*) FROM comparisons") == 201

    assert len(running.site.redesign(20, "dl")) == 20
    again = refresh_one_worker(running.base_url, tmp_path)
    report = last_run_report(tmp_path)
    assert (again.returncode, again.stderr) == (0, "")
    assert report["changed"] == 20 and report["parse_failures"] == {}
    assert count(tmp_path, "SELECT count(*) FROM role_observations") == observations, (
        "a redesign the parser reads shows the same figures: no new history"
    )

    refused = running.site.redesign(20, "renamed")
    second = refresh_one_worker(running.base_url, tmp_path)
    report = last_run_report(tmp_path)
    assert second.returncode == 1
    assert "markup_changed: 20" in second.stderr
    assert report["parse_failures"] == {"markup_changed": 20}
    assert report["records_written"] == 0
    assert latest_figures(tmp_path) == figures, "role_latest keeps their previous figures"
    assert sorted(p["page_key"] for p in report["unparsed_pages"]) == sorted(refused)
    refusals = "SELECT count(*) FROM parse_issues WHERE kind = 'parse_markup_changed'"
    assert count(tmp_path, refusals) == 20

    requests = requests_served(running)
    fetches = count(tmp_path, "SELECT count(*) FROM fetches")
    teach_the_new_labels(monkeypatch)
    result = CliRunner().invoke(
        cli,
        [
            "load", "--reparse", "--workers", "1",
            "--db", str(tmp_path / "careers.db"), "--archive-dir", str(tmp_path / "archive"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert count(tmp_path, "SELECT count(*) FROM unparsed_pages") == 0
    assert count(tmp_path, "SELECT count(*) FROM fetches") == fetches
    assert requests_served(running) == requests, "recovered from the archive, not refetched"
    assert latest_figures(tmp_path) == figures
    assert count(tmp_path, "SELECT count(*) FROM role_observations") == observations
