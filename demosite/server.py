"""The demo site's HTTP/1.1 server: asyncio streams, keep-alive, one write per response.

Hand-rolled rather than built on a framework so that faults can be exact: a dropped
connection is a closed socket, a truncated body is a short write, a gzip bomb is a
stream of precomputed deflate blocks that never sits in memory.

Python API::

    site = Site(seed=1, pages=200, faults="flaky", crawl_delay=None)
    running = start_in_thread(site, port=0, slow_seconds=3.0)  # its own thread and loop
    running.base_url          # "http://127.0.0.1:PORT/"
    site.fault_for(path); site.change(k); site.remove(k); site.expected(path)
    site.redesign(k, "aria"); site.family_of(path)
    running.stats()           # the per-client counters, as /_admin/stats shows them
    running.stop()

Admin endpoints (under ``/_admin/``, disallowed by robots.txt, never counted):
``whoami`` (which process this is), ``stats``, ``stats/reset``, ``faults``, ``state``,
``pages``, ``expected?path=P``, ``change?k=K``, ``remove?k=K``, ``redesign?k=K&to=FAMILY``
(GET or POST), all answering JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from demosite import families
from demosite import faults as faultlib
from demosite.site import (
    ADMIN_PREFIX,
    LOOP_PREFIX,
    PREVIEW_PREFIX,
    Missing,
    Redirect,
    Resource,
    Site,
    is_disallowed,
)
from demosite.stats import ClientStats, Stats
from scraper.urls import comparison_path, comparison_slugs

DEFAULT_PORT = 8765
DEFAULT_SLOW_SECONDS = 35.0


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


def _parse_request(head: bytes) -> Request | None:
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


class _Clock:
    """The Date header, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def http_date(self) -> str:
        now = int(time.time())
        if now != self._second:
            self._second, self._value = now, formatdate(now, usegmt=True)
        return self._value


