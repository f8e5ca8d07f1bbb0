"""How the demo site misbehaves on a faulted request, one fault kind at a time (the
kinds are listed in ``demosite.faults``).

Each answer is exact: a dropped connection is a closed socket, a truncated body is a
short write, a gzip bomb is a stream of precomputed deflate blocks that never sits in
memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import time
from email.utils import formatdate

from demosite import faults as faultlib
from demosite.layout import LOOP_PREFIX
from demosite.protocol import HTML, Outcome, Reply
from demosite.resources import Answer, Resource


async def _too_many_requests(reply: Reply, kind: str) -> Outcome:
    if kind == "429":
        retry_after = "1" if len(reply.request.path) % 2 else "2"
    else:
        retry_after = formatdate(math.ceil(time.time()) + 1, usegmt=True)
    return await reply.error(429, [("Retry-After", retry_after)])


async def _truncate(reply: Reply, result: Answer) -> Outcome:
    """The full Content-Length, half the body, then the connection closes."""
    assert isinstance(result, Resource)
    body = result.body
    head = reply.head(200, [("Content-Type", result.content_type)], len(body), False)
    reply.writer.write(head + body[: len(body) // 2])
    await reply.writer.drain()
    return Outcome(200, False, False)


async def _block(reply: Reply) -> Outcome:
    """A 200, but not the page: never a complete 200 of the URL."""
    request = reply.request
    sent = request.on_sent
    if sent is not None:
        request.on_sent = lambda status, complete: sent(status, False)
    outcome = await reply.send(200, HTML, faultlib.BLOCK_PAGE)
    return Outcome(200, False, outcome.keep_alive)


async def _redirect(reply: Reply, location: str) -> Outcome:
    return await reply.send(302, [("Location", location)], b"")


async def _huge(reply: Reply) -> Outcome:
    total = faultlib.HUGE_BODY_BYTES + len(next(faultlib.huge_chunks()))
    return await reply.stream(HTML, total, faultlib.huge_chunks())


async def _gzip_bomb(reply: Reply) -> Outcome:
    mib = faultlib.BOMB_INFLATED_MIB
    headers = [*HTML, ("Content-Encoding", "gzip")]
    trailer = functools.partial(faultlib.bomb_trailer, mib)
    return await reply.stream(
        headers, faultlib.bomb_length(mib), faultlib.bomb_chunks(mib), trailer
    )


async def stall(reply: Reply, seconds: float) -> Outcome | None:
    """Wait ``seconds`` before answering; None then means "serve the page normally". If
    the client gives up first (closes the connection), the request ends then, so
    in-flight counts stay exact."""
    reader = reply.reader
    eof = asyncio.ensure_future(reader.read(1))
    done, _ = await asyncio.wait({eof}, timeout=seconds)
    if not done:
        eof.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await eof
        if eof.cancelled():
            return None
    data = eof.result()
    if not data:
        return Outcome(None, False, False)
    reader._buffer[0:0] = data  # type: ignore[attr-defined]  # a pipelined request: keep it
    await asyncio.sleep(seconds)
    return None


async def misbehave(kind: str, reply: Reply, result: Answer, slow_seconds: float) -> Outcome | None:
    """Answer with fault ``kind``; None means "then serve the page normally" (a slow
    response that was waited out)."""
    path = reply.request.path
    if kind in ("429", "429-date"):
        return await _too_many_requests(reply, kind)
    if kind in ("500", "502", "503", "504", "404", "410"):
        return await reply.error(int(kind))
    if kind == "drop":
        return Outcome(None, False, False)
    if kind == "slow":
        return await stall(reply, slow_seconds)
    if kind == "truncate":
        return await _truncate(reply, result)
    if kind == "block":
        return await _block(reply)
    if kind == "offsite":
        return await _redirect(reply, faultlib.OFFSITE_BASE + path)
    if kind == "loop":
        return await _redirect(reply, LOOP_PREFIX + path)
    if kind == "huge":
        return await _huge(reply)
    if kind == "gzip-bomb":
        return await _gzip_bomb(reply)
    raise ValueError(f"unknown fault kind {kind!r}")
