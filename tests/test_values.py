"""The cell and sentence value parsers: properties over generated values, plus the page's own
examples."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scraper import values
from scraper.text import INVISIBLE
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
_letters = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=9
)
_words = st.one_of(
    _letters,
    st.builds("{}{}{}".format, _letters, st.sampled_from("'\u2019/&-"), _letters),  # R&D
)
labels = st.builds(
    lambda words, paren: " ".join(words + ([f"({paren})"] if paren else [])),
    st.lists(_words, min_size=1, max_size=5),
    st.one_of(st.none(), _letters),
).filter(
    lambda label: (
        label.lower() not in values.NULL_MARKERS
        and "and" not in (label.split()[0].lower(), label.split()[-1].lower())
    )
)
"""Labels as pages spell them: "Bachelor's Degree", "Black or African American", "R&D
(Lab)"."""


@given(
    st.text(alphabet=st.characters(max_codepoint=0x3000), max_size=20),
    st.integers(min_value=0, max_value=400),
)
def test_clean_collapses_whitespace_in_short_and_long_texts(text, padding):
    for sample in (text, "w" * padding + text, text + "w" * padding, "w " * padding + text):
        shown = "".join(c for c in sample if c not in INVISIBLE)
        assert values.clean(sample) == " ".join(shown.split())


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


LABEL_FIRST = [
    "{label}, {pct}%",
    "{label} {pct}%",
    "{label}: {pct}%",
    "{label} ({pct}%)",
    "{label} - {pct}%",
    "{label} \u2013 {pct} %",
]
SHARE_FIRST = ["{pct}% {label}", "{pct}%: {label}", "({pct}%) {label}"]
BETWEEN = [" ", "  ", "\n", "\xa0", ", ", "; ", " | ", " \u2022 ", " and "]
"""What may separate pairs: the spaces the grid reader puts between a cell's text leaves
(``<br>``, ``<li>``, spans), and what pages write."""


