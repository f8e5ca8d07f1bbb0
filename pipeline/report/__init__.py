"""The analyst report: a self-contained HTML page with charts, read from the database.

``write_report(db_path, report_dir, run_id=None) -> Path`` writes ``index.html``;
``queries`` holds the SQL (``changes`` that of what the run changed), ``charts`` the
plotly figures (a module per section of the page), ``tables`` the interactive tables'
columns and rows, ``render`` the Jinja2 rendering and the file write.
"""

from pipeline.report.render import write_report

__all__ = ["write_report"]
