"""The demo site's HTTP/1.1 server: asyncio streams, keep-alive, one write per response.

Hand-rolled rather than built on a framework so that faults can be exact (see
``demosite.fault_answers``). The wire format is ``demosite.protocol``; the admin
endpoints are ``demosite.admin``.

Python API::

    site = Site(seed=1, pages=200, faults="flaky", crawl_delay=None)
    running = start_in_thread(site, port=0, slow_seconds=3.0)  # its own thread and loop
    running.base_url          # "http://127.0.0.1:PORT/"
    site.fault_for(path); site.change(k); site.remove(k); site.expected(path)
    site.redesign(k, "aria"); site.family_of(path)
    running.stats()           # the per-client counters, as /_admin/stats shows them
    running.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from email.utils import formatdate

from demosite import faults as faultlib
from demosite.admin import admin_answer
from demosite.fault_answers import misbehave
from demosite.faults import Fault
from demosite.layout import ADMIN_PREFIX, PREVIEW_PREFIX, is_disallowed
from demosite.protocol import (
    HttpClock,
    Outcome,
    Reply,
    Request,
    not_modified,
    parse_request,
    response_head,
)
from demosite.resources import Answer, Missing, Redirect, Resource
from demosite.site import Site
from demosite.stats import ClientStats, Stats
from scraper.urls import comparison_path, comparison_slugs

DEFAULT_PORT = 8765
DEFAULT_SLOW_SECONDS = 35.0


async def serve_resource(reply: Reply, result: Answer) -> Outcome:
    """The answer without faults: a redirect, an error page, a 304, or the resource
    (gzipped when it is worth it and the client accepts it)."""
    if isinstance(result, Redirect):
        headers = [("Location", result.location), ("Content-Type", "text/html")]
        return await reply.send(result.status, headers, b"")
    if isinstance(result, Missing):
        return await reply.error(result.status)
    validators = [
        ("ETag", result.etag),
        ("Last-Modified", formatdate(result.last_modified.timestamp(), usegmt=True)),
    ]
    if not_modified(reply.request, result):
        return await reply.send(304, validators, b"")
    headers = [("Content-Type", result.content_type), *validators]
    body = result.body
    if result.compressible:
        headers.append(("Vary", "Accept-Encoding"))
        if len(body) > 1024 and reply.request.accepts_gzip():
            headers.append(("Content-Encoding", "gzip"))
            body = result.gzipped()
    return await reply.send(200, headers, body)


class DemoServer:
    def __init__(self, site: Site, *, slow_seconds: float = DEFAULT_SLOW_SECONDS) -> None:
        self.site = site
        self.slow_seconds = slow_seconds
        self.stats = Stats()
        self._clock = HttpClock()
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
                request = parse_request(head)
                if request is None:
                    date = self._clock.http_date()
                    writer.write(response_head(400, [], 0, keep_alive=False, date=date))
                    break
                length = int(request.headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                if not await self._respond(Reply(request, reader, writer, self._clock)):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _respond(self, reply: Reply) -> bool:
        """Answer one request; returns whether the connection stays open."""
        request = reply.request
        path = request.path
        if path.startswith(ADMIN_PREFIX):
            status, body = admin_answer(self.site, self.stats, request)
            outcome = await reply.send(status, [("Content-Type", "application/json")], body)
            return outcome.keep_alive
        client = self.stats.start(request.headers.get("user-agent", ""), path, is_disallowed(path))
        finished = False

        def finish(status: int | None, complete: bool) -> None:
            nonlocal finished
            if not finished:
                finished = True
                self.stats.finish(client, status, path, complete)

        request.on_sent = finish
        outcome = Outcome(None, False, False)
        try:
            outcome = await self._serve(reply, client)
        finally:
            finish(outcome.status, outcome.complete)
        return outcome.keep_alive

    def _fault(self, request: Request, result: Answer, client: ClientStats) -> Fault | None:
        """The fault this request meets, if any: a comparison page's planned fault while
        it applies to this client's attempt (block pages at most a few in a row)."""
        slugs = comparison_slugs(request.path)
        if not isinstance(result, Resource) or not slugs:
            return None
        if request.path.startswith(PREVIEW_PREFIX):
            return None
        key = comparison_path(*slugs)
        fault = self.site.fault_for(key)
        if fault is None:
            return None
        client.attempts[key] += 1
        if not fault.applies(client.attempts[key]) or (
            fault.kind == "block" and client.blocks_in_a_row >= faultlib.MAX_BLOCKS_IN_A_ROW
        ):
            return None
        return fault

    async def _serve(self, reply: Reply, client: ClientStats) -> Outcome:
        """Answer one counted request."""
        request = reply.request
        if request.method not in ("GET", "HEAD"):
            return await reply.send(405, [("Allow", "GET, HEAD")], b"")
        result = self.site.resolve(request.target)
        fault = self._fault(request, result, client)
        if fault is None:
            client.blocks_in_a_row = 0
            return await serve_resource(reply, result)
        if fault.kind == "block":
            client.blocks_in_a_row += 1
            client.blocked += 1
        else:
            client.blocks_in_a_row = 0
        answer = await misbehave(fault.kind, reply, result, self.slow_seconds)
        return answer if answer is not None else await serve_resource(reply, result)


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
