"""Every environment failure is one line on stderr naming the path and what to do, with
exit 2; ``--debug`` adds the traceback; a run's row records the exit code it ended with.

Tests run as root in CI, and root writes anywhere, so the permission tests drop their
subprocess to uid 65534 (or, where that user cannot reach this interpreter, e.g. one
under a 0700 /root, keep uid 0 but drop the capabilities that let root ignore file
modes). A full disk is ``RLIMIT_FSIZE`` in the child, with SIGXFSZ ignored."""

from __future__ import annotations

import ctypes
import functools
import os
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from schemas.errors import ExitCode

NOBODY = 65534
_PR_CAPBSET_DROP = 24
_ROOT_FILE_CAPS = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


@functools.cache
def nobody_can_run_python() -> bool:
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import pipeline.cli"], user=NOBODY, group=NOBODY,
            extra_groups=[], capture_output=True, cwd="/", timeout=60,
        )  # fmt: skip
    except PermissionError:
        return False
    return probe.returncode == 0


def _drop_root_file_caps() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in _ROOT_FILE_CAPS:
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def unprivileged() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child subject to file modes; None if we are not
    root (then file modes already apply)."""
    if os.geteuid() != 0:
        return None
    if nobody_can_run_python():

        def drop_to_nobody() -> None:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)

        return drop_to_nobody
    return _drop_root_file_caps


def small_disk(limit: int) -> Callable[[], None]:
    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_file_size


def careers(
    cwd: Path, *args: str, preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERS_")}
    env["CAREERS_OUTPUT__RUNS_DIR"] = str(cwd / "runs")
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True,
        cwd=cwd, env=env, preexec_fn=preexec, timeout=120,
    )  # fmt: skip


def one_line(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    """The single stderr line of a command that failed with exit 2, naming ``words``."""
    assert proc.returncode == ExitCode.FATAL, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


@pytest.fixture
def place() -> Iterator[Path]:
    """A directory everyone can reach (pytest's tmp_path lives under a 0700 directory)."""
    path = Path(tempfile.mkdtemp(prefix="careers-env-", dir="/tmp"))
    path.chmod(0o777)
    yield path
    for sub in path.rglob("*"):
        if sub.is_dir():
            sub.chmod(0o777)
    shutil.rmtree(path)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database whose 21 fetched pages are not loaded yet, and their archive."""
    from support.demo_site import start_site

    out = tmp_path_factory.mktemp("crawled")
    site = start_site(pages=20)
    try:
        proc = careers(
            out, "crawl", "--base-url", site.base_url, "--rate", "0",
            "--db", str(out / "careers.db"), "--archive-dir", str(out / "archive"),
        )  # fmt: skip
    finally:
        site.stop()
    assert proc.returncode == 0, proc.stderr
    return out


def copy_into(crawled: Path, place: Path) -> Path:
    shutil.copy(crawled / "careers.db", place / "careers.db")
    shutil.copytree(crawled / "archive", place / "archive")
    for path in (place / "archive", *(place / "archive").iterdir(), place / "careers.db"):
        path.chmod(path.stat().st_mode | stat.S_IROTH | stat.S_IWOTH | stat.S_IXOTH * path.is_dir())
    return place / "careers.db"


def load(place: Path, db: Path, *extra: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return careers(
        place, "load", "--workers", "1", "--db", str(db),
        "--archive-dir", str(place / "archive"), *extra, **kwargs,
    )  # fmt: skip


def test_a_file_that_is_not_a_database(place: Path) -> None:
    db = place / "careers.db"
    db.write_bytes(b"this is not a database\n" * 200)
    line = one_line(load(place, db), str(db), "is not a SQLite database", "move it aside")
    assert line.startswith("careers load: ")
    one_line(careers(place, "status", "--db", str(db)), str(db), "is not a SQLite database")
    debug = load(place, db, "--debug")
    assert debug.returncode == ExitCode.FATAL
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.splitlines()[-1] == line


def test_a_database_of_a_newer_schema(crawled: Path, place: Path) -> None:
    db = copy_into(crawled, place)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    one_line(load(place, db), str(db), "newer than this careers-etl", "upgrade careers-etl")
    one_line(careers(place, "status", "--db", str(db)), str(db), "upgrade careers-etl")


def test_a_read_only_database(crawled: Path, place: Path) -> None:
    db = copy_into(crawled, place)
    db.chmod(0o444)
    one_line(load(place, db, preexec=unprivileged()), str(db), "read-only", "writable")


def test_an_unwritable_output_directory_fails_the_run_it_ends(
    demo_site_factory, place: Path
) -> None:
    site = demo_site_factory(pages=10)
    locked = place / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    proc = careers(
        place, "refresh", "--base-url", site.base_url, "--rate", "0",
        "--db", str(place / "careers.db"), "--archive-dir", str(place / "archive"),
        "--csv-dir", str(locked / "csv"), "--report-dir", str(place / "report"),
        preexec=unprivileged(),
    )  # fmt: skip
    one_line(proc, str(locked / "csv"), "Permission denied", "writable by this user")
    conn = sqlite3.connect(place / "careers.db")
    [(exit_code, note)] = conn.execute("SELECT exit_code, note FROM runs").fetchall()
    conn.close()
    assert exit_code == ExitCode.FATAL and str(locked / "csv") in note


def test_a_full_disk(crawled: Path, place: Path) -> None:
    db = copy_into(crawled, place)
    proc = load(place, db, preexec=small_disk(64 * 1024))
    one_line(proc, str(db), "free space")


def test_no_database_for_export(place: Path) -> None:
    proc = careers(place, "export", "--db", str(place / "none.db"))
    one_line(proc, f"no database at {place / 'none.db'}; run `careers refresh` first")
    assert list(place.iterdir()) == []
