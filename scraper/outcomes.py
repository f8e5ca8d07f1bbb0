"""How a fetch becomes its fetch log row: the outcome of a response or a failure, the
conditional headers a known page is asked with, and the counters a page moves.

Outcomes (``schemas.database.OUTCOMES``): a 200 is ``new``, ``changed`` or ``unchanged``
by its decoded body's hash against the one stored; a 304 to a conditional request is
``not_modified``; 404 and 410 are ``gone``; 403 and 429 ``blocked`` (the site refuses
us). A block page, a ``Retry-After`` beyond the cap and a URL or redirect robots.txt
disallows are ``blocked``, ``deferred`` and ``robots_skipped``; anything else is
``failed``.
"""

from __future__ import annotations

from schemas.errors import BlockedPage, FetchError, RetryAfterTooLong, RobotsDisallowed
from scraper.response import Response
from scraper.retry import Attempts
from store.crawl_records import FetchRecord, FrontierItem

REFUSING = frozenset({403, 429})
"""Statuses by which a site refuses us: they count toward the breaker and ``blocked``."""


def conditional_headers(item: FrontierItem) -> tuple[dict[str, str], str | None]:
    """The validators to send for a page stored before, and the hash of its body; none
    for a page never stored."""
    known = item.known
    if known is None or known.content_sha256 is None:
        return {}, None
    headers = {}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    return headers, known.content_sha256


def failure_record(url: str, exc: FetchError, attempts: Attempts) -> FetchRecord:
    """The fetch log row of a URL whose fetch ended in ``exc``."""
    if isinstance(exc, RetryAfterTooLong):
        outcome = "deferred"
    elif isinstance(exc, BlockedPage):
        outcome = "blocked"
    elif isinstance(exc, RobotsDisallowed):
        outcome = "robots_skipped"
    else:
        outcome = "failed"
    wire = exc.response.wire_bytes if isinstance(exc, BlockedPage) else 0
    return FetchRecord(
        outcome, url, status=exc.status, attempts=attempts.made, bytes=wire, error=str(exc)
    )


def response_record(response: Response, known_sha: str | None, conditional: bool) -> FetchRecord:
    """The fetch log row of a response; ``known_sha`` is the stored body's hash and
    ``conditional`` whether validators were sent."""
    status = response.status
    record = FetchRecord(
        "failed",
        response.url,
        status=status,
        bytes=response.wire_bytes,
        elapsed_ms=response.elapsed_ms,
        etag=response.header("etag"),
        last_modified=response.header("last-modified"),
    )
    if status == 304 and conditional:
        record.outcome = "not_modified"
    elif status in (404, 410):
        record.outcome = "gone"
    elif status in REFUSING:
        record.outcome, record.error = "blocked", f"HTTP {status}: the site refuses us"
    elif status != 200:
        record.error = f"HTTP {status}" + (" (redirect without Location)" if status < 400 else "")
    else:
        record.content_sha256 = response.sha256
        if known_sha is not None and response.sha256 == known_sha:
            record.outcome = "unchanged"
        else:
            record.outcome = "changed" if known_sha is not None else "new"
    return record


def page_counts(record: FetchRecord, attempts: Attempts | None, rejected: int) -> dict[str, int]:
    """The run counters a recorded page moves: its outcome, its bytes, the links it had
    that the crawl rejected, and (when it was requested) ``fetched`` and ``retried``."""
    counts = {record.outcome: 1, "bytes": record.bytes, "rejected_urls": rejected}
    if record.outcome != "robots_skipped":
        counts["fetched"] = 1
    if attempts is not None:
        counts["retried"] = attempts.retried
    return counts
