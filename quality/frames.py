"""The validation table of a source, built in DuckDB from `raw.<source>`.

Each contract column is typed from its text (`hire_date`), the text is kept beside it for
messages (`hire_date__text`), identical repeats within a file are marked (`_duplicate_of`),
as are different rows of a file sharing a key (`_key_conflict`). Rules that reach into other
sources query their staged tables themselves (`quality.suites`).
"""

from __future__ import annotations

import duckdb

from quality.contract import SOURCES, Column, Kind
from quality.suites import KEY_CONFLICT, text_column
from warehouse.db import quote_ident, quote_literal

LINEAGE_SQL = "_source_file, _source_line, _malformed"


def raw_columns(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'raw' AND table_name = ? ORDER BY column_index",
            [source],
        ).fetchall()
    ]


def iso_timestamp_sql(text: str) -> str:
    """ISO 8601 date or date-time text as a TIMESTAMP (years 0001-9999); NULL otherwise.

    DuckDB alone also casts 'epoch', 'infinity', '-2020-01-01' and five-digit years, which
    are no dates to a person and break pandas."""
    iso = f"regexp_full_match({text}, '\\d{{4}}-\\d{{2}}-\\d{{2}}([T ].*)?')"
    parsed = (
        f"coalesce(try_cast({text} AS TIMESTAMP), try_cast(try_cast({text} AS DATE) AS TIMESTAMP))"
    )
    return f"CASE WHEN {iso} AND NOT starts_with({text}, '0000') THEN {parsed} END"


def typed_sql(column: Column, text: str) -> str:
    """A DuckDB expression typing the trimmed text; NULL where it does not parse."""
    if column.kind == Kind.DATE:
        return f"CAST({iso_timestamp_sql(text)} AS DATE)"
    number = f"try_cast({text} AS DOUBLE)"
    if column.kind == Kind.INTEGER:
        # try_cast: 'nan', 'inf' and 1e30 pass the floor test but fit no BIGINT
        return f"CASE WHEN {number} = floor({number}) THEN try_cast({number} AS BIGINT) END"
    if column.kind == Kind.NUMBER:
        return f"CASE WHEN isfinite({number}) THEN {number} END"
    if column.allowed:
        return f"lower({text})"
    return text


def _column_sql(column: Column, present: set[str]) -> list[str]:
    text = (
        f"nullif(trim({quote_ident(column.name)}), '')"
        if column.name in present
        else "NULL::VARCHAR"
    )
    selected = [f"{typed_sql(column, text)} AS {column.name}"]
    if text_column(column) != column.name:
        selected.append(f"{text} AS {text_column(column)}")
    return selected


def of_files(files: list[str] | None, alias: str = "r") -> str:
    """A WHERE clause keeping the rows of `files` (every row when None)."""
    if files is None:
        return ""
    return (
        f"WHERE {alias}._source_file IN (" + (", ".join(map(quote_literal, files)) or "NULL") + ")"
    )


def typed_columns_sql(source: str, present: set[str]) -> list[str]:
    return [sql for column in SOURCES[source].columns for sql in _column_sql(column, present)]


def frame_sql(con: duckdb.DuckDBPyConnection, source: str, files: list[str] | None = None) -> str:
    """SELECT producing the validation table of a source: the rows of `files`, or all."""
    present = set(raw_columns(con, source))
    data_columns = [c for c in raw_columns(con, source) if not c.startswith("_")]
    columns = typed_columns_sql(source, present)
    # Identical rows share a file and a hash of every column: one 64-bit partition key instead
    # of every text column (4× faster; two different rows of a file share a hash with odds
    # of about 2⁻⁶⁴ a pair).
    identical = (
        "r._source_file, hash(" + ", ".join(f"r.{quote_ident(c)}" for c in data_columns) + ")"
    )
    key = ", ".join(["_source_file", *SOURCES[source].key])
    return f"""
        WITH typed AS (
            SELECT {LINEAGE_SQL}, {", ".join(columns)},
                CASE WHEN row_number() OVER same_row > 1
                     THEN min(_source_line) OVER same_row END AS _duplicate_of
            FROM raw.{source} r {of_files(files)}
            WINDOW same_row AS (PARTITION BY {identical} ORDER BY _source_line)
        )
        SELECT *, CASE WHEN _duplicate_of IS NULL AND count(*) FILTER (
                WHERE _duplicate_of IS NULL) OVER (PARTITION BY {key}) > 1
            THEN true END AS {KEY_CONFLICT}
        FROM typed
    """
