"""What a path of the demo site answers, faults aside: a ``Resource`` (a body with its
validators), a ``Redirect`` or a ``Missing`` status; and the cache the site keeps them in.

Validators come from what the content is, never from the clock or the port: the ETag
hashes the body, Last-Modified derives from the content's key and revision.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(2026, 1, 5, tzinfo=UTC)
_UTF8_META = '<meta charset="utf-8">'


@dataclass(frozen=True)
class Resource:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime
    compressible: bool = True
    _gzipped: list[bytes] = field(default_factory=list, compare=False, repr=False)

    def gzipped(self) -> bytes:
        if not self._gzipped:
            self._gzipped.append(gzip.compress(self.body, compresslevel=5, mtime=0))
        return self._gzipped[0]


@dataclass(frozen=True)
class Redirect:
    location: str
    status: int = 301


@dataclass(frozen=True)
class Missing:
    status: int  # 404 or 410


Answer = Resource | Redirect | Missing


def etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:24] + '"'


def last_modified(key: str, revision: int) -> datetime:
    """A date derived from what the content is (never the clock): each revision of a
    page (a change of its figures or of its markup) is 30 days newer than the one before."""
    digest = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16)
    return _EPOCH + timedelta(days=30 * revision, seconds=digest % (25 * 86400))


def page_resource(body: bytes, content_type: str, key: str, revision: int) -> Resource:
    """``body`` with its ETag and the Last-Modified of revision ``revision`` of ``key``."""
    return Resource(body, content_type, etag(body), last_modified(key, revision))


def encoded(html: str, index: int) -> tuple[bytes, str]:
    """A page's bytes and ``Content-Type``: one page in nine in windows-1252 declared by
    its ``<meta>``, one in nine in ISO-8859-1 declared only by the HTTP header (which the
    web reads as windows-1252), the rest UTF-8, so the crawl and the loader decode legacy
    charsets as a browser does. Two pages in three with accented text are legacy ones:
    those are the pages a wrong decode spoils."""
    style = (4, 7, 0)[index % 3] if not html.isascii() else index % 9
    if style == 4:
        legacy = html.replace(_UTF8_META, '<meta charset="windows-1252">', 1)
        return legacy.encode("cp1252", "xmlcharrefreplace"), "text/html"
    if style == 7:
        legacy = html.replace(_UTF8_META, "", 1)
        return legacy.encode("latin-1", "xmlcharrefreplace"), "text/html; charset=ISO-8859-1"
    return html.encode(), "text/html; charset=utf-8"


def html_resource(html: str, key: str, revision: int = 0) -> Resource:
    """A UTF-8 HTML page."""
    return page_resource(html.encode(), "text/html; charset=utf-8", key, revision)


class ResourceCache:
    """The last ``size`` resources built, by key (thread-safe)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, Resource] = OrderedDict()

    def get(self, key: str, build: Callable[[], Resource]) -> Resource:
        """The cached resource of ``key``, else ``build()`` (run outside the lock) kept."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit
        resource = build()
        with self._lock:
            self._entries[key] = resource
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return resource

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
