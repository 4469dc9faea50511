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


def file_repeats_sql(
    source: str, data_columns: list[str], shared: dict[str, str], files: list[str] | None
) -> str:
    """A LEFT JOIN onto `raw.<source> r` marking, as `m`, each row that shares the values
    `shared` (name: expression over `r`) with another row of its file: `m._duplicate_of`,
    the first line of the file holding the same row, for every later copy; `m._differs`,
    whether the rows sharing those values are not all alike.

    Identical rows share every value, so only rows whose `shared` values repeat in their
    file can repeat another: a GROUP BY over those values finds the few, and only they are
    hashed and compared, by windows. Hashing and grouping every row by its hash took half as
    long again (employees at xl: 3.2 s for the validation table, now 2.1 s)."""
    where = of_files(files)
    values = ", ".join(f"{sql} AS {name}" for name, sql in shared.items())
    on = " AND ".join(f"s.{name} IS NOT DISTINCT FROM {sql}" for name, sql in shared.items())
    by_values = ", ".join(["_source_file", *shared])
    by_row = "_source_file, _row_hash"
    candidates = (
        f"SELECT r._source_file, r._source_line, {row_hash_sql(data_columns)} AS _row_hash, "
        f"{values} FROM raw.{source} r SEMI JOIN ("
        f"SELECT r._source_file, {values} FROM raw.{source} r {where} "
        "GROUP BY ALL HAVING count(*) > 1"
        f") s ON s._source_file = r._source_file AND {on} {where}"
    )
    first = f"min(_source_line) OVER (PARTITION BY {by_row})"
    marks = (
        f"SELECT _source_file, _source_line, "
        f"CASE WHEN _source_line > {first} THEN {first} END AS _duplicate_of, "
        f"min(_row_hash) OVER (PARTITION BY {by_values}) "
        f"<> max(_row_hash) OVER (PARTITION BY {by_values}) AS _differs "
        f"FROM ({candidates})"
    )
    return f"LEFT JOIN ({marks}) m USING (_source_file, _source_line)"


def frame_sql(con: duckdb.DuckDBPyConnection, source: str, files: list[str] | None = None) -> str:
    """SELECT producing the validation table of a source: the rows of `files`, or all."""
    present = set(raw_columns(con, source))
    data_columns = [c for c in raw_columns(con, source) if not c.startswith("_")]
    spec = SOURCES[source]
    key = {k: typed_sql(spec.column(k), raw_text_sql(k, present)) for k in spec.key}
    return f"""
        SELECT {LINEAGE_SQL}, {", ".join(typed_columns_sql(source, present))},
            m._duplicate_of,
            CASE WHEN m._duplicate_of IS NULL AND m._differs THEN true END AS {KEY_CONFLICT}
        FROM raw.{source} r {file_repeats_sql(source, data_columns, key, files)}
        {of_files(files)}
    """
