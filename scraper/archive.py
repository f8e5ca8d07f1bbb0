"""The raw archive: fetched page bodies in standard gzipped WARC files (warcio).

Each page body is stored once, as a ``response`` record, and referenced from the fetch
log by file name (relative to the archive directory) and byte offset, so parsing can be
re-run later without refetching. Every record is its own gzip member, so a reader can
seek straight to an offset.

The stored body is the one that came over the wire, ``Content-Encoding`` and all (only
the chunked transfer coding is undone, the header kept as
``X-Archive-Orig-Transfer-Encoding``), as WARC readers expect. A gzip-encoded payload is
already compressed, so its record's gzip member stores it without compressing it again
(level 0: deflating compressed bytes again spends CPU for nothing);
other payloads are deflated at ``compress_level``. ``read_body`` undoes the
``Content-Encoding`` and returns the decoded HTML, the bytes the crawler hashed.

A writer never appends to an existing file: a process killed mid-record leaves at most a
truncated last record in its own file, which nothing in the fetch log points to.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, BinaryIO, NamedTuple

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from schemas.errors import ArchiveError

DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
_DROPPED_HEADERS = {"transfer-encoding", "content-length"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ArchiveRef:
    """Where a stored body is: ``warc_file`` relative to the archive directory."""

    warc_file: str
    warc_offset: int


class _GzipMember:
    """A file wrapper that gzips everything written between two ``flush()`` calls as one
    member, compressing in large steps.

    warcio writes in 16 KB pieces (and its own gzip wrapper always uses level 9), so this
    wrapper gathers up to ``STEP`` bytes per ``compress`` call: a record of a page costs
    one or two calls instead of one per piece.
    """

    STEP = 1024 * 1024

    def __init__(self, raw: BinaryIO, level: int) -> None:
        self._raw = raw
        self.level = level
        self._compressor = self._new()
        self._pending: list[bytes] = []
        self._pending_size = 0

    def _new(self) -> zlib._Compress:
        return zlib.compressobj(self.level, zlib.DEFLATED, zlib.MAX_WBITS + 16)

    def write(self, data: bytes) -> int:
        self._pending.append(bytes(data))
        self._pending_size += len(data)
        if self._pending_size >= self.STEP:
            self._compress_pending()
        return len(data)

    def _compress_pending(self) -> None:
        if self._pending:
            self._raw.write(self._compressor.compress(b"".join(self._pending)))
            self._pending.clear()
            self._pending_size = 0

    def flush(self) -> None:
        self._compress_pending()
        self._raw.write(self._compressor.flush())
        self._raw.flush()
        self._compressor = self._new()

    def next_member_level(self, level: int) -> None:
        """Compress the next member (record) at ``level``."""
        if level != self.level:
            self.level = level
            self._compressor = self._new()


def _sha256_label(digest: bytes) -> str:
    return "sha256:" + base64.b32encode(digest).decode("ascii")


def _block_digest(http: StatusAndHeaders, stream: IO[bytes], start: int) -> str:
    """WARC-Block-Digest (HTTP header block + payload), read in large steps so the hash
    runs with the GIL released; warcio would otherwise hash in 16 KB pieces."""
    http.compute_headers_buffer()
    digest = hashlib.sha256(http.headers_buff)
    while chunk := stream.read(_GzipMember.STEP):
        digest.update(chunk)
    stream.seek(start)
    return _sha256_label(digest.digest())


def _http_headers(
    status: int, reason: str, headers: Iterable[tuple[str, str]], length: int
) -> tuple[StatusAndHeaders, bool]:
    """The record's HTTP header block, and whether its payload is content-encoded."""
    kept: list[tuple[str, str]] = []
    encoded = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-encoding":
            coding = value.strip().lower()
            encoded = coding not in ("", "identity")
            if coding == "x-gzip":  # readers (warcio) know it as gzip
                kept.append((f"X-Archive-Orig-{name}", value))
                value = "gzip"
            kept.append((name, value))
        elif lowered in _DROPPED_HEADERS:
            if lowered == "transfer-encoding":
                kept.append((f"X-Archive-Orig-{name}", value))
        else:
            kept.append((name, value))
    kept.append(("Content-Length", str(length)))
    status_line = f"{status} {reason or 'OK'}".strip()
    return StatusAndHeaders(status_line, kept, protocol="HTTP/1.1"), encoded


