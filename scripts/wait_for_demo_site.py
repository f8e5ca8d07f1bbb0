"""Wait until the demo site ``make demo`` started answers, and make sure it is that one.

    python scripts/wait_for_demo_site.py BASE_URL PID [LOG] [--timeout SECONDS]

Exits 0 once ``BASE_URL/_admin/whoami`` names process PID. Exits 1 at once when process PID
is gone (it could not bind the port, or crashed: LOG's last line says why), and after
30 s when whatever answers on the port is another server: crawling that would mark every
comparison gone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx

from pipeline.lock import pid_alive

TIMEOUT = 30.0


def alive(pid: int) -> bool:
    """Whether the demo site's process still runs (a zombie has exited already)."""
    return pid_alive(pid) and "zombie" not in _state(pid)


def _state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return ""
    return next((line for line in status.splitlines() if line.startswith("State:")), "")


def answering_pid(base_url: str) -> int | None:
    """The pid the demo site at ``base_url`` says it runs as; None when nothing (or
    something else) answers."""
    try:
        response = httpx.get(base_url.rstrip("/") + "/_admin/whoami", timeout=1.0)
        body = response.json() if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return None
    pid = body.get("pid") if isinstance(body, dict) else None
    return pid if isinstance(pid, int) and body.get("site") == "careers-etl demo site" else None


def last_line(log: Path | None) -> str:
    if log is None or not log.is_file():
        return ""
    lines = log.read_text(errors="replace").strip().splitlines()
    return f": {lines[-1]}" if lines else ""


def main(base_url: str, pid: int, log: Path | None, timeout: float = TIMEOUT) -> int:
    deadline = time.monotonic() + timeout
    seen: int | None = None
    while time.monotonic() < deadline:
        if not alive(pid):
            print(f"make demo: the demo site did not start{last_line(log)}", file=sys.stderr)
            return 1
        seen = answering_pid(base_url)
        if seen == pid:
            return 0
        time.sleep(0.1)
    other = f"process {seen}" if seen else "a server that is not the demo site"
    print(
        f"make demo: {base_url} is answered by {other}, not by the demo site this run "
        f"started (pid {pid}); not crawling it",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("pid", type=int)
    parser.add_argument("log", nargs="?", type=Path)
    parser.add_argument("--timeout", type=float, default=TIMEOUT)
    args = parser.parse_args()
    sys.exit(main(args.base_url, args.pid, args.log, args.timeout))
