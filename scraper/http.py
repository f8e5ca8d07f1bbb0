"""One HTTP exchange: a GET on httpx's transport, its body streamed under the limits.

``HttpxExchange.exchange`` sends one request (no redirects: ``scraper.fetch`` follows
them, one gated hop at a time) and streams the body with ``aiter_raw``, inflating
``Content-Encoding`` itself in bounded steps (``scraper.inflate``): httpx's decoders
inflate a whole chunk at once, so a gzip bomb would be in memory before any check ran.
The size limits are enforced while the bytes arrive, and bodies above ``spool_bytes`` go
to a temporary file. Connection errors and timeouts come out as ``TransientError``.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import Callable
from typing import Any

import httpx

from schemas.errors import (
    BadRequest,
    FetchError,
    LimitExceeded,
    TransientError,
    UnsupportedEncoding,
)
from schemas.settings import LimitSettings
from scraper.inflate import Inflater
from scraper.response import BodyCheck, Response

_ERROR_BODY_READ = 64 * 1024


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
    ``email.message.Message``) do nothing this crawler wants and cost CPU on every page
    (the "fetch only" row of ``bench/crawl_bench.py`` measures the fetch layer). The
    crawler keeps no cookie jar and sends no cookies: it is stateless, as a polite bot
    should be, and nothing it crawls needs one. Redirects are followed by ``Fetcher``,
    one gated hop at a time.

    The connections are split over small transports of ``POOL_SHARD`` each rather than
    one big pool: httpcore walks its whole pool (quadratically, with a socket check per
    idle connection) on every request and response, a cost that grows with the pool
    until it outweighs the request itself. A request leases a place on one transport
    first; there are as many places as connections, and the host gates never let more
    requests through than that, so no request ever waits inside httpcore's pool.
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

    def _framing(self, stream: httpx.Response) -> tuple[str | None, str]:
        """The body's declared ``Content-Length`` and its ``Content-Encoding``, refused
        before a byte is read when the length is over the limit or the coding unknown."""
        max_body = self.limits.max_body_bytes
        declared = stream.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_body:
            raise LimitExceeded(f"Content-Length {declared} exceeds the {max_body}-byte limit")
        encoding = stream.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
            raise UnsupportedEncoding(f"unsupported Content-Encoding {encoding!r}")
        return declared, encoding or "identity"

    async def _read_body(
        self, stream: httpx.Response, response: Response, check: BodyCheck | None
    ) -> None:
        """Stream the body to a spool file as received, hashing and checking the decoded
        bytes on the way; the decoded body itself is never stored."""
        max_body = self.limits.max_body_bytes
        declared, encoding = self._framing(stream)
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
