"""The report's charts: plotly figures built from query results, each with its caption.

Charts are aggregated or capped before they reach the page (histograms are binned,
rankings keep their top rows, scatters are sampled), so the page stays small and fast
with tens of thousands of comparisons. A missing figure is left out of a chart and
counted in its caption; it is never drawn as zero.

``figure`` holds what every chart shares (``Chart``, colours, layout, histograms);
``salaries``, ``comparisons``, ``people`` and ``education`` the charts of the report's
sections of those names.
"""

from pipeline.report.charts.comparisons import comparison_charts, figures_say
from pipeline.report.charts.education import most_common
from pipeline.report.charts.figure import Chart, bin_counts
from pipeline.report.charts.people import age_distribution, composition, experience_distribution
from pipeline.report.charts.salaries import hourly_vs_yearly, salary_distribution, salary_ranges

__all__ = [
    "Chart",
    "age_distribution",
    "bin_counts",
    "comparison_charts",
    "composition",
    "experience_distribution",
    "figures_say",
    "hourly_vs_yearly",
    "most_common",
    "salary_distribution",
    "salary_ranges",
]
