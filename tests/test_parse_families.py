"""Every markup family the demo site's generator renders, parsed: each family x variant x
size gives the record the page was made from, each hard case is read correctly or refused,
and each kind of bad page is refused in every family."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demosite.generator import FAMILIES, HARD_CASES, SIZES, VARIANTS, GeneratedPage, generate_page
from schemas.errors import ParseError
from scraper.grid import LABELS
from scraper.parse import parse_page

SEED = 11


def figures(page: GeneratedPage) -> dict:
    """The record without its parser version and warnings: what the page shows."""
    record = page.expected.model_dump()
    record.pop("parser_version")
    record.pop("warnings")
    return record


def parsed(page: GeneratedPage) -> dict:
    record = parse_page(page.html, page.expected.url).model_dump()
    record.pop("parser_version")
    record.pop("warnings")
    return record


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_and_variant_parses_to_its_record(family: str, variant: str, size: str):
    for index in range(0, 60, 12 if size == "small" else 30):
        page = generate_page(SEED, index, family=family, variant=variant, size=size)
        assert parsed(page) == figures(page), f"page {index}"


@pytest.mark.parametrize("hard", HARD_CASES)
@pytest.mark.parametrize("family", FAMILIES)
def test_hard_cases_are_read_correctly_or_refused(family: str, hard: str):
    """Never a wrong value: the record is the page's, except that a value the page no
    longer ties to one role (``damaged_fields``) may be null."""
    read = 0
    for index in range(0, 40, 8):
        page = generate_page(SEED, index, family=family, variant=VARIANTS[index % 5], hard=hard)
        try:
            got = parsed(page)
        except ParseError as refused:
            assert refused.kind == "markup_changed", refused
            continue
        read += 1
        want = figures(page)
        for side in ("a", "b"):
            for name, value in want["sides"][side].items():
                shown = got["sides"][side][name]
                if f"{side}.{name}" in page.damaged_fields and shown is None:
                    continue
                assert shown == value, (index, side, name)
        assert {k: v for k, v in got.items() if k != "sides"} == {
            k: v for k, v in want.items() if k != "sides"
        }
    if hard != "missing_cell":
        assert read == 5, "only a missing cell may make a page unreadable"


def renamed_labels(html: str) -> str:
    """Every row label spelled as a label the parser does not know."""
    for number, label in enumerate(sorted(LABELS, key=len, reverse=True)):
        words = r"(?:\s|&nbsp;|&#160;)+".join(map(re.escape, label.split()))
        html = re.sub(rf"(?<![\w-]){words}(?![\w-])", f"Figure {number}", html, flags=re.I)
    return html


def without_grids(html: str) -> str:
    """The comparison sections cut down to their headings (the grids gone)."""
    for section in ("overview", "salary", "education", "demographics"):
        heading = re.search(rf"{section}</(?:h\d|div)>", html)
        assert heading is not None, section
        end = html.index("</section>", heading.end())
        html = html[: heading.end()] + html[end:]
    return html


def blocked(html: str) -> str:
    """A block page where the comparison was: title and heading say so, the grid is gone."""
    html = re.sub(r"<title>.*?</title>", "<title>Access denied</title>", html, flags=re.S)
    html = re.sub(r"<h1([^>]*)>.*?</h1>", r"<h1\1>Please verify you are human</h1>", html)
    return without_grids(html)


@pytest.mark.parametrize(
    ("kind", "spoil"),
    [
        ("truncated", lambda html: html[: len(html) // 2]),
        ("not_a_comparison", blocked),
        ("no_tables", without_grids),
        ("markup_changed", renamed_labels),
    ],
    ids=["truncated", "not_a_comparison", "no_tables", "markup_changed"],
)
@pytest.mark.parametrize("family", FAMILIES)
def test_each_bad_page_kind_is_refused_in_every_family(family: str, kind: str, spoil) -> None:
    for index, variant in ((3, "seed"), (7, "entities"), (12, "shuffled")):
        page = generate_page(SEED, index, family=family, variant=variant, size="small")
        with pytest.raises(ParseError) as caught:
            parse_page(spoil(page.html), page.expected.url)
        assert caught.value.kind == kind, caught.value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(min_value=0, max_value=5000),
    family=st.sampled_from(FAMILIES),
    variant=st.sampled_from(VARIANTS),
    revision=st.integers(min_value=0, max_value=3),
)
def test_any_generated_record_in_any_family_parses_back(
    index: int, family: str, variant: str, revision: int
) -> None:
    page = generate_page(
        SEED, index, family=family, variant=variant, size="small", revision=revision
    )
    assert parsed(page) == figures(page)
