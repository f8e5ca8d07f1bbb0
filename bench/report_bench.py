"""How long ``write_report`` takes, and how big the page is, on a 20,000-comparison database.

The database is bulk-inserted (one transaction of ``executemany``) from the demo
generator's catalog and role figures, in the shape the crawler and loader leave it:
run ``r1`` fetched every page but the last ``--added``; run ``r2`` (complete) changed
``--changed`` pages, got 404/410 for ``--gone``, lost ``--missing`` from the sitemap
and found the ``--added`` new ones. Then the report is written ``--repeat`` times.

    .venv/bin/python bench/report_bench.py [--comparisons 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demosite.generator import catalog, role_figures  # noqa: E402
from pipeline.report import write_report  # noqa: E402
from schemas.columns import COUNTERS, FIGURE_COLUMNS
from schemas.records import SideRecord  # noqa: E402
from schemas.rows import figures_of  # noqa: E402
from scraper.urls import comparison_path  # noqa: E402
from store.db import connect  # noqa: E402

SEED = 3
BASE = "https://www.zippia.com"
T1, T2 = "2026-11-20T10:00:00Z", "2026-11-21T10:00:00Z"


def revised(side: SideRecord, index: int) -> SideRecord:
    """A changed page's figures: salaries up 3%, a few jobs more."""
    changed = side.model_copy(deep=True)
    for name in ("yearly_salary_usd", "average_salary_usd", "salary_range_high_usd"):
        value = getattr(changed, name)
        if value is not None:
            setattr(changed, name, int(value * 1.03))
    if changed.number_of_jobs is not None:
        changed.number_of_jobs += index % 97
    return changed


