"""Shared fixtures: the reference page and its expected record, and the check that a
test leaves its SQLite files sound.

The project ships one copy of both, in ``demosite/data/`` (the demo site serves the page);
``test_reference.py`` checks that copy against ``../shared/reference/`` when it is there.
Helpers that are not fixtures live in ``tests/support/``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy  # noqa: F401
import pytest
from support.load import assert_db_clean

import demosite

pytest_plugins = ["plugins.demo_site"]
# numpy is loaded before any test runs a command in this process: ``careers refresh`` and
# ``careers export`` load pyarrow without numpy where numpy is not loaded yet (their own
# process, which ends with them), and pyarrow would then hand nothing to pandas for the
# rest of the test session.

FIXTURES = Path(__file__).parent / "fixtures"
SEED_PAGE = Path(demosite.__file__).parent / "data" / "seed-page.html"
SEED_EXPECTED = SEED_PAGE.with_name("seed-expected.json")


@pytest.fixture
def seed_html() -> str:
    return SEED_PAGE.read_text(encoding="utf-8")


@pytest.fixture
def seed_expected() -> dict:
    return json.loads(SEED_EXPECTED.read_text(encoding="utf-8"))


@pytest.fixture
def databases_stay_clean(tmp_path: Path) -> Iterator[None]:
    """After the test: each SQLite file it left under ``tmp_path`` passes integrity and
    foreign-key checks. A module asks for it for all its tests with
    ``pytestmark = pytest.mark.usefixtures("databases_stay_clean")``."""
    yield
    for path in sorted(tmp_path.rglob("*.db")):
        assert_db_clean(path)
