"""The crawler in-process, with settings made for tests: no rate limit, short retries and
timeouts, the database and archive under ``tmp_path``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from demosite.server import RunningSite
from schemas.settings import Settings
from scraper.crawl import CrawlReport, crawl


def make_settings(
    target: RunningSite | str, tmp_path: Path, **sections: dict[str, Any]
) -> Settings:
    base = target if isinstance(target, str) else target.base_url
    data: dict[str, dict[str, Any]] = {
        "site": {"base_url": base},
        "politeness": {"rate": 0, "max_in_flight": 4},
        "retries": {"backoff_base": 0.01, "backoff_cap": 0.05},
        "limits": {"timeout": 1.0},
        "output": {"db": tmp_path / "careers.db", "archive_dir": tmp_path / "archive"},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return Settings.model_validate(data)


def run(settings: Settings, **kwargs: Any) -> CrawlReport:
    return crawl(settings, progress=False, **kwargs)
