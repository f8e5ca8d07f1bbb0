"""What one GET brings back: the final response, its body spooled as it came over the wire.

``Response`` is made by the HTTP exchange (``scraper.http``), returned through the
redirects (``scraper.fetch``) and the retry policy (``scraper.retry``), archived as it
came (``scraper.recorder``) and read decoded by whoever wants the page. ``BodyCheck`` is
what a caller hands the exchange to look at a 200's decoded body while it streams in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Protocol

from scraper.inflate import READ_STEP, Inflater


class BodyCheck(Protocol):
    """Looks at a 200's decoded body while it streams in; ``ok()`` at the end says
    whether it is the kind of page that was asked for."""

    def feed(self, chunk: bytes) -> None: ...

    def ok(self) -> bool: ...


@dataclass
class Response:
    """A final (non-redirect) response.

    For a 200, ``body`` holds the bytes as they came over the wire (still
    ``Content-Encoding``-encoded: that is what the WARC archive keeps) and ``sha256``,
    ``size`` and ``looks_right`` describe the decoded body, computed while streaming.
    ``read()`` and ``iter_chunks()`` give the decoded bytes.
    """

    url: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    elapsed_ms: int
    redirects: int = 0
    wire_bytes: int = 0
    size: int = 0
    sha256: str | None = None
    raw_sha256: str | None = None
    encoding: str = "identity"
    looks_right: bool | None = None
    body: IO[bytes] | None = field(default=None, repr=False)

    _by_name: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case)."""
        if self._by_name is None:
            by_name: dict[str, str] = {}
            for key, value in self.headers:
                by_name.setdefault(key.lower(), value)
            self._by_name = by_name
        return self._by_name.get(name.lower())

    def raw_chunks(self, size: int = READ_STEP) -> Iterator[bytes]:
        if self.body is None:
            return
        self.body.seek(0)
        try:
            while chunk := self.body.read(size):
                yield chunk
        finally:
            self.body.seek(0)

    def iter_chunks(self) -> Iterator[bytes]:
        """The decoded body in pieces (inflated again from the raw bytes if encoded)."""
        if self.encoding == "identity":
            yield from self.raw_chunks()
            return
        inflater = Inflater(self.encoding, max(self.size, 1))
        for raw in self.raw_chunks():
            yield from inflater.feed(raw)
        yield from inflater.finish()

    def read(self) -> bytes:
        return b"".join(self.iter_chunks())

    def close(self) -> None:
        if self.body is not None:
            self.body.close()
            self.body = None
