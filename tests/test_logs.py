"""Log output: readable text on a terminal, one JSON object per line for log shippers."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

from pipeline.logs import setup_logging
from schemas.errors import ExitCode


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_lines_carry_message_level_and_extra_fields() -> None:
    stream = io.StringIO()
    setup_logging("json", verbose=True, stream=stream)
    logging.getLogger("careers.test").info("fetched %d pages", 3, extra={"run_id": "r1"})
    entry = json.loads(stream.getvalue().splitlines()[-1])
    assert entry["msg"] == "fetched 3 pages" and entry["level"] == "info"
    assert entry["run_id"] == "r1" and entry["logger"] == "careers.test"


def test_quiet_below_warning_when_not_a_terminal() -> None:
    stream = io.StringIO()
    setup_logging("text", verbose=False, stream=stream)
    logging.getLogger("careers.test").info("progress")
    logging.getLogger("careers.test").warning("robots.txt answered 503")
    assert "progress" not in stream.getvalue()
    assert "robots.txt answered 503" in stream.getvalue()


def test_info_on_a_terminal() -> None:
    stream = _Tty()
    setup_logging("text", verbose=False, stream=stream)
    logging.getLogger("careers.test").info("progress")
    assert "progress" in stream.getvalue()


def test_bad_configuration_exits_2_naming_the_key(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "status", "--db", str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"CAREERS_RETRIES__MAX_ATTEMPTS": "0", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == ExitCode.FATAL
    assert (
        "retries.max_attempts (environment variable CAREERS_RETRIES__MAX_ATTEMPTS)" in proc.stderr
    )
