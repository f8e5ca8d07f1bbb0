"""Comparison charts: the widest salary gaps between the two roles of a page, and which
side each page says earns more against what its salaries say."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import plotly.graph_objects as go

from pipeline.report.charts.figure import (
    COLORS,
    PALETTE,
    Chart,
    number,
    plotly_json,
    plural,
    short,
    whole_numbers,
)
from pipeline.report.queries import Row


@dataclass
class Tally:
    """What the comparison charts count over every comparison, in one pass."""

    pages: int = 0
    both: int = 0
    """Pages with both yearly salaries."""
    agreement: Counter[tuple[str | None, str]] = field(default_factory=Counter)
    """``(side the page states, what its salaries say)`` -> pages."""

    def with_both_salaries(self, comparisons: Iterable[Row]) -> Iterator[Row]:
        """Count every comparison, and pass on those with both yearly salaries."""
        for c in comparisons:
            self.pages += 1
            self.agreement[(c.get("higher_paid"), _verdict(c))] += 1
            if (
                c.get("a_yearly_salary_usd") is not None
                and c.get("b_yearly_salary_usd") is not None
            ):
                self.both += 1
                yield c


def comparison_charts(comparisons: Iterable[Row], top: int = 20) -> list[Chart]:
    """The salary gaps and the higher-paid charts, reading ``comparisons`` once (a query's
    rows as they stream by; only the ``top`` widest gaps are kept)."""
    tally = Tally()
    largest = heapq.nsmallest(
        top,
        tally.with_both_salaries(comparisons),
        key=lambda c: (-abs(c["a_yearly_salary_usd"] - c["b_yearly_salary_usd"]), c["url"]),
    )
    return [salary_gaps(largest, tally, top), higher_paid(tally)]


def salary_gaps(largest: list[Row], tally: Tally, top: int) -> Chart:
    title = f"The {top} largest salary gaps between compared roles"
    if not largest:
        return Chart("salary-gaps", title, "No comparison has both yearly salaries.", None)
    ordered = list(reversed(largest))
    labels = [f"{short(c['a_title'], 30)} vs {short(c['b_title'], 30)}" for c in ordered]
    seg_x: list[float | None] = []
    seg_y: list[str | None] = []
    for label, c in zip(labels, ordered, strict=True):
        seg_x += [c["a_yearly_salary_usd"], c["b_yearly_salary_usd"], None]
        seg_y += [label, label, None]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=seg_x, y=seg_y, mode="lines", line={"color": "#c7c7c7", "width": 4},
            showlegend=False, hoverinfo="skip",
        )
    )  # fmt: skip
    for side, name in (("a", "Role A (first on the page)"), ("b", "Role B")):
        fig.add_trace(
            go.Scatter(
                x=[c[f"{side}_yearly_salary_usd"] for c in ordered],
                y=labels,
                customdata=[
                    [c[f"{side}_title"], abs(c["a_yearly_salary_usd"] - c["b_yearly_salary_usd"])]
                    for c in ordered
                ],
                mode="markers",
                name=name,
                marker={"color": COLORS[side], "size": 11},
                hovertemplate="%{customdata[0]}: $%{x:,.0f}<br>gap $%{customdata[1]:,.0f}"
                "<extra></extra>",
            )
        )
    fig.update_xaxes(title_text="Yearly salary (USD per year)")
    fig.update_yaxes(title_text="Comparison page")
    caption = (
        f"Both roles' yearly salaries for the {number(len(largest))} comparison pages with the "
        f"widest gap, of {plural(tally.both, 'page')} with both salaries "
        f"({number(tally.pages - tally.both)} lack one)."
    )
    figure = plotly_json(fig, title, height=140 + 26 * len(largest))
    return Chart("salary-gaps", title, caption, figure)


def figures_say(c: Row) -> str | None:
    """Which side the yearly salaries say earns more; ``None`` when one is missing or equal."""
    a, b = c.get("a_yearly_salary_usd"), c.get("b_yearly_salary_usd")
    if a is None or b is None or a == b:
        return None
    return "a" if a > b else "b"


def _verdict(c: Row) -> str:
    """What a comparison's yearly salaries say of the side it states earns more."""
    says = figures_say(c)
    if says is None:
        return "salaries missing or equal"
    if c.get("higher_paid") is None:
        return "salaries say " + ("Role A" if says == "a" else "Role B")
    return "salaries agree" if says == c["higher_paid"] else "salaries disagree"


def higher_paid(tally: Tally) -> Chart:
    title = "Which side earns more, as the page states it"
    if not tally.pages:
        return Chart("higher-paid", title, "No comparisons.", None)
    stated_names = {"a": "Role A", "b": "Role B", None: "Not stated"}
    agreement = tally.agreement
    fig = go.Figure()
    verdicts = (
        ("salaries agree", PALETTE[2]),
        ("salaries disagree", COLORS["bad"]),
        ("salaries say Role A", PALETTE[0]),
        ("salaries say Role B", PALETTE[1]),
        ("salaries missing or equal", "#c7c7c7"),
    )
    categories = ["a", "b", None]
    for verdict, color in verdicts:
        counts = [agreement.get((s, verdict), 0) for s in categories]
        if not any(counts):
            continue
        fig.add_trace(
            go.Bar(
                x=[stated_names[s] for s in categories], y=counts, name=verdict,
                marker_color=color, hovertemplate="%{x}: %{y} pages<extra>" + verdict + "</extra>",
            )
        )  # fmt: skip
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="Side the page says earns more")
    fig.update_yaxes(title_text="Number of comparison pages")
    whole_numbers(fig, [sum(v for (s, _), v in agreement.items() if s == k) for k in categories])
    disagree = sum(v for (_, verdict), v in agreement.items() if verdict == "salaries disagree")
    caption = (
        f"Which role each of {plural(tally.pages, 'comparison page')} says earns more, "
        f"coloured by whether its two yearly salaries agree; {number(disagree)} disagree."
    )
    return Chart("higher-paid", title, caption, plotly_json(fig, title))
