"""The parser's broad regression test: generated pages in every markup variant and size,
and every page the default demo site serves, parse to the record they were made from."""

from __future__ import annotations

import httpx
import pytest
from support.demo_site import start_site

from demosite.generator import SIZES, VARIANTS, generate_page
from schemas.records import ComparisonRecord
from scraper.document import parse_body
from scraper.parse import parse_page


def same_record(parsed: ComparisonRecord, expected: ComparisonRecord) -> None:
    got, want = parsed.model_dump(), expected.model_dump()
    if want["parser_version"] == "unknown":
        got.pop("parser_version")
        want.pop("parser_version")
    for side in ("a", "b"):
        for name, value in want["sides"][side].items():
            assert got["sides"][side][name] == value, (side, name)
    assert got == want


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_generated_pages_parse_to_their_records(variant: str, size: str) -> None:
    for index in range(0, 150, 3 if size == "small" else 10):
        page = generate_page(11, index, variant=variant, size=size)
        same_record(parse_page(page.html, page.expected.url), page.expected)


def test_every_page_the_default_site_serves_parses_to_its_record() -> None:
    with (
        start_site(pages=200) as site,
        httpx.Client(base_url=site.base_url, headers={"User-Agent": "parse-regression"}) as http,
    ):
        paths = site.site.live_paths()
        assert len(paths) == 201
        for path in paths:
            response = http.get(path)
            assert response.status_code == 200
            url = site.url(path)
            expected = http.get("/_admin/expected", params={"path": path}).json()
            record = parse_body(response.content, url, response.headers["content-type"]).record
            same_record(record, ComparisonRecord.model_validate(expected))


def test_changed_pages_parse_to_their_new_records() -> None:
    with start_site(pages=30) as site, httpx.Client(base_url=site.base_url) as http:
        for path in site.site.change(5):
            record = site.site.expected(path)
            assert record is not None
            response = http.get(path)
            parsed = parse_body(response.content, site.url(path), response.headers["content-type"])
            same_record(parsed.record, record)
