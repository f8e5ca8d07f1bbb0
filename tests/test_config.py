"""Configuration precedence: file -> environment -> flags, errors name the key and source."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_settings
from schemas.errors import ConfigError


def test_defaults_target_the_live_site_politely(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings(environ={})
    assert s.site.base_url == "https://www.zippia.com/"
    assert s.politeness.max_in_flight == 2 and s.politeness.rate == 1.0
    assert s.output.db == Path("output/careers.db")


def test_file_then_env_then_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "careers.toml"
    cfg.write_text(
        '[politeness]\nrate = 0.5\nmax_in_flight = 4\n[site]\nbase_url = "http://127.0.0.1:1/"\n'
    )
    env = {"CAREERS_POLITENESS__RATE": "0.25"}
    s = load_settings(cfg, env, {"politeness.max_in_flight": 8, "run.limit": None})
    assert s.politeness.rate == 0.25
    assert s.politeness.max_in_flight == 8
    assert s.site.base_url == "http://127.0.0.1:1/"
    assert s.run.limit is None


def test_config_file_from_env(tmp_path: Path) -> None:
    cfg = tmp_path / "other.toml"
    cfg.write_text("[run]\nlimit = 3\n")
    assert load_settings(None, {"CAREERS_CONFIG": str(cfg)}).run.limit == 3


@pytest.mark.parametrize(
    ("env", "file_text", "needle"),
    [
        (
            {"CAREERS_POLITENESS__RATE": "-1"},
            "",
            "politeness.rate (environment variable CAREERS_POLITENESS__RATE)",
        ),
        ({"CAREERS_POLITENESS__NOPE": "1"}, "", "no such setting politeness.nope"),
        ({}, "[limits]\ntimeout = 0\n", "limits.timeout (config file"),
        ({}, "[site]\nbase_url = 'ftp://x'\n", "site.base_url (config file"),
        ({}, "[site\n", "not valid TOML"),
    ],
)
def test_errors_name_key_and_source(tmp_path: Path, env, file_text, needle) -> None:
    cfg = tmp_path / "careers.toml"
    cfg.write_text(file_text)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env)
    assert needle in str(err.value)


def test_flag_errors_name_the_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="command-line flag politeness.max_in_flight"):
        load_settings(None, {}, {"politeness.max_in_flight": 0})


def test_shipped_config_is_valid_and_polite() -> None:
    shipped = Path(__file__).parent.parent / "careers.toml"
    s = load_settings(shipped, {})
    defaults = load_settings(None, {"CAREERS_CONFIG": str(shipped)})
    assert s == defaults
    assert s.site.base_url == "https://www.zippia.com/"
    assert s.politeness.max_in_flight == 2 and s.politeness.rate == 1.0
    assert s.retries.max_attempts == 5 and s.retries.retry_after_cap == 120.0
    assert s.limits.max_body_bytes == 5_000_000


@pytest.mark.parametrize("name", ["CAREERS_HOME", "CAREERS_", "CAREERS_RUN", "CAREERS_X__"])
def test_other_careers_variables_are_not_ours(tmp_path: Path, monkeypatch, name: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={name: "/tmp"}).run == load_settings(environ={}).run


def test_an_unknown_section_in_the_environment_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(None, {"CAREERS_NOPE__RATE": "1"})
    assert "environment variable CAREERS_NOPE__RATE: no such setting nope.rate" in str(err.value)


def test_an_unknown_section_in_the_file_is_blamed_on_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "careers.toml"
    cfg.write_text("[politness]\nrate = 1\n")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, {})
    assert f"politness (config file {cfg})" in str(err.value)
