"""Peak memory of a whole ``careers refresh``: the process and every process it starts.

    .venv/bin/python bench/memory_bench.py                          # every scenario
    .venv/bin/python bench/memory_bench.py --scenario clean-2000
    .venv/bin/python bench/memory_bench.py --scenario hostile-300 --without pandas

The bundled demo site runs in a process of its own (``careers demo-site``), not counted.
``careers refresh -v`` runs against it on a fresh output directory at full speed (no
delay, 16 requests in flight, as ``make demo``). Every ``--interval`` seconds the bench
sums, over the refresh process and all its descendants (``psutil`` ``children(recursive=
True)``), the resident set (RSS: shared pages counted once per process) and the
proportional set (PSS, Linux: each shared page split between the processes sharing it),
and keeps the peak of each sum per stage. Stages are told apart by the refresh's log
lines on stderr: crawl (from the start), load (the crawl's summary line: the parse pool
works here), export, report. The parse pool's share is its worker processes
(``scraper.parse_worker``; older checkouts: ``multiprocessing``'s workers and fork server).

Scenarios: ``hostile-300`` (every fault of the demo site, slow answers stalling 2 s,
``CAREERS_LIMITS__TIMEOUT=1``), ``clean-2000`` and ``clean-20000`` (no faults; their
difference is the growth with the site's size).

``--without MODULE`` makes MODULE unimportable in the refresh and its workers (a
``sitecustomize`` on ``PYTHONPATH`` fails its import as if it were not installed), to
measure what an import that is not needed costs. ``--source DIR`` measures another
checkout (a ``git archive`` of an older commit, say) with the same bench. The figures are
in the README, under Benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
CAREERS = Path(sys.executable).with_name("careers")
MB = 1024 * 1024
STAGES = ("crawl", "load", "export", "report")
STAGE_LINES = (
    ("load", re.compile(r"crawl run \S+: discovered")),
    ("export", re.compile(r"run \S+: exporting")),
    ("report", re.compile(r"run \S+: writing the report")),
)
"""The refresh's log lines (``-v``) that start each stage after the crawl."""


@dataclass(frozen=True)
class Scenario:
    pages: int
    faults: str
    slow_seconds: float | None = None
    env: dict[str, str] = field(default_factory=dict)


SCENARIOS = {
    "hostile-300": Scenario(300, "hostile", 2.0, {"CAREERS_LIMITS__TIMEOUT": "1"}),
    "clean-2000": Scenario(2000, "clean"),
    "clean-20000": Scenario(20000, "clean"),
}


@dataclass
class Sample:
    """The sums over the process tree at one moment, in bytes; ``each``: the RSS of the
    largest process of each kind (``kind_of``)."""

    rss: int = 0
    pss: int = 0
    main_pss: int = 0
    pool_pss: int = 0
    processes: int = 0
    each: dict[str, int] = field(default_factory=dict)


@dataclass
class Peak(Sample):
    """The highest of each sum seen in one stage, and the stage's length."""

    seconds: float = 0.0

    def take(self, now: Sample) -> None:
        for name in ("rss", "pss", "main_pss", "pool_pss", "processes"):
            setattr(self, name, max(getattr(self, name), getattr(now, name)))
        for kind, rss in now.each.items():
            self.each[kind] = max(self.each.get(kind, 0), rss)


def is_pool(process: psutil.Process, root: psutil.Process) -> bool:
    """A parse worker (``scraper.parse_worker``), or what older checkouts measured with
    ``--source`` used: a ``multiprocessing`` spawned child, a fork server and what it
    forked."""
    try:
        chain = [process, *process.parents()]
        return any(
            "scraper.parse_worker" in line or "forkserver" in line or "spawn_main" in line
            for line in (" ".join(p.cmdline()) for p in chain if p.pid != root.pid)
        )
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def kind_of(process: psutil.Process, root: psutil.Process) -> str:
    """What a process of the tree is, for the per-process table (``--processes``)."""
    if process.pid == root.pid:
        return "refresh"
    try:
        line = " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return "other"
    if "resource_tracker" in line:
        return "resource tracker"
    return "parse worker" if is_pool(process, root) else "other"


