"""The parse workers: child interpreters running ``scraper.parse_worker``, each fed
chunks of stored pages on a pipe and answering, in order, on another.

They are plain subprocesses, not a ``multiprocessing`` pool: that pool needs a resource
tracker process for its semaphores (a third interpreter beside the run and its worker on
a small machine) and a manager thread; two pipes per worker need neither. A worker is
exec'd (``subprocess`` closes every descriptor but its pipes, so none holds the run lock,
the database or its WAL), gets the run's ``sys.path``, imports only the parser and the
record models, leaves Ctrl-C to the run, and ends with its input, or with its owner
(``scraper.processes.worker_init``).
"""

from __future__ import annotations

import contextlib
import fcntl
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
from scraper.parse_worker import BOOTSTRAP
from scraper.stored_pages import ChunkFailed, Hello, Outcome, StoredPage

CLOSE_SECONDS = 10.0
"""How long a worker that has been told its work is done may take to exit."""


def how_it_ended(code: int) -> str:
    """A finished process's return code in words (a negative code is the signal)."""
    if code >= 0:
        return f"exited with code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:  # a real-time signal, which the enum does not list
        name = f"signal {-code}"
    return f"was killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")


def _above_stdio(fd: int) -> int:
    """``fd`` moved to 3 or above: a run started with its standard descriptors closed
    gets pipes numbered 0 to 2, which the worker's own standard streams would take."""
    if fd > 2:
        return fd
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    os.close(fd)
    return moved


class ParseWorker:
    """One worker process. ``send`` a chunk; ``results`` gives the chunks' outcomes in
    the order they were sent."""

    def __init__(self) -> None:
        read_end, write_end = (_above_stdio(fd) for fd in os.pipe())
        path = [entry for entry in sys.path if isinstance(entry, str)]
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-c", BOOTSTRAP, str(os.getpid()), str(write_end),
                 json.dumps(path)],
                stdin=subprocess.PIPE,
                stdout=sys.__stderr__.fileno() if sys.__stderr__ else subprocess.DEVNULL,
                pass_fds=(write_end,),
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
        """The next chunk's outcomes. A chunk that raised in the worker (a bug beyond one
        page's parse, which ``parse_stored`` answers for) raises here, with the worker's
        traceback."""
        self.hello()
        answer = self._receive()
        if isinstance(answer, ChunkFailed):
            raise RuntimeError(
                f"parse worker {self.process.pid} failed on a chunk:\n{answer.traceback}"
            )
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
            ended = how_it_ended(self.process.wait(timeout=CLOSE_SECONDS))
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
        if not 0 <= slot < self.size:
            raise IndexError(f"no worker {slot} in a pool of {self.size}")
        while len(self.workers) <= slot:
            with interrupts_deferred():  # never leave one started and unreaped
                self.workers.append(ParseWorker())
        return self.workers[slot]

    def close(self, abandon: bool = False) -> None:
        """Close every worker, also when closing one of them fails."""
        workers, self.workers = self.workers, []
        with contextlib.ExitStack() as closing:
            for worker in reversed(workers):  # the stack closes them in start order
                closing.callback(worker.close, abandon)
