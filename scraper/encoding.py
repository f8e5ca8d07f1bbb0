"""Bytes of a page -> its text, decoded as a browser decodes it.

The order is the web's: a byte-order mark, then the HTTP ``Content-Type`` charset, then
``<meta charset>`` or ``http-equiv``, then UTF-8. ``w3lib.encoding.html_to_unicode`` (what
Scrapy decodes with) does the sniffing, and maps ISO-8859-1 and ASCII to windows-1252 as
browsers do. Decoding every page as UTF-8 turned "Société Générale" into "Soci�t�
G�n�rale" without a word; a decode that has to replace bytes now says so.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from w3lib.encoding import html_to_unicode


@dataclass(frozen=True)
class Decoded:
    text: str
    codec: str
    """The codec used, by its Python name (``cp1252``, ``utf-8``, ``shift_jis``, …)."""
    replaced: bool
    """Whether bytes that are not ``codec`` were replaced by U+FFFD."""


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """``body`` as text, by its BOM, ``content_type``'s charset, its ``<meta>``, else UTF-8."""
    codec, text = html_to_unicode(content_type, body)
    name = codecs.lookup(codec).name
    return Decoded(text.removeprefix("\ufeff"), name, _replaced(body, name))


def _replaced(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except UnicodeDecodeError:
        return True
    return False
