"""What the demo site measures about each client (a client is a User-Agent), so tests can
assert politeness and exactly-once fetching from the server's side.

Admin calls never reach here. The server's loop records; tests read ``snapshot()`` from
their own thread, hence the lock.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ClientStats:
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    last_start: float | None = None
    min_interval_s: float | None = None
    disallowed: int = 0
    disallowed_paths: list[str] = field(default_factory=list)
    status: Counter[str] = field(default_factory=Counter)
    complete_200: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)
    blocked: int = 0
    blocks_in_a_row: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "min_interval_s": self.min_interval_s,
            "disallowed": self.disallowed,
            "disallowed_paths": list(self.disallowed_paths),
            "status": dict(self.status),
            "complete_200": dict(self.complete_200),
            "blocked": self.blocked,
        }


class Stats:
    def __init__(self) -> None:
        self._clients: dict[str, ClientStats] = {}
        self._lock = threading.Lock()

    def start(self, user_agent: str, path: str, disallowed: bool) -> ClientStats:
        """A request from ``user_agent`` began; returns its record for ``finish``."""
        now = time.monotonic()
        with self._lock:
            client = self._clients.setdefault(user_agent, ClientStats())
            client.requests += 1
            client.in_flight += 1
            client.max_in_flight = max(client.max_in_flight, client.in_flight)
            if client.last_start is not None:
                gap = now - client.last_start
                if client.min_interval_s is None or gap < client.min_interval_s:
                    client.min_interval_s = gap
            client.last_start = now
            if disallowed:
                client.disallowed += 1
                if len(client.disallowed_paths) < 100:
                    client.disallowed_paths.append(path)
        return client

    def finish(self, client: ClientStats, status: int | None, path: str, complete: bool) -> None:
        """The response ended: ``status`` None when nothing was sent; ``complete`` when the
        whole body was written."""
        with self._lock:
            client.in_flight -= 1
            client.status[str(status) if status is not None else "none"] += 1
            if status == 200 and complete:
                client.complete_200[path] += 1

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {"clients": {ua: c.as_dict() for ua, c in self._clients.items()}}

    def reset(self) -> None:
        with self._lock:
            self._clients.clear()
