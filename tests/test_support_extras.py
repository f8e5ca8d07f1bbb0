"""``support.extras.require``: a missing optional module skips locally and fails on CI."""

from __future__ import annotations

import pytest
from support.extras import missing_message, require

MISSING = "careers_etl_no_such_extra"


def test_a_missing_extra_fails_the_test_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as failed:
        require(MISSING)
    assert MISSING in str(failed.value) and "CI installs every extra" in str(failed.value)


def test_a_missing_submodule_fails_under_ci_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        require(f"{MISSING}.parquet")


@pytest.mark.parametrize("value", [None, "", "false", "1"])
def test_a_missing_extra_skips_anywhere_else(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception) as skipped:
        require(MISSING)
    assert str(skipped.value) == missing_message(MISSING)


@pytest.mark.parametrize("ci", ["true", "false"])
def test_an_installed_module_is_returned(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    assert require("json.decoder").__name__ == "json.decoder"


def test_the_message_names_the_extra_to_install() -> None:
    assert missing_message("pyarrow.parquet") == (
        "pyarrow.parquet is not installed (pip install -e '.[parquet]')"
    )
    assert "'.[test]'" in missing_message(MISSING)
