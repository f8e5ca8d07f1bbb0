"""Pages in other encodings are read as a browser reads them: BOM, HTTP charset, <meta>,
else UTF-8; a decode that must replace bytes says so."""

from __future__ import annotations

import pytest

from scraper.encoding import decode_html

NAME = "Société Générale"


def page(meta: str = "") -> str:
    return f"<html><head>{meta}<title>{NAME}</title></head><body>{NAME}</body></html>"


@pytest.mark.parametrize(
    ("body", "content_type", "codec"),
    [
        (page('<meta charset="windows-1252">').encode("cp1252"), None, "cp1252"),
        (page().encode("cp1252"), "text/html; charset=windows-1252", "cp1252"),
        (page().encode("latin-1"), "text/html; charset=ISO-8859-1", "cp1252"),
        (
            page('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">')
            .encode("latin-1"),
            None,
            "cp1252",
        ),
        (page().encode("utf-8"), "text/html; charset=utf-8", "utf-8"),
        (page().encode("utf-8"), None, "utf-8"),
        (b"\xef\xbb\xbf" + page().encode("utf-8"), "text/html; charset=windows-1252", "utf-8"),
        (page().encode("utf-16"), None, "utf-16-le"),
    ],
    ids=["meta-1252", "http-1252", "http-latin1", "http-equiv", "http-utf8", "default-utf8",
         "bom-beats-header", "utf16-bom"],
)  # fmt: skip
def test_legacy_and_unicode_encodings_decode_to_the_same_text(body, content_type, codec):
    decoded = decode_html(body, content_type)
    assert decoded.codec == codec
    assert decoded.text.count(NAME) == 2
    assert not decoded.replaced


def test_shift_jis_by_its_meta() -> None:
    text = '<html><head><meta charset="Shift_JIS"></head><body>日本語の職業</body></html>'
    decoded = decode_html(text.encode("shift_jis"))
    assert "日本語の職業" in decoded.text and not decoded.replaced
    assert decoded.codec in ("shift_jis", "cp932")


def test_bytes_that_are_not_the_declared_codec_are_flagged() -> None:
    decoded = decode_html(page().encode("cp1252"), "text/html; charset=utf-8")
    assert decoded.replaced and "\ufffd" in decoded.text
