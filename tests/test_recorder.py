"""The recorder: a page is acknowledged only once committed, pages waiting together commit
together, and a failed commit reaches every worker waiting on it (a real SQLite file)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from scraper.archive import WarcArchive
from scraper.recorder import Recorder
from store.crawl_records import FetchRecord, FrontierItem
from store.crawl_state import CrawlState
from store.db import connect

BASE = "http://127.0.0.1:8765/"


def recorder_for(
    tmp_path: Path, urls: int, batch: int, delay: float
) -> tuple[CrawlState, list[FrontierItem], Recorder]:
    """A run with ``urls`` pending comparison URLs and a recorder writing to it."""
    state = CrawlState(connect(tmp_path / "careers.db"))
    state.open_run(fresh=True, command="crawl", base_url=BASE)
    state.add((f"{BASE}a-jobs/a-vs-b{i}-differences/", "seed", 0) for i in range(urls))
    recorder = Recorder(state, WarcArchive(tmp_path / "archive"), batch=batch, delay=delay)
    return state, state.pending_after(0), recorder


def gone(recorder: Recorder, item: FrontierItem) -> Coroutine[Any, Any, None]:
    """Record ``item`` as a 404 (no body to archive)."""
    return recorder.record(item, FetchRecord("gone", item.url), {"gone": 1})


def committed(tmp_path: Path) -> int:
    """Fetch rows another connection sees: only committed ones."""
    other = sqlite3.connect(tmp_path / "careers.db")
    try:
        return int(other.execute("SELECT count(*) FROM fetches").fetchone()[0])
    finally:
        other.close()


def test_a_page_is_acknowledged_once_committed_and_groups_commit_together(
    tmp_path: Path,
) -> None:
    state, items, recorder = recorder_for(tmp_path, 3, batch=2, delay=60)
    transactions: list[int] = []
    record_many = state.record_many

    def counting(pages: list[Any]) -> None:
        transactions.append(len(pages))
        record_many(pages)

    state.record_many = counting  # type: ignore[method-assign]

    async def scenario() -> None:
        first = asyncio.create_task(gone(recorder, items[0]))
        await asyncio.sleep(0.01)
        assert not first.done(), "one page waits for a second (batch=2, delay 60 s)"
        assert committed(tmp_path) == 0
        await gone(recorder, items[1])
        await first
        assert committed(tmp_path) == 2
        third = asyncio.create_task(gone(recorder, items[2]))
        await asyncio.sleep(0.01)
        recorder.flush()  # the crawl's last flush
        await third

    asyncio.run(scenario())
    assert transactions == [2, 1]
    assert committed(tmp_path) == 3
    assert state.counters["gone"] == 3
    assert state.pending_count() == 0


def test_a_lone_page_commits_after_the_delay(tmp_path: Path) -> None:
    state, (item,), recorder = recorder_for(tmp_path, 1, batch=8, delay=0.02)

    asyncio.run(asyncio.wait_for(gone(recorder, item), timeout=5))
    assert committed(tmp_path) == 1


def test_a_failed_commit_reaches_every_waiting_worker_and_records_nothing(
    tmp_path: Path,
) -> None:
    state, (item, _), recorder = recorder_for(tmp_path, 2, batch=2, delay=60)

    async def scenario() -> list[BaseException | None]:
        # the same page twice in one run: fetches' UNIQUE (run_id, page_key) fails the commit
        return await asyncio.gather(
            gone(recorder, item),
            gone(recorder, item),
            return_exceptions=True,
        )

    results = asyncio.run(scenario())
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results), results
    assert committed(tmp_path) == 0
    assert state.counters["gone"] == 0
    assert state.pending_count() == 2


def test_a_failure_nobody_waits_for_is_raised(tmp_path: Path) -> None:
    state, (item,), recorder = recorder_for(tmp_path, 1, batch=8, delay=60)

    async def scenario() -> None:
        waiters = [asyncio.create_task(gone(recorder, item)) for _ in range(2)]
        await asyncio.sleep(0.01)
        for waiter in waiters:
            waiter.cancel()
        await asyncio.sleep(0)
        with pytest.raises(sqlite3.IntegrityError):
            recorder.flush()

    asyncio.run(scenario())


def test_a_timer_flush_failure_nobody_waits_for_is_raised_by_the_last_flush(
    tmp_path: Path,
) -> None:
    state, (item,), recorder = recorder_for(tmp_path, 1, batch=8, delay=0.01)
    handled: list[dict[str, Any]] = []

    async def scenario() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _, context: handled.append(context))
        waiters = [
            asyncio.create_task(gone(recorder, item))
            for _ in range(2)  # the same page twice: the commit fails
        ]
        await asyncio.sleep(0)
        for waiter in waiters:
            waiter.cancel()  # a fatal stop unwinding
        await asyncio.sleep(0.05)  # the timer's flush fails with nobody waiting
        with pytest.raises(sqlite3.IntegrityError):
            recorder.flush()  # the crawl's last flush

    asyncio.run(scenario())
    assert not handled, "the failure went to the event loop's exception handler"


def test_a_cancelled_workers_page_is_committed_by_the_last_flush(tmp_path: Path) -> None:
    state, (item,), recorder = recorder_for(tmp_path, 1, batch=8, delay=60)

    async def scenario() -> None:
        waiter = asyncio.create_task(gone(recorder, item))
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.sleep(0)
        recorder.flush()

    asyncio.run(scenario())
    assert committed(tmp_path) == 1
    assert state.pending_count() == 0
