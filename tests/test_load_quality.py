"""Data-quality checks at load: written to parse_issues and the run's counters, known
vs new across runs, and never dropping data."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.load import add_run, count, pages

from pipeline.load import load_records
from schemas.records import ComparisonRecord, ParseWarning
from store.db import connect

pytestmark = pytest.mark.usefixtures("databases_stay_clean")


def records(indexes: range) -> list[ComparisonRecord]:
    return [p.expected.model_copy(deep=True) for p in pages(indexes)]


def kinds(conn, run_id: str) -> dict[str, tuple[int, int]]:
    """kind -> (issues, of which new) for a run."""
    return {
        kind: (n, new)
        for kind, n, new in conn.execute(
            "SELECT kind, count(*), sum(known = 0) FROM parse_issues WHERE run_id = ? "
            "GROUP BY kind",
            (run_id,),
        )
    }


def broken(batch: list[ComparisonRecord]) -> list[ComparisonRecord]:
    a = batch[0].sides.a
    a.gender_pct = {"male": 60.0, "female": 30.0}
    b = batch[1].sides.b
    b.salary_range_low_usd, b.salary_range_high_usd = 90000, 50000
    batch[2].sides.a.hourly_rate_usd = (batch[2].sides.a.yearly_salary_usd or 0) / 2080 * 1.2
    batch[3].sides.b.race_pct = {"White": 50.0, "Asian": 10.0}
    return batch


def test_failed_checks_are_recorded_counted_and_the_data_still_loaded(tmp_path: Path) -> None:
    conn = connect(tmp_path / "careers.db")
    add_run(conn, "r1", "2026-11-01T00:00:00Z")
    batch = broken(records(range(6)))
    report = load_records(conn, batch, run_id="r1")
    assert report.records_written == 12
    found = kinds(conn, "r1")
    for kind in ("dq_gender_sum", "dq_salary_range", "dq_hourly_rate", "dq_race_sum"):
        assert found[kind] == (1, 1), kind
    assert report.dq_failures == report.dq_new == sum(n for n, _ in found.values())
    run = conn.execute("SELECT dq_failures FROM runs WHERE run_id = 'r1'").fetchone()[0]
    assert run == report.dq_failures
    issue = conn.execute("SELECT * FROM parse_issues WHERE kind = 'dq_gender_sum'").fetchone()
    assert (issue["side"], issue["row"], issue["table"]) == ("a", "gender_pct", "demographics")
    assert "sums to 90" in issue["message"]
    stored = conn.execute(
        "SELECT pct FROM role_gender g JOIN role_observations o USING (observation_id) "
        "WHERE o.role_slug = ? AND g.label = 'female'",
        (batch[0].role_a.slug,),
    ).fetchone()[0]
    assert stored == 30.0


def test_a_failure_seen_on_the_previous_run_is_known_not_new(tmp_path: Path) -> None:
    conn = connect(tmp_path / "careers.db")
    add_run(conn, "r1", "2026-11-01T00:00:00Z")
    load_records(conn, broken(records(range(6))), run_id="r1")
    add_run(conn, "r2", "2026-11-08T00:00:00Z")
    again = broken(records(range(6)))
    again[4].sides.a.gender_pct = {"male": 20.0, "female": 20.0}  # a new failure
    report = load_records(conn, again, run_id="r2", fetched_at="2026-11-08T00:00:00Z")
    assert report.dq_new == 1
    found = kinds(conn, "r2")
    assert found["dq_gender_sum"] == (2, 1)
    assert found["dq_salary_range"] == (1, 0)
    assert {k: new for k, (_, new) in found.items()} == dict.fromkeys(kinds(conn, "r1"), 0) | {
        "dq_gender_sum": 1
    }


def test_a_role_with_different_figures_on_two_pages_of_one_run(tmp_path: Path) -> None:
    conn = connect(tmp_path / "careers.db")
    add_run(conn, "r1", "2026-11-01T00:00:00Z")
    batch = records(range(2))
    shared = batch[0].role_a
    batch[1].role_b = shared.model_copy()
    batch[1].sides.b = batch[0].sides.a.model_copy(deep=True)
    batch[1].sides.b.yearly_salary_usd = int((batch[0].sides.a.yearly_salary_usd or 0) * 1.004)
    batch[1].sides.b.average_salary_usd = int((batch[0].sides.a.average_salary_usd or 0) * 1.2)
    batch[1].sides.b.best_paying_company = "Someone Else Inc"
    load_records(conn, batch, run_id="r1")
    rows = conn.execute(
        "SELECT check_key FROM parse_issues WHERE kind = 'dq_role_disagrees' ORDER BY check_key"
    ).fetchall()
    assert [r[0] for r in rows] == [
        f"{shared.slug}|average_salary_usd",
        f"{shared.slug}|best_paying_company",
    ], "0.4% on yearly salary is within tolerance"
    latest = conn.execute(
        "SELECT comparisons_seen, disagrees, disagreeing_fields FROM role_latest "
        "WHERE role_slug = ?",
        (shared.slug,),
    ).fetchone()
    assert tuple(latest) == (2, 1, "average_salary_usd,best_paying_company")


def test_a_jump_in_nulls_between_runs_is_flagged(tmp_path: Path) -> None:
    conn = connect(tmp_path / "careers.db")
    add_run(conn, "r1", "2026-11-01T00:00:00Z")
    load_records(conn, records(range(15)), run_id="r1")
    add_run(conn, "r2", "2026-11-08T00:00:00Z")
    changed = records(range(15))
    for record in changed:
        record.sides.a.most_common_major = None
        record.sides.b.most_common_major = None
        record.sides.b.lgbt_pct = None
    report = load_records(conn, changed, run_id="r2", fetched_at="2026-11-08T00:00:00Z")
    jumps = conn.execute(
        "SELECT check_key, raw FROM parse_issues WHERE kind = 'dq_null_jump' AND run_id = 'r2' "
        "ORDER BY check_key"
    ).fetchall()
    assert [r[0] for r in jumps] == ["lgbt_pct", "most_common_major"]
    assert jumps[1][1].startswith("30/30 vs ")
    assert report.dq_new >= 2
    assert count(conn, "role_observations", "run_id = 'r2'") == 30, "still loaded"


def test_parser_warnings_become_issues_of_their_kind(tmp_path: Path) -> None:
    conn = connect(tmp_path / "careers.db")
    batch = records(range(2))
    batch[0].warnings = [
        ParseWarning(
            kind="unknown_row",
            table="overview",
            row="Remote share",
            side=None,
            raw="Remote share | 12% | 3%",
            message="row label not known",
        ),
        ParseWarning(
            kind="unparsed_value",
            table="salary",
            row="Salary range",
            side="b",
            raw="Ask us",
            message="not a range",
        ),
    ]
    report = load_records(conn, batch)
    assert report.warnings == 2
    rows = conn.execute(
        'SELECT kind, "table", row, side, raw FROM parse_issues ORDER BY kind'
    ).fetchall()
    assert [tuple(r) for r in rows if not r[0].startswith("dq_")] == [
        ("unknown_row", "overview", "Remote share", None, "Remote share | 12% | 3%"),
        ("unparsed_value", "salary", "Salary range", "b", "Ask us"),
    ]
    assert conn.execute("SELECT warnings FROM runs").fetchone()[0] == 2
