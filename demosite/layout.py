"""The demo site's URL layout: the path prefixes it serves besides the comparison and
role pages, and what its robots.txt disallows."""

from __future__ import annotations

PREVIEW_PREFIX = "/preview"
LOOP_PREFIX = "/redirect-loop"
ADMIN_PREFIX = "/_admin/"
DISALLOWED_PREFIXES: tuple[str, ...] = (PREVIEW_PREFIX + "/", ADMIN_PREFIX)


def is_disallowed(path: str) -> bool:
    return path.startswith(DISALLOWED_PREFIXES)
