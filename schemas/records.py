"""The record a comparison page parses to.

These models are the contract between the parser (``scraper.parse``), the page
generator (``demosite.generator``) and the loader (``pipeline.load``). Field
names are the column names analysts query, so they never change lightly; a
change bumps ``PARSER_VERSION`` in ``scraper.parse`` and regenerates
``schemas/comparison.schema.json`` (``careers schema``; a test fails when it is stale).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Side = Literal["a", "b"]
TableName = Literal["overview", "salary", "education", "demographics", "intro", "page"]
WarningKind = Literal[
    "unparsed_value",  # a cell that did not parse; the field is null
    "unknown_row",  # a row label the parser does not know: schema drift
    "missing_section",  # one of the four tables is absent; its fields are null
    "conflict",  # a field shown in two tables with different values
    "missing_row",  # a known table without one of its rows
    "unaligned_row",  # a row whose values cannot be tied to the roles; its fields are null
    "intro",  # a fact the intro should carry could not be read
    "encoding",  # bytes that are not the page's codec were replaced by U+FFFD
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class RoleRef(_Model):
    title: str
    slug: str


class MonthsRange(_Model):
    min: float
    max: float


class ParseWarning(_Model):
    kind: WarningKind
    table: TableName | None = None
    row: str | None = None
    side: Side | None = None
    raw: str | None = None
    message: str


class SideRecord(_Model):
    """One role's figures as one comparison page shows them. ``None`` is unknown, never zero."""

    # overview table
    yearly_salary_usd: int | None = None
    hourly_rate_usd: float | None = None
    growth_rate_pct: float | None = None
    number_of_jobs: int | None = None
    job_satisfaction: float | None = None
    most_common_degree: str | None = None
    most_common_degree_pct: float | None = None
    average_age: float | None = None
    years_of_experience: float | None = None
    # salary table
    average_salary_usd: int | None = None
    salary_range_low_usd: int | None = None
    salary_range_high_usd: int | None = None
    highest_paying_city: str | None = None
    highest_paying_state: str | None = None
    best_paying_company: str | None = None
    best_paying_industry: str | None = None
    # education table (most_common_degree[_pct] above)
    most_common_major: str | None = None
    most_common_college: str | None = None
    # demographics table (average_age above)
    gender_pct: dict[str, float] | None = Field(
        default=None, description='Lower-case labels, e.g. {"male": 50.2, "female": 49.8}'
    )
    race_pct: dict[str, float] | None = Field(
        default=None, description="Labels exactly as the page shows them, in page order"
    )
    lgbt_pct: float | None = None
    # intro and text
    top_skills: list[str] = Field(default_factory=list)
    description: str | None = None
    months_to_become: MonthsRange | None = None


class Sides(_Model):
    a: SideRecord
    b: SideRecord


class ComparisonRecord(_Model):
    url: str | None
    role_a: RoleRef
    role_b: RoleRef
    higher_paid: Side | None
    parser_version: str
    sides: Sides
    warnings: list[ParseWarning] = Field(default_factory=list)

    def side(self, side: Side) -> SideRecord:
        return self.sides.a if side == "a" else self.sides.b

    def role(self, side: Side) -> RoleRef:
        return self.role_a if side == "a" else self.role_b


#: The scalar metric columns of a side, in schema order (the loader's typed columns).
SCALAR_FIELDS: tuple[str, ...] = tuple(
    name
    for name in SideRecord.model_fields
    if name not in ("gender_pct", "race_pct", "top_skills", "months_to_become")
)
