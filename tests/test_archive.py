"""The WARC archive: one response record per body, readable back by file and offset."""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from schemas.errors import ArchiveError
from scraper.archive import WarcArchive, read_body, read_page


def _write(archive: WarcArchive, url: str, body: bytes, encoding: str = "gzip"):
    """Store ``body`` as a server would have sent it: gzip-encoded unless ``identity``."""
    payload = gzip.compress(body) if encoding in ("gzip", "x-gzip") else body
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked")]
    if encoding != "identity":
        headers.append(("Content-Encoding", encoding))
    return archive.write_response(
        url, 200, headers, payload, len(payload), hashlib.sha256(payload).hexdigest()
    )


def test_bodies_read_back_by_offset_and_files_rotate(tmp_path: Path) -> None:
    bodies = [os.urandom(900) + f"<html>page {i}</html>".encode() for i in range(12)]
    with WarcArchive(tmp_path, prefix="20261125T201500Z-ab12", max_file_bytes=4000) as archive:
        refs = [_write(archive, f"http://127.0.0.1/p{i}", b) for i, b in enumerate(bodies)]
        files = list(archive.files_written)
    assert len(files) > 1, "size rotation should have opened more than one file"
    assert {r.warc_file for r in refs} == set(files)
    for i, (ref, body) in enumerate(zip(refs, bodies, strict=True)):
        assert not Path(ref.warc_file).is_absolute()
        assert read_body(tmp_path, ref.warc_file, ref.warc_offset) == body
        uri = read_page(tmp_path, ref.warc_file, ref.warc_offset).uri
        assert uri == f"http://127.0.0.1/p{i}"


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "identity"])
def test_records_keep_the_payload_as_received_and_read_back_decoded(
    tmp_path: Path, encoding: str
) -> None:
    body = b"<html><table><tr><td>Yearly salary</td></tr></table></html>" * 50
    with WarcArchive(tmp_path, prefix="run") as archive:
        ref = _write(archive, "http://127.0.0.1/a-jobs/a-vs-b-differences/", body, encoding)
    assert read_body(tmp_path, ref.warc_file, ref.warc_offset) == body
    with (tmp_path / ref.warc_file).open("rb") as fh:
        records = [
            (r.rec_type, r.rec_headers.get_header("WARC-Payload-Digest"), r.http_headers)
            for r in ArchiveIterator(fh)
        ]
    assert [r[0] for r in records] == ["warcinfo", "response"]
    _, digest, http = records[1]
    assert digest and digest.startswith("sha256:")
    assert http.get_header("Transfer-Encoding") is None
    assert http.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    if encoding == "identity":
        assert http.get_header("Content-Length") == str(len(body))
    else:
        assert http.get_header("Content-Encoding") == "gzip"
        assert int(http.get_header("Content-Length")) < len(body)
    # every record is its own gzip member: the file is plain concatenated gzip
    assert b"WARC/1.1" in gzip.decompress((tmp_path / ref.warc_file).read_bytes())


def test_warcio_check_passes_on_written_files(tmp_path: Path) -> None:
    import subprocess
    import sys

    with WarcArchive(tmp_path, prefix="run") as archive:
        for i, encoding in enumerate(["gzip", "identity", "gzip"]):
            _write(archive, f"http://h/{i}", f"<p>{i}</p>".encode() * 300, encoding)
        name = archive.files_written[0]
    warcio = Path(sys.executable).parent / "warcio"
    checked = subprocess.run(
        [str(warcio), "check", "-v", str(tmp_path / name)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("digest pass") == 4


def test_warcio_check_passes_on_a_big_spooled_body_and_a_latin1_header(tmp_path: Path) -> None:
    """A body over the spool size is read from a file, from where its stream stands; a
    header value with a latin-1 byte (as httpx decodes it) is written without error."""
    import subprocess
    import sys
    import tempfile

    body = os.urandom(3_000_000)
    with (
        tempfile.SpooledTemporaryFile(max_size=1024) as spool,
        WarcArchive(tmp_path, prefix="run") as archive,
    ):
        spool.write(b"not part of the body")
        start = spool.tell()
        spool.write(body)
        spool.seek(start)
        headers = [("Content-Type", "application/octet-stream"), ("ETag", 'W/"caf\xe9"')]
        ref = archive.write_response(
            "http://h/big", 200, headers, spool, len(body), hashlib.sha256(body).hexdigest()
        )
    warcio = Path(sys.executable).parent / "warcio"
    checked = subprocess.run(
        [str(warcio), "check", "-v", str(tmp_path / ref.warc_file)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert read_body(tmp_path, ref.warc_file, ref.warc_offset) == body


def test_spooled_file_bodies_and_new_file_per_writer(tmp_path: Path) -> None:
    import tempfile

    body = b"x" * 300_000
    with (
        tempfile.SpooledTemporaryFile(max_size=1024) as spool,
        WarcArchive(tmp_path, prefix="run") as first,
    ):
        spool.write(body)
        spool.seek(0)
        ref1 = first.write_response(
            "http://h/1", 200, [], spool, len(body), hashlib.sha256(body).hexdigest()
        )
    with WarcArchive(tmp_path, prefix="run") as second:
        ref2 = _write(second, "http://h/2", b"two")
    assert ref1.warc_file != ref2.warc_file, "a writer never appends to an existing file"
    assert read_body(tmp_path, ref1.warc_file, ref1.warc_offset) == body
    assert read_body(tmp_path, ref2.warc_file, ref2.warc_offset) == b"two"


def test_truncated_tail_leaves_earlier_records_readable(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, prefix="run") as archive:
        good = _write(archive, "http://h/good", b"good body")
        bad = _write(archive, "http://h/bad", b"y" * 5000)
    path = tmp_path / good.warc_file
    path.write_bytes(path.read_bytes()[: bad.warc_offset + 40])  # killed mid-record
    assert read_body(tmp_path, good.warc_file, good.warc_offset) == b"good body"
    with pytest.raises(ArchiveError):
        read_body(tmp_path, bad.warc_file, bad.warc_offset)


def test_bad_references_raise_archive_error(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, prefix="run") as archive:
        ref = _write(archive, "http://h/1", b"body")
    with pytest.raises(ArchiveError):
        read_body(tmp_path, ref.warc_file, 0)  # the warcinfo record
    with pytest.raises(ArchiveError):
        read_body(tmp_path, "missing.warc.gz", 0)
    with pytest.raises(ArchiveError):
        read_body(tmp_path, "../outside.warc.gz", 0)


def test_a_body_shorter_than_its_length_is_refused(tmp_path: Path) -> None:
    import io

    stream = io.BytesIO(b"0123456789")
    stream.seek(6)  # a caller that left the file mid-way
    with WarcArchive(tmp_path, prefix="run") as archive, pytest.raises(ArchiveError):
        archive.write_response("http://h/1", 200, [], stream, 10, hashlib.sha256(b"").hexdigest())
