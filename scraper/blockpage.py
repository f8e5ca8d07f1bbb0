"""Is a 200 for a comparison URL a comparison page, or a block or captcha page? Decided by
what the page says about itself (its ``<title>`` and ``<h1>``), never by its markup, so a
redesigned comparison page goes to the parser and never counts toward the breaker.
"""

from __future__ import annotations

import html
import re
import unicodedata

from scraper.urls import comparison_slugs, slugify


class ComparisonCheck:
    """Streaming test that a 200 for a comparison URL is a comparison page, not a block
    or captcha page, by what the page says about itself and never by its markup: a
    redesigned comparison page passes and goes to the parser, which reads or refuses it.

    A page fails when its ``<title>`` or an ``<h1>`` says one of ``SIGNATURES`` ("access
    denied", "captcha", "verify you are human", cloudflare's "attention required" and
    "just a moment" titles, ...), or when neither its ``<title>`` nor an ``<h1>`` names
    either of the URL's two roles: ``/{a}-jobs/{a}-vs-{b}-differences/`` passes when the
    ``slugify``-ed title or h1 contains slug ``a`` or slug ``b`` with no letter or digit
    on either side.

    Signatures are looked for in the text of the title and the h1s only, as whole words
    in any case, whatever punctuation or whitespace is between them. Every block and
    challenge page names itself there, while a comparison page's markup may carry such
    words anywhere (a head script from ``/recaptcha/`` or cloudflare's
    ``/cdn-cgi/challenge-platform/``, class names, its JSON payload) and its content may
    talk about anything. A block page that says so only in its body text is still caught
    because its title and h1 do not name the roles. For a URL that is not a comparison
    URL, the signatures alone decide.

    Fed chunk by chunk while the body streams in; looked at once ``STEP`` new bytes have
    come, and only within the first ``LIMIT`` bytes. It is decided at the first ``<h1>``
    that names a role or follows a title that does (near the top of a comparison page),
    else at ``LIMIT`` or at the end of the body, so a live-size page costs two short
    searches and the texts of one title and one h1."""

    STEP = 8192
    LIMIT = 64 * 1024
    SIGNATURES: tuple[str, ...] = (
        "access denied",
        "has been denied",
        "you have been blocked",
        "request blocked",
        "request rejected",
        "request unsuccessful",
        "forbidden",
        "captcha",
        "recaptcha",
        "hcaptcha",
        "verify you are human",
        "verify you are a human",
        "are you a robot",
        "are you human",
        "are you a human",
        "not a robot",
        "robot check",
        "human verification",
        "unusual traffic",
        "unusual activity",
        "attention required",
        "just a moment",
        "checking your browser",
        "pardon our interruption",
        "too many requests",
    )

    __slots__ = ("_url", "_top", "_looked", "_verdict")

    def __init__(self, url: str) -> None:
        self._url = url
        self._top: bytes | bytearray = b""
        self._looked = 0
        self._verdict: bool | None = None

    def feed(self, chunk: bytes) -> None:
        if self._verdict is not None or not chunk:
            return
        top = self._top
        if not top:
            top = self._top = chunk  # the usual case: all of the top in the first chunk
        else:
            if isinstance(top, bytes):
                top = self._top = bytearray(top)
            top += chunk[: self.LIMIT - len(top)]
        if len(top) - self._looked >= self.STEP or len(top) >= self.LIMIT:
            self._look(top, final=False)

    def ok(self) -> bool:
        if self._verdict is None:
            self._look(self._top, final=True)
        return bool(self._verdict)

    def _look(self, top: bytes | bytearray, final: bool) -> None:
        """Read the title and the h1s that have come; decide at the first h1 that names
        a role (or follows a title that does), or once no more of the top is to come."""
        end = self._looked = min(len(top), self.LIMIT)
        title = _TITLE.search(top, 0, end)
        texts = [] if title is None else [_text(title[1])]
        at = 0 if title is None else title.end()
        while True:
            h1 = _H1.search(top, at, end) or _ANY_H1.search(top, at, end)
            if h1 is None:
                break
            at = h1.end()
            texts.append(_text(h1[1]))
            if self._names_a_role(texts):
                self._decide(texts, named=True)
                return
        if final or end == self.LIMIT:
            self._decide(texts, named=self._names_a_role(texts))

    def _names_a_role(self, texts: list[str]) -> bool:
        """Whether one of ``texts`` (the latest first: an h1 is shorter to slugify than
        a title), slugified, names one of the URL's roles; always, for a URL that is not
        a comparison URL."""
        roles = comparison_slugs(self._url)
        if roles is None:
            return True
        for text in reversed(texts):
            slug = slugify(text)
            for role in roles:
                if _has_word(slug, role):
                    return True
        return False

    def _decide(self, texts: list[str], named: bool) -> None:
        self._verdict = named and not _says_a_signature(texts)
        self._top = b""


_TITLE = re.compile(rb"<title(?:\s[^>]*)?>([^<]*)</title", re.IGNORECASE)
_H1_CONTENT = rb"(?:\s[^>]*)?>([^<]*(?:<(?!/h1)[^<]*)*)</h1"
_H1 = re.compile(rb"<h1" + _H1_CONTENT)
"""An h1 as pages write it, found faster than in any case (``_ANY_H1``)."""
_ANY_H1 = re.compile(rb"<h1" + _H1_CONTENT, re.IGNORECASE)
_TAG = re.compile(rb"<[^>]*>")


def _has_word(slug: str, role: str) -> bool:
    """Whether ``role`` is in ``slug`` with no letter or digit on either side."""
    at = slug.find(role)
    while at >= 0:
        stop = at + len(role)
        if (at == 0 or not slug[at - 1].isalnum()) and (
            stop == len(slug) or not slug[stop].isalnum()
        ):
            return True
        at = slug.find(role, at + 1)
    return False


def _says_a_signature(texts: list[str]) -> bool:
    """Whether ``texts`` (ASCII, from ``_text``) say one of the signatures, as whole
    words in any case with any punctuation or whitespace between them."""
    words = " | ".join(texts).lower().encode().translate(_WORD_GAPS).split()
    if _LAST_WORDS.isdisjoint(words):
        return False  # the usual case: no signature can be there
    said = b" " + b" ".join(words) + b" "
    return any(signature in said for signature in _SIGNATURES)


_WORD_GAPS = bytes(c if chr(c).isalnum() else 32 for c in range(256))
_SIGNATURES = tuple(f" {s} ".encode() for s in ComparisonCheck.SIGNATURES)
_LAST_WORDS = frozenset(s.split()[-1] for s in _SIGNATURES)
"""The last word of each signature: a text holding none of them says no signature."""


def _text(raw: bytes | bytearray) -> str:
    """An element's text: tags dropped, character references decoded, accents dropped
    (decoded as UTF-8, else as windows-1252: only the role names' letters matter here)."""
    if b"<" in raw:
        raw = _TAG.sub(b" ", raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # a legacy-charset page: most are windows-1252
        text = raw.decode("cp1252", "replace")
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text
