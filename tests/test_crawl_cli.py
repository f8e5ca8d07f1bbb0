"""``careers crawl`` exit codes and messages: 0 quiet, 1 failed pages, 2 fatal, 3 locked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from demosite.faults import Fault
from demosite.site import Missing
from pipeline.cli import cli
from pipeline.lock import run_lock
from store.db import connect

FAST = {
    "CAREERS_RETRIES__BACKOFF_BASE": "0.01",
    "CAREERS_RETRIES__BACKOFF_CAP": "0.05",
    "CAREERS_RETRIES__MAX_ATTEMPTS": "2",
    "CAREERS_LIMITS__TIMEOUT": "1",
}


def invoke(base_url: str, tmp_path: Path, *extra: str) -> Any:
    args = ["crawl", "--base-url", base_url, "--db", str(tmp_path / "c.db")]
    args += ["--archive-dir", str(tmp_path / "archive"), "--rate", "0", "--max-in-flight", "4"]
    return CliRunner().invoke(cli, [*args, *extra], env={"CAREERS_CONFIG": None, **FAST})


@pytest.fixture(autouse=True)
def _no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run where no ./careers.toml is found: only the flags and FAST apply."""
    monkeypatch.chdir(tmp_path)


def test_good_crawl_exits_0_and_prints_nothing(demo_site: Any, tmp_path: Path) -> None:  # noqa: F811
    result = invoke(demo_site.base_url, tmp_path, "--limit", "5")
    assert result.exit_code == 0, result.output
    assert result.output == ""  # cron mails any output: a good run says nothing
    conn = connect(tmp_path / "c.db")
    row = conn.execute("SELECT * FROM runs").fetchone()
    conn.close()
    assert row["fetched"] == 5 and row["exit_code"] == 0 and row["complete"] == 0

    verbose = invoke(demo_site.base_url, tmp_path, "-v")
    assert verbose.exit_code == 0
    assert f"resuming {row['discovered'] - 5} pending URLs of run {row['run_id']}" in (
        verbose.output
    )


def test_failed_pages_exit_1(demo_site: Any, tmp_path: Path) -> None:  # noqa: F811
    site = demo_site.site
    site.fault_plan = {p: Fault("offsite", 0) for p in site.paths[:3]}
    result = invoke(demo_site.base_url, tmp_path)
    assert result.exit_code == 1
    [line] = result.output.splitlines()  # one line, for cron to mail
    assert "3 of 51 pages failed" in line and "3 fetch failures, 0 blocked" in line


def test_robots_5xx_exits_2_with_the_reason(
    demo_site: Any,  # noqa: F811
    tmp_path: Path,
    monkeypatch: Any,
) -> None:
    real = demo_site.site.resolve
    monkeypatch.setattr(
        demo_site.site, "resolve", lambda t: Missing(503) if t == "/robots.txt" else real(t)
    )
    result = invoke(demo_site.base_url, tmp_path)
    assert result.exit_code == 2
    assert "robots.txt unreachable" in result.output and "HTTP 503" in result.output


def test_breaker_exits_2(demo_site: Any, tmp_path: Path) -> None:  # noqa: F811
    from demosite.generator import SEED_PATH

    site = demo_site.site
    site.fault_plan = {p: Fault("block", 0) for p in [SEED_PATH, *site.paths]}
    runner_env = {"CAREERS_RETRIES__BREAKER_THRESHOLD": "3"}
    args = ["crawl", "--base-url", demo_site.base_url, "--db", str(tmp_path / "c.db")]
    args += ["--archive-dir", str(tmp_path / "a"), "--rate", "0", "--max-in-flight", "1"]
    result = CliRunner().invoke(cli, args, env={"CAREERS_CONFIG": None, **FAST, **runner_env})
    assert result.exit_code == 2
    assert "block pages or 429s in a row" in result.output


def test_locked_database_exits_3(demo_site: Any, tmp_path: Path) -> None:  # noqa: F811
    with run_lock(tmp_path / "c.db", "refresh"):
        result = invoke(demo_site.base_url, tmp_path)
    assert result.exit_code == 3
    assert "holds the lock" in result.output
    assert demo_site.client_stats(_ua()) == {}  # not one request was made


def _ua() -> str:
    from schemas.settings import PolitenessSettings

    return PolitenessSettings().user_agent_header
