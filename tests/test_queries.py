"""The README's analyst queries, run against a loaded fixture database and checked
against rows computed here, in Python, from the records that were loaded."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from support.load import add_run, pages
from support.readme import canned_queries_script, readme_queries
from support.rows import add_refused

from pipeline.load import load_records
from pipeline.quality import figures_differ
from schemas.columns import FIGURE_COLUMNS
from schemas.records import ComparisonRecord
from schemas.rows import figures_of
from store.db import connect

pytestmark = pytest.mark.usefixtures("databases_stay_clean")

T1, T2 = "2026-11-01T06:00:00Z", "2026-11-08T06:00:00Z"


def swapped(record: ComparisonRecord) -> ComparisonRecord:
    """The same two roles compared the other way round (the page ``b-vs-a``)."""
    out = record.model_copy(deep=True)
    out.role_a, out.role_b = out.role_b, out.role_a
    out.sides.a, out.sides.b = out.sides.b, out.sides.a
    out.higher_paid = {"a": "b", "b": "a", None: None}[record.higher_paid]
    out.url = None
    return out


class Fixture:
    """Two loads: r1 (12 pages, one role's salary altered on one page, one role's
    description mentioning a nurse), then r2 (page 2 revised, page 3 compared the other
    way round, with a gender share that fails)."""

    def __init__(self, tmp_path: Path) -> None:
        first = [p.expected.model_copy(deep=True) for p in pages(range(12))]
        seen: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for i, record in enumerate(first):
            for side in ("a", "b"):
                seen[record.role(side).slug].append((i, side))
        self.shared = min(s for s, where in seen.items() if len(where) >= 2)
        i, side = seen[self.shared][-1]
        altered = first[i].side(side)  # type: ignore[arg-type]
        altered.yearly_salary_usd = int((altered.yearly_salary_usd or 0) * 1.1)
        revised = {r.role(s).slug for r in (first[2], first[3]) for s in ("a", "b")}  # type: ignore[arg-type]
        self.nurse = min(s for s in seen if s not in revised)
        for record in first:
            for side in ("a", "b"):
                if record.role(side).slug == self.nurse:  # type: ignore[arg-type]
                    figures = record.side(side)  # type: ignore[arg-type]
                    figures.description = f"{figures.description or ''} Works beside the nurse."
        second = [pages([2], revision=1)[0].expected, swapped(first[3])]
        second[1].sides.a.gender_pct = {"male": 50.0, "female": 40.0}
        self.loads = [("r1", T1, first), ("r2", T2, second)]
        self.conn = connect(tmp_path / "careers.db")
        self.conn.row_factory = None
        for run_id, at, records in self.loads:
            add_run(self.conn, run_id, at)
            load_records(self.conn, records, run_id=run_id, fetched_at=at)
        self.refused = self._refuse(first[5].url or "", "r2", T2)
        self._model()

    def _refuse(self, url: str, run_id: str, at: str) -> str:
        """A later body of page ``url`` that the parser refused, as the loader records it."""
        add_refused(
            self.conn, run_id, at, url, "parse_markup_changed", "the grid cannot be oriented"
        )
        return url

    def _model(self) -> None:
        """What the views must show, computed from the loads without SQL."""
        self.ids: dict[tuple[str, str], int] = {}
        self.current: dict[tuple[int, str], dict[str, Any]] = {}
        self.history: list[dict[str, Any]] = []
        for run_id, at, records in self.loads:
            for record in records:
                pair = (record.role_a.slug, record.role_b.slug)
                cid = self.ids.setdefault(pair, len(self.ids) + 1)
                for side in ("a", "b"):
                    values = record.side(side)  # type: ignore[arg-type]
                    entry = {
                        "cid": cid,
                        "side": side,
                        "at": at,
                        "run": run_id,
                        "slug": record.role(side).slug,  # type: ignore[arg-type]
                        "title": record.role(side).title,  # type: ignore[arg-type]
                        "figures": figures_of(values),
                        "gender": values.gender_pct or {},
                        "page_key": f"/{pair[0]}-jobs/{pair[0]}-vs-{pair[1]}-differences/",
                    }
                    before = self.current.get((cid, side))
                    if (
                        before is None
                        or before["figures"] != entry["figures"]
                        or (before["gender"] != entry["gender"])
                    ):
                        entry["previous"] = before
                        self.current[(cid, side)] = entry
                        self.history.append(entry)
        by_role: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for entry in self.current.values():
            by_role[entry["slug"]].append(entry)
        self.roles = {}
        for slug, entries in by_role.items():
            newest = max(e["at"] for e in entries)
            pick = min(
                (e for e in entries if e["at"] == newest), key=lambda e: (e["cid"], e["side"])
            )
            differ = [
                c
                for c in FIGURE_COLUMNS
                if any(
                    figures_differ(x["figures"][c], y["figures"][c])
                    for x in entries
                    for y in entries
                )
            ]
            self.roles[slug] = {**pick, "seen": len({e["cid"] for e in entries}), "differ": differ}

    def run(self, name: str, **params: Any) -> list[tuple[Any, ...]]:
        return self.conn.execute(readme_queries()[name], params).fetchall()


@pytest.fixture
def fx(tmp_path: Path) -> Fixture:
    return Fixture(tmp_path)


def test_the_readme_has_the_queries_analysts_need() -> None:
    assert set(readme_queries()) >= {
        "highest-paying roles",
        "biggest salary gap between compared roles",
        "gender balance by role",
        "what changed since the last run",
        "roles whose figures disagree between pages",
    }


def test_every_readme_query_runs(fx: Fixture) -> None:
    for name in readme_queries():
        assert fx.run(name, role_slug=fx.shared), name


def test_full_text_search_finds_a_role_by_a_word_of_its_description(fx: Fixture) -> None:
    words = {
        slug
        for slug, role in fx.roles.items()
        if "nurse" in f"{role['title']} {role['figures']['description']}".lower()
    }
    assert words == {fx.nurse}
    found = fx.run("roles whose title, description or skills match a word")
    assert [row[0] for row in found] == [fx.nurse]
    assert "nurse" in found[0][2].lower()


def test_highest_paying_roles(fx: Fixture) -> None:
    expected = sorted(
        (
            (
                slug,
                r["title"],
                r["figures"]["yearly_salary_usd"],
                r["figures"]["hourly_rate_usd"],
                r["seen"],
            )
            for slug, r in fx.roles.items()
            if r["figures"]["yearly_salary_usd"] is not None
        ),
        key=lambda row: (-row[2], row[0]),
    )[:20]
    assert fx.run("highest-paying roles") == expected


def test_biggest_salary_gap(fx: Fixture) -> None:
    pairs: dict[str, tuple[Any, ...]] = {}
    for (slug_a, slug_b), cid in sorted(fx.ids.items(), key=lambda kv: kv[1]):
        a, b = fx.current[(cid, "a")], fx.current[(cid, "b")]
        ya, yb = a["figures"]["yearly_salary_usd"], b["figures"]["yearly_salary_usd"]
        if ya is None or yb is None:
            continue
        key = "|".join(sorted((slug_a, slug_b)))
        seen = max(a["at"], b["at"])
        row = (key, a["title"], ya, b["title"], yb, abs(ya - yb))
        # one row per pair: the comparison seen last, then the lowest id
        if key not in pairs or seen > pairs[key][0]:
            pairs[key] = (seen, row)
    expected = sorted((r for _, r in pairs.values()), key=lambda r: (-r[5], r[0]))[:20]
    assert fx.run("biggest salary gap between compared roles") == expected
    assert any(fx.ids.get((b, a)) for a, b in fx.ids), "the fixture compares one pair both ways"


def test_gender_balance_by_role(fx: Fixture) -> None:
    rows = [
        (slug, r["title"], r["gender"].get("female"), r["gender"].get("male"))
        for slug, r in fx.roles.items()
        if r["gender"]
    ]
    expected = sorted(rows, key=lambda row: (-(row[2] if row[2] is not None else -1), row[0]))
    assert fx.run("gender balance by role") == expected


def test_what_changed_since_the_last_run(fx: Fixture) -> None:
    expected = sorted(
        (
            (
                e["slug"],
                e["title"],
                e["page_key"],
                e["side"],
                "changed" if e["previous"] else "new",
                e["previous"]["at"] if e["previous"] else None,
                e["at"],
                e["previous"]["figures"]["yearly_salary_usd"] if e["previous"] else None,
                e["figures"]["yearly_salary_usd"],
            )
            for e in fx.history
            if e["run"] == "r2"
        ),
        key=lambda row: (row[0], row[2]),
    )
    assert [row[4] for row in expected].count("changed") == 2
    assert [row[4] for row in expected].count("new") == 2
    assert fx.run("what changed since the last run") == expected


def test_roles_whose_figures_disagree(fx: Fixture) -> None:
    expected = sorted(
        (
            (slug, r["title"], r["seen"], ",".join(r["differ"]))
            for slug, r in fx.roles.items()
            if r["differ"]
        ),
        key=lambda row: (-row[2], row[0]),
    )
    found = fx.run("roles whose figures disagree between pages")
    assert found == expected
    assert any(row[0] == fx.shared and "yearly_salary_usd" in row[3] for row in found)
    per_page = fx.run("one role's latest figures on each page", role_slug=fx.shared)
    assert len({row[3] for row in per_page}) == 2


def test_new_data_quality_failures(fx: Fixture) -> None:
    expected = sorted(
        (kind, key, message, url)
        for kind, key, message, url, known, run in fx.conn.execute(
            "SELECT kind, check_key, message, url, known, run_id FROM parse_issues"
        )
        if kind.startswith("dq_") and not known and run == "r2"
    )
    found = fx.run("new data-quality failures of the latest run")
    assert found == expected
    assert any(row[0] == "dq_gender_sum" for row in found)


def test_pages_whose_latest_body_did_not_parse(fx: Fixture) -> None:
    assert fx.run("pages whose latest stored body did not parse") == [
        (fx.refused, "markup_changed", "the grid cannot be oriented", T2, "r2")
    ]


def test_the_canned_queries_in_the_metadata_are_the_readme_queries() -> None:
    script = canned_queries_script()
    queries, skipped = script.canned_queries(script.README.read_text(encoding="utf-8"))
    assert not skipped, "every README query is one read-only statement"
    metadata = json.loads(script.METADATA.read_text(encoding="utf-8"))
    assert metadata["databases"]["careers"]["queries"] == queries, (
        "schemas/metadata.json is out of step with the README: run "
        ".venv/bin/python scripts/canned_queries.py"
    )
    assert script.main(["--check"]) == 0
    assert [q["sql"] for q in queries.values()] == list(readme_queries().values())
    assert queries["one-roles-latest-figures-on-each-page"]["params"] == ["role_slug"]
    assert all(q["title"] and q["description"] for q in queries.values())


def test_a_readme_block_datasette_cannot_run_read_only_is_left_out_with_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = canned_queries_script()
    readme = tmp_path / "README.md"
    readme.write_text(
        "<!-- queries:start -->\nTop roles:\n\n```sql\n-- top roles\nSELECT role_slug FROM roles"
        " WHERE title = ':not_a_param' AND role_slug = :slug -- :nor_this\n```\n\nForget one:"
        "\n\n```sql\n-- forget a role\nWITH r AS (SELECT 'x' AS s)\nDELETE FROM roles WHERE"
        " role_slug IN (SELECT s FROM r);\n```\n<!-- queries:end -->\n",
        encoding="utf-8",
    )
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps({"databases": {"careers": {"tables": {}}}}), encoding="utf-8")
    args = ["--readme", str(readme), "--metadata", str(metadata)]
    assert script.main([*args, "--check"]) == 1
    assert script.main(args) == 0
    assert script.main([*args, "--check"]) == 0
    written = json.loads(metadata.read_text(encoding="utf-8"))["databases"]["careers"]
    assert written["tables"] == {}
    assert written["queries"] == {
        "top-roles": {
            "title": "Top roles",
            "description": "Top roles",
            "sql": "-- top roles\nSELECT role_slug FROM roles WHERE title = ':not_a_param'"
            " AND role_slug = :slug -- :nor_this\n",
            "params": ["slug"],
        }
    }
    assert "left out 'forget a role': not read-only: sqlite refuses DELETE roles" in (
        capsys.readouterr().err
    )
