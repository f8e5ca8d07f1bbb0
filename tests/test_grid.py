"""The grid reader on the real seed page rewritten in other markups (``fixtures/markups``,
made by ``fixtures/markups/build.py``, independently of the demo site's generator): each
``read-*`` page gives the seed's record, each ``refused-*`` page is refused as
``markup_changed``, and the ``damaged-*`` page loses only the values it no longer ties to a
role."""

from __future__ import annotations

import json
import re

import pytest
from conftest import FIXTURES, SEED_EXPECTED

from schemas.errors import ParseError
from scraper.parse import parse_page

MARKUPS = FIXTURES / "markups"
EXPECTED = json.loads(SEED_EXPECTED.read_text(encoding="utf-8"))
URL = EXPECTED["url"]


def pages(prefix: str) -> list[str]:
    names = sorted(p.stem for p in MARKUPS.glob(f"{prefix}-*.html"))
    assert names, f"no {prefix}-* fixtures"
    return names


def read(name: str) -> dict:
    html = (MARKUPS / f"{name}.html").read_text(encoding="utf-8")
    return parse_page(html, URL).model_dump(mode="json")


def off(want: dict, got: dict) -> list[str]:
    """Fields of the seed's record that ``got`` shows differently (numbers as numbers)."""
    wrong = [k for k in ("url", "role_a", "role_b", "higher_paid") if want[k] != got[k]]
    for side in ("a", "b"):
        for name, value in want["sides"][side].items():
            if got["sides"][side][name] != value:
                wrong.append(f"{side}.{name}")
    return wrong


@pytest.mark.parametrize("name", pages("read"))
def test_markup_is_read_to_the_seed_record(name: str) -> None:
    got = read(name)
    assert off(EXPECTED, got) == []
    assert [w for w in got["warnings"] if w["kind"] != "unknown_row"] == []


@pytest.mark.parametrize("name", pages("refused"))
def test_markup_that_cannot_be_read_with_certainty_is_refused(name: str) -> None:
    with pytest.raises(ParseError) as caught:
        read(name)
    assert caught.value.kind == "markup_changed"
    assert caught.value.message


def test_a_row_missing_a_cell_is_null_for_both_roles_and_the_rest_is_read() -> None:
    got = read("damaged-missing-cell")
    damaged = set(off(EXPECTED, got))
    for field in damaged:
        side, name = field.split(".")
        assert got["sides"][side][name] is None, field
    assert damaged == {
        f"{side}.{name}"
        for side in ("a", "b")
        for name in (
            "hourly_rate_usd",
            "salary_range_low_usd",
            "salary_range_high_usd",
            "most_common_major",
            "gender_pct",
        )
    }
    unaligned = {w["row"] for w in got["warnings"] if w["kind"] == "unaligned_row"}
    assert unaligned == {"Hourly rate", "Salary range", "Most common major", "Gender ratio"}


def test_the_refusal_says_what_was_found() -> None:
    with pytest.raises(ParseError) as caught:
        read("refused-roles-as-rows-untitled")
    assert "19 known row labels" in caught.value.message
    assert "no value tied to role" in caught.value.message
    with pytest.raises(ParseError) as caught:
        read("refused-css-order")
    assert "CSS positioning" in caught.value.message


def test_a_role_title_inside_the_other_is_not_taken_for_it() -> None:
    """Values carrying "Project Manager: …" name role b, not role a ("Manager")."""
    html = (MARKUPS / "read-self-labelled.html").read_text(encoding="utf-8")
    for long, short in (
        ("Customer Service/Operations Manager", "Manager"),
        ("Operations Project Manager", "Project Manager"),
    ):
        html = re.sub(re.escape(long), short, html, flags=re.IGNORECASE)
    url = "https://www.zippia.com/manager-jobs/manager-vs-project-manager-differences/"
    record = parse_page(html, url)
    assert (record.role_a.title, record.role_b.title) == ("Manager", "Project Manager")
    assert record.sides.b.best_paying_company == "Meta"
    assert record.sides.a.best_paying_company == "Xerox"