def sample(root: psutil.Process) -> Sample | None:
    """The sums over ``root`` and its descendants now."""
    try:
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return None
    now = Sample()
    for process in tree:
        try:
            info = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        now.processes += 1
        now.rss += info.rss
        now.pss += info.pss
        if process.pid == root.pid:
            now.main_pss = info.pss
        elif is_pool(process, root):
            now.pool_pss += info.pss
        kind = kind_of(process, root)
        now.each[kind] = max(now.each.get(kind, 0), info.rss)
    return now


def start_site(
    scenario: Scenario, port: int, log: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    args = [
        str(CAREERS),
        "demo-site",
        "--port",
        str(port),
        "--pages",
        str(scenario.pages),
        "--faults",
        scenario.faults,
    ]
    if scenario.slow_seconds is not None:
        args += ["--slow-seconds", str(scenario.slow_seconds)]
    with log.open("wb") as out:
        site = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, **env}
        )
    url = f"http://127.0.0.1:{port}/"
    wait = [
        sys.executable,
        str(ROOT / "scripts" / "wait_for_demo_site.py"),
        url,
        str(site.pid),
        str(log),
    ]
    if subprocess.run(wait, cwd=ROOT, env={**os.environ, **env}).returncode != 0:
        site.kill()
        raise SystemExit(f"the demo site did not start; see {log}")
    return site


HIDING = """import sys


class _Hidden:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {modules!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (memory_bench --without)",
                                      name=name)
        return None


sys.meta_path.insert(0, _Hidden())
"""
"""The ``sitecustomize`` of ``--without``: importing those modules fails as if they were
not installed (``None`` in ``sys.modules`` would break pyarrow's check for pandas)."""


def environment(without: list[str], source: Path | None, directory: Path) -> dict[str, str]:
    """``PYTHONPATH`` for every Python process started: ``source`` first (a checkout to
    measure instead of the installed one), and a ``sitecustomize`` making ``without``
    unimportable."""
    paths = [str(source)] if source else []
    if without:
        (directory / "sitecustomize.py").write_text(HIDING.format(modules=without), "utf-8")
        paths.append(str(directory))
    if not paths:
        return {}
    return {"PYTHONPATH": os.pathsep.join([*paths, *filter(None, [os.environ.get("PYTHONPATH")])])}


