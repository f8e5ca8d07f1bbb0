"""Running the crawl's event loop so that SIGINT and SIGTERM stop it cleanly.

A signal handler that raises runs between any two bytecodes, and inside an event loop
that is usually inside a transport's or a callback's ``try``: asyncio takes the exception
for a failed connection, logs "Fatal write error on socket transport" and carries on, so
the run went on and exited 0. Here the loop's own signal handling cancels the main task
instead; every ``finally`` of the crawl runs, and ``Interrupted`` is raised once the loop
has stopped.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

from schemas.errors import Interrupted

T = TypeVar("T")
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_until_signalled(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``; SIGINT or SIGTERM cancel it, then raise ``Interrupted``."""
    before = {signum: signal.getsignal(signum) for signum in SIGNALS}
    received: list[int] = []

    async def guarded() -> T | None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def stop(signum: int) -> None:
            if not received:
                received.append(signum)
                task.cancel()

        for signum in SIGNALS:
            loop.add_signal_handler(signum, stop, signum)
        try:
            return await main
        except asyncio.CancelledError:
            if received:
                return None
            raise
        finally:
            for signum in SIGNALS:
                loop.remove_signal_handler(signum)

    try:
        result = asyncio.run(guarded())
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
    if received:
        raise Interrupted(received[0])
    return result  # type: ignore[return-value]
