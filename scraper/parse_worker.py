"""A parse worker process: ``python -m scraper.parse_worker OWNER_PID``.

The loader's pool (``pipeline.load.pool``) talks to it over its standard input and
output, in pickles: the worker first answers with a ``Hello`` (its pid and the modules
it has loaded), then reads tasks ``(archive_dir, [StoredPage, ...])`` and answers each,
in order, with the chunk's ``Outcome`` list, or with the exception that stopped the
chunk. A thread drains standard input as tasks arrive, so the loader never waits to
hand over a task while the worker waits to hand back a result. The end of its input
(the loader closed the pipe, or died) ends the worker; so does its owner's death
(``scraper.processes.worker_init``).
"""

from __future__ import annotations

import os
import pickle
import queue
import sys
import threading
from typing import IO, Any

from scraper.processes import worker_init
from scraper.stored_pages import Hello, parse_chunk


def _drain(stdin: IO[bytes], tasks: queue.SimpleQueue[Any]) -> None:
    while True:
        try:
            tasks.put(pickle.load(stdin))
        except (EOFError, OSError, pickle.UnpicklingError):
            break
    tasks.put(None)


def _answers_pipe() -> IO[bytes]:
    """Standard output, kept for the answers alone: descriptor 1 and ``sys.stdout`` now go
    to standard error, so nothing printed (by Python or by a C library) lands in the
    pickles."""
    sys.stdout.flush()
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return answers


def main(argv: list[str] | None = None) -> int:
    worker_init(int((sys.argv[1:] if argv is None else argv)[0]))
    stdin, answers = sys.stdin.buffer, _answers_pipe()
    pickle.dump(Hello(os.getpid(), sorted(sys.modules)), answers)
    answers.flush()
    tasks: queue.SimpleQueue[Any] = queue.SimpleQueue()
    threading.Thread(target=_drain, args=(stdin, tasks), daemon=True).start()
    while (task := tasks.get()) is not None:
        archive_dir, chunk = task
        try:
            answer: Any = parse_chunk(archive_dir, chunk)
        except Exception as exc:  # parse_chunk answers for each page; this is the rest
            answer = exc
        try:
            pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
            answers.flush()
        except BrokenPipeError:  # the loader is gone, or has given up on the answers
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
