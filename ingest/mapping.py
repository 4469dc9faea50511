"""Mappings: an organisation's own export layouts, translated into the contract as they land.

A mapping file (setting `MENTORLENS_MAPPING`, YAML) says per source which export column is
which contract column, how values translate, and how dates are written:

    employees:
      columns: {Worker ID: employee_id, Management Level: job_level}
      values:
        job_level: {Senior Manager: 7}
        termination_type: {"Resignation > *": voluntary}   # '*' matches anything
      date_format: "%d/%m/%Y"

It is applied to the landed text, in SQL, before anything reaches `raw`, so what lands is what
a contract-shaped export of the same data would give. A value left untranslated, or a date not
in the format, stays as it was and is quarantined with the usual reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from quality.contract import SOURCES, Kind, normalise_header
from warehouse.db import quote_ident, quote_literal


class MappingError(ValueError):
    """The mapping file cannot be used as it is."""


@dataclass(frozen=True)
class SourceMapping:
    columns: dict[str, str] = field(default_factory=dict)  # normalised export name → contract
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # contract column → map
    date_format: str | None = None


Mapping = dict[str, SourceMapping]


def load_mapping(path: Path | None) -> Mapping:
    if path is None:
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise MappingError(f"The mapping {path} cannot be read: {error}") from None
    if not isinstance(document, dict):
        raise MappingError(f"The mapping {path} must map source names to their mapping.")
    mapping = {}
    for source, spec in document.items():
        if source not in SOURCES or source == "surveys":
            known = ", ".join(s for s in SOURCES if s != "surveys")
            raise MappingError(f"The mapping {path} names {source!r}; sources are {known}.")
        spec = spec or {}
        unknown = set(spec) - {"columns", "values", "date_format"}
        if unknown:
            raise MappingError(
                f"The mapping {path}, {source}: unknown keys {', '.join(sorted(unknown))} "
                "(use columns, values, date_format)."
            )
        contract = set(SOURCES[source].column_names)
        columns = {normalise_header(str(k)): str(v) for k, v in (spec.get("columns") or {}).items()}
        values = {
            str(column): {str(k): str(v) for k, v in (table or {}).items()}
            for column, table in (spec.get("values") or {}).items()
        }
        for target in [*columns.values(), *values]:
            if target not in contract:
                raise MappingError(
                    f"The mapping {path}, {source}: {target!r} is not a column of {source} "
                    f"({', '.join(sorted(contract))})."
                )
        mapping[source] = SourceMapping(columns, values, spec.get("date_format"))
    return mapping


def renamed_columns(columns: list[str], mapping: SourceMapping | None) -> list[str]:
    """The file's columns as they will be once mapped (for the required-columns check)."""
    if mapping is None:
        return columns
    return [mapping.columns.get(c, c) for c in columns]


def apply_mapping(
    con: duckdb.DuckDBPyConnection, table: str, source: str, mapping: SourceMapping | None
) -> list[str]:
    """Rename, translate and re-date the landed `table` in place; what was done, in words."""
    if mapping is None:
        return []
    present = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    done = []
    for export, contract in mapping.columns.items():
        if export in present and export != contract:
            if contract in present:
                con.execute(f"ALTER TABLE {table} DROP COLUMN {quote_ident(contract)}")
            old, new = quote_ident(export), quote_ident(contract)
            con.execute(f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}")
            done.append(f"column {export} → {contract}")
    present = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    for column, table_of_values in mapping.values.items():
        if column not in present or not table_of_values:
            continue
        quoted = quote_ident(column)
        cases = " ".join(
            f"WHEN lower(trim({quoted})) LIKE {quote_literal(_like(key))} ESCAPE '\\' "
            f"THEN {quote_literal(value)}"
            for key, value in table_of_values.items()
        )
        changed = con.execute(
            f"SELECT count(*) FROM {table} WHERE (CASE {cases} END) IS NOT NULL"
        ).fetchone()[0]
        con.execute(f"UPDATE {table} SET {quoted} = coalesce(CASE {cases} END, {quoted})")
        done.append(f"{changed:,} values of {column} translated")
    if mapping.date_format:
        fmt = quote_literal(mapping.date_format)
        for column in SOURCES[source].columns:
            if column.kind != Kind.DATE or column.name not in present:
                continue
            quoted = quote_ident(column.name)
            con.execute(
                f"UPDATE {table} SET {quoted} = coalesce("
                f"strftime(try_strptime(trim({quoted}), {fmt}), '%Y-%m-%d'), {quoted}) "
                f"WHERE nullif(trim({quoted}), '') IS NOT NULL"
            )
            done.append(f"{column.name} read as {mapping.date_format}")
    return done


def _like(key: str) -> str:
    """A value to match, case-insensitively; '*' matches anything."""
    escaped = key.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")
