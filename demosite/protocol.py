"""HTTP/1.1 as the demo site speaks it: requests read from a stream, response heads, and
a ``Reply`` that writes one request's answer (head and body in one write, or a body
streamed chunk by chunk)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from typing import NamedTuple
from urllib.parse import urlsplit

from demosite import faults as faultlib
from demosite.resources import Resource


class Outcome(NamedTuple):
    """How a counted request ended."""

    #: the status sent, None when no response was
    status: int | None
    #: whether the whole body went out
    complete: bool
    #: whether the connection stays open for the next request
    keep_alive: bool


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: dict[str, str]
    #: called once the response is handed over: (status, whole body sent)
    on_sent: Callable[[int | None, bool], None] | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection

    def accepts_gzip(self) -> bool:
        for part in self.headers.get("accept-encoding", "").split(","):
            name, _, params = part.strip().partition(";")
            if name.strip().lower() in ("gzip", "*"):
                return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00")
        return False


def parse_request(head: bytes) -> Request | None:
    """The request whose head (request line and headers) is ``head``, None if malformed."""
    try:
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ")
    except ValueError:
        return None
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return Request(method.upper(), target, version, headers)


class HttpClock:
    """The Date header, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def http_date(self) -> str:
        now = int(time.time())
        if now != self._second:
            self._second, self._value = now, formatdate(now, usegmt=True)
        return self._value


def not_modified(request: Request, resource: Resource) -> bool:
    """Whether the request's validators (If-None-Match, else If-Modified-Since) match."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or resource.etag in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return resource.last_modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def response_head(
    status: int, headers: Sequence[tuple[str, str]], length: int, *, keep_alive: bool, date: str
) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason(status)}", f"Date: {date}", "Server: careers-demosite"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {length}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


HTML: tuple[tuple[str, str], ...] = (("Content-Type", "text/html; charset=utf-8"),)


@dataclass
class Reply:
    """The answer to one request on one connection."""

    request: Request
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    clock: HttpClock

    def head(
        self, status: int, headers: Sequence[tuple[str, str]], length: int, keep: bool
    ) -> bytes:
        return response_head(status, headers, length, keep_alive=keep, date=self.clock.http_date())

    async def send(self, status: int, headers: Sequence[tuple[str, str]], body: bytes) -> Outcome:
        """One write: head and body (none for HEAD); the outcome is complete.

        The request counts as finished just before the write: once the socket has the
        bytes, the client's thread may read them (and the counters) before this one runs
        again, and the counters must already be exact then."""
        request, writer = self.request, self.writer
        keep = request.keep_alive
        payload = self.head(status, headers, len(body), keep)
        if request.method != "HEAD":
            payload += body
        if request.on_sent is not None:
            request.on_sent(status, request.method != "HEAD" and not writer.is_closing())
        writer.write(payload)
        await writer.drain()
        return Outcome(status, True, keep)

    async def error(self, status: int, headers: Sequence[tuple[str, str]] = ()) -> Outcome:
        """Status ``status`` with the site's error page."""
        body = faultlib.error_page(status, reason(status))
        return await self.send(status, [*HTML, *headers], body)

    async def stream(
        self,
        headers: Sequence[tuple[str, str]],
        length: int,
        chunks: Iterator[bytes],
        trailer: Callable[[], bytes] | None = None,
    ) -> Outcome:
        """A 200 whose body is too big to hold, chunk by chunk (then ``trailer()``, computed
        off the event loop); stops when the client goes away."""
        request, writer = self.request, self.writer
        writer.write(self.head(200, headers, length, request.keep_alive))
        if request.method == "HEAD":
            return Outcome(200, True, request.keep_alive)
        try:
            for chunk in chunks:
                if writer.is_closing():
                    return Outcome(200, False, False)
                writer.write(chunk)
                await writer.drain()
            if trailer is not None:
                loop = asyncio.get_running_loop()
                writer.write(await loop.run_in_executor(None, trailer))
                await writer.drain()
        except ConnectionError:
            return Outcome(200, False, False)
        return Outcome(200, True, request.keep_alive)
