"""``parse_page`` on the real seed page, generated pages in every markup variant, and broken
pages; ``careers parse`` and ``careers schema`` on the command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, SEED_PAGE

from demosite.generator import SIZES, VARIANTS, generate_page
from pipeline.cli import cli
from schemas.errors import ParseError
from schemas.jsonschema import SCHEMA_PATH, comparison_schema_text
from scraper.document import parse_body
from scraper.intro import Roles, read_intro, split_list
from scraper.parse import PARSER_VERSION, _script_body_around, parse_page


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def differences(want, got, path="") -> list[str]:
    """Paths where ``got`` differs from ``want``; numbers compare as numbers."""
    if isinstance(want, dict) and isinstance(got, dict):
        keys = list(want) + [k for k in got if k not in want]
        return [d for k in keys for d in differences(want.get(k), got.get(k), f"{path}.{k}")]
    numbers = (int, float)
    if isinstance(want, numbers) and isinstance(got, numbers) and not isinstance(want, bool):
        return [] if abs(want - got) < 1e-9 else [f"{path}: want {want!r}, got {got!r}"]
    return [] if want == got else [f"{path}: want {want!r}, got {got!r}"]


def seed_with(seed_html: str, old: str, new: str) -> str:
    """The seed page with one piece of markup replaced: a bad page that says what is bad."""
    assert old in seed_html
    return seed_html.replace(old, new, 1)


def without_tables(seed_html: str) -> str:
    """The seed page with every <table> removed (a redesign): headings and text remain."""
    return re.sub(r"<table.*?</table>\n?", "", seed_html, flags=re.DOTALL)


def truncated(seed_html: str) -> str:
    """The seed page cut off mid-table, as a dropped connection leaves it."""
    return seed_html[: seed_html.index("Best paying company")]


def as_json(record) -> dict:
    return record.model_dump(mode="json")


def test_seed_page_gives_the_expected_record_field_by_field(seed_html, seed_expected):
    got = as_json(parse_page(seed_html, seed_expected["url"]))
    assert got["parser_version"] == PARSER_VERSION
    assert got["warnings"] == []
    for side in ("a", "b"):
        for name in seed_expected["sides"][side]:
            want = seed_expected["sides"][side][name]
            assert differences(want, got["sides"][side][name], f"{side}.{name}") == []
    rest = {k: v for k, v in seed_expected.items() if k != "sides"}
    assert differences(rest, {k: got[k] for k in rest}) == []


def test_seed_page_without_url_takes_the_canonical_link(seed_html, seed_expected):
    record = parse_page(seed_html)
    assert record.url == seed_expected["url"]
    assert record.role_a.slug == "customer-service-operations-manager"


def test_slugs_come_from_the_url_else_from_the_titles(seed_html):
    record = parse_page(seed_html, "http://127.0.0.1:8765/x-jobs/x-vs-y-differences/")
    assert (record.role_a.slug, record.role_b.slug) == ("x", "y")
    no_canonical = seed_html.replace('rel="canonical"', 'rel="alternate"')
    record = parse_page(no_canonical, "file:///tmp/page.html")
    assert record.url == "file:///tmp/page.html"
    assert record.role_a.slug == "customer-service-operations-manager"


def test_the_seed_in_other_markup_gives_the_same_record(seed_html):
    """No <thead>, <th> labels, values in span/strong/a/b/em, entities and &nbsp;, parts
    split by <br> and <li> and spaces, wrapper divs, an <h3> heading, sections reordered."""
    variant = parse_page(fixture("seed-variant.html"))
    assert variant.warnings == []
    assert as_json(variant) == as_json(parse_page(seed_html))


@pytest.mark.parametrize(
    "script",
    [
        '{"props": {"items": [' + ", ".join(f'{{"id": {i}}}' for i in range(2000)) + "]}}",
        'var t = "<table><tr><td>Yearly salary</td><td>$1</td></tr></table>";' + " " * 5000,
    ],
    ids=["json-payload", "markup-in-script"],
)
def test_large_scripts_change_nothing(seed_html, script):
    """Script bodies are left out before parsing only when that cannot change the markup."""
    page = seed_html.replace("</body>", f"<script>{script}</script>\n</body>")
    assert as_json(parse_page(page)) == as_json(parse_page(seed_html))


@pytest.mark.parametrize("size", [30_000, 200_000])
def test_two_large_scripts_change_nothing_wherever_the_middle_falls(seed_html, size):
    """A payload in <head> and one before </body>: with the second much larger the page's
    middle falls in it (the short path), with both alike it falls between them (the full
    scan)."""

    def payload(name: str, items: int) -> str:
        return f'<script>{{"{name}": [' + ", ".join(["1"] * items) + "]}</script>"

    expected = as_json(parse_page(seed_html))
    for head, tail, middle_in_payload in ((size // 30, size // 3, True), (size, size, False)):
        page = seed_html.replace("</head>", payload("head", head) + "</head>").replace(
            "</body>", payload("props", tail) + "\n</body>"
        )
        assert (_script_body_around(page, len(page) // 2) is not None) == middle_in_payload
        assert as_json(parse_page(page)) == expected


def test_script_tag_inside_a_comment_does_not_hide_the_page(seed_html):
    payload = '{"items": [' + ", ".join(str(i) for i in range(3000)) + "]}"
    page = seed_html.replace(
        '<section class="bg-white z-p-20 z-mb-24" id="overview">',
        '<!-- removed: <script async src="/old.js"> -->\n'
        '<section class="bg-white z-p-20 z-mb-24" id="overview">',
    ).replace("</body>", f"<script>{payload}</script>\n</body>")
    assert as_json(parse_page(page)) == as_json(parse_page(seed_html))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("size", SIZES)
def test_generated_pages_parse_to_their_expected_records(variant, size):
    count = 40 if size == "small" else 4
    for index in range(count):
        page = generate_page(11, index, variant=variant, size=size)
        got = as_json(parse_page(page.html, page.expected.url))
        want = as_json(page.expected)
        want["parser_version"] = PARSER_VERSION
        assert differences(want, got) == [], f"page {index}"


def test_a_page_without_tables_raises_rather_than_giving_an_empty_record(seed_html):
    page = without_tables(seed_html)
    assert "<table" not in page and "overview</h2>" in page
    with pytest.raises(ParseError) as caught:
        parse_page(page)
    assert caught.value.kind == "no_tables" and caught.value.message


def test_a_block_page_is_not_a_comparison():
    with pytest.raises(ParseError) as caught:
        parse_page(fixture("block-page.html"))
    assert caught.value.kind == "not_a_comparison" and caught.value.message


def test_a_truncated_page_raises_rather_than_half_parsing(seed_html):
    with pytest.raises(ParseError) as caught:
        parse_page(truncated(seed_html))
    assert caught.value.kind == "truncated" and caught.value.message


@pytest.mark.parametrize(
    "body", [b"", b"   \n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"%PDF-1.7 binary"]
)
def test_empty_or_binary_input_is_not_html(body: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        parse_body(body)
    assert caught.value.kind == "not_html"


def test_a_page_in_windows_1252_reads_its_accents(seed_html) -> None:
    page = seed_html.replace("Xerox", "Société Générale").replace(
        '<meta charset="utf-8">', '<meta charset="windows-1252">'
    )
    parsed = parse_body(page.encode("cp1252"))
    assert parsed.charset == "cp1252"
    assert parsed.record.sides.a.best_paying_company == "Société Générale"
    assert parsed.record.warnings == []


def test_bytes_the_declared_charset_cannot_read_are_a_warning(seed_html) -> None:
    page = seed_html.replace("Xerox", "Société Générale")
    parsed = parse_body(page.encode("cp1252"), content_type="text/html; charset=utf-8")
    assert [w.kind for w in parsed.record.warnings] == ["encoding"]


def test_unknown_row_is_a_warning_and_the_rest_still_parses(seed_html):
    years = '<td class="table_data__v1UoX">Years of experience</td>'
    row = years.replace("Years of experience", "Remote work share")
    page = seed_with(
        seed_html,
        f"<tr>{years}",
        f'<tr>{row}<td class="table_data__v1UoX">31%</td>'
        f'<td class="table_data__v1UoX">44%</td></tr>\n<tr>{years}',
    )
    record = parse_page(page)
    assert [w.model_dump() for w in record.warnings] == [
        {
            "kind": "unknown_row",
            "table": "overview",
            "row": "Remote work share",
            "side": None,
            "raw": "31% | 44%",
            "message": "row 'Remote work share' is not a known overview row",
        }
    ]
    assert record.sides == parse_page(seed_html).sides


def test_unparseable_value_is_null_with_a_warning(seed_html):
    cell = '<td class="table_data__v1UoX">$90,352</td></tr>'
    page = seed_with(seed_html, cell, cell.replace("$90,352", "about ninety grand"))
    record = parse_page(page)
    assert record.sides.b.yearly_salary_usd is None
    assert record.sides.a.yearly_salary_usd == 69350
    (warning,) = record.warnings
    assert (warning.kind, warning.table, warning.row, warning.side, warning.raw) == (
        "unparsed_value",
        "overview",
        "Yearly salary",
        "b",
        "about ninety grand",
    )


def test_missing_section_is_a_warning_and_its_fields_are_null(seed_html):
    start = seed_html.index('<section class="bg-white z-p-20 z-mb-24" id="demographics">')
    end = seed_html.index("</section>", start) + len("</section>")
    record = parse_page(seed_html[:start] + seed_html[end:])
    assert [(w.kind, w.table) for w in record.warnings] == [("missing_section", "demographics")]
    assert record.sides.a.gender_pct is None and record.sides.a.race_pct is None
    assert record.sides.a.lgbt_pct is None
    assert record.sides.a.average_age == 44  # the overview shows it too


def test_missing_row_is_a_warning(seed_html):
    page = seed_html.replace(
        '<tr><td class="table_data__v1UoX">Best paying industry</td>'
        '<td class="table_data__v1UoX">Finance</td><td class="table_data__v1UoX">Finance</td></tr>',
        "",
    )
    record = parse_page(page)
    assert [(w.kind, w.table, w.row) for w in record.warnings] == [
        ("missing_row", "salary", "best paying industry")
    ]
    assert record.sides.a.best_paying_industry is None


def test_a_field_two_tables_show_differently_refuses_the_page(seed_html):
    """Which of two values is right is unknown: a refused page is fine, a wrong value not."""
    overview, education = seed_html.split('id="education"')
    page = (
        overview
        + 'id="education"'
        + education.replace("Bachelor's Degree, 56%", "Master's Degree, 30%", 1)
    )
    with pytest.raises(ParseError) as caught:
        parse_page(page)
    assert caught.value.kind == "markup_changed"
    assert "most_common_degree of role a" in caught.value.message


def test_a_non_ascii_heading_level_is_no_crash(seed_html):
    heading = (
        '<h2 class="z-mb-24">Customer service/operations manager vs operations project manager'
        " salary</h2>"
    )
    page = seed_with(
        seed_html,
        heading,
        heading.replace("<h2", '<div role="heading" aria-level="\u00b2"').replace(
            "</h2>", "</div>"
        ),
    )
    assert parse_page(page).sides == parse_page(seed_html).sides


def test_a_table_with_its_columns_swapped_is_read_by_title(seed_html):
    start = seed_html.index('id="salary"')
    end = seed_html.index("</table>", start)
    table = seed_html[start:end]
    swapped = (
        table.replace("Customer Service/Operations Manager", "@A@")
        .replace("Operations Project Manager", "Customer Service/Operations Manager")
        .replace("@A@", "Operations Project Manager")
    )
    for a, b in (
        ("$69,350", "$90,352"),
        ("Bay Shore, NY", "San Francisco, CA"),
        ("New Jersey", "Connecticut"),
        ("Xerox", "Meta"),
        ("Between $48,000 And $98,000", "Between $66,000 And $122,000"),
    ):
        swapped = swapped.replace(a, "@X@").replace(b, a).replace("@X@", b)
    record = parse_page(seed_html[:start] + swapped + seed_html[end:])
    assert record.warnings == []
    assert record.sides == parse_page(seed_html).sides


def test_intro_time_to_become_each_role_apart_matched_by_title():
    roles = Roles("Registered Nurse (RN)", "Barista")
    facts = read_intro(
        [
            "While it typically takes 1-3 months to become a barista, becoming a registered "
            "nurse (rn) takes usually requires 2-4 years. Additionally, registered nurses (rn) "
            "have an average salary of $80.1K, which is higher than the $28,000 average annual "
            "salary of a barista."
        ],
        roles,
    )
    assert facts.months_to_become == {"b": (1, 3), "a": (24, 48)}
    assert facts.higher_paid == "a"
    assert facts.problems == []


def test_intro_skills_sentences_in_either_phrasing_and_order():
    roles = Roles("Project Manager", "Operations Project Manager")
    facts = read_intro(
        [
            "The most important skills for an operations project manager are project "
            "management, research and development, and risk management. The top three skills "
            "for a project manager include ISO 9001, Node.js and logistics."
        ],
        roles,
    )
    assert facts.top_skills == {
        "b": ["project management", "research and development", "risk management"],
        "a": ["ISO 9001", "Node.js", "logistics"],
    }


def test_split_list():
    assert split_list("customer satisfaction, ISO and logistics") == [
        "customer satisfaction",
        "ISO",
        "logistics",
    ]
    assert split_list("a, b, and c") == ["a", "b", "c"]
    assert split_list("research and development and sales") == ["research and development", "sales"]


def test_schema_file_is_current():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == comparison_schema_text(), (
        "schemas/comparison.schema.json is stale: run `careers schema`"
    )


def test_schema_command_checks_and_writes(tmp_path):
    target = tmp_path / "schema.json"
    runner = CliRunner()
    assert runner.invoke(cli, ["schema", "--check", "--output", str(target)]).exit_code == 1
    assert runner.invoke(cli, ["schema", "--output", str(target)]).exit_code == 0
    assert target.read_text(encoding="utf-8") == comparison_schema_text()
    assert runner.invoke(cli, ["schema", "--check", "--output", str(target)]).exit_code == 0


# --- careers parse ---------------------------------------------------------------------------


def test_cli_prints_one_json_line_per_page(seed_expected, tmp_path):
    page = generate_page(11, 5, size="small")
    other = tmp_path / "other.html"
    other.write_text(page.html, encoding="utf-8")
    result = CliRunner().invoke(cli, ["parse", str(SEED_PAGE), str(other)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert list(first) == [
        "url",
        "role_a",
        "role_b",
        "higher_paid",
        "parser_version",
        "sides",
        "warnings",
    ]
    assert (
        differences({k: v for k, v in seed_expected.items()}, {k: first[k] for k in seed_expected})
        == []
    )
    assert second["url"] == page.expected.url


def test_cli_reports_each_failed_file_on_stderr_and_exits_2_for_an_unreadable_one(
    tmp_path, seed_html
):
    (tmp_path / "truncated.html").write_text(truncated(seed_html), encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "parse",
            str(FIXTURES / "block-page.html"),
            str(SEED_PAGE),
            str(tmp_path / "truncated.html"),
            str(tmp_path / "missing.html"),
        ],
    )
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 1
    errors = result.stderr.splitlines()
    assert len(errors) == 3
    assert "block-page.html" in errors[0] and "not_a_comparison" in errors[0]
    assert "truncated.html" in errors[1] and "truncated" in errors[1]
    assert "missing.html" in errors[2] and "cannot read it" in errors[2]
    only_unparsed = CliRunner().invoke(cli, ["parse", str(tmp_path / "truncated.html")])
    assert only_unparsed.exit_code == 1


def test_cli_url_needs_a_single_file():
    seed = str(SEED_PAGE)
    result = CliRunner().invoke(cli, ["parse", seed, seed, "--url", "https://example.com/"])
    assert result.exit_code == 2
    assert result.stdout == ""


def test_cli_reads_standard_input_and_stdout_is_json_lines_only(seed_expected):
    """A real process: nothing but the record reaches standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "parse", "-", "--url", seed_expected["url"]],
        input=SEED_PAGE.read_bytes(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert differences(seed_expected["sides"], record["sides"]) == []


def test_invisible_characters_are_dropped_from_every_text(seed_html) -> None:
    """Bidi overrides and zero-width spaces render spoofed text; a zero-width joiner shapes
    a word and stays."""
    page = (
        seed_html.replace("Xerox", "Xe\u200brox\u202e")
        .replace("Bay Shore, NY", "\u2066Bay Shore, NY\u2069")
        .replace(
            '<th class="table_head__pE4KH">Operations Project Manager</th>',
            '<th class="table_head__pE4KH">\ufeffOperations Project\u200e Manager</th>',
            1,
        )
        .replace("Meta", "Me\u200dta")
    )
    record = parse_page(page)
    assert record.sides.a.best_paying_company == "Xerox"
    assert record.sides.a.highest_paying_city == "Bay Shore, NY"
    assert record.role_b.title == "Operations Project Manager"
    assert record.sides.b.best_paying_company == "Me\u200dta"
