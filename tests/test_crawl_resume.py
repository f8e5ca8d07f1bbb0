"""Kill-and-resume: ``careers crawl`` in a subprocess, SIGKILLed at random moments while
it crawls the demo site served by this test process, then run again until it finishes
(unless a process completed the run before its kill point, or was killed after its last
commit: then that process is the one that finished it).

What must hold (the issue's "nothing fetched and recorded is fetched again, nothing is
lost, nothing is duplicated"):

- one run, resumed each time ("resuming N pending URLs of run R"), complete at the end;
- the fetch log has exactly one row per page, every page archived and readable;
- the server served each page's complete 200 once, except pages that were in flight at a
  kill (served, but not yet recorded when the process died): those may be served again,
  at most one per crawl worker per kill, and never a page that had been recorded.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from scraper.archive import read_body
from scraper.urls import comparison_slugs, page_key
from scraper.workers import workers_for
from store.db import connect

IN_FLIGHT = 4
WORKERS = workers_for(IN_FLIGHT)  # pages a killed crawl can have fetched, unrecorded
USER_AGENT_ENV = {"CAREERS_POLITENESS__CONTACT": "resume-test@example.org"}


def crawl_process(base_url: str, tmp_path: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERS_")}
    env.update(USER_AGENT_ENV)
    cmd = [
        sys.executable,
        "-c",
        "from pipeline.cli import main; main()",
        "crawl",
        "-v",
        "--base-url",
        base_url,
        "--db",
        str(tmp_path / "careers.db"),
        "--archive-dir",
        str(tmp_path / "archive"),
        "--rate",
        "150",
        "--max-in-flight",
        str(IN_FLIGHT),
    ]
    return subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def read_only(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on the crawl's database, read beside the crawl; none before the
    crawl has created it."""
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []
    finally:
        conn.close()


def recorded(db: Path) -> set[str]:
    return {key for (key,) in read_only(db, "SELECT page_key FROM fetches")}


def run_completed(db: Path) -> bool:
    """Whether the crawl's run is complete: a process can complete it before its kill
    point, or be killed after its last commit, on its way out."""
    rows = read_only(db, "SELECT complete FROM runs ORDER BY rowid DESC LIMIT 1")
    return bool(rows and rows[0][0])


def served_pages(site: Any, ua: str) -> dict[str, int]:
    served = site.client_stats(ua).get("complete_200", {})
    return {page_key(p): n for p, n in served.items() if comparison_slugs(p)}


def settled_served_pages(site: Any, ua: str) -> dict[str, int]:
    """``served_pages`` once the server has finished what the killed crawler asked for: a
    response it was writing at the kill counts as served a moment later, and would
    otherwise be charged to the next process."""
    served = served_pages(site, ua)
    while True:
        time.sleep(0.1)
        again = served_pages(site, ua)
        if again == served:
            return served
        served = again


def test_sigkill_at_random_moments_then_resume(
    demo_site_factory: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    seed = int(os.environ.get("RESUME_TEST_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    site = demo_site_factory(pages=150)
    pages = {page_key(p) for p in site.site.live_paths()}
    db = tmp_path / "careers.db"
    from pipeline.config import load_settings

    ua = load_settings(environ=USER_AGENT_ENV).politeness.user_agent_header

    kills: list[dict[str, Any]] = []
    finisher: subprocess.Popen[str] | None = None  # the process that completed the run
    # kill points: pages recorded before the kill (0: during start-up or discovery)
    targets = sorted(rng.sample(range(1, len(pages) - 5), 3))
    targets.insert(rng.randrange(len(targets) + 1), 0)
    for target in targets:
        proc = crawl_process(site.base_url, tmp_path)
        deadline = time.monotonic() + 30
        if target == 0:
            time.sleep(rng.uniform(0.2, 0.6))
        else:
            while len(recorded(db)) < target and proc.poll() is None:
                assert time.monotonic() < deadline, "crawl made no progress"
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.03))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        if run_completed(db):
            # it completed the run before the kill point (or was killed on its way out,
            # after the last commit): nothing was interrupted, nothing is left to resume
            finisher = proc
            break
        kills.append(
            {
                "target": target,
                "recorded": recorded(db),
                "served": settled_served_pages(site, ua),
                "stderr": proc.stderr.read() if proc.stderr else "",
            }
        )
    assert len(kills) >= 3, f"seed {seed}: the crawl finished before it could be killed"

    resume_to_the_end = finisher is None
    if finisher is None:
        finisher = crawl_process(site.base_url, tmp_path)
    _, err = finisher.communicate(timeout=60)
    if resume_to_the_end:
        assert finisher.returncode == 0, f"seed {seed}: {err}"

    conn = connect(db)
    runs = conn.execute("SELECT * FROM runs").fetchall()
    rows = conn.execute("SELECT * FROM fetches").fetchall()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert len(runs) == 1, f"seed {seed}: every start resumed the one run"
    run = runs[0]
    assert run["complete"] == 1 and run["exit_code"] == 0 and run["finished_at"]
    resumed = re.findall(r"resuming (\d+) pending URLs of run (\S+)", err)
    assert resumed and all(r[1] == run["run_id"] for r in resumed), err
    assert int(resumed[-1][0]) == len(pages) - len(kills[-1]["recorded"])

    keys = [r["page_key"] for r in rows]
    assert sorted(keys) == sorted(pages), f"seed {seed}: one fetch row per page, no more"
    assert {r["outcome"] for r in rows} == {"new"}
    assert run["new"] == run["fetched"] == len(pages), "counters move with the rows"
    for row in rows:
        body = read_body(tmp_path / "archive", row["warc_file"], row["warc_offset"])
        assert hashlib.sha256(body).hexdigest() == row["content_sha256"]

    served = served_pages(site, ua)
    assert set(served) == pages
    # Each process serves a page at most once; that serve is either recorded (once
    # overall) or lost because the process was killed before recording it.
    previous: dict[str, int] = {}
    lost: dict[str, int] = {}
    for i, kill in enumerate(kills):
        during = {k for k, n in kill["served"].items() if n > previous.get(k, 0)}
        lost_here = during - kill["recorded"]
        assert len(lost_here) <= WORKERS, f"seed {seed}: kill {i} lost {len(lost_here)}"
        for key in lost_here:
            lost[key] = lost.get(key, 0) + 1
        previous = kill["served"]
    for key in pages:
        assert served[key] == 1 + lost.get(key, 0), (
            f"seed {seed}: {key} served {served[key]} times, lost {lost.get(key, 0)} times"
        )
