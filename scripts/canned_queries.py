"""The Datasette canned queries of ``schemas/metadata.json``, made from the README.

    python scripts/canned_queries.py           # rewrite databases.careers.queries
    python scripts/canned_queries.py --check   # exit 1 when metadata.json and the README differ

Every ```sql block of the README's "Querying the data" section (between
``<!-- queries:start -->`` and ``<!-- queries:end -->``) becomes one canned query: its
name is the block's first comment made into a URL slug, its title that comment, its
description the README paragraph just before the block, its SQL the block itself, and
its ``params`` the named parameters (``:role_slug``) the SQL uses. ``tests/test_queries.py``
reads the blocks through ``readme_queries`` below, and ``tests/test_datasette.py`` fails
when metadata.json is not what this script writes, so the two cannot drift.

Datasette runs canned queries on a read-only connection, so a block that is not one
read-only statement (a SELECT, or a WITH ending in one) is left out and named on stderr
with the reason: the SQL is compiled against the real schema with an authorizer that
refuses anything but reading.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from store.db import connect

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
METADATA = ROOT / "schemas" / "metadata.json"
DATABASE = "careers"

_START, _END = "<!-- queries:start -->", "<!-- queries:end -->"
_BLOCK = re.compile(r"```sql\n(.*?)```", re.S)
_COMMENT_OR_STRING = re.compile(r"--[^\n]*|'(?:[^']|'')*'")
_PARAMETER = re.compile(r"(?<![\w:]):([A-Za-z_]\w*)")
_READ_ONLY_ACTIONS = ("SQLITE_SELECT", "SQLITE_READ", "SQLITE_FUNCTION", "SQLITE_RECURSIVE")
_OTHER_ACTIONS = (
    "SQLITE_INSERT", "SQLITE_UPDATE", "SQLITE_DELETE", "SQLITE_PRAGMA", "SQLITE_TRANSACTION",
    "SQLITE_SAVEPOINT", "SQLITE_ATTACH", "SQLITE_DETACH", "SQLITE_ALTER_TABLE", "SQLITE_REINDEX",
    "SQLITE_ANALYZE", "SQLITE_CREATE_TABLE", "SQLITE_CREATE_INDEX", "SQLITE_CREATE_VIEW",
    "SQLITE_CREATE_TRIGGER", "SQLITE_CREATE_VTABLE", "SQLITE_CREATE_TEMP_TABLE",
    "SQLITE_CREATE_TEMP_INDEX", "SQLITE_CREATE_TEMP_VIEW", "SQLITE_CREATE_TEMP_TRIGGER",
    "SQLITE_DROP_TABLE", "SQLITE_DROP_INDEX", "SQLITE_DROP_VIEW", "SQLITE_DROP_TRIGGER",
    "SQLITE_DROP_VTABLE", "SQLITE_DROP_TEMP_TABLE", "SQLITE_DROP_TEMP_INDEX",
    "SQLITE_DROP_TEMP_VIEW", "SQLITE_DROP_TEMP_TRIGGER",
)  # fmt: skip
_READS = frozenset(getattr(sqlite3, name) for name in _READ_ONLY_ACTIONS)
_ACTION_NAMES = {getattr(sqlite3, name): name.removeprefix("SQLITE_") for name in _OTHER_ACTIONS}


@dataclass(frozen=True)
class ReadmeQuery:
    """One ```sql block of the section: its name (first comment), SQL and the prose above."""

    name: str
    sql: str
    lead: str


def readme_blocks(text: str) -> list[ReadmeQuery]:
    """The ```sql blocks of the "Querying the data" section of README text, in order."""
    section = text.split(_START)[1].split(_END)[0]
    found: list[ReadmeQuery] = []
    previous_end = 0
    for match in _BLOCK.finditer(section):
        sql = match.group(1)
        name = sql.splitlines()[0].removeprefix("-- ").strip()
        paragraphs = re.split(r"\n\s*\n", section[previous_end : match.start()].strip())
        lead = " ".join(paragraphs[-1].split()) if paragraphs else ""
        found.append(ReadmeQuery(name=name, sql=sql, lead=lead))
        previous_end = match.end()
    return found


def readme_queries(text: str | None = None) -> dict[str, str]:
    """The section's SQL keyed by each block's first comment (the README's own, by default)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    return {block.name: block.sql for block in readme_blocks(text)}


def slug(name: str) -> str:
    """A canned query's URL name: ``one role's latest figures`` -> ``one-roles-latest-figures``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("'", "")).strip("-")


def parameters(sql: str) -> list[str]:
    """The named parameters of ``sql`` in order of first use, outside comments and strings."""
    bare = _COMMENT_OR_STRING.sub(" ", sql)
    return list(dict.fromkeys(_PARAMETER.findall(bare)))


def why_not_read_only(sql: str, schema: sqlite3.Connection) -> str | None:
    """None when ``sql`` is one statement that only reads; else why Datasette cannot run it
    as a canned query. ``schema`` is a connection to a database with the project's schema."""
    refused: list[str] = []

    def authorize(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
        if action in _READS:
            return sqlite3.SQLITE_OK
        what = " ".join(a for a in (arg1, arg2) if a)
        refused.append(f"{_ACTION_NAMES.get(action, f'action {action}')} {what}".strip())
        return sqlite3.SQLITE_DENY

    schema.set_authorizer(authorize)
    try:
        schema.execute("EXPLAIN " + sql, dict.fromkeys(parameters(sql))).fetchall()
    except (sqlite3.Error, sqlite3.Warning) as exc:
        if refused:
            return f"not read-only: sqlite refuses {', '.join(refused)}"
        return f"does not compile as one statement against the schema: {exc}"
    finally:
        schema.set_authorizer(None)
    return None


def canned_queries(text: str) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Datasette's ``queries`` for README text, and the blocks left out with the reason."""
    schema = connect(":memory:")
    queries: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    try:
        for block in readme_blocks(text):
            reason = why_not_read_only(block.sql, schema)
            if reason is not None:
                skipped[block.name] = reason
                continue
            query: dict[str, Any] = {
                "title": block.name[:1].upper() + block.name[1:],
                "description": block.lead.replace("`", "").removesuffix(":"),
                "sql": block.sql,
            }
            if names := parameters(block.sql):
                query["params"] = names
            queries[slug(block.name)] = query
    finally:
        schema.close()
    return queries, skipped


def with_queries(metadata: dict[str, Any], queries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``metadata`` with its careers database's canned queries replaced by ``queries``."""
    out = json.loads(json.dumps(metadata))
    out["databases"][DATABASE]["queries"] = queries
    return out


def dumps(metadata: dict[str, Any]) -> str:
    """metadata.json's own layout: two-space indent, UTF-8 text, a final newline."""
    return json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--metadata", type=Path, default=METADATA)
    args = parser.parse_args(argv)
    queries, skipped = canned_queries(args.readme.read_text(encoding="utf-8"))
    for name, reason in skipped.items():
        print(f"left out {name!r}: {reason}", file=sys.stderr)
    current = args.metadata.read_text(encoding="utf-8")
    wanted = dumps(with_queries(json.loads(current), queries))
    if args.check:
        if wanted != current:
            print(
                f"{args.metadata}: canned queries differ from {args.readme}; "
                "run python scripts/canned_queries.py",
                file=sys.stderr,
            )
            return 1
        return 0
    if wanted != current:
        args.metadata.write_text(wanted, encoding="utf-8")
        print(f"{args.metadata}: {len(queries)} canned queries written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
