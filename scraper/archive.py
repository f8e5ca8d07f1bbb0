"""The raw archive: fetched page bodies in standard gzipped WARC 1.1 files, read with warcio.

Each page body is stored once, as a ``response`` record, and referenced from the fetch
log by file name (relative to the archive directory) and byte offset, so parsing can be
re-run later without refetching. Every record is its own gzip member, so a reader can
seek straight to an offset.

The stored body is the one that came over the wire, ``Content-Encoding`` and all (only
the chunked transfer coding is undone, the header kept as
``X-Archive-Orig-Transfer-Encoding``), as WARC readers expect. A gzip-encoded payload is
already compressed, so its record's gzip member stores it without compressing it again
(level 0: deflating 200 KB pages again costs more CPU than the rest of the crawl);
other payloads are deflated at ``compress_level``. ``read_body`` undoes the
``Content-Encoding`` and returns the decoded HTML, the bytes the crawler hashed.

A writer never appends to an existing file: a process killed mid-record leaves at most a
truncated last record in its own file, which nothing in the fetch log points to.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import os
import re
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, BinaryIO

from warcio.archiveiterator import ArchiveIterator

DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
_DROPPED_HEADERS = {"transfer-encoding", "content-length"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ArchiveError(RuntimeError):
    """A fetch log reference that does not lead to a readable response record."""


@dataclass(frozen=True)
class ArchiveRef:
    """Where a stored body is: ``warc_file`` relative to the archive directory."""

    warc_file: str
    warc_offset: int


class _GzipMember:
    """A file wrapper that gzips everything written between two ``flush()`` calls as one
    member (one record), at the level ``next_member_level`` set, in steps of at most
    ``STEP`` bytes."""

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
        self._pending.append(data)
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


def _fields(pairs: Iterable[tuple[str, str]]) -> str:
    return "".join(f"{name}: {value}\r\n" for name, value in pairs)


def _http_block(
    status: int, reason: str, headers: Iterable[tuple[str, str]], length: int
) -> tuple[bytes, bool]:
    """The record's HTTP status line and header block, and whether its payload is
    content-encoded."""
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
    status_line = f"HTTP/1.1 {status} {reason or 'OK'}".strip()
    return f"{status_line}\r\n{_fields(kept)}\r\n".encode("latin-1"), encoded


def _steps(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(_GzipMember.STEP):
        yield chunk


class WarcArchive:
    """Writes response records into ``archive_dir``, rotating files at ``max_file_bytes``.

    Records are serialized here, not with warcio's writer: warcio builds each record
    through header objects (``StatusAndHeaders``, a ``lower()`` per header per lookup),
    which cost 0.08 ms a page in a tight loop and ~0.19 ms inside a crawl, a tenth of a
    crawled page's CPU; the bytes written are the same WARC/1.1. Reading stays warcio's
    (``read_response``), and the tests run ``warcio check`` over written files.

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
        self._name: str | None = None
        self.files_written: list[str] = []

    def __enter__(self) -> WarcArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._fh = self._name = None

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
        created = datetime.now(UTC).isoformat(timespec="seconds")
        info = _fields(
            [("software", "careers-etl"), ("format", "WARC File Format 1.1"), ("created", created)]
        ).encode("utf-8")
        headers = [
            ("WARC-Date", _warc_date(datetime.now(UTC))),
            ("WARC-Filename", name),
            ("WARC-Block-Digest", _sha256_label(hashlib.sha256(info).digest())),
        ]
        self._write_record(
            "warcinfo", headers, "application/warc-fields", [info], len(info), self.compress_level
        )
        self.files_written.append(name)

    def _write_record(
        self,
        rec_type: str,
        headers: list[tuple[str, str]],
        content_type: str,
        block: Iterable[bytes],
        length: int,
        level: int,
    ) -> None:
        """One record as one gzip member: WARC header, ``length`` bytes of ``block``."""
        head = [
            ("WARC-Type", rec_type),
            ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
            *headers,
            ("Content-Type", content_type),
            ("Content-Length", str(length)),
        ]
        self._member.next_member_level(level)
        self._member.write(f"WARC/1.1\r\n{_fields(head)}\r\n".encode())
        for part in block:
            self._member.write(part)
        self._member.write(b"\r\n\r\n")
        self._member.flush()

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
        assert self._fh is not None and self._name is not None
        http, encoded = _http_block(status, reason, headers, length)
        digest = hashlib.sha256(http)
        if isinstance(body, bytes | bytearray):
            if len(body) != length:
                raise ArchiveError(f"body of {url} has {len(body)} bytes, not {length}")
            digest.update(body)
            payload: Iterable[bytes] = (bytes(body),)
        else:
            start = body.tell()
            available = body.seek(0, io.SEEK_END) - start
            body.seek(start)
            if available != length:
                raise ArchiveError(f"body of {url} has {available} bytes from here, not {length}")
            for chunk in _steps(body):
                digest.update(chunk)
            body.seek(start)
            payload = _steps(body)
        warc_headers = [
            ("WARC-Target-URI", url),
            ("WARC-Date", _warc_date(fetched_at or datetime.now(UTC))),
            ("WARC-Payload-Digest", _sha256_label(bytes.fromhex(sha256_hex))),
            ("WARC-Block-Digest", _sha256_label(digest.digest())),
            *(extra_warc_headers or {}).items(),
        ]
        offset = self._fh.tell()
        level = 0 if encoded else self.compress_level
        block = itertools.chain((http,), payload)
        content_type = "application/http; msgtype=response"
        self._write_record("response", warc_headers, content_type, block, len(http) + length, level)
        return ArchiveRef(self._name, offset)


def _warc_date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _resolve(archive_dir: Path, warc_file: str) -> Path:
    root = Path(archive_dir).resolve()
    path = (root / warc_file).resolve()
    if root not in path.parents:
        raise ArchiveError(f"{warc_file!r} is outside the archive directory {root}")
    return path


def read_response(archive_dir: Path, warc_file: str, warc_offset: int) -> tuple[str, bytes]:
    """``(target URI, decoded body)`` of the response record at ``warc_offset``."""
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
                return uri, record.content_stream().read()
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise ArchiveError(f"cannot read {warc_file}@{warc_offset}: {exc}") from exc
    raise ArchiveError(f"no record at {warc_file}@{warc_offset}")


def read_body(archive_dir: Path, warc_file: str, warc_offset: int) -> bytes:
    """The decoded HTML body bytes (``Content-Encoding`` undone) stored at
    ``warc_file``/``warc_offset``."""
    return read_response(archive_dir, warc_file, warc_offset)[1]
