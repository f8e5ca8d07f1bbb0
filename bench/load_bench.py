"""Loader throughput: pages/second into a fresh database and into one that already holds
the same pages, each beside its floor measured in the same run.

The floor is plain ``sqlite3`` ``executemany`` of exactly the rows the loader writes
(roles, comparisons, role_observations, role_gender, role_race, role_skills, and
role_search, whose FTS triggers fire for the floor as for the loader) in one
transaction, into the same schema: ``INSERT`` for the fresh path, ``INSERT OR IGNORE``
for the second. The loader gets its pages three ways: as the parse pool hands them over
(rows already made in the workers, ``schemas.rows``, unpickled from a file), as
``careers load FILE.jsonl`` does (JSON lines validated by pydantic, rows made in the
loader's process), and as records in a list in memory (the loader's own cost, rows
included, without producing its input). Memory: peak Python allocations (tracemalloc)
while loading N/4 and N pages; flat means the same peak.

    .venv/bin/python bench/load_bench.py [--pages 10000] [--batch-size 200]
"""

from __future__ import annotations

import argparse
import gc
import pickle
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from demosite.generator import catalog, role_figures
from pipeline.load import Parsed, load_records
from pipeline.load.source import from_record
from schemas.columns import FIGURE_COLUMNS
from schemas.records import ComparisonRecord, RoleRef, Sides
from schemas.rows import side_sha256
from scraper.urls import comparison_path
from store.db import connect

SEED = 5
BASE = "https://www.zippia.com"


def make_records(n: int) -> Iterator[ComparisonRecord]:
    cat = catalog(SEED)
    for i in range(n):
        a, b = cat.pair(i)
        fa, fb = role_figures(SEED, a), role_figures(SEED, b)
        yield ComparisonRecord(
            url=BASE + comparison_path(a, b),
            role_a=RoleRef(title=cat.role_title(a) or a, slug=a),
            role_b=RoleRef(title=cat.role_title(b) or b, slug=b),
            higher_paid="a" if (fa.yearly_salary_usd or 0) >= (fb.yearly_salary_usd or 0) else "b",
            parser_version="bench",
            sides=Sides(a=fa, b=fb),
        )


def write_inputs(n: int, directory: Path) -> tuple[Path, Path]:
    pickled, jsonl = directory / "records.pickle", directory / "records.jsonl"
    with pickled.open("wb") as pf, jsonl.open("w", encoding="utf-8") as jf:
        for record in make_records(n):
            pickle.dump(record, pf, protocol=pickle.HIGHEST_PROTOCOL)
            jf.write(record.model_dump_json() + "\n")
    return pickled, jsonl


def from_pickle(path: Path) -> Iterator[ComparisonRecord]:
    with path.open("rb") as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return


