"""Wait until a URL answers 200 (used by `make demo` to wait for the demo site)."""

from __future__ import annotations

import sys
import time

import httpx


def wait_for(url: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


if __name__ == "__main__":
    if not wait_for(sys.argv[1]):
        sys.exit(f"{sys.argv[1]} did not answer within 30 s")
