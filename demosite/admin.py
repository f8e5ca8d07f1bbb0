"""The demo site's admin endpoints, under ``/_admin/`` (disallowed by robots.txt, never
counted), GET or POST, all answering JSON: ``whoami`` (which process this is), ``stats``,
``stats/reset``, ``faults``, ``state``, ``pages``, ``expected?path=P``, ``change?k=K``,
``remove?k=K``, ``redesign?k=K&to=FAMILY``."""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs, urlsplit

from demosite import families
from demosite.layout import ADMIN_PREFIX
from demosite.protocol import Request
from demosite.site import Site
from demosite.stats import Stats


def _error(status: int, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": message}).encode()


def _switch(site: Site, name: str, query: dict[str, str]) -> tuple[int, object]:
    """``change``, ``remove`` or ``redesign``: (status, payload)."""
    try:
        k = int(query.get("k", "1"))
    except ValueError:
        return 400, {"error": "k must be an integer"}
    if name == "change":
        return 200, {"changed": site.change(k)}
    if name == "remove":
        return 200, {"removed": site.remove(k)}
    to = query.get("to", "")
    if to not in families.BY_NAME:
        return 400, {"error": f"to must be one of {', '.join(families.BY_NAME)}"}
    return 200, {"redesigned": site.redesign(k, to), "to": to}


def _report(site: Site, stats: Stats, name: str) -> object | None:
    """The payload of a read-only endpoint (``stats/reset`` aside), None if unknown."""
    if name == "whoami":
        return {"site": "careers-etl demo site", "pid": os.getpid()}
    if name == "stats":
        return stats.snapshot()
    if name == "stats/reset":
        stats.reset()
        return {"reset": True}
    if name == "faults":
        return {
            "profile": site.profile,
            "faults": {p: f.as_dict() for p, f in site.fault_plan.items()},
        }
    if name == "state":
        return site.state()
    if name == "pages":
        return {"pages": site.live_paths()}
    return None


def admin_answer(site: Site, stats: Stats, request: Request) -> tuple[int, bytes]:
    """(status, JSON body) of admin request ``request``."""
    name = request.path[len(ADMIN_PREFIX) :].strip("/")
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.target).query).items()}
    if name == "expected":
        record = site.expected(query.get("path", ""))
        if record is None:
            return _error(404, "not a live comparison page")
        return 200, json.dumps(record.model_dump(mode="json")).encode()
    if name in ("change", "remove", "redesign"):
        status, payload = _switch(site, name, query)
        return status, json.dumps(payload).encode()
    payload = _report(site, stats, name)
    if payload is None:
        return _error(404, f"no admin endpoint {name!r}")
    return 200, json.dumps(payload).encode()
