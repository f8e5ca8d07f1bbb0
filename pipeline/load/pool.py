"""The parse workers: child interpreters running ``scraper.parse_worker``, each fed
chunks of stored pages on a pipe and answering on another, in order.

They are plain subprocesses, not a ``multiprocessing`` pool: that pool needs a resource
tracker process for its semaphores, a third interpreter beside the run and its worker on
a small machine, and a manager thread; two pipes per worker need neither. A worker is
exec'd (``subprocess`` closes every descriptor but its pipes, so none holds the run lock,
the database or its WAL), imports only the parser and the record models, and ends with
its input, or with its owner (``scraper.processes.worker_init``).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import scraper
from pipeline.exitcodes import interrupts_deferred
from schemas.errors import ParseWorkerError
from scraper.stored_pages import Hello, Outcome, StoredPage

PROJECT_DIR = Path(scraper.__file__).resolve().parent.parent
"""Put on a worker's ``PYTHONPATH``, so it imports the same code as the run."""
CLOSE_SECONDS = 10.0
"""How long a worker that has been told its work is done may take to exit."""


class ParseWorker:
    """One worker process. ``send`` a chunk; ``results`` gives the chunks' outcomes in
    the order they were sent."""

    def __init__(self) -> None:
        path = os.pathsep.join(filter(None, [str(PROJECT_DIR), os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-m", "scraper.parse_worker", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
        self._hello: Hello | None = None

    def send(self, archive_dir: Path, chunk: list[StoredPage]) -> None:
        assert self.process.stdin is not None
        try:
            pickle.dump((archive_dir, chunk), self.process.stdin, pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
        except OSError:
            raise self._died() from None

    def hello(self) -> Hello:
        """The worker's greeting: its pid and the modules it loaded."""
        if self._hello is None:
            self._hello = self._receive()
        return self._hello

    def results(self) -> list[Outcome]:
        self.hello()
        answer = self._receive()
        if isinstance(answer, BaseException):
            raise ParseWorkerError(
                f"parse worker {self.process.pid} failed on a chunk: {answer!r}"
            ) from answer
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
        if self.process.stdout is not None:
            self.process.stdout.close()

    def _receive(self) -> Any:
        assert self.process.stdout is not None
        try:
            return pickle.load(self.process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            raise self._died() from None

    def _died(self) -> ParseWorkerError:
        try:
            code = self.process.wait(timeout=CLOSE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        return ParseWorkerError(f"parse worker {self.process.pid} exited with code {code}")


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
