"""Re-parsing archived pages with 1 worker vs N: ``careers load --reparse --workers N``.

Builds an archive of ``--pages`` fetches (``--distinct`` generated demo pages, fetched
again in ``pages / distinct`` runs, as a weekly crawl would), loads it once, then times
``load_pending(..., reparse=True)`` (what ``careers load --reparse`` runs) on copies of
that database with each worker count. Every re-parse must leave the history as it was.

    .venv/bin/python bench/reparse_bench.py [--pages 20000] [--distinct 2000] [--workers 1 2]
        [--rounds 3] [--size small|live]

The machine is shared: rounds alternate between worker counts and the best is kept.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from demosite.generator import generate_page
from pipeline.load import load_pending
from schemas.settings import Settings
from scraper.archive import WarcArchive
from scraper.urls import page_key
from store.db import connect

SEED = 3


def build_archive(directory: Path, pages: int, distinct: int, size: str) -> Path:
    db = directory / "careers.db"
    conn = connect(db)
    bodies = [
        (page.expected.url or "", page.html.encode())
        for page in (generate_page(SEED, i, size=size) for i in range(distinct))
    ]
    runs = -(-pages // distinct)
    written = 0
    with WarcArchive(directory / "archive", prefix="bench") as warc:
        for run in range(runs):
            run_id = f"run{run:03d}"
            at = f"2026-{1 + run // 28:02d}-{1 + run % 28:02d}T00:00:00Z"
            conn.execute(
                "INSERT INTO runs (run_id, command, started_at) VALUES (?, 'crawl', ?)",
                (run_id, at),
            )
            conn.execute("BEGIN")
            for url, body in bodies[: pages - written]:
                ref = warc.write_response(url, 200, [], body, len(body), "0" * 64)
                conn.execute(
                    "INSERT INTO fetches (run_id, page_key, url, fetched_at, outcome, status, "
                    "attempts, bytes, warc_file, warc_offset, load_state) "
                    "VALUES (?, ?, ?, ?, 'changed', 200, 1, ?, ?, ?, 'pending')",
                    (run_id, page_key(url), url, at, len(body), ref.warc_file, ref.warc_offset),
                )
            conn.commit()
            written += min(len(bodies), pages - written)
    conn.close()
    return db


def settings(workers: int, archive: Path) -> Settings:
    s = Settings()
    s.run.workers = workers
    s.output.archive_dir = archive
    return s


def history(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT observation_id, comparison_id, side, fetched_at, record_sha256 "
        "FROM role_observations ORDER BY observation_id"
    ).fetchall()
    conn.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--distinct", type=int, default=2_000)
    parser.add_argument("--size", choices=("small", "live"), default="small")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3, help="Alternating rounds; best kept.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        started = time.perf_counter()
        db = build_archive(d, args.pages, args.distinct, args.size)
        archive = d / "archive"
        size = sum(f.stat().st_size for f in archive.iterdir())
        print(
            f"{args.pages} archived fetches of {args.distinct} distinct {args.size} pages "
            f"({size / 1e6:.0f} MB of WARC), built in {time.perf_counter() - started:.0f} s; "
            f"{os.cpu_count()} cores"
        )
        conn = connect(db)
        started = time.perf_counter()
        first = load_pending(conn, settings(max(args.workers), archive))
        conn.close()
        print(
            f"first load ({max(args.workers)} workers): {time.perf_counter() - started:.1f} s, "
            f"{first.records_written} observations, {first.failed_pages} failed"
        )
        before = history(db)
        walls: dict[int, list[float]] = {w: [] for w in args.workers}
        for _ in range(args.rounds):
            for workers in args.workers:  # alternating, so each sees the same machine load
                copy = d / f"reparse-{workers}.db"
                shutil.copy(db, copy)
                conn = connect(copy)
                started = time.perf_counter()
                report = load_pending(conn, settings(workers, archive), reparse=True)
                walls[workers].append(time.perf_counter() - started)
                conn.close()
                assert report.pages == args.pages and report.records_written == 0
                assert history(copy) == before, "re-parsing must not change the history"
                copy.unlink()
        best = {w: min(times) for w, times in walls.items()}
        for workers, times in walls.items():
            print(
                f"careers load --reparse --workers {workers}: best {best[workers]:6.1f} s "
                f"({args.pages / best[workers]:5.0f} pages/s), median "
                f"{statistics.median(times):6.1f} s of {len(times)} rounds"
            )
        base = best[min(best)]
        for workers, elapsed in best.items():
            print(f"speed-up with {workers} workers (best rounds): {base / elapsed:.2f}x")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
