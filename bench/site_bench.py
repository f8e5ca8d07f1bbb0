"""Requests per second the demo site serves to a bare concurrent httpx client.

Starts ``careers demo-site`` in its own process (so client and server do not share a
GIL), warms its page cache, then for 2, 8 and 16 connections runs a fixed-length burst
of GETs over the site's live comparison pages (live size, gzip accepted as httpx
does by default) and reports requests/s, wire MB/s and the server process's CPU
seconds per 1000 requests (read from /proc), which shows whether the server or the
client is the bottleneck.

    .venv/bin/python bench/site_bench.py [--seconds 5] [--pages 200]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import time

import httpx

from demosite.process import site_process


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def burst(
    base_url: str, paths: list[str], connections: int, seconds: float, encoding: str = "gzip"
) -> tuple[int, int]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    cycle = itertools.cycle(paths)
    done = received = 0
    deadline = time.perf_counter() + seconds

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal done, received
        while time.perf_counter() < deadline:
            response = await http.get(next(cycle))
            response.raise_for_status()
            received += int(response.headers["content-length"])
            done += 1

    headers = {"Accept-Encoding": encoding}
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=30, headers=headers
    ) as http:
        await asyncio.gather(*(worker(http) for _ in range(connections)))
    return done, received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--encoding", choices=["gzip", "identity"], default="gzip")
    args = parser.parse_args()
    with site_process("--port", "0", "--pages", str(args.pages)) as (server, base_url):
        measure(server.pid, base_url, args.seconds, args.encoding)


def measure(pid: int, base_url: str, seconds: float, encoding: str) -> None:
    paths = httpx.get(base_url + "_admin/pages", timeout=10).json()["pages"]
    asyncio.run(burst(base_url, paths, 4, 0.0))
    with httpx.Client(
        base_url=base_url, headers={"Accept-Encoding": encoding}
    ) as http:  # warm the page and gzip caches
        sizes = [len(http.get(p).content) for p in paths]
    mean_kb = sum(sizes) / len(sizes) / 1024
    print(
        f"demo site: {len(paths)} comparison pages, mean page {mean_kb:.0f} KB, "
        f"Accept-Encoding: {encoding} ({os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]})"
    )
    header = ("connections", "requests", "req/s", "MB/s wire", "server CPU ms/req")
    print(f"{header[0]:>11} {header[1]:>9} {header[2]:>8} {header[3]:>10} {header[4]:>17}")
    for connections in (2, 8, 16):
        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        done, received = asyncio.run(burst(base_url, paths, connections, seconds, encoding))
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(pid) - cpu_before
        print(
            f"{connections:>11} {done:>9} {done / elapsed:>8.0f} "
            f"{received / elapsed / 1e6:>10.1f} {1000 * cpu / max(done, 1):>17.2f}"
        )


if __name__ == "__main__":
    main()
