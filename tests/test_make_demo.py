"""``make demo`` crawls only the demo site it started: a port already taken stops it at once,
before any request, instead of crawling the other server and marking everything gone."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support.demo_site import free_port

from demosite.process import site_process

ROOT = Path(__file__).resolve().parents[1]
WAIT = ROOT / "scripts" / "wait_for_demo_site.py"


@contextmanager
def other_server(port: int) -> Iterator[list[str]]:
    """Some other web server on ``port``; yields the paths it was asked for."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><title>Not the demo site</title></html>")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield asked
    finally:
        server.shutdown()
        server.server_close()


def wait(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(WAIT), *args], capture_output=True, text=True, timeout=60
    )


def test_the_demo_site_it_started_is_recognized() -> None:
    with site_process("--pages", "4") as (proc, base_url):
        done = wait(base_url, str(proc.pid))
    assert (done.returncode, done.stderr) == (0, "")


def test_another_server_on_the_port_is_not_crawled() -> None:
    port = free_port()
    with other_server(port) as asked:
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            done = wait(f"http://127.0.0.1:{port}/", str(sleeper.pid), "--timeout", "2")
        finally:
            sleeper.kill()
            sleeper.wait()
    assert done.returncode == 1
    assert "not by the demo site this run started" in done.stderr
    assert set(asked) == {"/_admin/whoami"}


def test_make_demo_stops_at_once_when_its_site_cannot_start(tmp_path: Path) -> None:
    """The port is taken: the demo site exits, and make demo with it, before crawling."""
    port = free_port()
    with other_server(port) as asked:
        started = time.monotonic()
        done = subprocess.run(
            ["make", "--no-print-directory", "demo", f"DEMO_PORT={port}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        took = time.monotonic() - started
    assert done.returncode != 0
    assert "the demo site did not start" in done.stderr
    assert "/robots.txt" not in asked and took < 30
