"""No process outlives its run: ``careers load --reparse --workers 2`` on a few hundred
pages archived from the demo site, its main process SIGKILLed at several moments after
its parse workers start. Afterwards no process of that run is left (every process of a
run carries a tag in its environment, found by scanning ``/proc``), the lock is free, the
next run exits 0 or 1 and ``careers status`` calls the killed run interrupted."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.lock import lock_path, read_holder
from schemas.errors import ExitCode

PAGES = 300
TAG = "CAREERS_ETL_TEST_TAG"
"""Not a ``CAREERS_*`` setting: a mark every process of one run inherits."""


def careers(out: Path, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "pipeline.cli", *args,
        "--db", str(out / "careers.db"), "--archive-dir", str(out / "archive"),
    ]  # fmt: skip


def environ(tag: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERS_")}
    if tag:
        env[TAG] = tag
    return env


def run(out: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        careers(out, *args), capture_output=True, text=True, cwd=out, env=environ(),
        timeout=timeout,
    )  # fmt: skip


def tagged(tag: str) -> set[int]:
    """Live (not zombie) processes whose environment carries ``tag``."""
    mark = f"{TAG}={tag}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            env = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if state != "Z" and mark in env:
            found.add(int(entry.name))
    return found


def wait_for(predicate: Any, timeout: float, step: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A database and archive of PAGES + 1 demo pages, crawled and loaded once."""
    from support.demo_site import start_site

    out = tmp_path_factory.mktemp("archived")
    site = start_site(pages=PAGES)
    try:
        crawled = run(out, "crawl", "--base-url", site.base_url, "--rate", "0",
                      "--max-in-flight", "16")  # fmt: skip
        assert crawled.returncode == 0, crawled.stderr
    finally:
        site.stop()
    loaded = run(out, "load", "--workers", "2")
    assert loaded.returncode == 0, loaded.stderr
    yield out


def copy_of(archived: Path, into: Path) -> Path:
    shutil.copytree(archived, into)
    return into


def reparse_with_workers(out: Path, tag: str) -> subprocess.Popen[str]:
    """``careers load --reparse --workers 2`` on ``out``, once its parse workers run."""
    proc = subprocess.Popen(
        careers(out, "load", "--reparse", "--workers", "2"),
        cwd=out, env=environ(tag), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert wait_for(lambda: tagged(tag) - {proc.pid}, 30), "the parse workers never started"
    return proc


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3, 0.6])
def test_sigkill_during_the_load_leaves_no_process_and_no_lock(
    archived: Path, tmp_path: Path, delay: float
) -> None:
    out = copy_of(archived, tmp_path / "out")
    tag = uuid.uuid4().hex
    proc = reparse_with_workers(out, tag)
    try:
        time.sleep(delay)
        alive = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert wait_for(lambda: not tagged(tag), 5, step=0.05), (
            f"killed {delay} s after the workers started (alive: {alive}); "
            f"left behind: {sorted(tagged(tag))}"
        )
    finally:
        for pid in tagged(tag):
            os.kill(pid, signal.SIGKILL)
    assert read_holder(lock_path(out / "careers.db")) is None

    status = run(out, "status")
    assert status.returncode == 0, status.stderr
    assert " is running" not in status.stdout, status.stdout

    started = time.monotonic()
    after = run(out, "load", "--reparse", "--workers", "2")
    assert after.returncode in (ExitCode.OK, ExitCode.DEGRADED), after.stderr
    assert time.monotonic() - started < 60
    conn = sqlite3.connect(out / "careers.db")
    unfinished = conn.execute("SELECT count(*) FROM runs WHERE finished_at IS NULL").fetchone()
    assert unfinished[0] == 0
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, ExitCode.SIGTERM), (signal.SIGINT, ExitCode.SIGINT)]
)
def test_a_signal_during_the_load_stops_every_process_and_records_the_exit_code(
    archived: Path, tmp_path: Path, signum: int, code: int
) -> None:
    out = copy_of(archived, tmp_path / "out")
    tag = uuid.uuid4().hex
    proc = reparse_with_workers(out, tag)
    try:
        time.sleep(0.15)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
        assert wait_for(lambda: not tagged(tag), 5, step=0.05), sorted(tagged(tag))
    finally:
        for pid in tagged(tag):
            os.kill(pid, signal.SIGKILL)
    name = signal.Signals(signum).name
    assert proc.returncode == code, err
    assert err.splitlines() == [f"careers load: interrupted by {name}; {RESUMES}"], err
    conn = sqlite3.connect(out / "careers.db")
    row = conn.execute(
        "SELECT exit_code, complete, finished_at, note FROM runs WHERE command = 'reparse' "
        "ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    conn.close()
    assert row[:2] == (code, 0) and row[2]
    assert row[3].startswith(f"interrupted by {name}")
    assert read_holder(lock_path(out / "careers.db")) is None
    after = run(out, "load", "--reparse", "--workers", "2")
    assert after.returncode in (ExitCode.OK, ExitCode.DEGRADED), after.stderr


RESUMES = "the run is recorded as interrupted and the next run resumes it"
