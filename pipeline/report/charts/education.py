"""Education charts: the degrees, majors and colleges most often the most common of a role."""

from __future__ import annotations

from collections import Counter

import plotly.graph_objects as go

from pipeline.report.charts.figure import (
    PALETTE,
    Chart,
    number,
    plotly_json,
    plural,
    short,
    whole_numbers,
)
from pipeline.report.queries import Row


def most_common(chart_id: str, roles: list[Row], column: str, noun: str, top: int = 15) -> Chart:
    title = f"Most common {noun}s across roles"
    values = [r[column] for r in roles if r.get(column)]
    if not values:
        return Chart(chart_id, title, f"No role has a most common {noun}.", None)
    counted = Counter(values).most_common(top)
    ordered = list(reversed(counted))
    fig = go.Figure(
        go.Bar(
            y=[short(v, 36) for v, _ in ordered],
            x=[n for _, n in ordered],
            customdata=[v for v, _ in ordered],
            orientation="h",
            marker_color=PALETTE[0],
            hovertemplate="%{customdata}: most common for %{x} roles<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="Number of roles")
    fig.update_yaxes(title_text=noun.capitalize())
    whole_numbers(fig, (n for _, n in counted), axis="x")
    caption = (
        f"How many roles have each {noun} as their most common, top {len(counted)} of "
        f"{number(len(set(values)))} distinct, from {plural(len(values), 'role')} with one "
        f"({number(len(roles) - len(values))} without)."
    )
    return Chart(chart_id, title, caption, plotly_json(fig, title, height=150 + 24 * len(counted)))
