"""`mentorlens schema`: every analyst table and column with its comment, read from the
published warehouse itself, so the description can never drift from the tables."""

from __future__ import annotations

import textwrap

from warehouse.db import connect
from warehouse.settings import Settings

WIDTH = 100


SCHEMAS = ("marts", "staging", "meta", "quarantine", "raw", "legacy")


def schema_text(settings: Settings, schema: str = "marts") -> str:
    """One schema's tables and columns with their comments; `all` for every schema."""
    if not settings.warehouse.exists():
        return f"No warehouse yet at {settings.warehouse}: run `mentorlens run` first."
    if schema == "all":
        present = _schemas(settings)
        return "\n\n".join(schema_text(settings, s) for s in SCHEMAS if s in present)
    with connect(settings.warehouse, read_only=True) as con:
        tables = con.execute(
            "SELECT table_name, coalesce(comment, ''), estimated_size FROM duckdb_tables() "
            "WHERE schema_name = $schema UNION ALL "
            "SELECT view_name, coalesce(comment, ''), NULL FROM duckdb_views() "
            "WHERE schema_name = $schema AND NOT internal ORDER BY 1",
            {"schema": schema},
        ).fetchall()
        columns = con.execute(
            "SELECT table_name, column_name, data_type, coalesce(comment, '') "
            "FROM duckdb_columns() WHERE schema_name = ? ORDER BY table_name, column_index",
            [schema],
        ).fetchall()
    if not tables:
        raise LookupError(
            f"The warehouse {settings.warehouse} has no schema {schema!r}; "
            f"its schemas are {', '.join(_schemas(settings))}."
        )
    lines = [f"Schema {schema} in {settings.warehouse}", ""]
    for table, comment, rows in tables:
        size = "a view" if rows is None else f"about {rows:,} rows"
        lines.append(f"{schema}.{table}  ({size})")
        if comment:
            lines += textwrap.wrap(
                comment, WIDTH, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False
            )
        own = [c for c in columns if c[0] == table]
        name_width = max(len(name) for _, name, _, _ in own)
        for _, name, data_type, column_comment in own:
            head = f"    {name:<{name_width}}  {data_type:<9}  "
            wrapped = textwrap.wrap(column_comment, WIDTH - len(head), break_on_hyphens=False) or [
                ""
            ]
            lines.append((head + wrapped[0]).rstrip())
            lines += [" " * len(head) + more for more in wrapped[1:]]
        lines.append("")
    return "\n".join(lines).rstrip()


def _schemas(settings: Settings) -> list[str]:
    """The schemas that hold a table or a view (a pseudonymised copy has no raw)."""
    with connect(settings.warehouse, read_only=True) as con:
        return [
            name
            for (name,) in con.execute(
                "SELECT schema_name FROM duckdb_tables() UNION "
                "SELECT schema_name FROM duckdb_views() WHERE NOT internal ORDER BY 1"
            ).fetchall()
        ]
