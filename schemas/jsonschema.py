"""The JSON Schema of a parsed comparison record, as written to
``schemas/comparison.schema.json`` (regenerate with ``careers schema`` or
``python -m schemas.jsonschema``; a test fails when the file is stale)."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.records import ComparisonRecord

SCHEMA_PATH = Path(__file__).with_name("comparison.schema.json")


def comparison_schema_text() -> str:
    """The schema file's exact contents."""
    schema = ComparisonRecord.model_json_schema()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> bool:
    """Write the schema to ``path``; True when the file changed."""
    text = comparison_schema_text()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


if __name__ == "__main__":
    print(SCHEMA_PATH if write_schema() else f"{SCHEMA_PATH} is up to date")
