"""The README's analyst queries, as ``scripts/canned_queries.py`` reads them (the same
reading writes them into the Datasette metadata as canned queries: one reading, no drift)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def canned_queries_script() -> ModuleType:
    """``scripts/canned_queries.py``, loaded once."""
    name = "canned_queries"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def readme_queries() -> dict[str, str]:
    """The ```sql blocks of the "Querying the data" section, keyed by their first comment."""
    queries: dict[str, str] = canned_queries_script().readme_queries()
    return queries


REPRESENTATIVE = {
    # a role seen on several pages whose figures there disagree (the second run's change)
    "role_slug": "SELECT role_slug FROM role_latest WHERE disagrees = 1"
    " ORDER BY comparisons_seen DESC, role_slug LIMIT 1",
}
"""Where each README query parameter's test value comes from, in a refreshed database."""