class WarcArchive:
    """Writes response records into ``archive_dir``, rotating files at ``max_file_bytes``.

    Not thread-safe: use one writer per thread (the crawler keeps one, on its event loop).
    """

    def __init__(
        self,
        archive_dir: Path,
        prefix: str = "careers",
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        compress_level: int = 3,
    ) -> None:
        self.archive_dir = Path(archive_dir)
        self.prefix = _SAFE_NAME.sub("-", prefix)
        self.max_file_bytes = max_file_bytes
        self.compress_level = compress_level
        self._fh: BinaryIO | None = None
        self._member: _GzipMember
        self._writer: WARCWriter | None = None
        self._name: str | None = None
        self.files_written: list[str] = []

    def __enter__(self) -> WarcArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._fh = self._writer = self._name = None

    def _open_next(self) -> None:
        self.close()
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        seq = 0
        while True:
            name = f"{self.prefix}-{os.getpid()}-{seq:05d}.warc.gz"
            try:
                fh = open(self.archive_dir / name, "xb")  # noqa: SIM115 - kept open across calls
            except FileExistsError:
                seq += 1
                continue
            break
        self._fh, self._name = fh, name
        self._member = _GzipMember(fh, self.compress_level)
        self._writer = WARCWriter(self._member, gzip=False, warc_version="1.1")
        info = {
            "software": "careers-etl",
            "format": "WARC File Format 1.1",
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self._writer.write_record(self._writer.create_warcinfo_record(name, info))
        self.files_written.append(name)

    def write_response(
        self,
        url: str,
        status: int,
        headers: Iterable[tuple[str, str]],
        body: IO[bytes] | bytes,
        length: int,
        sha256_hex: str,
        reason: str = "",
        fetched_at: datetime | None = None,
        extra_warc_headers: dict[str, str] | None = None,
    ) -> ArchiveRef:
        """Append one response record; return where it starts. ``body`` (bytes or a
        readable binary file positioned at the start) holds the ``length`` payload bytes
        as received (encoded as ``headers`` say); ``sha256_hex`` is their digest."""
        if self._fh is None or self._fh.tell() >= self.max_file_bytes:
            self._open_next()
        assert self._fh is not None and self._writer is not None and self._name is not None
        stream: IO[bytes] = io.BytesIO(body) if isinstance(body, bytes | bytearray) else body
        start = stream.tell()
        available = stream.seek(0, io.SEEK_END) - start
        stream.seek(start)
        if available != length:
            raise ArchiveError(f"body of {url} has {available} bytes from here, not {length}")
        when = (fetched_at or datetime.now(UTC)).astimezone(UTC)
        http, encoded = _http_headers(status, reason, headers, length)
        warc_headers = {
            "WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "WARC-Payload-Digest": _sha256_label(bytes.fromhex(sha256_hex)),
            "WARC-Block-Digest": _block_digest(http, stream, start),
            **(extra_warc_headers or {}),
        }
        record = self._writer.create_warc_record(
            url,
            "response",
            payload=stream,
            length=length,
            warc_headers_dict=warc_headers,
            http_headers=http,
        )
        offset = self._fh.tell()
        self._member.next_member_level(0 if encoded else self.compress_level)
        self._writer.write_record(record)
        return ArchiveRef(self._name, offset)


def _resolve(archive_dir: Path, warc_file: str) -> Path:
    root = Path(archive_dir).resolve()
    path = (root / warc_file).resolve()
    if root not in path.parents:
        raise ArchiveError(f"{warc_file!r} is outside the archive directory {root}")
    return path


class StoredPage(NamedTuple):
    uri: str
    body: bytes
    """The body with its ``Content-Encoding`` undone."""
    content_type: str | None
    """The ``Content-Type`` the site sent with it (its charset decides the decode)."""


def read_page(archive_dir: Path, warc_file: str, warc_offset: int) -> StoredPage:
    """The response record at ``warc_file``/``warc_offset``."""
    path = _resolve(archive_dir, warc_file)
    try:
        with path.open("rb") as fh:
            fh.seek(warc_offset)
            for record in ArchiveIterator(fh):
                if record.rec_type != "response":
                    raise ArchiveError(
                        f"{warc_file}@{warc_offset} is a {record.rec_type} record, not a response"
                    )
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                headers = record.http_headers
                content_type = headers.get_header("Content-Type") if headers else None
                return StoredPage(uri, record.content_stream().read(), content_type)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise ArchiveError(f"cannot read {warc_file}@{warc_offset}: {exc}") from exc
    raise ArchiveError(f"no record at {warc_file}@{warc_offset}")


def read_body(archive_dir: Path, warc_file: str, warc_offset: int) -> bytes:
    """The decoded HTML body bytes (``Content-Encoding`` undone) stored at
    ``warc_file``/``warc_offset``."""
    return read_page(archive_dir, warc_file, warc_offset).body
