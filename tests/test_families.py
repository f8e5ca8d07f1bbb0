"""The generator's markup families and hard cases: every family renders every variant in
both sizes, each has the structure it is named for, and the hard cases change the grid
(never the record) in the way ``damaged_fields`` says."""

from __future__ import annotations

import difflib
import re

import pytest
from selectolax.lexbor import LexborHTMLParser

from demosite.cells import LABEL_FIELDS, TABLE_ROWS
from demosite.families import BY_NAME
from demosite.generator import (
    FAMILIES,
    HARD_CASES,
    RENAMED_LABELS,
    SIZES,
    VARIANTS,
    GeneratedPage,
    generate_page,
    pick_family,
)

SEED = 7
INDEX = 3
SECTIONS = tuple(TABLE_ROWS)


def section(html: str, name: str) -> LexborHTMLParser:
    node = LexborHTMLParser(html).css_first(f"section#{name}")
    assert node is not None, name
    return node


def flat(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def lines(html: str, name: str = "overview") -> list[tuple[str, ...]]:
    """For every element of a section, the texts of its child elements."""
    return [
        tuple(flat(child.text()) for child in node.iter())
        for node in section(html, name).traverse()
    ]


def has_run(html: str, run: tuple[str, ...], name: str = "overview") -> bool:
    """Whether some element's children show ``run`` in a row (DOM order and nesting)."""
    n = len(run)
    return any(line[i : i + n] == run for line in lines(html, name) for i in range(len(line)))


def grid_html(html: str, name: str = "overview") -> str:
    """A section's markup after its heading."""
    body = section(html, name).html or ""
    return re.split(r"overview</(?:h2|h3|div)>", body, maxsplit=1)[1]


def page(family: str, **options: object) -> GeneratedPage:
    options = {"variant": "seed", "size": "small"} | options
    return generate_page(SEED, INDEX, family=family, **options)  # type: ignore[arg-type]


# --- every family, every variant, both sizes ------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_every_variant_and_size_shows_both_roles_and_their_figures(family: str) -> None:
    for variant in VARIANTS:
        for size in SIZES:
            generated = generate_page(SEED, INDEX, family=family, variant=variant, size=size)
            assert generated.family == family and generated.variant == variant
            low, high = ((8_000, 25_000), (150_000, 300_000))[SIZES.index(size)]
            assert low < len(generated.html) < high, (variant, size, len(generated.html))
            sides = generated.expected.sides
            for name in SECTIONS:
                shown = flat(section(generated.html, name).text(separator=" "))
                for title in (generated.title_a, generated.title_b):
                    assert title in shown, (variant, size, name)
            overview = flat(section(generated.html, "overview").text(separator=" "))
            for side in (sides.a, sides.b):
                assert f"${side.yearly_salary_usd:,}" in overview, (variant, size)
                assert f"${side.hourly_rate_usd:.2f}" in overview, (variant, size)


def test_families_have_the_structure_they_are_named_for() -> None:
    pages = {family: page(family) for family in FAMILIES}
    a, b = pages["rows"].expected.sides.a, pages["rows"].expected.sides.b
    title_a = pages["rows"].title_a
    ya, yb, ha = (
        f"${a.yearly_salary_usd:,}",
        f"${b.yearly_salary_usd:,}",
        f"${a.hourly_rate_usd:.2f}",
    )
    runs = {
        "rows": ("Yearly salary", ya, yb),
        "transposed": (title_a, ya, ha),
        "aria": ("Yearly salary", ya, yb),
        "divs": ("Yearly salary", ya, yb),
        "dl": ("Yearly salary", ya, yb),
        "cards": (title_a,),
        "columns": (title_a, ya, ha),
        "mirrored": (ya, "Yearly salary", yb),
    }
    for family, run in runs.items():
        assert has_run(pages[family].html, run), family
    grids = {family: grid_html(p.html) for family, p in pages.items()}
    aria_roles = re.compile(r'role="(?:table|row|cell|rowheader|columnheader)"')
    assert "<tr" in grids["rows"] and "<tr" in grids["transposed"]
    assert has_run(pages["transposed"].html, ("", "Yearly salary", "Hourly rate"))
    assert 'role="row"' in grids["aria"] and 'role="cell"' in grids["aria"]
    assert has_run(pages["columns"].html, ("Yearly salary", "Hourly rate"))
    assert "<dl" in grids["dl"] and "<dd" in grids["dl"]
    assert grids["cards"].count("<article") == 2
    for family in ("aria", "divs", "dl", "cards", "columns"):
        assert "<table" not in grids[family] and "<tr" not in grids[family], family
    for family in ("divs", "dl", "cards", "columns"):
        assert not aria_roles.search(grids[family]), family


def test_split_parts_families_put_label_and_share_in_spans() -> None:
    for family in FAMILIES:
        html = page(family).html
        split = "<span>Male</span> <span>" in html
        assert split == BY_NAME[family].split_parts, family
        assert split or "<div>Male, " in html, family


def test_headings_vary_but_keep_their_words() -> None:
    seen = set()
    for family in FAMILIES:
        for variant in VARIANTS:
            html = page(family, variant=variant).html
            grid = section(html, "salary").html or ""
            form = re.search(r"<(h2|h3|div role=\"heading\")[^>]*>([^<]*salary)<", grid)
            assert form is not None, (family, variant)
            seen.add(form[1])
    assert seen == {"h2", "h3", 'div role="heading"'}


def test_default_family_is_seeded_and_spread_over_the_pages() -> None:
    picked = [generate_page(SEED, i, size="small").family for i in range(3 * len(FAMILIES))]
    for start in range(0, len(picked), len(FAMILIES)):
        assert sorted(picked[start : start + len(FAMILIES)]) == sorted(FAMILIES)
    assert picked == [pick_family(SEED, i) for i in range(len(picked))]
    assert picked != [pick_family(SEED + 1, i) for i in range(len(picked))]
    assert "renamed" not in picked


def test_family_changes_the_markup_never_the_record() -> None:
    records = {f: page(f).expected for f in (*FAMILIES, "renamed")}
    htmls = {f: page(f).html for f in records}
    assert len(set(htmls.values())) == len(htmls)
    assert all(r == records["rows"] for r in records.values())
    with pytest.raises(KeyError):
        page("nope")
    with pytest.raises(KeyError):
        page("rows", hard="nope")


def test_renamed_labels_replace_every_label() -> None:
    html = page("renamed").html
    assert set(RENAMED_LABELS) == set(LABEL_FIELDS)
    assert len(set(RENAMED_LABELS.values())) == len(RENAMED_LABELS)
    for name in SECTIONS:
        shown = {line[0] for line in lines(html, name) if len(line) == 3}
        assert shown & set(RENAMED_LABELS.values()), name
        assert not shown & set(LABEL_FIELDS), name


# --- hard cases ------------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_reversed_lists_side_b_first(family: str) -> None:
    plain, hard = page(family), page(family, hard="reversed")
    assert hard.expected == plain.expected and hard.damaged_fields == frozenset()
    titles = (hard.title_a, hard.title_b)
    for html, order in ((plain.html, titles), (hard.html, titles[::-1])):
        grid = LexborHTMLParser(grid_html(html)).text(separator="\n")
        assert grid.index(order[0]) < grid.index(order[1]), family


@pytest.mark.parametrize("family", FAMILIES)
def test_third_column_adds_all_jobs(family: str) -> None:
    plain, hard = page(family), page(family, hard="third_column")
    assert hard.expected == plain.expected and hard.damaged_fields == frozenset()
    for name in SECTIONS:
        assert "All jobs" in section(hard.html, name).text(), (family, name)
    if family == "cards":
        assert grid_html(hard.html).count("<article") == 3
    if family == "rows":
        assert any(len(line) == 4 and "Yearly salary" in line for line in lines(hard.html))


def _deleted(plain: str, hard: str) -> list[str]:
    """The tokens (tags and texts) ``hard`` lacks; fails if it differs otherwise."""
    tokens = [re.split(r"(<[^>]+>)", html) for html in (plain, hard)]
    opcodes = difflib.SequenceMatcher(None, *tokens, autojunk=False).get_opcodes()
    changes = [op for op in opcodes if op[0] != "equal"]
    assert [op[0] for op in changes] == ["delete"], changes
    _, i1, i2, _, _ = changes[0]
    return tokens[0][i1:i2]


#: what a missing cell leaves unreliable: "both" sides of its row (a short row cannot say
#: whose cell is gone), that "side"'s one row (a titled card of labelled pairs), or that
#: side's whole "line" (a short row or column shifts its later values)
MISSING_DAMAGE = {
    "rows": "both",
    "transposed": "line",
    "aria": "both",
    "divs": "both",
    "dl": "both",
    "cards": "side",
    "columns": "line",
    "mirrored": "both",
    "wrapped": "both",
}


@pytest.mark.parametrize("family", FAMILIES)
def test_missing_cell_leaves_out_one_value_and_names_the_damage(family: str) -> None:
    kind = MISSING_DAMAGE[family]
    line_fields = [{f for lb in labels for f in LABEL_FIELDS[lb]} for labels in TABLE_ROWS.values()]
    row_fields = [set(fields) for fields in LABEL_FIELDS.values()]
    for index in (INDEX, 8, 21):
        plain = generate_page(SEED, index, family=family, variant="seed", size="small")
        hard = generate_page(
            SEED, index, family=family, variant="seed", size="small", hard="missing_cell"
        )
        assert hard.expected == plain.expected and plain.damaged_fields == frozenset()
        # one stretch of markup, with a value in it, is gone; nothing else changed
        assert any(re.search(r"\w", t) for t in _deleted(plain.html, hard.html) if "<" not in t)
        sides = {name.split(".")[0] for name in hard.damaged_fields}
        fields = {name.split(".")[1] for name in hard.damaged_fields}
        assert len(sides) == (2 if kind == "both" else 1), (family, index)
        assert fields in (line_fields if kind == "line" else row_fields), (family, index)
        if kind == "both":
            assert hard.damaged_fields == {f"{s}.{f}" for s in "ab" for f in fields}
        else:  # the cell left out showed a value
            record = getattr(hard.expected.sides, sides.pop())
            assert any(getattr(record, f) is not None for f in fields)


@pytest.mark.parametrize("family", FAMILIES)
def test_repeated_label_appears_in_the_overview_and_the_related_links(family: str) -> None:
    plain, hard = page(family), page(family, hard="repeated_label")
    assert hard.expected == plain.expected and hard.damaged_fields == frozenset()
    overview = section(hard.html, "overview").text()
    assert (
        "Average salary" in overview
        and "Average salary" not in section(plain.html, "overview").text()
    )
    related = section(hard.html, "related")
    pays = [flat(n.text()) for n in related.css("li") if "Average salary" in n.text()]
    assert pays and len(pays) == len(related.css("li"))
    sides = hard.expected.sides
    own = {f"${sides.a.average_salary_usd:,}", f"${sides.b.average_salary_usd:,}"}
    shown = {re.findall(r"\$[\d,]+", p)[-1] for p in pays}
    assert shown and not shown & own


@pytest.mark.parametrize("hard", HARD_CASES)
def test_hard_cases_render_in_every_variant_and_size(hard: str) -> None:
    for family in FAMILIES:
        for variant in VARIANTS:
            size = SIZES[VARIANTS.index(variant) % 2]
            generated = page(family, variant=variant, size=size, hard=hard)
            assert generated.hard == hard
            assert generated.html.rstrip().endswith("</html>")


def test_rows_family_still_parses_to_its_record() -> None:
    from scraper.parse import parse_page

    for variant in VARIANTS:
        generated = page("rows", variant=variant)
        parsed = parse_page(generated.html, generated.expected.url)
        assert parsed.model_dump(exclude={"parser_version", "warnings"}) == (
            generated.expected.model_dump(exclude={"parser_version", "warnings"})
        )
