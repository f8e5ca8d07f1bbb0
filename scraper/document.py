"""A page's bytes -> its record: decoded as a browser decodes it (``scraper.encoding``),
refused as ``not_html`` when it is no HTML document at all, then ``parse_page``.

Every place where bodies become text goes through here: the loader's parse of stored
pages (with the ``Content-Type`` the site sent, from the WARC response record) and
``careers parse FILE`` (without one).
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.records import ComparisonRecord, ParseWarning
from scraper.encoding import decode_html
from scraper.parse import ParseError, parse_page

_SNIFF = 4096


@dataclass(frozen=True)
class ParsedBody:
    record: ComparisonRecord
    charset: str
    """The codec the body was decoded with."""


def parse_body(body: bytes, url: str | None = None, content_type: str | None = None) -> ParsedBody:
    """The record ``body`` shows; ``ParseError`` when it shows none (``not_html`` for an
    empty or binary body)."""
    if not body.strip():
        raise ParseError("not_html", "the body is empty")
    decoded = decode_html(body, content_type)
    head = decoded.text[:_SNIFF]
    if "\x00" in head or "<" not in head:
        raise ParseError("not_html", f"the body is not HTML (decoded as {decoded.codec})")
    record = parse_page(decoded.text, url)
    if decoded.replaced:
        record.warnings.append(
            ParseWarning(
                kind="encoding",
                table="page",
                message=f"bytes that are not {decoded.codec} were replaced by U+FFFD",
                raw=decoded.codec,
            )
        )
    return ParsedBody(record, decoded.codec)