class Builder:
    """Rows for every table the report reads, appended in id order."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.obs_id = 0
        self.fetch_id = 0
        self.observations: list[tuple[Any, ...]] = []
        self.gender: list[tuple[Any, ...]] = []
        self.race: list[tuple[Any, ...]] = []
        self.skills: list[tuple[Any, ...]] = []
        self.fetches: list[tuple[Any, ...]] = []
        self.frontier: list[tuple[Any, ...]] = []

    def observe(self, cid: int, slug: str, side: str, fig: SideRecord, run: str, at: str) -> None:
        self.obs_id += 1
        figures = figures_of(fig)
        digest = hashlib.sha256(repr(figures).encode()).hexdigest()
        self.observations.append(
            (self.obs_id, cid, slug, side, None, at, run, "bench", digest,
             *(figures[c] for c in FIGURE_COLUMNS))
        )  # fmt: skip
        for label, pct in (fig.gender_pct or {}).items():
            self.gender.append((self.obs_id, slug, label, pct))
        for label, pct in (fig.race_pct or {}).items():
            self.race.append((self.obs_id, slug, label, pct))
        for rank, skill in enumerate(fig.top_skills, 1):
            self.skills.append((self.obs_id, slug, rank, skill))

    def fetch(self, run: str, key: str, at: str, outcome: str, status: int | None) -> None:
        self.fetch_id += 1
        size = 210_000 if status == 200 else 0
        self.fetches.append((self.fetch_id, run, key, BASE + key, at, outcome, status, 1, size, 40))

    def discover(self, run: str, key: str, at: str) -> None:
        self.frontier.append((run, key, BASE + key, "sitemap", "done", at, at))

    def write(self) -> None:
        marks = ", ".join("?" * (9 + len(FIGURE_COLUMNS)))
        columns = ", ".join(FIGURE_COLUMNS)
        c = self.conn
        c.executemany(
            "INSERT INTO role_observations (observation_id, comparison_id, role_slug, side, "
            "fetch_id, fetched_at, run_id, parser_version, record_sha256, "
            f"{columns}) VALUES ({marks})",
            self.observations,
        )
        c.executemany("INSERT INTO role_gender VALUES (?, ?, ?, ?)", self.gender)
        c.executemany("INSERT INTO role_race VALUES (?, ?, ?, ?)", self.race)
        c.executemany("INSERT INTO role_skills VALUES (?, ?, ?, ?)", self.skills)
        c.executemany(
            "INSERT INTO fetches (fetch_id, run_id, page_key, url, fetched_at, outcome, status, "
            "attempts, bytes, elapsed_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.fetches,
        )
        c.executemany(
            "INSERT INTO frontier (run_id, page_key, url, source, state, discovered_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            self.frontier,
        )


def _salary(side: SideRecord) -> int:
    return side.yearly_salary_usd or 0


def pages(n: int) -> Iterator[tuple[int, str, str]]:
    cat = catalog(SEED)
    for index in range(n):
        slug_a, slug_b = cat.pair(index)
        yield index, slug_a, slug_b


def build(db: Path, comparisons: int, changed: int, gone: int, missing: int, added: int) -> None:
    conn = connect(db)
    cat = catalog(SEED)
    figures: dict[str, SideRecord] = {}
    b = Builder(conn)
    first = comparisons - added
    conn.execute("BEGIN")
    for run, at, complete in (("r1", T1, 1), ("r2", T2, 1)):
        conn.execute(
            "INSERT INTO runs (run_id, command, base_url, started_at, finished_at, exit_code, "
            "complete) VALUES (?, 'refresh', ?, ?, ?, 0, ?)",
            (run, BASE + "/", at, at, complete),
        )
    comparison_rows = []
    for index, slug_a, slug_b in pages(comparisons):
        for slug in (slug_a, slug_b):
            if slug not in figures:
                figures[slug] = role_figures(SEED, slug)
                conn.execute(
                    "INSERT INTO roles VALUES (?, ?)", (slug, cat.role_title(slug) or slug)
                )
        cid = index + 1
        key = comparison_path(slug_a, slug_b)
        is_new = index >= first
        seen = T2 if is_new else T1
        fa, fb = figures[slug_a], figures[slug_b]
        higher = None if index % 9 == 0 else ("a" if _salary(fa) > _salary(fb) else "b")
        comparison_rows.append((cid, slug_a, slug_b, key, BASE + key, higher, seen, T2, seen, "x"))
        run1 = "r2" if is_new else "r1"
        b.observe(cid, slug_a, "a", fa, run1, seen)
        b.observe(cid, slug_b, "b", fb, run1, seen)
        if not is_new:
            b.discover("r1", key, T1)
            b.fetch("r1", key, T1, "new", 200)
        r2 = index - (first - changed - gone - missing)  # the last pages of run 1 move
        if is_new:
            b.discover("r2", key, T2)
            b.fetch("r2", key, T2, "new", 200)
        elif 0 <= r2 < changed:
            b.discover("r2", key, T2)
            b.fetch("r2", key, T2, "changed", 200)
            b.observe(cid, slug_a, "a", revised(fa, index), "r2", T2)
            b.observe(cid, slug_b, "b", revised(fb, index + 1), "r2", T2)
        elif changed <= r2 < changed + gone:
            b.discover("r2", key, T2)
            b.fetch("r2", key, T2, "gone", 404 if index % 2 else 410)
        elif r2 >= changed + gone:
            continue  # missing from run 2's sitemap
        else:
            b.discover("r2", key, T2)
            b.fetch("r2", key, T2, "not_modified", 304)
    conn.executemany(
        "INSERT INTO comparisons (comparison_id, role_a_slug, role_b_slug, page_key, url, "
        "higher_paid, first_seen_at, last_seen_at, last_changed_at, content_sha256) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        comparison_rows,
    )
    b.write()
    for run in ("r1", "r2"):
        counts = dict(
            conn.execute(
                "SELECT outcome, COUNT(*) FROM fetches WHERE run_id = ? GROUP BY outcome", (run,)
            ).fetchall()
        )
        values = {name: counts.get(name, 0) for name in COUNTERS}
        values["discovered"] = conn.execute(
            "SELECT COUNT(*) FROM frontier WHERE run_id = ?", (run,)
        ).fetchone()[0]
        values["fetched"] = sum(counts.values())
        values["records_written"] = conn.execute(
            "SELECT COUNT(*) FROM role_observations WHERE run_id = ?", (run,)
        ).fetchone()[0]
        sets = ", ".join(f"{k} = ?" for k in values)
        conn.execute(f"UPDATE runs SET {sets} WHERE run_id = ?", (*values.values(), run))
    conn.execute("COMMIT")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comparisons", type=int, default=20_000)
    parser.add_argument("--changed", type=int, default=1_000)
    parser.add_argument("--gone", type=int, default=200)
    parser.add_argument("--missing", type=int, default=100)
    parser.add_argument("--added", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, help="Keep the database here; reuse it if present.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "careers.db"
        started = time.perf_counter()
        if not db.exists():
            build(db, args.comparisons, args.changed, args.gone, args.missing, args.added)
        built = time.perf_counter() - started
        conn = connect(db)
        sizes = {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("comparisons", "roles", "role_observations", "role_race", "fetches")
        }
        conn.close()
        print(f"database: {sizes} built in {built:.1f} s, {db.stat().st_size / 1e6:.1f} MB")
        times = []
        for _ in range(args.repeat):
            out = Path(tmp) / "report"
            started = time.perf_counter()
            index = write_report(db, out)
            times.append(time.perf_counter() - started)
        written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(
            f"write_report: {len(times)} runs, median {statistics.median(times):.2f} s "
            f"(min {min(times):.2f}, max {max(times):.2f}); "
            f"{index.name} {index.stat().st_size / 1e6:.2f} MB, report dir {written / 1e6:.2f} MB"
        )


if __name__ == "__main__":
    main()
