"""Build the one ``Settings`` object: file -> environment -> CLI flags, validated once.

The file is found by ``--config``, else ``$CAREERS_CONFIG``, else ``./careers.toml``
(absent is fine: defaults target the live site politely). Environment variables
override it as ``CAREERS_<SECTION>__<KEY>`` (``CAREERS_POLITENESS__RATE=0.5``);
CLI flags override both. Errors name the bad key and where it came from. Only
``CAREERS_CONFIG`` and variables of that form are read: any other ``CAREERS_*`` variable
(``CAREERS_HOME``, a wrapper script's own) is none of this tool's business.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from schemas.errors import ConfigError
from schemas.settings import Settings

ENV_PREFIX = "CAREERS_"
DEFAULT_CONFIG = Path("careers.toml")


def find_config(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"--config: no such file: {explicit}")
        return explicit
    from_env = environ.get(ENV_PREFIX + "CONFIG")
    if from_env:
        if not Path(from_env).is_file():
            raise ConfigError(f"CAREERS_CONFIG: no such file: {from_env}")
        return Path(from_env)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _section_fields(section: str) -> set[str]:
    field = Settings.model_fields.get(section)
    model = field.annotation if field else None
    if isinstance(model, type) and issubclass(model, BaseModel):
        return set(model.model_fields)
    return set()


def _env_value(raw: str) -> Any:
    """Env values are strings; JSON syntax gives lists, numbers and booleans."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _from_env(environ: Mapping[str, str]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    values: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        section, sep, key = name[len(ENV_PREFIX) :].lower().partition("__")
        if not (sep and section and key):
            continue
        if section not in Settings.model_fields or key not in _section_fields(section):
            raise ConfigError(f"environment variable {name}: no such setting {section}.{key}")
        values.setdefault(section, {})[key] = _env_value(raw)
        sources[f"{section}.{key}"] = f"environment variable {name}"
    return values, sources


def _merge(into: dict[str, Any], layer: Mapping[str, Any]) -> None:
    for key, value in layer.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def load_settings(
    config: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    flags: Mapping[str, str] | None = None,
) -> Settings:
    """``overrides`` maps dotted keys (``"politeness.rate"``) to CLI flag values; ``None``
    values are flags that were not given and are skipped. ``flags`` names the flag of each
    dotted key (``"--rate"``) for error messages."""
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    path = find_config(config, environ)
    if path is not None:
        file_values = _read_file(path)
        _merge(merged, file_values)
        for section, keys in file_values.items():
            sources[section] = f"config file {path}"
            if isinstance(keys, Mapping):
                for key in keys:
                    sources[f"{section}.{key}"] = f"config file {path}"
    env_values, env_sources = _from_env(environ)
    _merge(merged, env_values)
    sources.update(env_sources)
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, key = dotted.split(".", 1)
        merged.setdefault(section, {})[key] = value
        sources[dotted] = f"command-line flag {(flags or {}).get(dotted, dotted)}"
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            dotted = ".".join(str(p) for p in err["loc"])
            where = sources.get(dotted) or sources.get(dotted.split(".")[0], "defaults")
            problems.append(f"{dotted} ({where}): {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
