"""The page generator: deterministic, realistic, internally consistent, and varied in
every way the parse issue lists."""

from __future__ import annotations

import re

import pytest

from demosite import vocab
from demosite.generator import (
    SEED_PATH,
    SEED_SLUGS,
    VARIANTS,
    Catalog,
    catalog,
    generate_page,
    role_figures,
    seed_page,
)
from scraper.urls import comparison_path, slugify

SEED = 7
PAGES = [generate_page(SEED, i, size="small") for i in range(240)]


def test_same_seed_same_pages_other_seed_other_pages() -> None:
    again = generate_page(SEED, 5, size="small")
    assert again.html == PAGES[5].html
    assert again.expected == PAGES[5].expected
    assert generate_page(SEED + 1, 5, size="small").html != PAGES[5].html


def test_catalog_is_prefix_stable_and_pairs_unique() -> None:
    fresh = Catalog(SEED)
    late_first = [fresh.pair(i) for i in range(300, 280, -1)]
    assert late_first == [catalog(SEED).pair(i) for i in range(300, 280, -1)]
    pairs = [catalog(SEED).pair(i) for i in range(2000)]
    assert len(set(pairs)) == len(pairs)
    assert all(a != b for a, b in pairs)
    both_orders = {p for p in pairs if (p[1], p[0]) in set(pairs)}
    assert len(both_orders) >= 40
    assert comparison_path(*catalog(SEED).pair(0)) != SEED_PATH
    index = catalog(SEED).index_of(*pairs[1234])
    assert index == 1234


def test_values_are_consistent() -> None:
    cities = set(vocab.CITIES)
    for page in PAGES:
        record = page.expected
        assert record.role_a.slug == slugify(record.role_a.title) == page.slug_a
        assert record.role_b.slug == slugify(record.role_b.title) == page.slug_b
        assert page.path == f"/{page.slug_a}-jobs/{page.slug_a}-vs-{page.slug_b}-differences/"
        for side in (record.sides.a, record.sides.b):
            low, avg, high = (
                side.salary_range_low_usd,
                side.average_salary_usd,
                side.salary_range_high_usd,
            )
            assert low is not None and avg is not None and high is not None
            assert low <= avg <= high
            assert side.yearly_salary_usd == avg
            assert side.hourly_rate_usd == round(avg / 2080, 2)
            if side.gender_pct is not None:
                assert round(sum(side.gender_pct.values()), 1) == 100.0
                assert set(side.gender_pct) == {"male", "female"}
            if side.race_pct is not None:  # the real seed roles' shares sum to 99.9
                assert abs(sum(side.race_pct.values()) - 100.0) <= (
                    0.1 + 1e-9 if {page.slug_a, page.slug_b} & set(SEED_SLUGS) else 1e-9
                )
                assert set(side.race_pct) == set(vocab.RACE_LABELS)
            assert side.highest_paying_city in cities
            assert re.fullmatch(r"[A-Z][\w .'-]+, [A-Z]{2}", side.highest_paying_city or "")
            assert len(side.top_skills) == 3
            if side.months_to_become is not None:
                assert 0 < side.months_to_become.min < side.months_to_become.max


def test_a_role_shows_the_same_figures_on_every_page() -> None:
    seen: dict[str, dict] = {}
    for page in PAGES:
        for slug, side in (
            (page.slug_a, page.expected.sides.a),
            (page.slug_b, page.expected.sides.b),
        ):
            figures = side.model_dump(exclude={"months_to_become"})
            assert seen.setdefault(slug, figures) == figures
            assert figures == role_figures(SEED, slug).model_dump(exclude={"months_to_become"})
    assert sum(1 for page in PAGES if page.slug_a in seen) > len(seen) // 2


