"""``careers load`` as a process: JSON lines, the lock, and a SIGKILL between batches."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.load import assert_loaded_as, count, demo_db, pages

from pipeline.lock import run_lock
from store.db import connect

pytestmark = pytest.mark.usefixtures("databases_stay_clean")

CAREERS = [sys.executable, "-m", "pipeline.cli"]
ROOT = Path(__file__).resolve().parent.parent


def careers(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):
    return subprocess.run(
        [*CAREERS, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_load_json_lines_from_files_and_stdin(tmp_path: Path) -> None:
    generated = pages(range(6))
    lines = [p.expected.model_dump_json() for p in generated]
    first = tmp_path / "first.jsonl"
    first.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    db = tmp_path / "careers.db"
    done = careers("load", "--db", str(db), str(first))
    assert done.returncode == 0, done.stderr
    done = careers("load", "--db", str(db), "-", stdin="\n".join(lines[2:]) + "\n")
    assert done.returncode == 0, done.stderr
    conn = connect(db)
    for page in generated:
        assert_loaded_as(conn, page.expected)
    assert count(conn, "role_observations") == 12
    assert (
        count(conn, "runs", "command = 'load' AND exit_code = 0 AND finished_at IS NOT NULL") == 2
    )


def test_a_bad_line_is_a_failed_page_and_exit_1(tmp_path: Path) -> None:
    good = pages([0])[0].expected.model_dump_json()
    src = tmp_path / "records.jsonl"
    src.write_text(good + '\n{"url": 3}\n', encoding="utf-8")
    db = tmp_path / "careers.db"
    done = careers("load", "--db", str(db), str(src))
    assert done.returncode == 1
    assert "1 did not parse" in done.stderr
    conn = connect(db)
    assert count(conn, "role_observations") == 2
    issue = conn.execute("SELECT kind, url FROM parse_issues").fetchone()
    assert tuple(issue) == ("parse_invalid_record", f"{src}:2")


def test_a_second_load_gets_exit_3_while_the_lock_is_held(tmp_path: Path) -> None:
    db = tmp_path / "careers.db"
    with run_lock(db, "refresh"):
        done = careers("load", "--db", str(db))
    assert done.returncode == 3
    assert "holds the lock" in done.stderr


def test_a_load_killed_between_batches_resumes_and_completes(tmp_path: Path) -> None:
    generated = pages(range(240))
    conn, archive = demo_db(tmp_path, generated)
    conn.close()
    db = tmp_path / "careers.db"
    env = {"CAREERS_RUN__BATCH_SIZE": "4", "CAREERS_RUN__WORKERS": "1"}
    proc = subprocess.Popen(
        [*CAREERS, "load", "--db", str(db), "--archive-dir", str(archive)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    watcher = sqlite3.connect(db, timeout=30)
    deadline = time.monotonic() + 60
    loaded = 0
    while time.monotonic() < deadline and loaded < 40:
        loaded = watcher.execute(
            "SELECT count(*) FROM fetches WHERE load_state = 'loaded'"
        ).fetchone()[0]
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    watcher.close()
    conn = connect(db)
    loaded = count(conn, "fetches", "load_state = 'loaded'")
    assert 40 <= loaded < 240, "the kill must land mid-load"
    assert loaded % 4 == 0, "whole batches only"
    # every loaded fetch has both roles' rows, no pending fetch has any
    assert count(conn, "role_observations") == 2 * loaded
    assert (
        count(
            conn, "role_observations o JOIN fetches f USING (fetch_id)", "f.load_state != 'loaded'"
        )
        == 0
    )
    conn.close()
    done = careers("load", "--db", str(db), "--archive-dir", str(archive), env=env)
    assert done.returncode in (0, 1), done.stderr
    conn = connect(db)
    assert count(conn, "fetches", "load_state = 'loaded'") == 240
    for page in generated[::7]:
        assert_loaded_as(conn, page.expected)
    assert count(conn, "role_observations") == 480


def test_nothing_to_load_records_no_run(tmp_path: Path) -> None:
    db = tmp_path / "careers.db"
    done = careers("load", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert done.stdout == done.stderr == ""
    assert count(connect(db), "runs") == 0
