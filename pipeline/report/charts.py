"""The report's charts: plotly figures built from query results, each with its caption.

Charts are aggregated or capped before they reach the page (histograms are binned here,
rankings keep their top rows, scatters are sampled), so the page stays small and fast
with tens of thousands of comparisons. A missing figure is left out of a chart and
counted in its caption; it is never drawn as zero.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pipeline.report.queries import Row

HOURS_PER_YEAR = 2080
HOURLY_TOLERANCE = 0.05
SCATTER_SAMPLE = 2000
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


def _n(value: int) -> str:
    return f"{value:,}"


def _plural(count: int, word: str) -> str:
    return f"{_n(count)} {word}" + ("" if count == 1 else "s")


def _short(text: str, width: int = 42) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


LEGEND_WIDTH = 480
"""Pixels a legend row may take: charts sit two to a row on a laptop screen."""


def _legend_rows(fig: go.Figure) -> int:
    names = [t.name for t in fig.data if t.name and t.showlegend is not False]
    if len(names) < 2:
        return 0
    return math.ceil(sum(7 * len(n) + 45 for n in names) / LEGEND_WIDTH)


def _figure(fig: go.Figure, title: str, height: int = 420) -> dict[str, Any]:
    """The figure as plotly JSON, with the layout every chart shares: title top left,
    legend rows between the title and the plot, margins grown to fit the labels."""
    rows = _legend_rows(fig)
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


def _whole_numbers(fig: go.Figure, counts: Iterable[int], axis: str = "y") -> None:
    """Count axes show whole numbers only (no "2.5 roles")."""
    top = max(counts, default=0)
    settings: dict[str, Any] = {"rangemode": "tozero", "tickformat": ",d"}
    if top <= 10:
        settings["dtick"] = 1
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(**settings)


def _known(values: Iterable[Any]) -> list[float]:
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


def _histogram(
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
    _whole_numbers(fig, counts)
    return Chart(chart_id, title, caption, _figure(fig, title))


def _usd(v: float) -> str:
    return f"${v:,.0f}"


# --- salaries ---------------------------------------------------------------------------


def salary_distribution(roles: list[Row]) -> Chart:
    values = _known(r.get("average_salary_usd") for r in roles)
    missing = len(roles) - len(values)
    caption = (
        f"How many roles fall in each band of average salary, from the latest figures of "
        f"{_plural(len(values), 'role')}"
        + (f"; {_n(missing)} without an average salary are left out." if missing else ".")
    )
    return _histogram(
        "salary-distribution",
        "Distribution of average salaries across roles",
        values,
        "Average salary (USD per year)",
        _usd,
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
        labels = [_short(r["title"]) for r in reversed(group)]
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
        f"highest- and lowest-paid of {_plural(len(ranked), 'role')} with an average salary"
        + (f"; {_n(no_range)} shown without a range have none on record." if no_range else ".")
    )
    height = 160 + 24 * (len(top) + len(bottom))
    return Chart("salary-ranges", title, caption, _figure(fig, title, height=height))


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
                name=f"{name} ({_n(len(good) if group is shown_good else len(bad))})",
                marker={"color": color, "size": 6 if group is shown_good else 8, "opacity": 0.7},
                hovertemplate="%{customdata}<br>$%{x:,.0f}/year, $%{y:.2f}/hour<extra></extra>",
            )
        )
    fig.update_xaxes(title_text="Yearly salary (USD per year)")
    fig.update_yaxes(title_text="Hourly rate (USD per hour)")
    sampled = (
        f" (a sample of {_n(len(shown_good))} of the {_n(len(good))} consistent ones is drawn)"
        if len(shown_good) < len(good)
        else ""
    )
    caption = (
        f"Whether each role's hourly rate matches its yearly salary / 2,080 hours: "
        f"{_n(len(good))} of {_plural(len(both), 'role')} with both figures are within 5%, "
        f"{_n(len(bad))} are not{sampled}."
    )
    return Chart("hourly-yearly", title, caption, _figure(fig, title))


# --- comparisons ------------------------------------------------------------------------


def salary_gaps(comparisons: list[Row], top: int = 20) -> Chart:
    title = f"The {top} largest salary gaps between compared roles"
    both = [
        c
        for c in comparisons
        if c.get("a_yearly_salary_usd") is not None and c.get("b_yearly_salary_usd") is not None
    ]
    if not both:
        return Chart("salary-gaps", title, "No comparison has both yearly salaries.", None)
    largest = sorted(
        both, key=lambda c: (-abs(c["a_yearly_salary_usd"] - c["b_yearly_salary_usd"]), c["url"])
    )[:top]
    ordered = list(reversed(largest))
    labels = [f"{_short(c['a_title'], 30)} vs {_short(c['b_title'], 30)}" for c in ordered]
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
        f"Both roles' yearly salaries for the {_n(len(largest))} comparison pages with the "
        f"widest gap, of {_plural(len(both), 'page')} with both salaries "
        f"({_n(len(comparisons) - len(both))} lack one)."
    )
    return Chart("salary-gaps", title, caption, _figure(fig, title, height=140 + 26 * len(largest)))


def figures_say(c: Row) -> str | None:
    """Which side the yearly salaries say earns more; ``None`` when one is missing or equal."""
    a, b = c.get("a_yearly_salary_usd"), c.get("b_yearly_salary_usd")
    if a is None or b is None or a == b:
        return None
    return "a" if a > b else "b"


def higher_paid(comparisons: list[Row]) -> Chart:
    title = "Which side earns more, as the page states it"
    if not comparisons:
        return Chart("higher-paid", title, "No comparisons.", None)
    stated_names = {"a": "Role A", "b": "Role B", None: "Not stated"}
    agreement: Counter[tuple[str | None, str]] = Counter()
    for c in comparisons:
        says = figures_say(c)
        if says is None:
            verdict = "salaries missing or equal"
        elif c.get("higher_paid") is None:
            verdict = "salaries say " + ("Role A" if says == "a" else "Role B")
        else:
            verdict = "salaries agree" if says == c["higher_paid"] else "salaries disagree"
        agreement[(c.get("higher_paid"), verdict)] += 1
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
    _whole_numbers(fig, [sum(v for (s, _), v in agreement.items() if s == k) for k in categories])
    disagree = sum(v for (_, verdict), v in agreement.items() if verdict == "salaries disagree")
    caption = (
        f"Which role each of {_plural(len(comparisons), 'comparison page')} says earns more, "
        f"coloured by whether its two yearly salaries agree; {_n(disagree)} disagree."
    )
    return Chart("higher-paid", title, caption, _figure(fig, title))


# --- people -----------------------------------------------------------------------------


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
        f"{_short(r['title'], 36)} ({r['comparisons_seen']} pages"
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
        f"{noun.capitalize()} shares of workers in the {_plural(len(roles), 'role')} seen on "
        f"the most comparison pages ({_n(with_data)} with {noun} data), from each role's "
        "latest figures."
    )
    return Chart(chart_id, title, caption, _figure(fig, title, height=150 + 24 * len(roles)))


def age_distribution(roles: list[Row]) -> Chart:
    values = _known(r.get("average_age") for r in roles)
    return _histogram(
        "age",
        "Average age of workers, across roles",
        values,
        "Average age of workers in the role (years)",
        lambda v: f"{v:g}",
        f"How many roles have each average worker age, of {_plural(len(values), 'role')} with "
        f"an average age ({_n(len(roles) - len(values))} without one are left out).",
    )


def experience_distribution(roles: list[Row]) -> Chart:
    values = _known(r.get("years_of_experience") for r in roles)
    return _histogram(
        "experience",
        "Years of experience, across roles",
        values,
        "Years of experience (years)",
        lambda v: f"{v:g}",
        f"How many roles ask for each number of years of experience, of "
        f"{_plural(len(values), 'role')} with the figure ({_n(len(roles) - len(values))} "
        "without one are left out).",
    )


# --- education --------------------------------------------------------------------------


def most_common(chart_id: str, roles: list[Row], column: str, noun: str, top: int = 15) -> Chart:
    title = f"Most common {noun}s across roles"
    values = [r[column] for r in roles if r.get(column)]
    if not values:
        return Chart(chart_id, title, f"No role has a most common {noun}.", None)
    counted = Counter(values).most_common(top)
    ordered = list(reversed(counted))
    fig = go.Figure(
        go.Bar(
            y=[_short(v, 36) for v, _ in ordered],
            x=[n for _, n in ordered],
            customdata=[v for v, _ in ordered],
            orientation="h",
            marker_color=PALETTE[0],
            hovertemplate="%{customdata}: most common for %{x} roles<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="Number of roles")
    fig.update_yaxes(title_text=noun.capitalize())
    _whole_numbers(fig, (n for _, n in counted), axis="x")
    caption = (
        f"How many roles have each {noun} as their most common, top {len(counted)} of "
        f"{_n(len(set(values)))} distinct, from {_plural(len(values), 'role')} with one "
        f"({_n(len(roles) - len(values))} without)."
    )
    return Chart(chart_id, title, caption, _figure(fig, title, height=150 + 24 * len(counted)))