@st.composite
def share_lists(draw, lower_unique=False):
    """(shares as a list of (label, pct) adding up to at most 100, how a pair is written,
    what separates pairs)."""
    count = draw(st.integers(min_value=1, max_value=7))
    unique = (lambda label: label.lower()) if lower_unique else (lambda label: label)
    names = draw(st.lists(labels, min_size=count, max_size=count, unique_by=unique))
    tenths_ = draw(st.lists(st.integers(0, 1000 // count), min_size=count, max_size=count))
    pair = draw(st.sampled_from(LABEL_FIRST + SHARE_FIRST))
    between = draw(st.sampled_from(BETWEEN + ([""] if pair in LABEL_FIRST else [])))
    return list(zip(names, (t / 10 for t in tenths_), strict=True)), pair, between


def render(shares, pair, between, shown=lambda pct: f"{pct:g}"):
    return between.join(pair.format(label=label, pct=shown(pct)) for label, pct in shares)


@given(share_lists(), st.sampled_from([lambda pct: f"{pct:g}", str]))
def test_share_lists_read_back_whatever_separates_the_parts(case, shown):
    shares, pair, between = case
    text = render(shares, pair, between, shown)
    read = values.parse_pct_list(text)
    assert list(read.items()) == shares, text


@given(share_lists(lower_unique=True))
def test_share_list_labels_lower_cased(case):
    shares, pair, between = case
    read = values.parse_pct_list(render(shares, pair, between), lower=True)
    assert list(read.items()) == [(label.lower(), pct) for label, pct in shares]


@given(share_lists(), st.data())
def test_a_share_without_its_label_or_a_label_without_its_share_is_refused(case, data):
    shares, pair, between = case
    k = data.draw(st.integers(0, len(shares) - 1))
    without_label = [(label if i != k else "", pct) for i, (label, pct) in enumerate(shares)]
    with pytest.raises(ValueError):
        values.parse_pct_list(render(without_label, pair, between))
    if pair in ("{label}, {pct}%", "{label}: {pct}%", "{label} - {pct}%"):
        # a label that loses its share runs into the next one: told apart by the separator
        parts = [pair.format(label=label, pct=f"{pct:g}") for label, pct in shares]
        parts[k] = parts[k].split("{pct}".format(pct=f"{shares[k][1]:g}"))[0]
        with pytest.raises(ValueError):
            values.parse_pct_list(between.join(parts))


@given(
    labels, st.integers(0, 1000).map(lambda t: t / 10), st.sampled_from(LABEL_FIRST + SHARE_FIRST)
)
def test_labelled_percentage_whatever_separates_label_and_share(label, pct, pair):
    assert values.parse_labelled_pct(pair.format(label=label, pct=f"{pct:g}")) == (label, pct)
    assert values.parse_labelled_pct(label) == (label, None)


GENDER = {"male": 50.2, "female": 49.8}
RACE = [
    ("Black or African American", 6.2),
    ("Unknown", 4.3),
    ("Hispanic or Latino", 15.2),
    ("Asian", 6.4),
    ("White", 67.4),
    ("American Indian and Alaska Native", 0.5),
]


@pytest.mark.parametrize(
    "text",
    [
        "Bachelor's Degree, 56%",
        "Bachelor's Degree 56%",
        "Bachelor's Degree: 56%",
        "Bachelor's Degree (56%)",
        "Bachelor's Degree - 56%",
        "56% Bachelor's Degree",
        "Bachelor's\xa0Degree,\n 56 %",
    ],
)
def test_degree_and_share_examples(text):
    assert values.parse_labelled_pct(text) == ("Bachelor's Degree", 56)


@pytest.mark.parametrize(
    "text",
    [
        "Male, 50.2% Female, 49.8%",
        "Male 50.2% Female 49.8%",
        "Male: 50.2%; Female: 49.8%",
        "Male (50.2%) Female (49.8%)",
        "50.2% Male 49.8% Female",
        "Male, 50.2%, Female, 49.8%",
        "Male 50.2% | Female 49.8%",
        "Male 50.2% and Female 49.8%",
    ],
)
def test_gender_examples(text):
    assert values.parse_pct_list(text, lower=True) == GENDER


@pytest.mark.parametrize("between", [" ", "", "; ", "\n"])
@pytest.mark.parametrize("pair", ["{label}, {pct}%", "{label} {pct}%", "{pct}% {label}"])
def test_race_list_from_the_page(pair, between):
    if pair.startswith("{pct}") and not between:
        return
    text = render(RACE, pair, between)
    assert list(values.parse_pct_list(text).items()) == RACE


@pytest.mark.parametrize(
    "text",
    [
        "50.2% 49.8%",  # no labels
        "56%",
        "Male 50.2% Female",  # a label without its share
        "Female Male 50.2%, 49.8%",
        "Male 50.2% 49.8%",  # a share without its label
        "Male, 50.2% Other, Female, 49.8%",
        "Male 50.2% Male 49.8%",  # one label, two shares
        "Male 50.2% male 49.8%",
        "Male 150%",
        "Male 60% Female 60%",  # more than 100.5% in all
        "A 50.3% B 50.3%",
        "Male -5% Female 5%",  # a share below 0
        "Male \u22125% Female 5%",
        "Male 50.2 Female 49.8%",  # a share without its % sign
        "Male50.2% Female49.8%",
        "Male, 50.2% and then some words",
        "( 5%",
        "% Male",
    ],
)
def test_ambiguous_or_malformed_share_lists_are_refused(text):
    with pytest.raises(ValueError):
        values.parse_pct_list(text, lower=True)


@pytest.mark.parametrize(
    "text",
    [
        "56%",
        "Bachelor's Degree 56",
        "Bachelor's Degree 56% Master's Degree 20%",
        "Bachelor's Degree, 156%",
        "Bachelor's Degree -56%",
        "Bachelor's Degree, 56% of them",
        "%",
    ],
)
def test_ambiguous_or_malformed_labelled_percentages_are_refused(text):
    with pytest.raises(ValueError):
        values.parse_labelled_pct(text)


def test_share_lists_that_add_up_to_100_5_or_repeat_a_pair_are_read():
    assert values.parse_pct_list("A 50.2% B 50.3%") == {"A": 50.2, "B": 50.3}
    assert values.parse_pct_list("Male 50% Male 50%") == {"Male": 50}


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


@given(st.text(alphabet="ab AB,;:|()-%.059\n", max_size=40))
def test_share_parsers_never_return_an_out_of_range_share_or_an_empty_label(text):
    for parse in (values.parse_pct_list, values.parse_labelled_pct):
        try:
            read = parse(text)
        except ValueError:
            continue
        pairs = list(read.items()) if isinstance(read, dict) else [read] if read else []
        for label, pct in pairs:
            assert any(c.isalpha() for c in label) and "%" not in label
            assert pct is None or 0 <= pct <= 100
        if isinstance(read, dict):
            assert sum(read.values()) <= 100.5


@pytest.mark.parametrize(
    "text",
    ["56% of workers hold a Bachelor's Degree", "40% are women", "12% in the largest city of all"],
)
def test_a_sentence_about_a_share_is_no_label(text: str) -> None:
    with pytest.raises(ValueError):
        values.parse_labelled_pct(text)