def write_rows(records: Path, directory: Path) -> Path:
    """The pages as the parse pool hands them over: rows made in the workers, pickled."""
    path = directory / "rows.pickle"
    with path.open("wb") as fh:
        for record in from_pickle(records):
            pickle.dump(from_record(record).rows, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def rows_stream(path: Path) -> Iterator[Parsed]:
    with path.open("rb") as fh:
        while True:
            try:
                yield Parsed(pickle.load(fh))
            except EOFError:
                return


def from_jsonl(path: Path) -> Iterator[ComparisonRecord]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            yield ComparisonRecord.model_validate_json(line)


def floor_rows(path: Path, at: str) -> dict[str, list[tuple[Any, ...]]]:
    """Exactly the rows the loader writes for these records."""
    rows: dict[str, list[tuple[Any, ...]]] = {
        "roles": [],
        "comparisons": [],
        "role_observations": [],
        "role_gender": [],
        "role_race": [],
        "role_skills": [],
        "role_search": [],
    }
    roles: dict[str, str] = {}
    search: dict[str, tuple[Any, ...]] = {}
    oid = 0
    for cid, record in enumerate(from_pickle(path), 1):
        for side in ("a", "b"):
            ref, values = record.role(side), record.side(side)  # type: ignore[arg-type]
            roles[ref.slug] = ref.title
            oid += 1
            months = values.months_to_become
            rows["role_observations"].append(
                (
                    oid,
                    cid,
                    ref.slug,
                    side,
                    None,
                    at,
                    "floor",
                    record.parser_version,
                    side_sha256(values),
                    *[getattr(values, c) for c in FIGURE_COLUMNS[:-2]],
                    months.min if months else None,
                    months.max if months else None,
                )
            )
            rows["role_gender"] += [
                (oid, ref.slug, k, v) for k, v in (values.gender_pct or {}).items()
            ]
            rows["role_race"] += [(oid, ref.slug, k, v) for k, v in (values.race_pct or {}).items()]
            rows["role_skills"] += [
                (oid, ref.slug, i, s) for i, s in enumerate(values.top_skills, 1)
            ]
            search[ref.slug] = (
                ref.slug,
                ref.title,
                values.description,
                ", ".join(values.top_skills),
            )
        a, b = record.role_a.slug, record.role_b.slug
        rows["comparisons"].append(
            (
                cid,
                a,
                b,
                comparison_path(a, b),
                record.url,
                record.url,
                record.higher_paid,
                at,
                at,
                at,
                "x",
                None,
            )
        )
    rows["roles"] = list(roles.items())
    rows["role_search"] = list(search.values())
    return rows


def floor(db: Path, rows: dict[str, list[tuple[Any, ...]]], verb: str) -> float:
    conn = connect(db)
    started = time.perf_counter()
    conn.execute("BEGIN")
    for table, values in rows.items():
        if values:
            marks = ", ".join("?" * len(values[0]))
            conn.executemany(f"{verb} INTO {table} VALUES ({marks})", values)
    conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def loader(
    db: Path, source: Iterator[ComparisonRecord] | Iterator[Parsed], batch: int, at: str
) -> float:
    conn = connect(db)
    started = time.perf_counter()
    load_records(conn, source, batch_size=batch, fetched_at=at)
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def peak_memory(path: Path, n: int, batch: int, directory: Path) -> tuple[float, int]:
    """Peak Python allocation (MB) while loading the first ``n`` records, and how many
    distinct roles they name (the loader keeps a little state per role, none per page)."""

    def first(k: int) -> Iterator[ComparisonRecord]:
        for i, record in enumerate(from_jsonl(path)):
            if i >= k:
                return
            yield record

    db = directory / f"mem-{n}.db"
    conn = connect(db)
    gc.collect()
    tracemalloc.start()
    load_records(conn, first(n), batch_size=batch, fetched_at="2026-11-01T00:00:00Z")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    roles = conn.execute("SELECT count(*) FROM roles").fetchone()[0]
    conn.close()
    return peak / 1e6, roles


def best(runs: list[float]) -> float:
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="Best of N (the machine is shared).")
    args = parser.parse_args()
    n, batch, repeat = args.pages, args.batch_size, args.repeat
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        pickled, jsonl = write_inputs(n, d)
        rows = floor_rows(pickled, "2026-11-01T00:00:00Z")
        total = sum(len(v) for v in rows.values())
        print(
            f"{n} pages, {total} rows ({total / n:.1f} per page), batch size {batch}, "
            f"best of {repeat}"
        )
        started = time.perf_counter()
        for _ in from_jsonl(jsonl):
            pass
        print(
            f"reading + validating the {n} JSON lines alone: {time.perf_counter() - started:.2f} s"
        )
        runs: dict[str, list[float]] = {}

        def measure(name: str, seconds: float) -> None:
            runs.setdefault(name, []).append(seconds)

        def both_passes(tag: str, source: str, pages: Callable[[], Iterator[Any]]) -> None:
            """Fresh loads beside fresh floors, then loads of the same pages again beside
            the second-pass floor, on the first fresh database of each."""
            for rep in range(repeat):
                measure("floor fresh (INSERT)", floor(d / f"floor-{tag}{rep}.db", rows, "INSERT"))
                at = f"2026-11-01T00:00:{rep:02d}Z"
                measure(
                    f"loader fresh ({source})", loader(d / f"{tag}{rep}.db", pages(), batch, at)
                )
            for rep in range(repeat):
                again = floor(d / f"floor-{tag}0.db", rows, "INSERT OR IGNORE")
                measure("floor again (INSERT OR IGNORE)", again)
                at = f"2026-11-08T00:00:{rep:02d}Z"
                measure(f"loader again ({source})", loader(d / f"{tag}0.db", pages(), batch, at))

        # Streamed first, with nothing else alive: a list of records in memory makes every
        # garbage collection during the stream scan it too.
        both_passes("json", "JSON lines streamed", lambda: from_jsonl(jsonl))
        pooled = write_rows(pickled, d)
        both_passes("pool", "pool rows streamed", lambda: rows_stream(pooled))
        in_memory = list(from_pickle(pickled))
        both_passes("mem", "records in memory", lambda: iter(in_memory))
        rows.clear()  # what the closure holds: free it before the memory measure
        in_memory.clear()
        results = {name: best(times) for name, times in runs.items()}
        for name, seconds in results.items():
            print(f"{name:36s} {seconds:7.2f} s  {n / seconds:8.0f} pages/s")
        for path, floor_name in (
            ("fresh", "floor fresh (INSERT)"),
            ("again", "floor again (INSERT OR IGNORE)"),
        ):
            for source in ("pool rows streamed", "records in memory", "JSON lines streamed"):
                ratio = results[f"loader {path} ({source})"] / results[floor_name]
                print(f"ratio loader/floor, {path}, {source}: {ratio:.2f}x")
        (small, small_roles), (large, large_roles) = (
            peak_memory(jsonl, n // 4, batch, d),
            peak_memory(jsonl, n, batch, d),
        )
        print(
            f"peak Python memory loading {n // 4} pages ({small_roles} roles): {small:.1f} MB; "
            f"{n} pages ({large_roles} roles): {large:.1f} MB"
        )
        conn = sqlite3.connect(d / "json0.db")
        observations = conn.execute("SELECT count(*) FROM role_observations").fetchone()[0]
        roles = conn.execute("SELECT count(*) FROM roles").fetchone()[0]
        print(f"observations after {1 + repeat} loads: {observations} (2 per page: no duplicates)")
        print(f"distinct roles: {roles} (the in-run agreement check keeps one set of figures each)")


if __name__ == "__main__":
    main()
