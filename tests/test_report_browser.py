"""The report in a real browser: headless Chromium opens index.html from disk with the
network off, and every chart must have drawn its SVG with no console error.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
JSON messages on file descriptors 3 and 4), so console messages, exceptions and any
attempted network request are seen reliably, with no extra dependency.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.report_fixture import BASE_URL, Fixture, build

from pipeline.report import write_report

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
SCREENSHOT_DIR_ENV = "CAREERS_REPORT_SCREENSHOT_DIR"


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """A headless Chromium and one DevTools session to its page, over a pipe."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_fds() -> None:
            # move both ends out of the way first: either may already sit on 3 or 4
            high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 10)
            high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.proc = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                # any request that would leave the machine goes to a closed local port
                "--proxy-server=http://127.0.0.1:9",
                "--proxy-bypass-list=<-loopback>",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "--window-size=1400,1000",
                "about:blank",
            ],
            preexec_fn=wire_fds,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, event: str, timeout: float = 30) -> dict[str, Any]:
        for seen in self.events:
            if seen["method"] == event:
                return seen
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if "method" in message:
                self.events.append(message)
                if message["method"] == event:
                    return message

    def open_page(self) -> None:
        targets = self.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send(
            "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self.session = None
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)

    def console_errors(self) -> list[str]:
        errors = []
        for e in self.events:
            params = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                errors.append(json.dumps(params["exceptionDetails"])[:500])
            elif e["method"] == "Runtime.consoleAPICalled" and params.get("type") in (
                "error",
                "assert",
            ):
                errors.append(json.dumps(params.get("args"))[:500])
            elif e["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(params["entry"].get("text", "")[:500])
        return errors

    def network_requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
            and not e["params"]["request"]["url"].startswith(("file:", "data:", "blob:"))
        ]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed; CI must install it (see .ci/run)")
        pytest.skip("Chromium is not installed (apt-get install chromium); browser test skipped")
    instance = Browser(executable, tmp_path / "profile")
    try:
        instance.open_page()
        yield instance
    finally:
        instance.close()


def fixture_title(fixture: Fixture) -> str:
    conn = sqlite3.connect(fixture.db)
    try:
        row = conn.execute("SELECT title FROM roles WHERE role_slug = ?", (fixture.null_slug,))
        return str(row.fetchone()[0])
    finally:
        conn.close()


SEARCH_ROLES = """
(() => {
  const root = document.querySelector('[data-datatable="roles"]');
  const input = root.querySelector('input[type=search]');
  input.value = __QUERY__;
  input.dispatchEvent(new Event('input'));
  const heads = [...root.querySelectorAll('thead th')].map(th => th.textContent);
  const row = root.querySelector('tbody tr');
  return [root.querySelectorAll('tbody tr').length,
          row.children[heads.indexOf('Average salary')].textContent,
          row.children[heads.indexOf('Yearly salary')].textContent];
})()
"""

CHART_STATE = """
(() => {
  const plots = [...document.querySelectorAll('[data-chart]')];
  return {
    charts: plots.length,
    drawn: plots.filter(p => p.querySelector('svg.main-svg') &&
                             p.querySelectorAll('.trace, .bars, .points, path.js-line').length)
                .map(p => p.dataset.chart),
    empty: [...document.querySelectorAll('figure.chart .empty')].length,
    tables: [...document.querySelectorAll('[data-datatable]')].map(t => [
        t.dataset.datatable, t.querySelectorAll('tbody tr').length]),
    sections: [...document.querySelectorAll('main > section')].map(s => s.id),
  };
})()
"""


def screenshot(browser: Browser, path: Path) -> None:
    """The whole page, 1,400 CSS pixels wide, as PNG."""
    width = 1400
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
    )
    time.sleep(0.5)  # plotly redraws responsive charts on resize
    height = browser.evaluate("document.documentElement.scrollHeight")
    shot = browser.send(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        },
        timeout=60,
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def test_report_renders_offline_in_chromium(browser: Browser, tmp_path: Path) -> None:
    fixture = build(
        tmp_path / "careers.db", pages=60, changed=(1, 2, 3), gone=(4, 5), missing=(6,),
        added=(60, 61),
    )  # fmt: skip
    index = write_report(fixture.db, tmp_path / "report")
    browser.send("Page.navigate", {"url": index.resolve().as_uri()})
    browser.wait_for("Page.loadEventFired")
    deadline = time.monotonic() + 20
    while browser.evaluate("document.documentElement.dataset.tables") is None:
        assert time.monotonic() < deadline, "the tables were never built"
        time.sleep(0.05)
    assert browser.evaluate("document.documentElement.dataset.tables") == "ready"
    state = browser.evaluate(CHART_STATE)
    shots = Path(os.environ.get(SCREENSHOT_DIR_ENV, tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    screenshot(browser, shots / "report.png")

    assert state["charts"] == 12, state
    assert state["empty"] == 0
    assert sorted(state["drawn"]) == sorted(
        json.loads(
            index.read_text(encoding="utf-8")
            .split('<script type="application/json" id="report-charts">', 1)[1]
            .split("</script>", 1)[0]
        )
    ), state
    assert len(state["drawn"]) == state["charts"]
    assert state["sections"] == [
        "run", "salaries", "comparisons", "people", "education", "changes", "roles",
        "fetch-log", "issues",
    ]  # fmt: skip
    tables = dict(state["tables"])
    assert tables["roles"] == 25  # first page of the paginated table
    assert tables["changed-figures"] > 0
    assert tables["fetch-log"] == 25
    # a counter's link filters the fetch log to the rows behind it
    after_click = browser.evaluate(
        """(() => {
          document.querySelector('#counter-gone').click();
          const log = document.querySelector('[data-datatable="fetch-log"]');
          return [...log.querySelectorAll('tbody tr td:nth-child(2)')].map(td => td.textContent);
        })()"""
    )
    assert after_click == ["gone", "gone"]
    link = browser.evaluate("document.querySelector('[data-datatable=\"fetch-log\"] tbody a').href")
    assert link.startswith(BASE_URL)  # the origin is hidden in the cell, kept in the link
    # searching the roles table; a missing figure shows as a dash, not 0
    cells = browser.evaluate(SEARCH_ROLES.replace("__QUERY__", json.dumps(fixture_title(fixture))))
    assert cells[0] >= 1
    assert cells[1] == "\u2014"
    assert cells[2].startswith("$")
    assert browser.console_errors() == []
    assert browser.network_requests() == []
    assert (shots / "report.png").stat().st_size > 50_000
