"""One polite HTTP GET with limits enforced while streaming, and the retry policy around it.

``Fetcher.get`` makes one attempt: it follows at most ``max_redirects`` redirects, only to
allowed hosts, each hop through its host's gate. ``HttpxExchange`` makes a hop's request
on httpx's transport and streams the body with ``aiter_raw``, inflating ``Content-Encoding``
itself in bounded steps (httpx's decoders inflate a whole chunk at once, so a gzip bomb
would be in memory before any check ran). Bodies above ``spool_bytes`` go to a temporary
file. ``fetch_with_retries`` wraps it in tenacity: connection errors, timeouts, 408, 429
and 5xx are retried with exponential backoff and jitter; ``Retry-After`` pauses the whole
host and, when longer than the cap, defers the URL instead.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import IO, Any, Protocol
from urllib.parse import urljoin

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from schemas.errors import (
    BadRequest,
    BlockedPage,
    FetchError,
    LimitExceeded,
    RedirectRefused,
    RetryableStatus,
    RetryAfterTooLong,
    RobotsDisallowed,
    TransientError,
    UnsupportedEncoding,
)
from schemas.settings import LimitSettings, RetrySettings
from scraper.politeness import Politeness
from scraper.urls import host_of

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_READ_STEP = 64 * 1024
_ERROR_BODY_READ = 64 * 1024


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

    def raw_chunks(self, size: int = _READ_STEP) -> Iterator[bytes]:
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
                out = self._d.decompress(data, _READ_STEP)
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
            out = self._d.flush(_READ_STEP)
        except zlib.error as exc:
            raise TransientError(f"corrupt compressed body: {exc}") from exc
        if out:
            yield self._check(out)


def request_headers(user_agent: str) -> dict[str, str]:
    return {
        "User-Agent": user_agent,
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Encoding": "gzip, deflate",
    }


class HttpxExchange:
    """httpx transports with explicit limits, on this process's event loop.

    Requests go straight to ``httpx.AsyncHTTPTransport`` (httpx's public transport API),
    not through an ``AsyncClient``: the client's layers (auth flow, redirects, event
    hooks, and a cookie jar that parses every response's headers into an
    ``email.message.Message``) do nothing this crawler wants; without them the fetch
    layer's CPU per live-size page measured 1.23-1.52 ms against 1.51-1.55 (best of 3,
    three alternating runs each). Since then (2026-11-26) the crawler keeps no cookie jar
    and sends no cookies: it is stateless, as a polite bot should be, and nothing it
    crawls needs one. Redirects are followed by ``Fetcher``, one gated hop at a time.

    The connections are split over small transports of ``POOL_SHARD`` each rather than
    one big pool: httpcore walks its whole pool (quadratically, with a socket check per
    idle connection) on every request and response, which at 16 connections costs more
    CPU than the request itself. A request leases a place on one transport first; there
    are as many places as connections, and the host gates never let more requests
    through than that, so no request ever waits inside httpcore's pool.
    """

    POOL_SHARD = 2

    def __init__(self, limits: LimitSettings, user_agent: str, connections: int) -> None:
        self.limits = limits
        self._headers = request_headers(user_agent)
        self._timeout = httpx.Timeout(
            limits.timeout, connect=min(10.0, limits.timeout), pool=limits.timeout
        ).as_dict()
        connections = max(1, connections)
        sizes = [
            min(self.POOL_SHARD, connections - start)
            for start in range(0, connections, self.POOL_SHARD)
        ]
        self._transports = [self._transport(size) for size in sizes]
        self._leases: asyncio.LifoQueue[httpx.AsyncHTTPTransport] = asyncio.LifoQueue()
        for transport, size in zip(self._transports, sizes, strict=True):
            for _ in range(size):
                self._leases.put_nowait(transport)

    @staticmethod
    def _transport(connections: int) -> httpx.AsyncHTTPTransport:
        return httpx.AsyncHTTPTransport(
            limits=httpx.Limits(
                max_connections=connections,
                max_keepalive_connections=connections,
                keepalive_expiry=30.0,
            ),
            trust_env=False,
        )

    async def aclose(self) -> None:
        for transport in self._transports:
            await transport.aclose()

    async def exchange(
        self,
        url: str,
        headers: dict[str, str] | None,
        sent: Callable[[], None] | None,
        check: Callable[[], BodyCheck] | None,
    ) -> Response:
        """GET ``url`` once. ``sent`` is called once the request is on the wire;
        ``check`` makes the ``BodyCheck`` a 200's body is shown to."""
        extensions: dict[str, Any] = {"timeout": self._timeout}
        if sent is not None:
            notify = sent

            async def trace(event: str, info: dict[str, Any]) -> None:
                if event == "http11.send_request_headers.complete":
                    notify()

            extensions["trace"] = trace
        request = self._request(url, headers, extensions)
        transport = await self._leases.get()
        try:
            async with asyncio.timeout(self.limits.timeout):
                stream = await transport.handle_async_request(request)
                stream.request = request
                response = None
                try:
                    response = await self._read(url, stream, check)
                finally:
                    try:
                        await stream.aclose()
                    except BaseException:
                        if response is not None:
                            response.close()
                        raise
                return response
        except TimeoutError as exc:
            raise TransientError(f"timed out after {self.limits.timeout:g}s: {url}") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{type(exc).__name__}: {exc or 'connection failed'}") from exc
        finally:
            self._leases.put_nowait(transport)

    def _request(
        self, url: str, headers: dict[str, str] | None, extensions: dict[str, Any]
    ) -> httpx.Request:
        """The GET for ``url``. Extra header values (validators echoed back from an
        earlier response, which came in as latin-1) go out as the same bytes: httpx
        would encode a ``str`` as ASCII and fail on an ETag such as ``"caf\xe9"``."""
        try:
            if not headers:
                return httpx.Request("GET", url, headers=self._headers, extensions=extensions)
            raw = [
                (name.encode("ascii"), value.encode("latin-1"))
                for name, value in {**self._headers, **headers}.items()
            ]
            return httpx.Request("GET", url, headers=raw, extensions=extensions)
        except (httpx.InvalidURL, UnicodeError) as exc:
            raise BadRequest(f"cannot request {url}: {exc}") from exc

    async def _read(
        self, url: str, stream: httpx.Response, check: Callable[[], BodyCheck] | None
    ) -> Response:
        response = Response(
            url=url,
            status=stream.status_code,
            reason=stream.reason_phrase,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in stream.headers.raw],
            elapsed_ms=0,
        )
        if response.status != 200:
            await self._drain(stream)
            return response
        try:
            await self._read_body(stream, response, check() if check else None)
        except FetchError as exc:
            exc.status = response.status
            raise
        return response

    async def _drain(self, stream: httpx.Response) -> None:
        """Read a small error body so the connection can be reused; drop a big one."""
        seen = 0
        async for chunk in stream.aiter_raw():
            seen += len(chunk)
            if seen > _ERROR_BODY_READ:
                break

    async def _read_body(
        self, stream: httpx.Response, response: Response, check: BodyCheck | None
    ) -> None:
        """Stream the body to a spool file as received, hashing and checking the decoded
        bytes on the way; the decoded body itself is never stored."""
        max_body = self.limits.max_body_bytes
        declared = stream.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_body:
            raise LimitExceeded(f"Content-Length {declared} exceeds the {max_body}-byte limit")
        encoding = stream.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
            raise UnsupportedEncoding(f"unsupported Content-Encoding {encoding!r}")
        if encoding == "":
            encoding = "identity"
        inflater = (
            Inflater(encoding, self.limits.max_decompressed_bytes)
            if encoding != "identity"
            else None
        )
        spool: Any = tempfile.SpooledTemporaryFile(max_size=self.limits.spool_bytes)  # noqa: SIM115
        digest, raw_digest = hashlib.sha256(), hashlib.sha256()
        size = wire = 0
        try:
            async for raw in stream.aiter_raw():
                wire += len(raw)
                if wire > max_body:
                    raise LimitExceeded(f"body exceeds the {max_body}-byte limit")
                spool.write(raw)
                raw_digest.update(raw)
                for piece in inflater.feed(raw) if inflater else (raw,):
                    digest.update(piece)
                    size += len(piece)
                    if check is not None:
                        check.feed(piece)
            if inflater is not None:
                for piece in inflater.finish():
                    digest.update(piece)
                    size += len(piece)
                    if check is not None:
                        check.feed(piece)
                if wire and not inflater.complete:
                    raise TransientError("compressed body ended early (truncated)")
            if declared and declared.isdigit() and int(declared) != wire:
                raise TransientError(f"body truncated: {wire} of {declared} bytes")
        except httpx.TransportError as exc:
            spool.close()
            raise TransientError(f"body interrupted: {type(exc).__name__}: {exc}") from exc
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        response.body = spool
        response.size = size
        response.wire_bytes = wire
        response.encoding = "gzip" if encoding == "x-gzip" else encoding
        response.raw_sha256 = raw_digest.hexdigest()
        response.looks_right = check.ok() if check is not None else None
        response.sha256 = digest.hexdigest()


