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

LINEAGE_SQL = "r._source_file, r._source_line, r._malformed"


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


def raw_text_sql(name: str, present: set[str]) -> str:
    """The trimmed text of column `name` of `raw.<source> r`; NULL when blank or absent."""
    return f"nullif(trim(r.{quote_ident(name)}), '')" if name in present else "NULL::VARCHAR"


def _column_sql(column: Column, present: set[str]) -> list[str]:
    text = raw_text_sql(column.name, present)
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


def row_hash_sql(data_columns: list[str], alias: str = "r") -> str:
    """One 64-bit hash of a row's data columns: identical rows of a file share it (two
    different rows share one with odds of about 2⁻⁶⁴ a pair)."""
    return "hash(" + ", ".join(f"{alias}.{quote_ident(c)}" for c in data_columns) + ")"


def repeated_rows_sql(source: str, data_columns: list[str], files: list[str] | None) -> str:
    """(file, row hash, first line) of each row that its file holds more than once.

    A GROUP BY over two narrow columns, joined back to the rows, instead of a window sorting
    every typed column by file and row: the repeats are few, the rows are millions."""
    return (
        f"SELECT r._source_file, {row_hash_sql(data_columns)} AS _row_hash, "
        f"min(r._source_line) AS _first_line FROM raw.{source} r {of_files(files)} "
        "GROUP BY ALL HAVING count(*) > 1"
    )


def duplicate_of_sql(
    source: str, data_columns: list[str], files: list[str] | None
) -> tuple[str, str]:
    """A LEFT JOIN onto `raw.<source> r` and the expression of `_duplicate_of` it allows: the
    first line of the file holding the same row, for every later copy."""
    join = (
        f"LEFT JOIN ({repeated_rows_sql(source, data_columns, files)}) d "
        f"ON d._source_file = r._source_file AND d._row_hash = {row_hash_sql(data_columns)}"
    )
    return join, "CASE WHEN r._source_line > d._first_line THEN d._first_line END"


def key_conflict_sql(source: str, present: set[str], data_columns: list[str], files) -> str:
    """A LEFT JOIN onto `raw.<source> r` matching, as `k`, the keys that different rows of a
    file share. Copies of one row hash alike, so a key whose rows do not all hash alike is on
    at least two different rows; a GROUP BY, not a window over every typed column."""
    key = SOURCES[source].key
    typed_key = [typed_sql(SOURCES[source].column(k), raw_text_sql(k, present)) for k in key]
    row_hash = row_hash_sql(data_columns)
    conflicting = (
        "SELECT r._source_file, "
        + ", ".join(f"{sql} AS {k}" for k, sql in zip(key, typed_key, strict=True))
        + f" FROM raw.{source} r {of_files(files)} GROUP BY ALL "
        f"HAVING min({row_hash}) <> max({row_hash})"
    )
    on = " AND ".join(
        f"k.{k} IS NOT DISTINCT FROM {sql}" for k, sql in zip(key, typed_key, strict=True)
    )
    return f"LEFT JOIN ({conflicting}) k ON k._source_file = r._source_file AND {on}"


def frame_sql(con: duckdb.DuckDBPyConnection, source: str, files: list[str] | None = None) -> str:
    """SELECT producing the validation table of a source: the rows of `files`, or all."""
    present = set(raw_columns(con, source))
    data_columns = [c for c in raw_columns(con, source) if not c.startswith("_")]
    repeats, duplicate_of = duplicate_of_sql(source, data_columns, files)
    return f"""
        SELECT {LINEAGE_SQL}, {", ".join(typed_columns_sql(source, present))},
            {duplicate_of} AS _duplicate_of,
            CASE WHEN ({duplicate_of}) IS NULL AND k._source_file IS NOT NULL
                THEN true END AS {KEY_CONFLICT}
        FROM raw.{source} r {repeats}
        {key_conflict_sql(source, present, data_columns, files)} {of_files(files)}
    """
