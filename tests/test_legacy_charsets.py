"""Pages served in legacy charsets, crawled and loaded: decoded as a browser decodes them
(the demo site serves one page in nine in windows-1252 by its <meta>, one in nine in
ISO-8859-1 by its HTTP header), the codec kept in ``fetches.charset``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from support.commands import careers, refresh_one_worker


def test_a_crawl_of_legacy_charset_pages_stores_their_accents(demo_site_factory, tmp_path):
    running = demo_site_factory(pages=150)
    done = refresh_one_worker(running.base_url, tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    conn = sqlite3.connect(tmp_path / "careers.db")
    charsets = dict(conn.execute("SELECT charset, count(*) FROM fetches GROUP BY charset"))
    assert charsets.get("cp1252", 0) >= 25 and charsets.get("utf-8", 0) >= 100
    columns = [
        r[1] for r in conn.execute("PRAGMA table_info(role_observations)") if r[2].upper() == "TEXT"
    ]
    for column in columns:
        bad = conn.execute(
            f"SELECT count(*) FROM role_observations WHERE instr({column}, char(65533))"
        ).fetchone()[0]
        assert bad == 0, column
    for path, company in conn.execute(
        "SELECT c.page_key, o.best_paying_company FROM role_observations o "
        "JOIN comparisons c USING (comparison_id) WHERE o.side = 'a'"
    ):
        expected = running.site.expected(path)
        assert expected is not None and expected.sides.a.best_paying_company == company
    accented_on_legacy_pages = conn.execute(
        "SELECT count(*) FROM role_observations o JOIN fetches f ON f.run_id = o.run_id "
        "AND f.page_key = (SELECT page_key FROM comparisons c WHERE c.comparison_id = "
        "o.comparison_id) WHERE f.charset = 'cp1252' AND o.best_paying_company GLOB '*[^ -~]*'"
    ).fetchone()[0]
    assert accented_on_legacy_pages > 0, "accented names on pages served in a legacy charset"


def test_careers_parse_of_an_empty_file_is_not_html(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    done = careers("parse", str(empty))
    assert done.returncode == 1 and "not_html" in done.stderr