def run(
    name: str,
    scenario: Scenario,
    port: int,
    interval: float,
    without: list[str],
    source: Path | None,
    keep: Path | None,
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"memory-{name}-"))
    site = start_site(scenario, port, work / "demo-site.log", environment([], source, work))
    peaks = {stage: Peak() for stage in STAGES}
    stage = ["crawl"]
    started = {"crawl": time.monotonic()}
    try:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CAREERS_")}
        environ.update(scenario.env, CAREERS_OUTPUT__RUNS_DIR=str(work / "runs"))
        environ.update(environment(without, source, work))
        args = [
            str(CAREERS),
            "refresh",
            "--base-url",
            f"http://127.0.0.1:{port}/",
            "--rate",
            "0",
            "--max-in-flight",
            "16",
            "-v",
            "--db",
            str(work / "careers.db"),
            "--archive-dir",
            str(work / "archive"),
            "--csv-dir",
            str(work / "csv"),
            "--report-dir",
            str(work / "report"),
        ]
        refresh = subprocess.Popen(
            args,
            cwd=work,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: list[str] = []

        def follow() -> None:
            assert refresh.stderr is not None
            for line in refresh.stderr:
                lines.append(line)
                for next_stage, pattern in STAGE_LINES:
                    if pattern.search(line):
                        stage[0] = next_stage
                        started[next_stage] = time.monotonic()

        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        root = psutil.Process(refresh.pid)
        while refresh.poll() is None:
            now = sample(root)
            if now is not None:
                peaks[stage[0]].take(now)
            time.sleep(interval)
        ended = time.monotonic()
        reader.join(timeout=5)
    finally:
        site.terminate()
        site.wait(timeout=10)
    order = [s for s in STAGES if s in started]
    for current, following in zip(order, [*order[1:], None], strict=True):
        peaks[current].seconds = (started[following] if following else ended) - started[current]
    if keep is not None:
        shutil.copytree(work, keep / name, dirs_exist_ok=True)
    shutil.rmtree(work, ignore_errors=True)
    if refresh.returncode not in (0, 1):
        sys.stderr.write("".join(lines[-20:]))
        raise SystemExit(f"{name}: careers refresh exited {refresh.returncode}")
    return {
        "scenario": name,
        "pages": scenario.pages,
        "exit_code": refresh.returncode,
        "without": without,
        "stages": {s: vars(peaks[s]) for s in order},
    }


def table(results: list[dict[str, Any]]) -> str:
    head = (
        "| scenario | stage | seconds | peak RSS sum (MB) | peak PSS sum (MB) "
        "| of it: refresh process PSS | of it: parse pool PSS | processes |"
    )
    rows = [head, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for result in results:
        label = " ".join(
            filter(
                None,
                [result["scenario"], result["label"]] + [f"without {m}" for m in result["without"]],
            )
        )
        stages = result["stages"]
        for stage, peak in stages.items():
            rows.append(
                f"| {label} | {stage} | {peak['seconds']:.1f} | {peak['rss'] / MB:.0f} "
                f"| {peak['pss'] / MB:.0f} | {peak['main_pss'] / MB:.0f} "
                f"| {peak['pool_pss'] / MB:.0f} | {peak['processes']} |"
            )
        whole = {k: max(p[k] for p in stages.values()) for k in ("rss", "pss")}
        rows.append(
            f"| {label} | **whole run** | {sum(p['seconds'] for p in stages.values()):.1f} "
            f"| **{whole['rss'] / MB:.0f}** | **{whole['pss'] / MB:.0f}** | | | |"
        )
    return "\n".join(rows)


def process_table(results: list[dict[str, Any]]) -> str:
    """The highest RSS of one process of each kind, per stage: where a sum comes from."""
    kinds = ("refresh", "parse worker", "resource tracker", "other")
    rows = [
        "| scenario | stage | " + " | ".join(f"one {k} (MB RSS)" for k in kinds) + " |",
        "| --- | --- |" + " ---: |" * len(kinds),
    ]
    for result in results:
        for stage, peak in result["stages"].items():
            cells = [f"{peak['each'][k] / MB:.0f}" if k in peak["each"] else "" for k in kinds]
            rows.append(f"| {result['scenario']} | {stage} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenario",
        action="append",
        choices=sorted(SCENARIOS),
        help="Run this scenario (repeatable; default: every one).",
    )
    parser.add_argument("--pages", type=int, help="Override the scenario's page count.")
    parser.add_argument("--interval", type=float, default=0.05, help="Seconds between samples.")
    parser.add_argument("--port", type=int, default=8790, help="The demo site's port.")
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="MODULE",
        help="Make MODULE unimportable in the refresh (repeatable).",
    )
    parser.add_argument(
        "--source", type=Path, help="Measure this checkout of careers-etl instead (PYTHONPATH)."
    )
    parser.add_argument("--label", default="", help="Added to the scenario's name in the table.")
    parser.add_argument("--keep", type=Path, help="Copy each run's output directory here.")
    parser.add_argument("--json", type=Path, help="Also write the results here as JSON.")
    parser.add_argument(
        "--processes",
        action="store_true",
        help="Also print the highest RSS of one process of each kind, per stage.",
    )
    args = parser.parse_args()
    if not sys.platform.startswith("linux"):
        raise SystemExit("PSS comes from /proc/<pid>/smaps: Linux only")
    results = []
    for name in args.scenario or list(SCENARIOS):
        scenario = SCENARIOS[name]
        if args.pages:
            scenario = Scenario(args.pages, scenario.faults, scenario.slow_seconds, scenario.env)
        print(f"== {name}: {scenario.pages} pages, faults={scenario.faults}", flush=True)
        result = run(name, scenario, args.port, args.interval, args.without, args.source, args.keep)
        results.append({**result, "label": args.label})
    print(table(results))
    if args.processes:
        print()
        print(process_table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
