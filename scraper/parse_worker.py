"""A parse worker process, started by the loader's pool (``pipeline.load.pool``) as
``python -P -c BOOTSTRAP OWNER_PID ANSWERS_FD SYS_PATH_JSON``: the bootstrap ignores
Ctrl-C (the run handles it), sets the run's ``sys.path`` (so the worker imports the same
code from the same places as the run, zipapps included), imports this module and calls
``run``.

The worker reads tasks, pickled, from standard input, and answers on a pipe of its own
(``ANSWERS_FD``), pickled, in order: first a ``Hello`` (its pid and the modules it has
loaded), then for each task ``(archive_dir, [StoredPage, ...])`` the chunk's ``Outcome``
list, or a ``ChunkFailed`` (the traceback of what stopped the chunk, as text: not every
exception survives pickling). Standard output is not used: whatever a library prints
cannot garble an answer.

A thread drains standard input from the start, so the loader never waits to hand over a
task while the worker waits to hand back an answer. The end of its input (the loader
closed the pipe, or died) ends the worker, and so do a task it cannot read and its
owner's death (``scraper.processes.worker_init``).
"""

from __future__ import annotations

import os
import pickle
import queue
import sys
import threading
import traceback
from typing import IO, Any, NoReturn

from scraper.processes import worker_init
from scraper.stored_pages import ChunkFailed, Hello, parse_chunk

BOOTSTRAP = (
    "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "import json, sys; sys.path[:] = json.loads(sys.argv[3])\n"
    "from scraper.parse_worker import run; run(sys.argv[1:])\n"
)
"""What the pool hands ``python -c``; the marker tests and benches look for is
``scraper.parse_worker``."""

_END = object()


def _drain(stdin: IO[bytes], tasks: queue.SimpleQueue[Any]) -> None:
    try:
        while True:
            tasks.put(pickle.load(stdin))
    except EOFError:
        tasks.put(_END)
    except BaseException as exc:  # a task that does not unpickle: end at once, never hang
        print(f"parse worker {os.getpid()}: unreadable task: {exc!r}", file=sys.stderr)
        sys.stderr.flush()
        os._exit(1)


def main(argv: list[str]) -> int:
    owner, answers_fd = int(argv[0]), int(argv[1])
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
            archive_dir, chunk = task
            try:
                result: Any = parse_chunk(archive_dir, chunk)
            except Exception:  # parse_chunk answers for each page; this is the rest
                result = ChunkFailed(traceback.format_exc())
            answer(result)
    except BrokenPipeError:  # the loader is gone, or has given up on the answers
        return 1
    return 0


def run(argv: list[str]) -> NoReturn:
    """``main``, then exit at once: the thread reading standard input may be blocked in
    it, which an orderly interpreter shutdown would wait on."""
    try:
        code = main(argv)
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stderr.flush()
    os._exit(code)
