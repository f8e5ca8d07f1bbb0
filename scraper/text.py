"""Characters a reader does not see: what the parser drops from every text it keeps, and
what the CSV guard looks past.

Bidi controls (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) reorder the text around them,
so a stored "Acme" can render as anything; zero-width spaces (U+200B, U+2060) and U+FEFF
hide in words and in front of ``=HYPERLINK(…)``. Zero-width joiners (U+200C, U+200D) shape
scripts and emoji inside words, so they stay.
"""

from __future__ import annotations

import re

INVISIBLE = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u2060\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]+")


def visible(text: str) -> str:
    """``text`` without its invisible characters (all of them non-ASCII)."""
    return text if text.isascii() else _INVISIBLE.sub("", text)


def visible_start(text: str) -> str:
    """``text`` from its first character that is neither whitespace nor invisible."""
    return text.lstrip(INVISIBLE + " \t\r\n\x0b\x0c\xa0")
