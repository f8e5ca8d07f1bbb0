"""Operations: the run lock, run verdicts, status, prune and what a run prints."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import rows

from pipeline.lock import lock_path, read_holder, run_lock
from pipeline.prune import prune
from pipeline.status import collect, format_status
from pipeline.summary import emit
from schemas.errors import ExitCode, LockHeld
from schemas.verdict import judge
from store.db import connect

HOLD = """
import sys, time
from pathlib import Path
from pipeline.lock import run_lock
with run_lock(Path(sys.argv[1]), "holder"):
    print("held", flush=True)
    time.sleep(60)
"""


HOLD_AND_FORK = """
import os, sys, time
from pathlib import Path
from pipeline.lock import run_lock
with run_lock(Path(sys.argv[1]), "holder"):
    child = os.fork()  # what a fork-started worker of old did: shares the lock
    if child == 0:
        time.sleep(60)
        os._exit(0)
    print(child, flush=True)
    time.sleep(60)
"""


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERS_")}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True,
        cwd=cwd, env=env, timeout=60,
    )  # fmt: skip


def _hold_lock(db: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_second_run_is_refused_while_first_holds_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "careers.db"
    holder = _hold_lock(db)
    try:
        with pytest.raises(LockHeld) as err, run_lock(db, "refresh"):
            pass
        assert err.value.holder["pid"] == holder.pid
        assert "command=holder" in str(err.value)
        assert read_holder(lock_path(db))["pid"] == holder.pid
    finally:
        holder.kill()
        holder.wait()


def test_killed_holder_frees_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "careers.db"
    holder = _hold_lock(db)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with run_lock(db, "refresh"):
        assert read_holder(lock_path(db)) is not None
    assert read_holder(lock_path(db)) is None


def test_lock_exit_code_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "careers.db"
    holder = _hold_lock(db)
    try:
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "prune", "--keep-runs", "1", "--db", str(db)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert proc.returncode == ExitCode.LOCKED, proc.stderr
        assert f"pid={holder.pid}" in proc.stderr
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()


def test_a_dead_holder_is_named_with_the_live_processes_still_holding_the_lock(
    tmp_path: Path,
) -> None:
    db = tmp_path / "careers.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_FORK, str(db)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    child = int(holder.stdout.readline())
    conn = connect(db)
    _add_run(conn, "dead", "2026-01-01T00:00:00Z")  # the holder's run
    conn.close()
    try:
        holder.kill()
        holder.wait()
        locked = _cli("prune", "--keep-runs", "1", "--db", str(db), cwd=tmp_path)
        assert locked.returncode == ExitCode.LOCKED, locked.stderr
        assert f"its process {holder.pid} is dead" in locked.stderr
        assert f"pids {child}; stop them (kill {child})" in locked.stderr
        status = _cli("status", "--db", str(db), cwd=tmp_path)
        assert status.returncode == 0, status.stderr
        assert "is running" not in status.stdout
        assert "unfinished run dead: interrupted" in status.stdout
        assert f"the run that took it is dead (pid={holder.pid}" in status.stdout
        assert f"hold it: {child};" in status.stdout
    finally:
        os.kill(child, signal.SIGKILL)
    assert wait_until(lambda: read_holder(lock_path(db)) is None)


def wait_until(predicate, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_taking_over_from_a_dead_holder_closes_its_run_as_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "careers.db"
    holder = _hold_lock(db)
    conn = connect(db)
    # the holder's run: its crawl was done; its load was not
    _add_run(conn, "dead", "2026-01-01T00:00:00Z", complete=True)
    conn.close()
    holder.kill()
    holder.wait()
    proc = _cli("prune", "--keep-runs", "1", "--db", str(db), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"taking over the lock {lock_path(db)} from a run that died" in proc.stderr
    assert f"pid={holder.pid}" in proc.stderr
    conn = connect(db)
    run = conn.execute("SELECT * FROM runs WHERE run_id = 'dead'").fetchone()
    assert run["finished_at"] and run["complete"] == 0 and run["exit_code"] == 2
    assert run["note"].startswith("interrupted: did not finish")
    assert f"process {holder.pid} (holder) died" in run["note"]
    status = format_status(collect(conn, db, tmp_path / "archive"))
    assert "unfinished" not in status and "running" not in status and "lock: free" in status


def test_status_without_a_database_creates_nothing_and_exits_2(tmp_path: Path) -> None:
    proc = _cli("status", cwd=tmp_path)
    assert proc.returncode == ExitCode.FATAL
    assert proc.stderr == (
        "careers status: no database at output/careers.db; run `careers refresh` first\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("counters", "parse_failures", "dq_new", "expected"),
    [
        ({"new": 100}, {}, 0, ExitCode.OK),
        ({"new": 98, "failed": 2}, {}, 0, ExitCode.OK),
        ({"new": 97, "failed": 3}, {}, 0, ExitCode.DEGRADED),
        ({"new": 97, "blocked": 3}, {}, 0, ExitCode.DEGRADED),
        ({"new": 100}, {"markup_changed": 3}, 0, ExitCode.DEGRADED),
        ({"new": 100}, {"markup_changed": 2}, 0, ExitCode.OK),
        (
            {"new": 99, "not_modified": 1},
            {"markup_changed": 1, "truncated": 2},
            0,
            ExitCode.DEGRADED,
        ),
        ({"new": 100, "gone": 50}, {}, 0, ExitCode.OK),
        ({"new": 100}, {}, 1, ExitCode.DEGRADED),
        ({}, {}, 0, ExitCode.OK),
    ],
)
def test_judge(counters, parse_failures, dq_new, expected) -> None:
    verdict = judge(counters, parse_failures, dq_new, failed_fraction=0.02)
    assert verdict.exit_code == expected
    assert bool(verdict.problems) == (expected != ExitCode.OK)


def test_the_problem_line_names_the_kinds_of_refused_pages() -> None:
    verdict = judge({"new": 181, "changed": 20}, {"markup_changed": 20}, 0, 0.02)
    assert verdict.problems == [
        "20 of 201 pages failed (10.0% > 2.0%): 0 fetch failures, 0 blocked, "
        "20 pages failed to parse (markup_changed: 20)"
    ]
    two = judge({"new": 10}, {"truncated": 1, "markup_changed": 2}, 0, 0.02)
    assert two.problems[0].endswith("3 pages failed to parse (markup_changed: 2, truncated: 1)")


def _add_run(
    conn, run_id: str, started: str, finished: str | None = None, complete: bool | None = None
) -> None:
    """A ``refresh`` run that fetched 3 pages, finished (exit code 0) if ``finished``."""
    rows.add_run(
        conn, run_id, started, "refresh", counters={"fetched": 3}, complete=complete,
        finished_at=finished,
    )  # fmt: skip


def test_status_lists_runs_pending_urls_and_sizes(tmp_path: Path) -> None:
    db = tmp_path / "careers.db"
    conn = connect(db)
    _add_run(conn, "r1", "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z")
    _add_run(conn, "r2", "2026-01-02T00:00:00Z")
    with rows.pinned("2026-01-02T00:00:00Z"):  # three URLs queued, the last one fetched
        rows.crawl_state(conn, "r2").add((f"http://h/k{i}/", "sitemap", 0) for i in range(3))
    rows.add_fetch(conn, "r2", "2026-01-02T00:00:00Z", "http://h/k2/", "not_modified", 304)
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "a.warc.gz").write_bytes(b"x" * 1000)
    status = collect(conn, db, tmp_path / "archive")
    assert [r["run_id"] for r in status.runs] == ["r2", "r1"]
    assert status.unfinished_run == "r2" and status.pending_urls == 2
    assert status.archive_bytes == 1000 and status.archive_files == 1
    assert status.lock_holder is None
    text = format_status(status)
    assert "unfinished run r2: interrupted" in text and "; 2 pending URLs" in text
    assert "lock: free" in text and "running" not in text


def test_prune_keeps_what_observations_and_unparsed_pages_need(tmp_path: Path) -> None:
    db, archive = tmp_path / "careers.db", tmp_path / "archive"
    archive.mkdir()
    conn = connect(db)
    for n in range(1, 4):
        _add_run(conn, f"r{n}", f"2026-01-0{n}T00:00:00Z", f"2026-01-0{n}T00:01:00Z")
    files = {"old-unused": "r1", "old-failed": "r1", "old-observed": "r1", "new": "r3"}
    ids = {}
    for i, (name, run) in enumerate(files.items()):
        (archive / f"{name}.warc.gz").write_bytes(b"w" * 100)
        at = f"2026-01-0{run[1]}T00:00:30Z"
        ids[name] = rows.add_fetch(
            conn, run, at, f"http://h/p{i}/", "new", 200, warc_file=f"{name}.warc.gz",
            warc_offset=0,
        )  # fmt: skip
        load_state = {"old-failed": "failed", "new": "pending"}.get(name, "loaded")
        if load_state != "pending":
            rows.mark_loaded_as(conn, load_state, at, [ids[name]])
    rows.add_observation(
        conn, {"a": "A", "b": "B"}, ("a", "b"), "http://h/p2/", "2026-01-01T00:00:30Z",
        fetch_id=ids["old-observed"], run_id="r1",
    )  # fmt: skip
    rows.add_issue(
        conn, url="http://h/p0/", run_id="r1", fetch_id=ids["old-unused"], kind="unknown_row",
        message="m", created_at="2026-01-01T00:00:30Z",
    )  # fmt: skip
    result = prune(conn, archive, keep_runs=2)
    assert result.fetch_rows == 1 and result.files == 1 and result.bytes_freed == 100
    assert sorted(p.name for p in archive.iterdir()) == [
        "new.warc.gz",
        "old-failed.warc.gz",
        "old-observed.warc.gz",
    ]
    assert conn.execute("SELECT fetch_id FROM parse_issues").fetchone()[0] is None
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert prune(conn, archive, keep_runs=2).fetch_rows == 0


def test_quiet_under_cron_when_all_went_well() -> None:
    out, err = io.StringIO(), io.StringIO()
    emit({"run_id": "r", "exit_code": 0, "fetched": 3}, {"db": "x"}, [], False, out, err)
    assert out.getvalue() == "" and err.getvalue() == ""


def test_loud_under_cron_when_something_broke() -> None:
    out, err = io.StringIO(), io.StringIO()
    emit({"run_id": "r", "exit_code": 1}, {}, ["5 of 10 pages failed"], False, out, err)
    assert out.getvalue() == ""
    assert err.getvalue() == "careers: 5 of 10 pages failed\n"


def test_summary_with_verbose() -> None:
    out, err = io.StringIO(), io.StringIO()
    emit({"run_id": "r", "exit_code": 0, "fetched": 3}, {"db": "x.db"}, [], True, out, err)
    assert "run r finished with exit code 0" in out.getvalue() and "fetched=3" in out.getvalue()
    assert "db: x.db" in out.getvalue()


def test_the_systemd_unit_says_why_each_success_exit_status_is_one() -> None:
    unit = (Path(__file__).parents[1] / "deploy" / "careers-refresh.service").read_text()
    [line] = [x for x in unit.splitlines() if x.startswith("SuccessExitStatus=")]
    success = {int(code) for code in line.split("=", 1)[1].split()}
    explained = {
        int(x.split()[1])
        for x in unit.splitlines()
        if x.startswith("#   ") and x.split()[1].isdigit()
    }
    assert success == explained == {ExitCode.DEGRADED, ExitCode.LOCKED, ExitCode.SIGTERM}
    assert ExitCode.FATAL not in success and ExitCode.SIGINT not in success
