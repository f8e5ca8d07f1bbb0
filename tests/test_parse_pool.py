"""The parse pool: stored pages parsed by worker processes give what one process gives,
in fetch order; a handful of pages starts no worker; a worker holds only the parser and
the record models (no database, pandas or HTTP stack)."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from demosite.generator import generate_page
from pipeline.load import pool
from pipeline.load.pool import ParseWorker
from pipeline.load.source import POOL_MIN_PAGES, parsed_pages
from schemas.errors import ParseWorkerError
from scraper.archive import WarcArchive
from scraper.stored_pages import StoredPage
from store.crawl_records import FetchRef

HEAVY = ("pandas", "plotly", "pyarrow", "sqlite_utils", "httpx", "click", "jinja2", "rich")


def archived(directory: Path, count: int) -> list[FetchRef]:
    """``count`` generated comparison pages (one refused: a truncated body) in a WARC."""
    refs = []
    with WarcArchive(directory, prefix="pool") as warc:
        for i in range(count):
            page = generate_page(7, i)
            body = page.html.encode()
            if i == 3:
                body = body[: len(body) // 2]
            url = page.expected.url or ""
            ref = warc.write_response(url, 200, [], body, len(body), "0" * 64)
            at = "2026-12-01T00:00:00.000Z"
            refs.append(FetchRef(i + 1, url, at, "r1", ref.warc_file, ref.warc_offset))
    return refs


def test_a_pool_parses_what_one_process_parses_in_fetch_order(tmp_path: Path) -> None:
    refs = archived(tmp_path, POOL_MIN_PAGES + 20)
    alone = list(parsed_pages(refs, tmp_path, workers=1))
    pooled = list(parsed_pages(refs, tmp_path, workers=2, ahead=32))
    assert [p.fetch for p in pooled] == refs
    assert pooled == alone
    assert pooled[3].rows is None and pooled[3].error_kind == "truncated"
    assert all(p.rows is not None for i, p in enumerate(pooled) if i != 3)


def test_a_handful_of_pages_starts_no_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []

    class Counted(ParseWorker):
        def __init__(self) -> None:
            super().__init__()
            started.append(self.process.pid)

    monkeypatch.setattr(pool, "ParseWorker", Counted)
    refs = archived(tmp_path, POOL_MIN_PAGES + 1)
    assert len(list(parsed_pages(refs[: POOL_MIN_PAGES - 1], tmp_path, workers=2))) == (
        POOL_MIN_PAGES - 1
    )
    assert started == []
    assert len(list(parsed_pages(refs, tmp_path, workers=2))) == POOL_MIN_PAGES + 1
    assert len(started) == 1  # two parse processes: this one and one worker


def workers_running() -> list[int]:
    """The pids of this process's children running a parse worker (Linux's /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            line = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and "scraper.parse_worker" in line:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_nothing_of_the_pool_is_left_once_the_pages_are_parsed(tmp_path: Path) -> None:
    refs = archived(tmp_path, POOL_MIN_PAGES)
    pages = parsed_pages(refs, tmp_path, workers=3)
    next(pages)
    assert len(workers_running()) == 2
    assert len(list(pages)) == POOL_MIN_PAGES - 1
    assert workers_running() == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_that_dies_stops_the_load_with_a_clear_error(tmp_path: Path) -> None:
    refs = archived(tmp_path, 4 * POOL_MIN_PAGES)
    pages = parsed_pages(refs, tmp_path, workers=2)
    next(pages)
    (worker,) = workers_running()
    os.kill(worker, signal.SIGKILL)
    with pytest.raises(ParseWorkerError, match=f"worker {worker} stopped answering: it was killed"):
        list(pages)
    assert workers_running() == []


def test_a_worker_imports_only_the_parser_and_the_record_models(tmp_path: Path) -> None:
    ref = archived(tmp_path, 1)[0]
    page = StoredPage(ref.url, ref.warc_file or "", ref.warc_offset or 0)
    worker = ParseWorker()
    try:
        worker.send(tmp_path, [page])
        (outcome,) = worker.results()
        modules = worker.hello().modules
    finally:
        worker.close()
    assert outcome.rows is not None
    assert {"scraper.parse", "schemas.records", "scraper.stored_pages"} <= set(modules)
    ours = {m.split(".")[0] for m in modules} & {"scraper", "schemas", "pipeline", "store"}
    assert ours == {"scraper", "schemas"}, sorted(
        m for m in modules if m.startswith(("pipeline", "store"))
    )
    assert not [m for m in modules if m.split(".")[0] in HEAVY]
    assert "scraper.crawl" not in modules and "scraper.fetch" not in modules


def test_what_a_worker_prints_never_reaches_its_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """A worker answers on a pipe of its own, not standard output: a print (here, a
    ``sitecustomize`` printing at every interpreter's start) cannot garble an answer."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("print('hello from sitecustomize')\n", "utf-8")
    monkeypatch.setenv("PYTHONPATH", str(site))
    refs = archived(tmp_path, POOL_MIN_PAGES)
    pooled = list(parsed_pages(refs, tmp_path, workers=2))
    assert pooled == list(parsed_pages(refs, tmp_path, workers=1))
    assert "hello from sitecustomize" in capfd.readouterr().err  # it printed, elsewhere


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
def test_small_pipes_never_deadlock_the_pool(tmp_path: Path) -> None:
    """Pipes of one page (what Linux gives a user past its pipe quota) hold less than a
    worker's greeting and less than the tasks the loader sends ahead: the worker drains
    its tasks before it greets, so both sides always move."""
    refs = archived(tmp_path, 2 * POOL_MIN_PAGES)
    script = tmp_path / "small_pipes.py"
    script.write_text(
        "import fcntl, pickle, sys\n"
        "from pathlib import Path\n"
        "from pipeline.load import pool, source\n"
        "started = pool.ParseWorker.__init__\n"
        "def small(self):\n"
        "    started(self)\n"
        "    for f in (self.process.stdin, self.answers):\n"
        "        fcntl.fcntl(f.fileno(), 1031, 4096)  # F_SETPIPE_SZ\n"
        "pool.ParseWorker.__init__ = small\n"
        "refs = pickle.loads(Path(sys.argv[1]).read_bytes())\n"
        "pages = list(source.parsed_pages(refs, Path(sys.argv[2]), workers=2, ahead=600))\n"
        "print(len(pages))\n",
        "utf-8",
    )
    (tmp_path / "refs.pickle").write_bytes(pickle.dumps(refs))
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "refs.pickle"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [str(len(refs))]


def test_a_task_the_worker_cannot_read_ends_it_with_a_clear_error() -> None:
    worker = ParseWorker()
    try:
        assert worker.process.stdin is not None
        worker.process.stdin.write(b"this is not a pickle")
        worker.process.stdin.flush()
        with pytest.raises(ParseWorkerError, match="stopped answering: it exited with code 1"):
            worker.results()
    finally:
        worker.close()


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (0, "exited with code 0"),
        (1, "exited with code 1"),
        (-9, "was killed by SIGKILL (out of memory?)"),
        (-15, "was killed by SIGTERM"),
        (-40, "was killed by signal 40"),
    ],
)
def test_how_a_worker_ended_is_said_plainly(code: int, said: str) -> None:
    assert pool.how_it_ended(code) == said
