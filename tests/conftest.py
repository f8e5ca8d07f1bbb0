"""Shared fixtures: paths to the reference page and its expected record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demosite.testing import demo_site, demo_site_factory  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def seed_html() -> str:
    return (FIXTURES / "seed-page.html").read_text(encoding="utf-8")


@pytest.fixture
def seed_expected() -> dict:
    return json.loads((FIXTURES / "seed-expected.json").read_text(encoding="utf-8"))