def test_pages_cover_every_phrasing_and_value_shape() -> None:
    def flat(page):  # the page's text with entities and tags collapsed, good enough to grep
        return re.sub(r"\s+", " ", page.html.replace("&nbsp;", " ").replace("&#36;", "$"))

    texts = [flat(p) for p in PAGES]
    assert {p.variant for p in PAGES} == set(VARIANTS)
    assert any("to become both" in t for t in texts)
    assert any("While it typically takes" in t for t in texts)
    assert {p.expected.higher_paid for p in PAGES} == {"a", "b", None}
    equally_paid = [
        p
        for p in PAGES
        if p.expected.sides.a.average_salary_usd == p.expected.sides.b.average_salary_usd
    ]
    assert len(equally_paid) >= 3 and all(p.expected.higher_paid is None for p in equally_paid)
    # the apart phrasing sometimes names side b first
    b_first = [
        p
        for p, t in zip(PAGES, texts, strict=True)
        if "While it typically takes" in t
        and re.search(r"While it typically takes \S+ \w+ to become an? (.+?), becoming", t)[1]
        == p.title_b.lower()
    ]
    assert b_first
    no_time = [p for p in PAGES if p.expected.sides.a.months_to_become is None]
    assert no_time and all(p.expected.sides.b.months_to_become is None for p in no_time)
    sides = [s for p in PAGES for s in (p.expected.sides.a, p.expected.sides.b)]
    assert any(s.description is None for s in sides)
    assert any(s.description for s in sides)
    assert any(s.job_satisfaction is None for s in sides)
    assert any(s.growth_rate_pct is not None and s.growth_rate_pct < 0 for s in sides)
    nullable = {name for s in sides for name, value in s if value is None}
    assert {"job_satisfaction", "description", "months_to_become"} < nullable
    assert len(nullable - {"job_satisfaction", "description", "months_to_become"}) >= 4
    titles = {p.title_a for p in PAGES} | {p.title_b for p in PAGES}
    for ch in "/&'(,":
        assert any(ch in t for t in titles), ch


def test_variants_carry_their_markup() -> None:
    pages = {
        v: generate_page(SEED, 3, family="rows", variant=v, size="small").html for v in VARIANTS
    }
    assert pages["seed"].count("<thead>") == 4 and "<div>Male, " in pages["seed"]
    assert "<thead>" not in pages["classic"] and "<th class" in pages["classic"]
    assert "Male, " in pages["classic"] and "<br>" in pages["classic"]
    assert "Between $" in pages["classic"] and re.search(r"\$\d+K And \$\d+K", pages["classic"])
    assert "<li>Male, " in pages["wrapped"] and "<strong" in pages["wrapped"]
    assert "&nbsp;" in pages["entities"] and "&#36;" in pages["entities"]
    classes = {v: set(re.findall(r"table_data__\w+", html)) for v, html in pages.items()}
    assert len({frozenset(c) for c in classes.values()}) == len(VARIANTS)


def test_sizes() -> None:
    small = generate_page(SEED, 11, size="small").html
    live = generate_page(SEED, 11, size="live").html
    assert 8_000 < len(small) < 25_000
    assert 150_000 < len(live) < 300_000
    assert '<script id="__NEXT_DATA__" type="application/json">' in live
    assert live.rstrip().endswith("</html>")


def test_revision_changes_figures_consistently() -> None:
    base = generate_page(SEED, 9, size="small")
    changed = generate_page(SEED, 9, size="small", revision=1)
    assert changed.html != base.html
    for old, new in (
        (base.expected.sides.a, changed.expected.sides.a),
        (base.expected.sides.b, changed.expected.sides.b),
    ):
        assert new.yearly_salary_usd != old.yearly_salary_usd
        assert new.salary_range_low_usd <= new.average_salary_usd <= new.salary_range_high_usd
        assert new.hourly_rate_usd == round(new.yearly_salary_usd / 2080, 2)
        assert new.most_common_major == old.most_common_major


def test_seed_page_is_bundled_with_its_record() -> None:
    html, record = seed_page("http://127.0.0.1:8765/")
    assert "Customer Service/Operations Manager" in html
    assert record.url == "http://127.0.0.1:8765" + SEED_PATH
    assert record.sides.a.highest_paying_city == "Bay Shore, NY"


@pytest.mark.parametrize("size", ["small", "live"])
def test_unknown_size_or_variant_is_refused(size: str) -> None:
    with pytest.raises(KeyError):
        generate_page(SEED, 0, variant="nope", size=size)
    with pytest.raises(ValueError):
        generate_page(SEED, 0, size="huge")
