"""The one validated settings object every command receives.

Values flow one way: defaults here -> ``careers.toml`` -> ``CAREERS_<SECTION>__<KEY>``
environment variables -> CLI flags (see ``pipeline.config``). Nothing reads the
environment or a file after that: modules get the parts of ``Settings`` they need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

LIVE_BASE_URL = "https://www.zippia.com/"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SiteSettings(_Section):
    base_url: str = LIVE_BASE_URL
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts redirects may lead to; the base URL's host is always allowed.",
    )
    seeds: list[str] = Field(
        default_factory=list, description="Comparison URLs or role slugs to crawl besides sitemaps."
    )
    use_sitemaps: bool = True
    follow_depth: int = Field(
        default=0, ge=0, description="How many hops of 'compare with other careers' links."
    )

    @field_validator("base_url")
    @classmethod
    def _absolute_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL")
        return value if value.endswith("/") else value + "/"


class PolitenessSettings(_Section):
    max_in_flight: int = Field(default=2, ge=1, le=256)
    rate: float = Field(default=1.0, ge=0, description="Requests per second per host; 0: no delay.")
    user_agent: str = "careers-etl/0.1 (+https://github.com/careers-etl/careers-etl)"
    contact: str = "data-team@example.org"

    @property
    def user_agent_header(self) -> str:
        return f"{self.user_agent} contact: {self.contact}" if self.contact else self.user_agent


class RetrySettings(_Section):
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_base: float = Field(default=0.5, ge=0, description="Seconds before the first retry.")
    backoff_cap: float = Field(default=30.0, ge=0)
    retry_after_cap: float = Field(
        default=120.0, ge=0, description="A longer Retry-After defers the URL to a later run."
    )
    breaker_threshold: int = Field(
        default=10, ge=1, description="Blocks or 429s in a row from one host that stop the run."
    )


class LimitSettings(_Section):
    max_body_bytes: int = Field(default=5_000_000, ge=1024)
    max_decompressed_bytes: int = Field(default=20_000_000, ge=1024)
    spool_bytes: int = Field(default=1_000_000, ge=1024, description="Bodies above go to disk.")
    timeout: float = Field(default=30.0, gt=0, description="Seconds per request.")
    max_redirects: int = Field(default=5, ge=0, le=20)


class OutputSettings(_Section):
    db: Path = Path("output/careers.db")
    archive_dir: Path = Path("output/archive")
    csv_dir: Path = Path("output/csv")
    runs_dir: Path = Path("output/runs")
    report_dir: Path = Path("output/report")


class RunSettings(_Section):
    limit: int | None = Field(default=None, ge=0, description="At most N pages fetched this run.")
    fresh: bool = False
    failed_fraction: float = Field(
        default=0.02, ge=0, le=1, description="Failed pages above this fraction make exit code 1."
    )
    max_gone_fraction: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="A run marks no page gone when more than this fraction of the comparisons "
        "live at its start answered 404/410 (a wrong base URL looks like that); exit code 1.",
    )
    workers: int | None = Field(default=None, ge=1, description="Parse processes; None: cores.")
    batch_size: int = Field(default=200, ge=1, description="Pages per load transaction.")
    log_format: Literal["text", "json"] = "text"
    verbose: bool = False


class Settings(_Section):
    site: SiteSettings = Field(default_factory=SiteSettings)
    politeness: PolitenessSettings = Field(default_factory=PolitenessSettings)
    retries: RetrySettings = Field(default_factory=RetrySettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    output: OutputSettings = Field(default_factory=OutputSettings)
    run: RunSettings = Field(default_factory=RunSettings)
