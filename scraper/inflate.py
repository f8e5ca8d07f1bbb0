"""Bounded inflation of ``gzip`` and ``deflate`` bodies.

``zlib`` would inflate a whole chunk at once, so a compression bomb would be in memory
before any check ran; ``Inflater`` hands out at most ``READ_STEP`` bytes of output at a
time and stops at its limit. The HTTP exchange inflates a body through it while the body
streams in, ``Response`` when the body is read again, and the sitemaps for ``.xml.gz``
files.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from schemas.errors import LimitExceeded, TransientError

READ_STEP = 64 * 1024
"""Bytes read, or inflated, in one step."""


class Inflater:
    """Bounded inflation of gzip/deflate: never more than one step of output at a time."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.total = 0
        wbits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._raw_deflate_fallback = encoding == "deflate"
        self._d = zlib.decompressobj(wbits)
        self._started = False

    def _check(self, out: bytes) -> bytes:
        self.total += len(out)
        if self.total > self.limit:
            raise LimitExceeded(f"body inflates beyond {self.limit} bytes (compression bomb?)")
        return out

    def feed(self, data: bytes) -> Iterable[bytes]:
        if not self._started and self._raw_deflate_fallback and data:
            self._started = True
            # RFC 9110 "deflate" is zlib-wrapped, but some servers send raw deflate.
            if (data[0] & 0x0F) != 8:
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        self._started = True
        try:
            while data and not self._d.eof:
                out = self._d.decompress(data, READ_STEP)
                if out:
                    yield self._check(out)
                data = self._d.unconsumed_tail
        except zlib.error as exc:
            raise TransientError(f"corrupt compressed body: {exc}") from exc

    @property
    def complete(self) -> bool:
        return self._d.eof

    def finish(self) -> Iterable[bytes]:
        try:
            out = self._d.flush(READ_STEP)
        except zlib.error as exc:
            raise TransientError(f"corrupt compressed body: {exc}") from exc
        if out:
            yield self._check(out)
