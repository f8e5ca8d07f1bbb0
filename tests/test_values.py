"""The cell and sentence value parsers: properties over generated values, plus the page's own
examples."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from scraper import values
from scraper.urls import slugify

NULLS = ["-", "", "  ", "N/A", "n/a", "NA", "\u2013", "\u2014", "\xa0-\xa0"]
PARSERS = [
    values.parse_money,
    values.parse_number,
    values.parse_percent,
    values.parse_years,
    values.parse_rating,
    values.parse_money_range,
    values.parse_labelled_pct,
    values.parse_pct_list,
]

amounts = st.integers(min_value=0, max_value=10**9)
tenths = st.integers(min_value=-1000, max_value=1000).map(lambda n: n / 10)
spaces = st.sampled_from(["", " ", "  ", "\xa0", "\n"])
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'/()&", min_size=1)
labels = st.lists(words, min_size=1, max_size=4).map(" ".join)


@given(
    st.text(alphabet=st.characters(max_codepoint=0x3000), max_size=20),
    st.integers(min_value=0, max_value=400),
)
def test_clean_collapses_whitespace_in_short_and_long_texts(text, padding):
    for sample in (text, "w" * padding + text, text + "w" * padding, "w " * padding + text):
        assert values.clean(sample) == " ".join(sample.split())


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("text", NULLS)
def test_null_markers_are_none_never_zero(parse, text):
    assert parse(text) is None


@pytest.mark.parametrize("parse", PARSERS[:6])
@pytest.mark.parametrize("text", ["abc", "12 apples", "$", "1,2,3", "Male, 50%"])
def test_text_that_is_not_a_value_raises(parse, text):
    with pytest.raises(ValueError):
        parse(text)


@given(amounts, spaces, spaces)
def test_money_with_thousands_separators(n, before, after):
    assert values.parse_money(f"{before}${n:,}{after}") == n
    assert values.parse_money(f"${n}") == n


@given(st.integers(min_value=0, max_value=10**7))
def test_money_with_cents(cents):
    assert values.parse_money(f"${cents / 100:,.2f}") == pytest.approx(cents / 100, abs=1e-9)


@given(st.integers(min_value=1, max_value=99_999), st.sampled_from(["K", "k", "M", "B"]))
def test_money_with_suffix_is_exact(tenths_, suffix):
    shown = Decimal(tenths_) / 10
    multiplier = {"K": 10**3, "k": 10**3, "M": 10**6, "B": 10**9}[suffix]
    assert values.parse_money(f"${shown}{suffix}") == float(shown * multiplier)


@given(amounts)
def test_plain_numbers_with_commas(n):
    assert values.parse_number(f"{n:,}") == n


@given(tenths, spaces, st.sampled_from(["-", "\u2212"]))
def test_percentages_including_negative(x, space, minus):
    shown = f"{x}".replace("-", minus)
    assert values.parse_percent(f"{shown}{space}%") == x


@given(
    amounts,
    amounts,
    st.sampled_from(
        [
            "Between ${lo:,} And ${hi:,}",
            "between ${lo} and ${hi}",
            "${lo:,} - ${hi:,}",
            "${lo:,} to ${hi:,}",
        ]
    ),
)
def test_salary_ranges(a, b, template):
    lo, hi = min(a, b), max(a, b)
    assert values.parse_money_range(template.format(lo=lo, hi=hi)) == (lo, hi)


def test_salary_range_with_suffixes():
    assert values.parse_money_range("Between $48K And $98.5K") == (48_000, 98_500)
    assert values.parse_money_range("$1.2M-$2M") == (1_200_000, 2_000_000)


def at_most_100(shares: dict[str, float]) -> dict[str, float]:
    """Shares scaled so that they add up to at most 100%, as a page's do."""
    return {label: round(pct / len(shares), 1) for label, pct in shares.items()}


@given(
    st.dictionaries(labels, tenths.map(abs), min_size=1, max_size=7).map(at_most_100),
    st.sampled_from(["", " ", "  ", "\n", "\xa0"]),
)
def test_label_pct_lists_whatever_separates_the_parts(shares, separator):
    text = separator.join(f"{label}, {pct}%" for label, pct in shares.items())
    assert values.parse_pct_list(text) == shares
    lowered = {label.lower(): pct for label, pct in shares.items()}
    if len(lowered) == len(shares):
        assert values.parse_pct_list(text, lower=True) == lowered


def test_label_pct_list_from_the_page():
    text = "Male, 50.2% Female, 49.8%"
    assert values.parse_pct_list(text, lower=True) == {"male": 50.2, "female": 49.8}
    with pytest.raises(ValueError):
        values.parse_pct_list("Male, 50.2% and then some words")


@given(labels, tenths.map(abs))
def test_labelled_percentage(label, pct):
    assert values.parse_labelled_pct(f"{label}, {pct}%") == (label, pct)
    assume(label.lower() not in values.NULL_MARKERS)
    assert values.parse_labelled_pct(label) == (label, None)


@given(
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=40),
    st.sampled_from([("year", 12), ("years", 12), ("month", 1), ("months", 1)]),
    st.sampled_from(["-", "\u2013", " to ", " - "]),
)
def test_time_ranges_in_months(a, b, unit, dash):
    lo, hi = min(a, b), max(a, b)
    word, per = unit
    assert values.parse_time_range(f"takes {lo}{dash}{hi} {word} to") == (lo * per, hi * per)
    assert values.parse_time_range(f"{lo} {word}") == (lo * per, lo * per)


@pytest.mark.parametrize(
    "text, months",
    [
        ("It typically takes 4-6 years to become", (48, 72)),
        ("takes 1-3 months to become", (1, 3)),
        ("usually requires 6-12 months.", (6, 12)),
        ("less than 1 year", (0, 12)),
        ("no time at all", None),
    ],
)
def test_time_range_examples(text, months):
    assert values.parse_time_range(text) == months


def test_page_examples():
    assert values.parse_money("$69,350") == 69350
    assert values.parse_money("$69.3K") == 69300
    assert values.parse_money("$1.2M") == 1_200_000
    assert values.parse_money("$33.34") == 33.34
    assert values.parse_number("249,856") == 249856
    assert values.parse_percent("6%") == 6
    assert values.parse_percent("-3%") == -3
    assert values.parse_years("44") == 44
    assert values.parse_years("6 years") == 6
    assert values.parse_rating("3.5/5") == 3.5
    assert values.parse_money_range("Between $48,000 And $98,000") == (48000, 98000)
    assert values.parse_labelled_pct("Bachelor's Degree, 56%") == ("Bachelor's Degree", 56)


_SLUG = re.compile(r"^[^&,'().\s/A-Z]*$")


@given(st.text(alphabet="abcXYZ019 &,'().-/\t", max_size=40))
def test_slugs_follow_the_site_rules(title):
    slug = slugify(title)
    assert _SLUG.match(slug)
    assert "--" not in slug
    assert not slug.startswith("-") and not slug.endswith("-")
    assert slugify(slug) == slug


@pytest.mark.parametrize(
    "title, slug",
    [
        ("Customer Service/Operations Manager", "customer-service-operations-manager"),
        ("Operations Project Manager", "operations-project-manager"),
        ("Research & Development (R&D) Engineer, Sr.", "research-development-rd-engineer-sr"),
        ("Editor's Assistant / Intern", "editors-assistant-intern"),
    ],
)
def test_slug_examples(title, slug):
    assert slugify(title) == slug
