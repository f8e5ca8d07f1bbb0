"""Charts of who works in the roles: gender and race shares of the most-seen roles, and
the spread of average age and years of experience across roles."""

from __future__ import annotations

import plotly.graph_objects as go

from pipeline.report.charts.figure import (
    PALETTE,
    Chart,
    histogram,
    known,
    number,
    plotly_json,
    plural,
    short,
)
from pipeline.report.queries import Row


def composition(
    chart_id: str,
    title: str,
    noun: str,
    roles: list[Row],
    shares: dict[str, dict[str, float | None]],
) -> Chart:
    """Stacked 100% bars, one per role, one segment per label; a role without data gets
    an empty row marked "(no data)"."""
    if not roles:
        return Chart(chart_id, title, "No roles.", None)
    totals: dict[str, float] = {}
    for parts in shares.values():
        for label, pct in parts.items():
            totals[label] = totals.get(label, 0.0) + (pct or 0.0)
    labels = sorted(totals, key=lambda label: -totals[label])
    ordered = list(reversed(roles))

    def has_data(slug: str) -> bool:
        return any(v is not None for v in shares.get(slug, {}).values())

    names = [
        f"{short(r['title'], 36)} ({r['comparisons_seen']} pages"
        + (")" if has_data(r["role_slug"]) else ", no data)")
        for r in ordered
    ]
    with_data = sum(1 for r in roles if has_data(r["role_slug"]))
    if not with_data:
        return Chart(chart_id, title, f"None of the roles shown has {noun} data.", None)
    fig = go.Figure()
    for i, label in enumerate(labels):
        fig.add_trace(
            go.Bar(
                y=names,
                x=[shares.get(r["role_slug"], {}).get(label) for r in ordered],
                name=label,
                orientation="h",
                marker_color=PALETTE[i % len(PALETTE)],
                hovertemplate="%{y}<br>" + label + ": %{x:.1f}%<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="Share of workers (%)", range=[0, 100.5], dtick=20)
    fig.update_yaxes(title_text="Role")
    caption = (
        f"{noun.capitalize()} shares of workers in the {plural(len(roles), 'role')} seen on "
        f"the most comparison pages ({number(with_data)} with {noun} data), from each role's "
        "latest figures."
    )
    return Chart(chart_id, title, caption, plotly_json(fig, title, height=150 + 24 * len(roles)))


def age_distribution(roles: list[Row]) -> Chart:
    values = known(r.get("average_age") for r in roles)
    return histogram(
        "age",
        "Average age of workers, across roles",
        values,
        "Average age of workers in the role (years)",
        lambda v: f"{v:g}",
        f"How many roles have each average worker age, of {plural(len(values), 'role')} with "
        f"an average age ({number(len(roles) - len(values))} without one are left out).",
    )


def experience_distribution(roles: list[Row]) -> Chart:
    values = known(r.get("years_of_experience") for r in roles)
    return histogram(
        "experience",
        "Years of experience, across roles",
        values,
        "Years of experience (years)",
        lambda v: f"{v:g}",
        f"How many roles ask for each number of years of experience, of "
        f"{plural(len(values), 'role')} with the figure ({number(len(roles) - len(values))} "
        "without one are left out).",
    )
