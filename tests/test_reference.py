"""The shipped copy of the reference page and its record is the one in ../shared/reference/."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEED_EXPECTED, SEED_PAGE

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"no reference copy at {REFERENCE}")
@pytest.mark.parametrize(
    ("shipped", "name"), [(SEED_PAGE, "seed-page.html"), (SEED_EXPECTED, "seed-expected.json")]
)
def test_shipped_copy_is_the_reference(shipped: Path, name: str) -> None:
    assert shipped.read_bytes() == (REFERENCE / name).read_bytes()
