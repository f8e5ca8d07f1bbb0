"""One HTTP exchange (``scraper.http.HttpxExchange``) against a small server on
127.0.0.1 that records what it was sent and misbehaves on request: the request's headers,
no cookies kept, echoed validators sent as the bytes that came in, and every failure a
``FetchError`` that leaves the connection places free for the next request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from support.demo_site import free_port

from schemas.errors import BadRequest, TransientError
from schemas.settings import LimitSettings
from scraper.http import HttpxExchange
from scraper.response import Response

ETAG = b'W/"caf\xe9"'  # one non-ASCII byte, as some servers send


def _fields(lines: list[bytes]) -> dict[bytes, bytes]:
    pairs = (line.partition(b":") for line in lines if line)
    return {name.strip().lower(): value.strip() for name, _, value in pairs}


class RecordingServer:
    """HTTP/1.1 on 127.0.0.1. Paths: ``/cookie`` sets a cookie, ``/etag`` answers with
    ``ETAG``, ``/slow`` never answers, ``/drop`` closes the connection, anything else 200."""

    def __init__(self) -> None:
        self.requests: list[dict[bytes, bytes]] = []
        self.port = 0

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1]
                self.requests.append(_fields(lines[1:]))
                if path == b"/slow":
                    await asyncio.sleep(30)
                if path == b"/drop":
                    writer.close()
                    return
                extra = b""
                if path == b"/cookie":
                    extra = b"Set-Cookie: session=abc; Path=/\r\n"
                if path == b"/etag":
                    extra = b"ETag: " + ETAG + b"\r\n"
                body = b"<html><table></table>salary</html>"
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                    + extra
                    + b"Content-Length: %d\r\n\r\n" % len(body)
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{self.port}"
        finally:
            server.close()


@asynccontextmanager
async def exchange_with(server: RecordingServer) -> AsyncIterator[tuple[str, HttpxExchange]]:
    """The server running, and an exchange with one connection place to talk to it."""
    async with server.running() as base:
        http = HttpxExchange(LimitSettings(timeout=0.5), "careers-test (ops@example.org)", 1)
        try:
            yield base, http
        finally:
            await http.aclose()


async def get(http: HttpxExchange, url: str, headers: dict[str, str] | None = None) -> Response:
    response = await asyncio.wait_for(http.exchange(url, headers, None, None), 5)
    response.close()
    return response


def test_requests_name_the_host_agent_and_encodings_and_send_no_cookies() -> None:
    server = RecordingServer()

    async def scenario() -> None:
        async with exchange_with(server) as (base, http):
            await get(http, base + "/cookie")
            await get(http, base + "/next")

    asyncio.run(scenario())
    first, second = server.requests
    assert first[b"host"] == f"127.0.0.1:{server.port}".encode()
    assert first[b"user-agent"] == b"careers-test (ops@example.org)"
    assert first[b"accept-encoding"] == b"gzip, deflate"
    assert b"cookie" not in second, "the crawler is stateless: no cookie goes back"


def test_a_non_ascii_etag_is_echoed_back_as_the_bytes_it_came_as() -> None:
    server = RecordingServer()

    async def scenario() -> None:
        async with exchange_with(server) as (base, http):
            etag = (await get(http, base + "/etag")).header("etag")
            assert etag is not None
            await get(http, base + "/etag", {"If-None-Match": etag})

    asyncio.run(scenario())
    assert server.requests[1][b"if-none-match"] == ETAG


def test_an_unsendable_request_is_a_bad_request_not_a_crash() -> None:
    async def scenario() -> None:
        async with exchange_with(RecordingServer()) as (base, http):
            with pytest.raises(BadRequest):
                await get(http, base + "/\x00")
            with pytest.raises(BadRequest):
                await get(http, base + "/", {"If-None-Match": "\u20ac"})

    asyncio.run(scenario())


def test_failures_are_transient_and_free_their_connection_place() -> None:
    """With one place, a request after each failure only completes if the failure gave
    the place back."""

    async def scenario() -> None:
        async with exchange_with(RecordingServer()) as (base, http):
            for url in (base + "/slow", base + "/drop", f"http://127.0.0.1:{free_port()}/"):
                with pytest.raises(TransientError):
                    await get(http, url)
                assert (await get(http, base + "/ok")).status == 200

    asyncio.run(scenario())
