"""A small site on 127.0.0.1 for the crawl's guards: robots.txt and a sitemap like the demo
site's, and comparison pages answered by a handler the test picks (404 everywhere, 429
with a long Retry-After, 403, ...), or a sitemap the demo site would never serve."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = tuple[int, dict[str, str], bytes]
"""Status, headers and body of one response."""
Handler = Callable[[str], Answer]


def sitemap_of(locs: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>\n'
    ).encode()


def not_found(path: str) -> Answer:
    return 404, {"Content-Type": "text/html"}, b"<html><title>404</title></html>"


@dataclass
class LocalSite:
    base_url: str
    routes: dict[str, Answer] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)


@contextmanager
def local_site(
    routes: dict[str, Answer] | None = None, pages: Handler = not_found
) -> Iterator[LocalSite]:
    """Serve ``routes`` (path -> answer, changes included while serving; ``/robots.txt``
    allows everything unless given) and answer every other path with ``pages(path)``."""
    table: dict[str, Answer] = routes if routes is not None else {}
    table.setdefault(
        "/robots.txt", (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")
    )
    seen: list[str] = []

    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  (the http.server name)
            seen.append(self.path)
            status, headers, body = table.get(self.path) or pages(self.path)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalSite(f"http://127.0.0.1:{server.server_port}/", table, seen)
    finally:
        server.shutdown()
        server.server_close()
