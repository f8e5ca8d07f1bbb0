"""Salary charts: the distribution of average salaries, the ranges of the highest- and
lowest-paid roles, and whether hourly rates match yearly salaries."""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pipeline.report.charts.figure import (
    COLORS,
    Chart,
    histogram,
    known,
    number,
    plotly_json,
    plural,
    short,
    usd,
)
from pipeline.report.queries import Row

HOURS_PER_YEAR = 2080
HOURLY_TOLERANCE = 0.05
SCATTER_SAMPLE = 2000


def salary_distribution(roles: list[Row]) -> Chart:
    values = known(r.get("average_salary_usd") for r in roles)
    missing = len(roles) - len(values)
    caption = (
        f"How many roles fall in each band of average salary, from the latest figures of "
        f"{plural(len(values), 'role')}"
        + (f"; {number(missing)} without an average salary are left out." if missing else ".")
    )
    return histogram(
        "salary-distribution",
        "Distribution of average salaries across roles",
        values,
        "Average salary (USD per year)",
        usd,
        caption,
    )


def salary_ranges(roles: list[Row], per_end: int = 15) -> Chart:
    title = f"Salary range of the {per_end} highest- and {per_end} lowest-paid roles"
    ranked = sorted(
        (r for r in roles if r.get("average_salary_usd") is not None),
        key=lambda r: (-r["average_salary_usd"], r["title"]),
    )
    if not ranked:
        return Chart("salary-ranges", title, "No role has an average salary.", None)
    if len(ranked) <= 2 * per_end:
        top, bottom = ranked[: (len(ranked) + 1) // 2], ranked[(len(ranked) + 1) // 2 :]
    else:
        top, bottom = ranked[:per_end], ranked[-per_end:]
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=(f"Highest-paid {len(top)}", f"Lowest-paid {len(bottom)}"),
    )
    no_range = 0
    for row_no, group in ((1, top), (2, bottom)):
        labels = [short(r["title"]) for r in reversed(group)]
        ordered = list(reversed(group))
        seg_x: list[float | None] = []
        seg_y: list[str | None] = []
        for label, r in zip(labels, ordered, strict=True):
            low, high = r.get("salary_range_low_usd"), r.get("salary_range_high_usd")
            if low is None or high is None:
                no_range += 1
                continue
            seg_x += [low, high, None]
            seg_y += [label, label, None]
        fig.add_trace(
            go.Scatter(
                x=seg_x, y=seg_y, mode="lines", line={"color": COLORS["low"], "width": 6},
                showlegend=row_no == 1, name="Range (low to high)", hoverinfo="skip",
            ),
            row=row_no, col=1,
        )  # fmt: skip
        for key, name, symbol in (
            ("salary_range_low_usd", "Low", "line-ns-open"),
            ("average_salary_usd", "Average", "diamond"),
            ("salary_range_high_usd", "High", "line-ns-open"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=[r.get(key) for r in ordered],
                    y=labels,
                    mode="markers",
                    name=name,
                    showlegend=row_no == 1,
                    marker={
                        "symbol": symbol,
                        "size": 11 if key == "average_salary_usd" else 14,
                        "color": COLORS["avg" if key == "average_salary_usd" else "high"],
                        "line": {"width": 2, "color": COLORS["high"]},
                    },
                    hovertemplate="%{y}<br>" + name + ": $%{x:,.0f}<extra></extra>",
                ),
                row=row_no, col=1,
            )  # fmt: skip
    fig.update_xaxes(title_text="Salary (USD per year)", row=2, col=1)
    fig.update_xaxes(showticklabels=True, row=1, col=1)
    fig.update_yaxes(title_text="Role")
    caption = (
        "Each role's salary range from low to high with its average (diamond), for the "
        f"highest- and lowest-paid of {plural(len(ranked), 'role')} with an average salary"
        + (f"; {number(no_range)} shown without a range have none on record." if no_range else ".")
    )
    height = 160 + 24 * (len(top) + len(bottom))
    return Chart("salary-ranges", title, caption, plotly_json(fig, title, height=height))


def hourly_vs_yearly(roles: list[Row], sample: int = SCATTER_SAMPLE) -> Chart:
    title = "Hourly rate vs yearly salary"
    both = [
        r
        for r in roles
        if r.get("hourly_rate_usd") is not None and r.get("yearly_salary_usd") is not None
    ]
    if not both:
        return Chart("hourly-yearly", title, "No role has both an hourly rate and a salary.", None)

    def off(r: Row) -> bool:
        expected = r["yearly_salary_usd"] / HOURS_PER_YEAR
        return bool(abs(r["hourly_rate_usd"] - expected) > HOURLY_TOLERANCE * expected)

    bad = [r for r in both if off(r)]
    good = [r for r in both if not off(r)]
    shown_good = good if len(good) <= sample else good[:: math.ceil(len(good) / sample)]
    fig = go.Figure()
    top = max(r["yearly_salary_usd"] for r in both)
    fig.add_trace(
        go.Scatter(
            x=[0, top], y=[0, top / HOURS_PER_YEAR], mode="lines", name="yearly / 2,080 hours",
            line={"color": COLORS["muted"], "dash": "dash"}, hoverinfo="skip",
        )
    )  # fmt: skip
    for group, name, color in (
        (shown_good, "within 5%", COLORS["ok"]),
        (bad, "off by more than 5%", COLORS["bad"]),
    ):
        fig.add_trace(
            go.Scatter(
                x=[r["yearly_salary_usd"] for r in group],
                y=[r["hourly_rate_usd"] for r in group],
                customdata=[r["title"] for r in group],
                mode="markers",
                name=f"{name} ({number(len(good) if group is shown_good else len(bad))})",
                marker={"color": color, "size": 6 if group is shown_good else 8, "opacity": 0.7},
                hovertemplate="%{customdata}<br>$%{x:,.0f}/year, $%{y:.2f}/hour<extra></extra>",
            )
        )
    fig.update_xaxes(title_text="Yearly salary (USD per year)")
    fig.update_yaxes(title_text="Hourly rate (USD per hour)")
    sampled = (
        f" (a sample of {number(len(shown_good))} of the {number(len(good))} consistent ones"
        " is drawn)"
        if len(shown_good) < len(good)
        else ""
    )
    caption = (
        f"Whether each role's hourly rate matches its yearly salary / 2,080 hours: "
        f"{number(len(good))} of {plural(len(both), 'role')} with both figures are within 5%, "
        f"{number(len(bad))} are not{sampled}."
    )
    return Chart("hourly-yearly", title, caption, plotly_json(fig, title))
