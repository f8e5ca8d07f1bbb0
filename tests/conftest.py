"""Shared fixtures: the reference page and its expected record.

The project ships one copy of both, in ``demosite/data/`` (the demo site serves the page);
``test_reference.py`` checks that copy against ``../shared/reference/`` when it is there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import demosite

pytest_plugins = ["plugins.demo_site"]

FIXTURES = Path(__file__).parent / "fixtures"
SEED_PAGE = Path(demosite.__file__).parent / "data" / "seed-page.html"
SEED_EXPECTED = SEED_PAGE.with_name("seed-expected.json")


@pytest.fixture
def seed_html() -> str:
    return SEED_PAGE.read_text(encoding="utf-8")


@pytest.fixture
def seed_expected() -> dict:
    return json.loads(SEED_EXPECTED.read_text(encoding="utf-8"))
