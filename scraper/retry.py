"""The retry policy around one fetch, on tenacity.

Connection errors, timeouts, 408, 429 and 5xx are retried with exponential backoff and
jitter, up to ``max_attempts``; a 200 that its ``BodyCheck`` does not recognise is a
block page, retried once. ``Retry-After`` pauses the whole host (its gate in
``scraper.politeness``) and, when longer than ``retry_after_cap``, defers the URL at
once instead of waiting.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from schemas.errors import BlockedPage, RetryableStatus, RetryAfterTooLong, TransientError
from schemas.settings import RetrySettings
from scraper.fetch import Fetcher
from scraper.response import BodyCheck, Response
from scraper.urls import host_of

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class Attempts:
    """How a URL's fetch went round: attempts made, and which of them were retries."""

    made: int = 0
    retried: int = 0
    blocked: int = 0


def _backoff(retries: RetrySettings) -> Any:
    """Exponential from ``backoff_base``, capped at ``backoff_cap``, plus up to
    ``backoff_base`` of random jitter so retries from several workers spread out."""
    return wait_exponential(multiplier=retries.backoff_base, max=retries.backoff_cap) + wait_random(
        0, retries.backoff_base
    )


async def fetch_with_retries(
    fetcher: Fetcher,
    url: str,
    retries: RetrySettings,
    headers: dict[str, str] | None = None,
    check: Callable[[str], BodyCheck] | None = None,
    attempts: Attempts | None = None,
    on_response: Callable[[str, bool], None] | None = None,
) -> Response:
    """``url`` fetched with the retry policy. A 200 whose ``check`` fails is a block
    page, retried once. ``on_response(host, refused)`` sees every response (the
    breaker). Raises the last ``FetchError`` when attempts run out; a Retry-After above
    the cap raises ``RetryAfterTooLong`` at once."""
    attempts = attempts if attempts is not None else Attempts()
    host = host_of(url)

    def stop(state: RetryCallState) -> bool:
        if stop_after_attempt(retries.max_attempts)(state):
            return True
        return attempts.blocked >= 2

    async def attempt() -> Response:
        attempts.made += 1
        if attempts.made > 1:
            attempts.retried += 1
        response = await fetcher.get(url, headers, check)
        return _judged(response, host, fetcher, retries, attempts, on_response)

    retrying = AsyncRetrying(
        stop=stop,
        wait=_backoff(retries),
        retry=retry_if_exception_type((TransientError, RetryableStatus, BlockedPage)),
        reraise=True,
    )
    async for try_ in retrying:
        with try_:
            return await attempt()
    raise AssertionError("unreachable: tenacity either returns or re-raises")


def _judged(
    response: Response,
    host: str,
    fetcher: Fetcher,
    retries: RetrySettings,
    attempts: Attempts,
    on_response: Callable[[str, bool], None] | None,
) -> Response:
    """``response`` when it is an answer to keep; else the error that retries it (a
    retryable status, its ``Retry-After`` pausing ``host``; a block page) or defers it
    (a ``Retry-After`` above the cap). ``on_response`` hears whether it refused us."""
    status = response.status
    if status in RETRY_STATUSES:
        wait = parse_retry_after(response.header("retry-after"))
        if on_response:
            on_response(host, status == 429)
        if wait is not None and wait > retries.retry_after_cap:
            raise RetryAfterTooLong(status, wait, retries.retry_after_cap)
        if wait is not None:
            fetcher.politeness.gate(host).pause(wait)
        raise RetryableStatus(status, wait, response.url)
    if status == 200 and response.looks_right is False:
        attempts.blocked += 1
        response.close()
        if on_response:
            on_response(host, True)
        raise BlockedPage(response)
    if on_response:
        on_response(host, False)
    return response
