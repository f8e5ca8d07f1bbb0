"""Importing a library without the heavy optional packages it would pull in for nothing.

sqlite-utils and pyarrow import pandas and numpy, when installed, only to recognise
values of their types, which this project never hands them; each import costs a run tens
of megabytes (``bench/memory_bench.py``). ``without`` makes such packages unimportable
for the length of a block, as if they were not installed, so the library records them as
absent and keeps to its pure-Python paths.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

HEAVY = ("pandas", "numpy")
"""What neither sqlite-utils nor pyarrow needs here."""


class _Refused(importlib.abc.MetaPathFinder):
    """Fails the import of the given packages and their modules while on ``sys.meta_path``,
    as a missing package's import fails, and leaves ``sys.modules`` as it was."""

    def __init__(self, packages: frozenset[str]) -> None:
        self.packages = packages

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in self.packages:
            raise ModuleNotFoundError(f"{name} is not used here", name=name)


@contextmanager
def without(packages: tuple[str, ...] = HEAVY) -> Iterator[None]:
    """Within the block, ``packages`` cannot be imported, unless something imported them
    already (then the block changes nothing: they are loaded, and the library may as
    well use them)."""
    refused = frozenset(p for p in packages if p not in sys.modules)
    if not refused:
        yield
        return
    finder = _Refused(refused)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
