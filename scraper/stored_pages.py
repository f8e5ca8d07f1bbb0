"""What a parse worker runs: read a stored body from the WARC archive, parse it, and turn
the record into the rows the loader writes (``schemas.rows``), all in the worker.

The loader's pool (``pipeline.load.pool``) sends chunks of ``StoredPage`` to a worker
(``scraper.parse_worker``) and gets back ``Outcome`` tuples of plain data, cheap to
pickle. This module imports only the parser, the archive reader and the record models, so
a worker never holds the database, pandas or the HTTP stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from schemas.errors import ArchiveError, ParseError
from schemas.rows import PageRows, page_rows
from scraper.archive import read_page
from scraper.document import parse_body
from scraper.urls import record_place


class StoredPage(NamedTuple):
    """Where a fetched body is: its URL and its WARC record."""

    url: str
    warc_file: str
    warc_offset: int


class Outcome(NamedTuple):
    """One stored page parsed: its rows, or the reason there are none."""

    rows: PageRows | None
    error_kind: str | None = None
    error_message: str | None = None
    charset: str | None = None
    """The codec the body was decoded with."""


class Hello(NamedTuple):
    """A parse worker's first answer (``scraper.parse_worker``): its pid and the modules
    it has loaded."""

    pid: int
    modules: list[str]


class ChunkFailed(NamedTuple):
    """A parse worker's answer for a chunk that raised (a bug beyond one page's parse):
    the worker's traceback, as text."""

    traceback: str


def parse_stored(archive_dir: Path, page: StoredPage) -> Outcome:
    """Read one stored body, decode it by the ``Content-Type`` it was served with, parse
    it and make its rows; failures come back as the outcome's error."""
    try:
        stored = read_page(archive_dir, page.warc_file, page.warc_offset)
    except ArchiveError as exc:
        return Outcome(None, "archive_unreadable", str(exc))
    try:
        parsed = parse_body(stored.body, page.url, stored.content_type)
    except ParseError as exc:
        return Outcome(None, exc.kind, str(exc))
    except Exception as exc:  # a parser bug must not stop the load; --reparse retries it
        return Outcome(None, "parser_crash", f"{type(exc).__name__}: {exc}")
    record = parsed.record
    where = record_place(record.url, page.url, (record.role_a.slug, record.role_b.slug))
    return Outcome(page_rows(record, *where), charset=parsed.charset)


def parse_chunk(archive_dir: Path, chunk: list[StoredPage]) -> list[Outcome]:
    return [parse_stored(archive_dir, page) for page in chunk]
