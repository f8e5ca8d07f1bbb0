"""The one verdict rule: how a run's counters, refused pages and data-quality failures
become its exit code and its problem lines (one line each, what cron mails).

Used by the crawl (``scraper.crawl``), the load (``pipeline.load``) and the refresh
(``pipeline.runs``); it lives below both so the crawl need not import the pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from schemas.columns import FAILED, TRIED
from schemas.errors import ExitCode
from schemas.views import ANSWERED

PARSE_PREFIX = "parse_"
"""``parse_issues.kind`` of a page that did not parse: ``parse_<ParseError kind>``."""


def failed_share(counters: Mapping[str, int], failed_parses: int = 0) -> tuple[int, int]:
    """``(failed, tried)`` pages of a run: fetch failures, blocks and pages that did not
    parse, out of every page tried. The same rule for ``careers crawl``, ``load`` and
    ``refresh``."""
    tried = sum(counters.get(k, 0) for k in TRIED)
    return sum(counters.get(k, 0) for k in FAILED) + failed_parses, tried


@dataclass
class Verdict:
    """How a run went: its exit code and, when it is not 0, what broke (one line each)."""

    exit_code: ExitCode = ExitCode.OK
    problems: list[str] = field(default_factory=list)

    def worsen(self, code: ExitCode, problem: str) -> None:
        self.exit_code = max(self.exit_code, code)
        self.problems.append(problem)


def judge_pages(
    failed: int, tried: int, dq_new: int, failed_fraction: float, detail: str = ""
) -> Verdict:
    """Exit 1 when ``failed`` pages exceed ``failed_fraction`` of the ``tried`` ones, or
    when the load found data-quality failures that the previous run did not have."""
    verdict = Verdict()
    if tried and failed / tried > failed_fraction:
        verdict.worsen(
            ExitCode.DEGRADED,
            f"{failed} of {tried} pages failed ({failed / tried:.1%} > {failed_fraction:.1%})"
            + (f": {detail}" if detail else ""),
        )
    if dq_new:
        verdict.worsen(ExitCode.DEGRADED, f"{dq_new} new data-quality failures")
    return verdict


def parse_failure_counts(kinds: Mapping[str, int]) -> dict[str, int]:
    """``{kind: pages}`` of the ``parse_*`` entries of ``kinds`` (``parse_issues`` kinds
    and counts), prefix dropped, most pages first."""
    return by_count(
        {k[len(PARSE_PREFIX) :]: n for k, n in kinds.items() if k.startswith(PARSE_PREFIX)}
    )


def describe_parse_failures(failures: Mapping[str, int]) -> str:
    """``20 pages failed to parse (markup_changed: 20)``; ``0 pages failed to parse``."""
    total = sum(failures.values())
    text = f"{total} {'page' if total == 1 else 'pages'} failed to parse"
    return f"{text} ({format_kinds(failures)})" if total else text


def judge(
    counters: Mapping[str, int],
    parse_failures: Mapping[str, int],
    dq_new: int,
    failed_fraction: float,
) -> Verdict:
    """``judge_pages`` for a crawl's counters plus the pages its load could not parse
    (``{kind: pages}``): a refused page is a failed page. Also exit 1 when the crawl held
    back pages answering 404/410 (``gone_held``); and exit 2, said in one line, when no
    page was answered because every one was deferred or refused (``nothing_fetched``)."""
    refused = nothing_fetched(counters)
    if refused:
        verdict = Verdict()
        verdict.worsen(ExitCode.FATAL, refused)
        return verdict
    failed, tried = failed_share(counters, sum(parse_failures.values()))
    detail = (
        f"{counters.get('failed', 0)} fetch failures, {counters.get('blocked', 0)} blocked, "
        f"{describe_parse_failures(parse_failures)}"
    )
    verdict = judge_pages(failed, tried, dq_new, failed_fraction, detail)
    if counters.get("gone_held", 0):
        verdict.worsen(ExitCode.DEGRADED, gone_held_problem(counters))
    return verdict


def gone_held_problem(counters: Mapping[str, int]) -> str:
    """``201 of 201 pages answered 404/410; not marking them gone ...``"""
    tried = sum(counters.get(k, 0) for k in TRIED)
    return (
        f"{counters.get('gone', 0)} of {tried} pages answered 404/410; not marking them gone "
        "(more than run.max_gone_fraction of the live comparisons) — is the base URL right?"
    )


REFUSED: tuple[str, ...] = ("deferred", "blocked", "robots_skipped")
"""Outcomes of a page the site (or robots.txt) did not let us have."""


def nothing_fetched(counters: Mapping[str, int]) -> str | None:
    """Why a run got no page although it had some to get: every one was deferred or
    refused, or answered 404/410 with none marked gone for it to hold back (a first run
    against a wrong base URL); None when some page answered with a body or a 304."""
    bodies = sum(counters.get(k, 0) for k in ANSWERED if k != "gone")
    refused = {k: counters.get(k, 0) for k in REFUSED if counters.get(k, 0)}
    gone = 0 if counters.get("gone_held", 0) else counters.get("gone", 0)
    if bodies or not (refused or gone):
        return None
    said = [f"{n} {_REFUSED_AS[k]}" for k, n in refused.items()]
    if gone:
        said.append(f"{gone} answered 404/410 (is the base URL right?)")
    return f"no page fetched: {', '.join(said)}"


_REFUSED_AS = {
    "deferred": "deferred (Retry-After above retries.retry_after_cap)",
    "blocked": "blocked (403, 429 or block pages)",
    "robots_skipped": "disallowed by robots.txt",
}


def by_count(counts: Mapping[str, int]) -> dict[str, int]:
    """``counts`` most first, then by name."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def format_kinds(counts: Mapping[str, int]) -> str:
    """``markup_changed: 20, truncated: 1`` (most first)."""
    return ", ".join(f"{kind}: {n}" for kind, n in by_count(counts).items())
