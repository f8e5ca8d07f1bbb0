"""What every chart shares: the ``Chart`` a page section holds, the colours, the layout
each figure gets (title, legend rows, margins), and the histogram the distributions use."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

COLORS = {
    "a": "#1f77b4",
    "b": "#ff7f0e",
    "low": "#9ecae1",
    "avg": "#08519c",
    "high": "#3182bd",
    "ok": "#1f77b4",
    "bad": "#d62728",
    "muted": "#7f7f7f",
}
PALETTE = (
    "#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2",
    "#b279a2", "#eeca3b", "#9d755d", "#ff9da6", "#bab0ac",
)  # fmt: skip


@dataclass
class Chart:
    """One chart of the page: a plotly figure (``None`` when there is nothing to draw),
    its title, and the one-line caption saying what it shows and from how many rows."""

    id: str
    title: str
    caption: str
    figure: dict[str, Any] | None

    @property
    def empty(self) -> bool:
        return self.figure is None


def number(value: int) -> str:
    return f"{value:,}"


def plural(count: int, word: str) -> str:
    return f"{number(count)} {word}" + ("" if count == 1 else "s")


def short(text: str, width: int = 42) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


LEGEND_WIDTH = 480
"""Pixels a legend row may take: charts sit two to a row on a laptop screen."""


def legend_rows(fig: go.Figure) -> int:
    names = [t.name for t in fig.data if t.name and t.showlegend is not False]
    if len(names) < 2:
        return 0
    return math.ceil(sum(7 * len(n) + 45 for n in names) / LEGEND_WIDTH)


def plotly_json(fig: go.Figure, title: str, height: int = 420) -> dict[str, Any]:
    """The figure as plotly JSON, with the layout every chart shares: title top left,
    legend rows between the title and the plot, margins grown to fit the labels."""
    rows = legend_rows(fig)
    height += 24 * rows
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 1 - 8 / height,
               "yanchor": "top", "yref": "container"},
        height=height,
        margin={"l": 10, "r": 10, "t": 56 + 24 * rows, "b": 50},
        legend={"orientation": "h", "yref": "container", "y": 1 - 44 / height,
                "yanchor": "top", "x": 0, "xanchor": "left"},
    )  # fmt: skip
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    figure: dict[str, Any] = fig.to_plotly_json()
    figure["layout"].pop("template", None)
    return figure


def whole_numbers(fig: go.Figure, counts: Iterable[int], axis: str = "y") -> None:
    """Count axes show whole numbers only (no "2.5 roles")."""
    top = max(counts, default=0)
    settings: dict[str, Any] = {"rangemode": "tozero", "tickformat": ",d"}
    if top <= 10:
        settings["dtick"] = 1
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(**settings)


def known(values: Iterable[Any]) -> list[float]:
    return [float(v) for v in values if v is not None]


def _nice_width(span: float, target_bins: int) -> float:
    raw = max(span / target_bins, 1e-9)
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        if raw <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def bin_counts(
    values: Sequence[float], target_bins: int = 30
) -> tuple[list[float], list[int], float]:
    """Histogram of ``values`` on round bin edges: (left edges, counts, width)."""
    low, high = min(values), max(values)
    width = _nice_width(high - low, target_bins) if high > low else 1.0
    start = math.floor(low / width) * width
    nbins = int(math.floor((high - start) / width)) + 1
    counts = [0] * nbins
    for v in values:
        counts[min(int((v - start) // width), nbins - 1)] += 1
    return [start + i * width for i in range(nbins)], counts, width


def histogram(
    chart_id: str,
    title: str,
    values: list[float],
    x_title: str,
    unit_format: Callable[[float], str],
    caption: str,
) -> Chart:
    if not values:
        return Chart(chart_id, title, caption, None)
    edges, counts, width = bin_counts(values)
    labels = [f"{unit_format(e)}\u2013{unit_format(e + width)}" for e in edges]
    fig = go.Figure(
        go.Bar(
            x=[e + width / 2 for e in edges],
            y=counts,
            width=width * 0.95,
            customdata=labels,
            marker_color=PALETTE[0],
            hovertemplate="%{customdata}: %{y} roles<extra></extra>",
        )
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text="Number of roles")
    whole_numbers(fig, counts)
    return Chart(chart_id, title, caption, plotly_json(fig, title))


def usd(v: float) -> str:
    return f"${v:,.0f}"
