"""``careers refresh``: discover, fetch, parse, load, export and report as one run.

Each stage is also a command of its own; this module only sequences them under one
run id and judges the outcome. The caller holds the run lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.load import load_pending
from pipeline.memory import release_free_memory
from pipeline.runs import run_report, run_row
from pipeline.status import parse_failures, refused_pages_report
from schemas.errors import ExitCode, SiteUnavailable
from schemas.settings import Settings
from schemas.verdict import Verdict, judge
from scraper.crawl import crawl
from store.db import connect, write_json_atomic
from store.runs import finish_run

log = logging.getLogger(__name__)


@dataclass
class RefreshResult:
    run_id: str | None
    verdict: Verdict
    report: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> ExitCode:
        return self.verdict.exit_code


def refresh(settings: Settings, without_numpy: bool = False) -> RefreshResult:
    """The whole run. ``without_numpy``: the export loads pyarrow without numpy
    (``pipeline.export``), for a process that ends with the run (``careers refresh``)."""
    out = settings.output
    try:
        crawled = crawl(settings, finalize=False, command="refresh")
    except SiteUnavailable as exc:
        return _fatal(settings, exc.run_id, str(exc))
    run_id = crawled.run_id
    release_free_memory()
    conn = connect(out.db)
    try:
        loaded = load_pending(conn, settings, run_id=run_id)
        release_free_memory()
        # what every invocation of a resumed run failed to parse, like its crawl counters
        failures = parse_failures(conn, run_id)
        verdict = judge(crawled.counters, failures, loaded.dq_new, settings.run.failed_fraction)
        # the loader adds its counters to the run's row batch by batch, so a resumed
        # run keeps what earlier invocations loaded
        finish_run(conn, run_id, verdict.exit_code)
        # imported here: the crawl and the load need not carry plotly
        from pipeline.export import export_all
        from pipeline.report import write_report

        log.info("run %s: exporting every table and view to %s", run_id, out.csv_dir)
        csv_files = export_all(out.db, out.csv_dir, without_numpy)
        release_free_memory()
        log.info("run %s: writing the report to %s", run_id, out.report_dir)
        report_html = write_report(out.db, out.report_dir, run_id)
        outputs = {
            "db": str(out.db),
            "csv_dir": str(out.csv_dir),
            "report": str(report_html),
        }
        row = run_row(conn, run_id)
        refused = refused_pages_report(conn, run_id)
    finally:
        conn.close()
    report = run_report(
        row,
        resumed_from=list(crawled.resumed_from) if crawled.resumed_from else None,
        dq_new=loaded.dq_new,
        failed_parses=sum(failures.values()),
        **refused,
        problems=verdict.problems,
        outputs={**outputs, "csv_files": [str(p) for p in csv_files]},
    )
    outputs["run_report"] = str(write_json_atomic(out.runs_dir / f"{run_id}.json", report))
    return RefreshResult(run_id, verdict, report, outputs)


def _fatal(settings: Settings, run_id: str | None, message: str) -> RefreshResult:
    """A stop the run cannot recover from: record it on the run, report it, exit 2."""
    verdict = Verdict()
    verdict.worsen(ExitCode.FATAL, message)
    report: dict[str, Any] = {"run_id": run_id, "exit_code": int(ExitCode.FATAL)}
    outputs: dict[str, str] = {}
    if run_id is not None:
        conn = connect(settings.output.db)
        try:
            finish_run(conn, run_id, ExitCode.FATAL)
            report = run_report(
                run_row(conn, run_id),
                **refused_pages_report(conn, run_id),
                problems=verdict.problems,
            )
        finally:
            conn.close()
        path = write_json_atomic(Path(settings.output.runs_dir) / f"{run_id}.json", report)
        outputs["run_report"] = str(path)
    return RefreshResult(run_id, verdict, report, outputs)
