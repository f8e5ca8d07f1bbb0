"""A parse worker process: ``python -P scraper/parse_worker.py OWNER_PID ANSWERS_FD PATH``.

The loader's pool (``pipeline.load.pool``) starts it by the path of this file, handing it
the pid of the run's process, the descriptor of a pipe of its own for the answers, and
the run's ``sys.path`` as JSON (so the worker imports the same code from the same places
as the run, however the run found it). The worker reads tasks, pickled, from standard
input, and answers on the answers pipe, pickled, in order: first a ``Hello`` (its pid and
the modules it has loaded), then for each task ``(archive_dir, [StoredPage, ...])`` the
chunk's ``Outcome`` list, or the exception that stopped the chunk. Standard output is not
used: whatever a library prints cannot garble an answer.

A thread drains standard input from the start, so the loader never waits to hand over a
task while the worker waits to hand back an answer. The end of its input (the loader
closed the pipe, or died) ends the worker; so does its owner's death
(``scraper.processes.worker_init``). Only the standard library is imported before
``sys.path`` is set.
"""

from __future__ import annotations

import json
import os
import pickle
import queue
import sys
import threading
from typing import IO, Any

_END = object()
"""Queued when the input ends or cannot be read: the worker stops."""


def _drain(stdin: IO[bytes], tasks: queue.SimpleQueue[Any]) -> None:
    try:
        while True:
            tasks.put(pickle.load(stdin))
    except EOFError:
        tasks.put(_END)
    except BaseException as exc:  # a task that does not unpickle: stop, never hang
        tasks.put(exc)


def main(argv: list[str]) -> int:
    owner, answers_fd, path = int(argv[0]), int(argv[1]), json.loads(argv[2])
    sys.path[:] = path
    from scraper.processes import worker_init
    from scraper.stored_pages import Hello, parse_chunk

    worker_init(owner)
    answers = os.fdopen(answers_fd, "wb")
    tasks: queue.SimpleQueue[Any] = queue.SimpleQueue()
    threading.Thread(target=_drain, args=(sys.stdin.buffer, tasks), daemon=True).start()

    def answer(value: Any) -> None:
        pickle.dump(value, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()

    try:
        answer(Hello(os.getpid(), sorted(sys.modules)))
        while (task := tasks.get()) is not _END:
            if isinstance(task, BaseException):
                print(f"parse worker {os.getpid()}: unreadable task: {task!r}", file=sys.stderr)
                return 1
            archive_dir, chunk = task
            try:
                result: Any = parse_chunk(archive_dir, chunk)
            except Exception as exc:  # parse_chunk answers for each page; this is the rest
                result = exc
            answer(result)
    except BrokenPipeError:  # the loader is gone, or has given up on the answers
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
