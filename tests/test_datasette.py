"""Datasette on a real ``careers.db``: two ``careers refresh`` runs of the demo site with
changes made between them through its admin endpoints, served in process with
``schemas/metadata.json``. The canned queries answer what the README's queries answer,
table pages show the column descriptions, and the ``role_search`` table page searches."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser
from support.commands import refresh as run_refresh
from support.demo_site import start_site
from support.extras import require
from support.readme import REPRESENTATIVE, canned_queries_script

if TYPE_CHECKING:
    from datasette.app import Datasette

datasette_app = require("datasette.app")

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "schemas" / "metadata.json"


def refresh(base_url: str, out: Path) -> subprocess.CompletedProcess[str]:
    """``careers refresh`` in a child process, every output under ``out``."""
    return run_refresh(base_url, out, env={"CAREERS_LIMITS__TIMEOUT": "2"}, timeout=120)


@pytest.fixture(scope="module")
def careers_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A database of two refreshes: between them the site gives two pages new figures and
    redesigns one into a markup the parser must refuse."""
    out = tmp_path_factory.mktemp("datasette")
    running = start_site(pages=20)
    try:
        first = refresh(running.base_url, out)
        assert first.returncode == 0, first.stderr
        changed = httpx.post(running.url("/_admin/change?k=2"), timeout=10)
        assert changed.status_code == 200 and len(changed.json()["changed"]) == 2
        redesigned = httpx.get(running.url("/_admin/redesign?k=1&to=renamed"), timeout=10)
        assert redesigned.status_code == 200 and len(redesigned.json()["redesigned"]) == 1
        second = refresh(running.base_url, out)
        # the changed roles now disagree with other pages and one page is refused: exit 1
        assert second.returncode == 1, second.stderr
    finally:
        running.stop()
    yield out / "careers.db"


@pytest.fixture(scope="module")
def metadata() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(METADATA.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def datasette(careers_db: Path, metadata: dict[str, Any]) -> Datasette:
    served: Datasette = datasette_app.Datasette([str(careers_db)], metadata=metadata)
    return served


def get(ds: Datasette, path: str, **params: str) -> httpx.Response:
    """One request to Datasette's ASGI app, in process (``ds.client`` is async)."""
    response: httpx.Response = asyncio.run(ds.client.get(path, params=params))
    return response


def sql_rows(db: Path, sql: str, params: dict[str, str]) -> list[list[Any]]:
    with closing(sqlite3.connect(db)) as conn:
        return [list(row) for row in conn.execute(sql, params)]


def test_every_canned_query_answers_what_its_readme_query_answers(
    datasette: Datasette, careers_db: Path, metadata: dict[str, Any]
) -> None:
    queries = metadata["databases"]["careers"]["queries"]
    assert set(q["title"].lower() for q in queries.values()) == set(
        canned_queries_script().readme_queries()
    )
    with closing(sqlite3.connect(careers_db)) as conn:
        values = {name: conn.execute(sql).fetchone()[0] for name, sql in REPRESENTATIVE.items()}
    for name, query in queries.items():
        missing = set(query.get("params", [])) - set(values)
        assert not missing, f"{name}: give REPRESENTATIVE a value for {missing}"
        params = {p: values[p] for p in query.get("params", [])}
        page = get(datasette, f"/careers/{name}", **params)
        assert page.status_code == 200, (name, page.text[:500])
        shown = LexborHTMLParser(page.text)
        heading = shown.css_first("h1")
        assert heading is not None and heading.text().strip() == query["title"]
        assert query["description"] in shown.text()
        answer = get(datasette, f"/careers/{name}.json", _shape="arrays", **params)
        assert answer.status_code == 200, (name, answer.text[:500])
        rows = answer.json()["rows"]
        assert rows, f"{name} finds no rows in the refreshed database"
        assert rows == sql_rows(careers_db, query["sql"], params), name


def test_the_queries_see_the_change_and_the_refusal_between_the_runs(
    datasette: Datasette,
) -> None:
    changed = get(datasette, "/careers/what-changed-since-the-last-run.json", _shape="objects")
    assert {row["change"] for row in changed.json()["rows"]} == {"changed"}
    unparsed = get(
        datasette, "/careers/pages-whose-latest-stored-body-did-not-parse.json", _shape="objects"
    )
    [refused] = unparsed.json()["rows"]
    assert refused["kind"] == "markup_changed"
    failures = get(
        datasette, "/careers/new-data-quality-failures-of-the-latest-run.json", _shape="objects"
    )
    assert "dq_role_disagrees" in {row["kind"] for row in failures.json()["rows"]}


def column_descriptions(html: str) -> dict[str, str]:
    """The column descriptions a Datasette table page lists (``dl.column-descriptions``)."""
    listing = LexborHTMLParser(html).css_first("dl.column-descriptions")
    assert listing is not None, "the page lists no column descriptions"
    names = [dt.text() for dt in listing.css("dt")]
    return dict(zip(names, [dd.text() for dd in listing.css("dd")], strict=True))


@pytest.mark.parametrize("table", ["role_latest", "comparisons", "role_observations"])
def test_a_table_page_shows_the_column_descriptions(
    datasette: Datasette, metadata: dict[str, Any], table: str
) -> None:
    page = get(datasette, f"/careers/{table}")
    assert page.status_code == 200
    documented = metadata["databases"]["careers"]["tables"][table]
    assert column_descriptions(page.text) == documented["columns"]
    assert documented["description"] in LexborHTMLParser(page.text).text()


def words(text: str | None) -> set[str]:
    """The words FTS5's default tokenizer (unicode61) indexes, for ASCII text: runs of
    letters and digits, case folded."""
    return set(re.findall(r"[^\W_]+", (text or "").casefold()))


def test_the_role_search_page_finds_a_role_by_a_word_of_its_description(
    datasette: Datasette, careers_db: Path
) -> None:
    with closing(sqlite3.connect(careers_db)) as conn:
        rows = conn.execute("SELECT role_slug, title, description, skills FROM role_search")
        indexed = {r[0]: (words(r[2]), words(" ".join(x or "" for x in r[1:]))) for r in rows}
    assert len(indexed) > 1
    # the description word found in the fewest roles, to show the search narrows
    word = min(
        (
            w
            for description, _ in indexed.values()
            for w in description
            if w.isascii() and w.isalpha()
        ),
        key=lambda w: (sum(w in every for _, every in indexed.values()), w),
    )
    expected = sorted(slug for slug, (_, every) in indexed.items() if word in every)
    assert len(expected) < len(indexed)

    page = get(datasette, "/careers/role_search", _search=word)
    assert page.status_code == 200
    box = LexborHTMLParser(page.text).css_first('input[type="search"][name="_search"]')
    assert box is not None, "Datasette shows no search box on the role_search page"
    assert box.attributes.get("value") == word
    found = get(datasette, "/careers/role_search.json", _search=word, _shape="objects")
    assert sorted(row["role_slug"] for row in found.json()["rows"]) == expected
    assert any(word in words(row["description"]) for row in found.json()["rows"])
