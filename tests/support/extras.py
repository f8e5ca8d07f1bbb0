"""Optional extras in tests: ``require("pyarrow")`` wherever ``pytest.importorskip`` was.

Locally a missing extra skips the tests that need it (with the pip command that installs
it). Under ``CI=true`` the same miss fails the test: CI installs every extra
(``.[test]``), so a skip there would hide a broken install behind a green run.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

EXTRA_OF = {
    "pyarrow": "parquet",
    "datasette": "datasette",
    "duckdb": "duckdb",
    "duckdb_extension_sqlite_scanner": "duckdb",
    "psutil": "bench",
}
"""The ``pyproject.toml`` extra that brings each optional module (``test`` has all but psutil)."""


def on_ci() -> bool:
    return os.environ.get("CI") == "true"


def missing_message(module: str) -> str:
    extra = EXTRA_OF.get(module.split(".", 1)[0], "test")
    return f"{module} is not installed (pip install -e '.[{extra}]')"


def require(module: str) -> ModuleType:
    """``module``, imported. When it cannot be imported the calling test (or, called at a
    test module's top, the module) is skipped; under ``CI=true`` it fails instead."""
    if on_ci():
        try:
            return importlib.import_module(module)
        except ImportError as exc:
            pytest.fail(f"{missing_message(module)}: {exc}; CI installs every extra", pytrace=False)
    return pytest.importorskip(module, reason=missing_message(module))
