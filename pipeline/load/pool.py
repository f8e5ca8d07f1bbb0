"""The parse workers: child interpreters running ``scraper/parse_worker.py``, each fed
chunks of stored pages on a pipe and answering, in order, on another.

They are plain subprocesses, not a ``multiprocessing`` pool: that pool needs a resource
tracker process for its semaphores (a third interpreter beside the run and its worker on
a small machine) and a manager thread; two pipes per worker need neither. A worker is
exec'd (``subprocess`` closes every descriptor but its pipes, so none holds the run lock,
the database or its WAL), gets the run's ``sys.path``, imports only the parser and the
record models, runs in a process group of its own (a Ctrl-C at the terminal is the run's
to handle), and ends with its input, or with its owner
(``scraper.processes.worker_init``).
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from pipeline.exitcodes import interrupts_deferred
from schemas.errors import ParseWorkerError
from scraper import parse_worker
from scraper.stored_pages import Hello, Outcome, StoredPage

WORKER = Path(parse_worker.__file__).resolve()
CLOSE_SECONDS = 10.0
"""How long a worker that has been told its work is done may take to exit."""


def _how_it_ended(code: int) -> str:
    if code >= 0:
        return f"exited with code {code}"
    name = signal.Signals(-code).name
    return f"was killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")


class ParseWorker:
    """One worker process. ``send`` a chunk; ``results`` gives the chunks' outcomes in
    the order they were sent."""

    def __init__(self) -> None:
        read_end, write_end = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-P", str(WORKER), str(os.getpid()), str(write_end),
                 json.dumps(sys.path)],
                stdin=subprocess.PIPE,
                stdout=sys.__stderr__.fileno() if sys.__stderr__ else subprocess.DEVNULL,
                pass_fds=(write_end,),
                process_group=0,
            )  # fmt: skip
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        self.answers: IO[bytes] = os.fdopen(read_end, "rb")
        self._hello: Hello | None = None

    def send(self, archive_dir: Path, chunk: list[StoredPage]) -> None:
        assert self.process.stdin is not None
        try:
            pickle.dump((archive_dir, chunk), self.process.stdin, pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
        except OSError:
            raise self._broken("stopped reading its tasks") from None

    def hello(self) -> Hello:
        """The worker's greeting: its pid and the modules it loaded."""
        if self._hello is None:
            self._hello = self._receive()
        return self._hello

    def results(self) -> list[Outcome]:
        """The next chunk's outcomes. An exception the chunk raised in the worker (a
        parser bug beyond one page) is raised here, as it would be in this process."""
        self.hello()
        answer = self._receive()
        if isinstance(answer, BaseException):
            raise answer
        return answer  # type: ignore[no-any-return]

    def close(self, abandon: bool = False) -> None:
        """End the worker: once its work is done, by ending its input; when the work is
        abandoned (interrupted, failed), at once: it may be waiting to hand back answers
        nobody will read."""
        if abandon:
            self.process.kill()
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=CLOSE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.answers.close()

    def _receive(self) -> Any:
        try:
            return pickle.load(self.answers)
        except EOFError:
            raise self._broken("stopped answering") from None
        except Exception as exc:  # not a pickle of ours: the pipe is garbled, the worker useless
            self.process.kill()
            self.process.wait()
            raise ParseWorkerError(
                f"parse worker {self.process.pid} sent what is not an answer ({exc!r}); "
                "it was stopped"
            ) from None

    def _broken(self, what: str) -> ParseWorkerError:
        try:
            ended = _how_it_ended(self.process.wait(timeout=CLOSE_SECONDS))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            ended = "was stopped"
        return ParseWorkerError(f"parse worker {self.process.pid} {what}: it {ended}")


class ParsePool:
    """Up to ``size`` workers, each started when its first chunk is sent."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.workers: list[ParseWorker] = []

    def worker(self, slot: int) -> ParseWorker:
        """Worker ``slot`` (0 to ``size - 1``), started if it is not yet."""
        while len(self.workers) <= slot:
            with interrupts_deferred():  # never leave one started and unreaped
                self.workers.append(ParseWorker())
        return self.workers[slot]

    def close(self, abandon: bool = False) -> None:
        for worker in self.workers:
            worker.close(abandon)
        self.workers.clear()