class Fetcher:
    """GETs through the host gates: redirects followed one hop at a time (each hop only
    to an allowed host, robots.txt asked, the gate passed again), each hop's HTTP
    exchange made by an ``HttpxExchange``."""

    def __init__(
        self,
        limits: LimitSettings,
        politeness: Politeness,
        user_agent: str,
        allowed_hosts: Iterable[str],
        may_fetch: Callable[[str], bool] | None = None,
    ) -> None:
        self.limits = limits
        self.politeness = politeness
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.may_fetch = may_fetch
        connections = politeness.places(len(self.allowed_hosts))
        self.exchange = HttpxExchange(limits, user_agent, connections)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.exchange.aclose()

    def host_allowed(self, url: str) -> bool:
        return host_of(url) in self.allowed_hosts

    async def get(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        check: Callable[[str], BodyCheck] | None = None,
    ) -> Response:
        """One attempt at ``url``, redirects included. Raises ``FetchError`` subclasses.
        ``check(url)`` makes the ``BodyCheck`` a 200's body is shown to, for the URL that
        answered (the end of the redirects)."""
        started = time.monotonic()
        redirects = 0
        current = url
        last_status: int | None = None
        while True:
            refusal: FetchError | None = None
            host = host_of(current)
            if host not in self.allowed_hosts:
                refusal = RedirectRefused(f"redirect to a host that is not allowed: {current}")
            elif redirects and self.may_fetch is not None and not self.may_fetch(current):
                refusal = RobotsDisallowed(f"redirect to {current}, which robots.txt disallows")
            if refusal is not None:
                refusal.status = last_status
                raise refusal
            gate = self.politeness.gate(host)
            checking = partial(check, current) if check is not None else None
            async with gate.slot() as sent:
                response = await self.exchange.exchange(current, headers, sent, checking)
            location = response.header("location")
            if response.status not in REDIRECT_STATUSES or not location:
                response.redirects = redirects
                response.elapsed_ms = int((time.monotonic() - started) * 1000)
                return response
            last_status = response.status
            redirects += 1
            if redirects > self.limits.max_redirects:
                too_many = RedirectRefused(
                    f"more than {self.limits.max_redirects} redirects from {url}"
                )
                too_many.status = last_status
                raise too_many
            current = urljoin(current, location)


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
