"""Which comparison URL misbehaves how, and the bytes of the nastier misbehaviours.

A profile names the fault kinds in play and the seeded fraction of comparison pages
that get one. Transient kinds fail a URL's first ``tries`` requests (1 or 2) from a
client and then serve the page, so every one recovers by the third try. Permanent kinds
fail every time (the block page gives way only after three blocks in a row to one
client, so a polite crawler's breaker is never tripped by the site alone).
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

TRANSIENT: tuple[str, ...] = (
    "429",  # Retry-After in seconds (1 or 2)
    "429-date",  # Retry-After as an HTTP-date at most 2 s ahead
    "500",
    "502",
    "503",
    "504",
    "drop",  # connection closed without a response
    "slow",  # response only after ``slow_seconds`` (beyond the client's timeout)
    "truncate",  # Content-Length of the page, half the body, then the connection closes
)
PERMANENT: tuple[str, ...] = (
    "404",
    "410",
    "block",  # 200 "Access denied" page
    "offsite",  # 302 to another host
    "loop",  # 302 -> /redirect-loop/... -> 302 back, forever
    "huge",  # 200 with a 64 MiB body
    "gzip-bomb",  # 200, Content-Encoding gzip, a small body that inflates to 2 GiB
)

PROFILES: dict[str, tuple[float, tuple[str, ...]]] = {
    "clean": (0.0, ()),
    "flaky": (0.15, TRANSIENT),
    "hostile": (0.3, TRANSIENT + PERMANENT),
}

MAX_BLOCKS_IN_A_ROW = 3
OFFSITE_BASE = "https://offsite.example"
HUGE_BODY_BYTES = 64 * 1024 * 1024
BOMB_INFLATED_MIB = 2048


@dataclass(frozen=True)
class Fault:
    kind: str
    tries: int  # transient: requests that fail before the page is served; permanent: 0

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT

    def applies(self, attempt: int) -> bool:
        """Whether a client's ``attempt``-th request (1-based) of the URL gets the fault."""
        return not self.transient or attempt <= self.tries

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "tries": self.tries, "transient": self.transient}


def plan_faults(seed: int, paths: list[str], profile: str) -> dict[str, Fault]:
    """Fault per path for ``profile``: a seeded sample of ``paths``, the kinds dealt in
    turn so each kind appears once there are as many faulted pages as kinds."""
    if profile not in PROFILES:
        raise ValueError(f"unknown fault profile {profile!r}; choose from {sorted(PROFILES)}")
    fraction, kinds = PROFILES[profile]
    if not kinds or not paths:
        return {}
    rng = random.Random(f"{seed}:faults:{profile}")
    count = min(len(paths), max(len(kinds), round(fraction * len(paths))))
    chosen = rng.sample(paths, count)
    plan = {}
    for i, path in enumerate(chosen):
        kind = kinds[i % len(kinds)]
        plan[path] = Fault(kind, rng.choice((1, 2)) if kind in TRANSIENT else 0)
    return plan


BLOCK_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Access denied</title></head>
<body><div class="px-captcha-container"><h1>Access to this page has been denied</h1>
<p>We detected unusual activity from your network. Please verify you are a human
to continue.</p><div id="px-captcha"></div>
<p>Reference ID: 5f2c9a10-6b1e-11ef-a3d4-0242ac120002</p></div></body></html>
"""


def error_page(status: int, reason: str) -> bytes:
    return (
        f"<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>"
        f"<body><h1>{status} {reason}</h1></body></html>\n"
    ).encode()


def huge_chunks(chunk_size: int = 256 * 1024) -> Iterator[bytes]:
    """A ``HUGE_BODY_BYTES`` HTML body in chunks, never whole in memory."""
    head = b"<!DOCTYPE html><html><head><title>Loading</title></head><body><!--"
    filler = b"x" * chunk_size
    sent = 0
    yield head
    sent += len(head)
    while sent < HUGE_BODY_BYTES:
        piece = filler[: min(chunk_size, HUGE_BODY_BYTES - sent)]
        sent += len(piece)
        yield piece


@lru_cache(maxsize=1)
def _bomb_blocks() -> tuple[bytes, bytes]:
    """(gzip header + the first MiB of zeros, each further MiB): after a full flush the
    deflate state is reset, so every further MiB compresses to the same bytes."""
    zeros = bytes(1024 * 1024)
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    again = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    assert block == again
    return first, block


_FINAL_EMPTY_BLOCK = b"\x03\x00"


@lru_cache(maxsize=4)
def bomb_trailer(mib: int) -> bytes:
    """Final deflate block, CRC32 and size of ``mib`` MiB of zeros (the CRC of gigabytes
    is costly, so it is computed once and only for a client that reads that far)."""
    zeros = bytes(1024 * 1024)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    return _FINAL_EMPTY_BLOCK + struct.pack("<II", crc, (mib * 1024 * 1024) & 0xFFFFFFFF)


def bomb_length(mib: int) -> int:
    first, block = _bomb_blocks()
    return len(first) + (mib - 1) * len(block) + len(_FINAL_EMPTY_BLOCK) + 8


def bomb_chunks(mib: int) -> Iterator[bytes]:
    """The gzip stream of ``mib`` MiB of zeros, without its trailer, about 64 KB a chunk."""
    first, block = _bomb_blocks()
    yield first
    per_chunk = max(1, 65536 // len(block))
    left = mib - 1
    while left > 0:
        n = min(per_chunk, left)
        yield block * n
        left -= n