def _not_modified(request: Request, resource: Resource) -> bool:
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


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class DemoServer:
    def __init__(self, site: Site, *, slow_seconds: float = DEFAULT_SLOW_SECONDS) -> None:
        self.site = site
        self.slow_seconds = slow_seconds
        self.stats = Stats()
        self._clock = _Clock()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> str:
        self._server = await asyncio.start_server(self._connection, host, port, limit=65536)
        bound = self._server.sockets[0].getsockname()[1]
        self.site.base_url = f"http://{host}:{bound}/"
        return self.site.base_url

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()

    # --- connections ------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None:  # room for a whole live page, so one write hands it all over
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    break
                request = _parse_request(head)
                if request is None:
                    writer.write(self._head(400, [], 0, keep_alive=False))
                    break
                length = int(request.headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                if not await self._respond(request, reader, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _head(
        self, status: int, headers: list[tuple[str, str]], length: int, *, keep_alive: bool
    ) -> bytes:
        lines = [
            f"HTTP/1.1 {status} {_reason(status)}",
            f"Date: {self._clock.http_date()}",
            "Server: careers-demosite",
        ]
        lines += [f"{name}: {value}" for name, value in headers]
        lines.append(f"Content-Length: {length}")
        lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        request: Request,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> bool:
        """One write: head and body. Returns whether the connection stays open.

        The request counts as finished just before the write: once the socket has the
        bytes, the client's thread may read them (and the counters) before this one runs
        again, and the counters must already be exact then."""
        keep = request.keep_alive
        payload = self._head(status, headers, len(body), keep_alive=keep)
        if request.method != "HEAD":
            payload += body
        if request.on_sent is not None:
            request.on_sent(status, request.method != "HEAD" and not writer.is_closing())
        writer.write(payload)
        await writer.drain()
        return keep

    # --- one request ------------------------------------------------------------------

    async def _respond(
        self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        path = request.path
        if path.startswith(ADMIN_PREFIX):
            admin_status, body = self._admin(request)
            return await self._send(
                writer, request, admin_status, [("Content-Type", "application/json")], body
            )
        client = self.stats.start(request.headers.get("user-agent", ""), path, is_disallowed(path))
        finished = False

        def finish(status: int | None, complete: bool) -> None:
            nonlocal finished
            if not finished:
                finished = True
                self.stats.finish(client, status, path, complete)

        request.on_sent = finish
        outcome: tuple[int | None, bool, bool] = (None, False, False)
        try:
            outcome = await self._serve(request, client, reader, writer)
        finally:
            finish(outcome[0], outcome[1])
        return outcome[2]

    async def _serve(
        self,
        request: Request,
        client: ClientStats,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> tuple[int | None, bool, bool]:
        """Answer one counted request: (status sent or None, body complete, keep alive)."""
        if request.method not in ("GET", "HEAD"):
            return 405, True, await self._send(writer, request, 405, [("Allow", "GET, HEAD")], b"")
        result = self.site.resolve(request.target)
        slugs = comparison_slugs(request.path)
        fault = None
        if isinstance(result, Resource) and slugs and not request.path.startswith(PREVIEW_PREFIX):
            key = comparison_path(*slugs)
            fault = self.site.fault_for(key)
            if fault is not None:
                client.attempts[key] += 1
                if not fault.applies(client.attempts[key]) or (
                    fault.kind == "block" and client.blocks_in_a_row >= faultlib.MAX_BLOCKS_IN_A_ROW
                ):
                    fault = None
        if fault is not None:
            if fault.kind == "block":
                client.blocks_in_a_row += 1
                client.blocked += 1
            else:
                client.blocks_in_a_row = 0
            answer = await self._fault(fault.kind, request, result, reader, writer)
            if answer is not None:
                return answer
        else:
            client.blocks_in_a_row = 0
        return await self._normal(request, result, writer)

    async def _normal(
        self, request: Request, result: Resource | Redirect | Missing, writer: asyncio.StreamWriter
    ) -> tuple[int | None, bool, bool]:
        if isinstance(result, Redirect):
            headers = [("Location", result.location), ("Content-Type", "text/html")]
            return (
                result.status,
                True,
                await self._send(writer, request, result.status, headers, b""),
            )
        if isinstance(result, Missing):
            body = faultlib.error_page(result.status, _reason(result.status))
            headers = [("Content-Type", "text/html; charset=utf-8")]
            return (
                result.status,
                True,
                await self._send(writer, request, result.status, headers, body),
            )
        validators = [
            ("ETag", result.etag),
            ("Last-Modified", formatdate(result.last_modified.timestamp(), usegmt=True)),
        ]
        if _not_modified(request, result):
            return 304, True, await self._send(writer, request, 304, validators, b"")
        headers = [("Content-Type", result.content_type), *validators]
        body = result.body
        if result.compressible:
            headers.append(("Vary", "Accept-Encoding"))
            if len(body) > 1024 and request.accepts_gzip():
                headers.append(("Content-Encoding", "gzip"))
                body = result.gzipped()
        return 200, True, await self._send(writer, request, 200, headers, body)

    async def _fault(
        self,
        kind: str,
        request: Request,
        result: Resource | Redirect | Missing,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> tuple[int | None, bool, bool] | None:
        """Misbehave; None means "then serve the page normally" (a slow response)."""
        html = [("Content-Type", "text/html; charset=utf-8")]
        if kind in ("429", "429-date"):
            if kind == "429":
                retry_after = "1" if len(request.path) % 2 else "2"
            else:
                retry_after = formatdate(math.ceil(time.time()) + 1, usegmt=True)
            body = faultlib.error_page(429, _reason(429))
            headers = [*html, ("Retry-After", retry_after)]
            return 429, True, await self._send(writer, request, 429, headers, body)
        if kind in ("500", "502", "503", "504", "404", "410"):
            status = int(kind)
            body = faultlib.error_page(status, _reason(status))
            return status, True, await self._send(writer, request, status, html, body)
        if kind == "drop":
            return None, False, False
        if kind == "slow":
            return await self._slow(reader)
        if kind == "truncate":
            assert isinstance(result, Resource)
            body = result.body
            head = self._head(
                200, [("Content-Type", result.content_type)], len(body), keep_alive=False
            )
            writer.write(head + body[: len(body) // 2])
            await writer.drain()
            return 200, False, False
        if kind == "block":  # a 200, but not the page: never a complete 200 of the URL
            sent = request.on_sent
            if sent is not None:
                request.on_sent = lambda status, complete: sent(status, False)
            keep = await self._send(writer, request, 200, html, faultlib.BLOCK_PAGE)
            return 200, False, keep
        if kind == "offsite":
            headers = [("Location", faultlib.OFFSITE_BASE + request.path)]
            return 302, True, await self._send(writer, request, 302, headers, b"")
        if kind == "loop":
            headers = [("Location", LOOP_PREFIX + request.path)]
            return 302, True, await self._send(writer, request, 302, headers, b"")
        if kind == "huge":
            total = faultlib.HUGE_BODY_BYTES + len(next(faultlib.huge_chunks()))
            return await self._stream(writer, request, html, total, faultlib.huge_chunks(), None)
        if kind == "gzip-bomb":
            mib = faultlib.BOMB_INFLATED_MIB
            headers = [*html, ("Content-Encoding", "gzip")]
            return await self._stream(
                writer, request, headers, faultlib.bomb_length(mib), faultlib.bomb_chunks(mib), mib
            )
        raise ValueError(f"unknown fault kind {kind!r}")

    async def _slow(self, reader: asyncio.StreamReader) -> tuple[int | None, bool, bool] | None:
        """Wait ``slow_seconds`` before answering; if the client gives up first (closes
        the connection), the request ends then, so in-flight counts stay exact."""
        eof = asyncio.ensure_future(reader.read(1))
        done, _ = await asyncio.wait({eof}, timeout=self.slow_seconds)
        if not done:
            eof.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await eof
            if eof.cancelled():
                return None
        data = eof.result()
        if not data:
            return None, False, False
        reader._buffer[0:0] = data  # type: ignore[attr-defined]  # a pipelined request: keep it
        await asyncio.sleep(self.slow_seconds)
        return None

    async def _stream(
        self,
        writer: asyncio.StreamWriter,
        request: Request,
        headers: list[tuple[str, str]],
        length: int,
        chunks: Iterator[bytes],
        bomb_mib: int | None,
    ) -> tuple[int | None, bool, bool]:
        """A body too big to hold, chunk by chunk; stops when the client goes away."""
        writer.write(self._head(200, headers, length, keep_alive=request.keep_alive))
        if request.method == "HEAD":
            return 200, True, request.keep_alive
        try:
            for chunk in chunks:
                if writer.is_closing():
                    return 200, False, False
                writer.write(chunk)
                await writer.drain()
            if bomb_mib is not None:
                loop = asyncio.get_running_loop()
                writer.write(await loop.run_in_executor(None, faultlib.bomb_trailer, bomb_mib))
                await writer.drain()
        except ConnectionError:
            return 200, False, False
        return 200, True, request.keep_alive

    # --- admin ------------------------------------------------------------------------

    def _admin(self, request: Request) -> tuple[int, bytes]:
        name = request.path[len(ADMIN_PREFIX) :].strip("/")
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.target).query).items()}
        site = self.site
        payload: object
        if name == "whoami":
            payload = {"site": "careers-etl demo site", "pid": os.getpid()}
        elif name == "stats":
            payload = self.stats.snapshot()
        elif name == "stats/reset":
            self.stats.reset()
            payload = {"reset": True}
        elif name == "faults":
            payload = {
                "profile": site.profile,
                "faults": {p: f.as_dict() for p, f in site.fault_plan.items()},
            }
        elif name == "state":
            payload = site.state()
        elif name == "pages":
            payload = {"pages": site.live_paths()}
        elif name == "expected":
            record = site.expected(query.get("path", ""))
            if record is None:
                return 404, json.dumps({"error": "not a live comparison page"}).encode()
            payload = record.model_dump(mode="json")
        elif name in ("change", "remove", "redesign"):
            try:
                k = int(query.get("k", "1"))
            except ValueError:
                return 400, json.dumps({"error": "k must be an integer"}).encode()
            if name == "change":
                payload = {"changed": site.change(k)}
            elif name == "remove":
                payload = {"removed": site.remove(k)}
            else:
                to = query.get("to", "")
                if to not in families.BY_NAME:
                    error = f"to must be one of {', '.join(families.BY_NAME)}"
                    return 400, json.dumps({"error": error}).encode()
                payload = {"redesigned": site.redesign(k, to), "to": to}
        else:
            return 404, json.dumps({"error": f"no admin endpoint {name!r}"}).encode()
        return 200, json.dumps(payload).encode()


# --- running it ---------------------------------------------------------------------------


class RunningSite:
    """A demo site served by a thread of its own (for tests and benchmarks)."""

    def __init__(
        self,
        site: Site,
        server: DemoServer,
        loop: asyncio.AbstractEventLoop,
        thread: threading.Thread,
    ) -> None:
        self.site, self.server, self._loop, self._thread = site, server, loop, thread

    @property
    def base_url(self) -> str:
        return self.site.base_url

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def stats(self) -> dict[str, object]:
        return self.server.stats.snapshot()

    def client_stats(self, user_agent: str) -> dict[str, object]:
        clients = self.server.stats.snapshot()["clients"]
        assert isinstance(clients, dict)
        return clients.get(user_agent, {})

    def stop(self) -> None:
        if self._loop.is_closed():
            return
        future = asyncio.run_coroutine_threadsafe(self.server.close(), self._loop)
        try:
            future.result(timeout=5)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)

    def __enter__(self) -> RunningSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(
    site: Site,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    slow_seconds: float = DEFAULT_SLOW_SECONDS,
) -> RunningSite:
    """Serve ``site`` from a daemon thread with its own event loop; returns once bound."""
    server = DemoServer(site, slow_seconds=slow_seconds)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start(host, port))
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        loop.run_forever()
        leftover = asyncio.all_tasks(loop)  # connections still open when the site stopped
        for task in leftover:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    thread = threading.Thread(target=run, name="demosite", daemon=True)
    thread.start()
    ready.wait(timeout=10)
    if failure:
        raise failure[0]
    return RunningSite(site, server, loop, thread)


async def serve_forever(
    site: Site,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    slow_seconds: float = DEFAULT_SLOW_SECONDS,
    announce=print,  # type: ignore[no-untyped-def]
) -> None:
    server = DemoServer(site, slow_seconds=slow_seconds)
    base_url = await server.start(host, port)
    announce(base_url)
    try:
        await asyncio.Event().wait()
    finally:
        await server.close()
