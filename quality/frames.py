"""The validation frame of a source, built in DuckDB from `raw.<source>`.

Each contract column is typed from its text (`hire_date`), the text is kept beside it for
messages (`hire_date__text`), identical repeats within a file are marked (`_duplicate_of`),
as are different rows of a file sharing a key (`_key_conflict`), and references are looked
up in staging tables already validated (`advisor_id__hire_date`).
"""

from __future__ import annotations

import duckdb

from quality.contract import SOURCES, Column, Kind
from quality.suites import ACTIVITY_SLACK_DAYS, KEY_CONFLICT, text_column
from warehouse.db import quote_ident

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


def _lookups(source: str) -> tuple[str, str]:
    """Extra columns and joins for the rules that reach into other sources."""
    if source == "employees":
        return (
            "m.hire_date AS manager_id__hire_date",
            "LEFT JOIN (SELECT DISTINCT nullif(trim(employee_id), '') AS employee_id, "
            "DATE '1900-01-01' AS hire_date FROM raw.employees) m ON m.employee_id = t.manager_id",
        )
    if source == "job_events":
        return (
            "e.hire_date AS employee_id__hire_date",
            "LEFT JOIN staging.employees e ON e.employee_id = t.employee_id",
        )
    if source == "pairings":
        return (
            "p.start_date AS program_id__start_date, a.hire_date AS advisor_id__hire_date, "
            "a.termination_date AS advisor_id__termination_date, "
            "q.hire_date AS participant_id__hire_date, "
            "q.termination_date AS participant_id__termination_date",
            "LEFT JOIN staging.programs p ON p.program_id = t.program_id "
            "LEFT JOIN staging.employees a ON a.employee_id = t.advisor_id "
            "LEFT JOIN staging.employees q ON q.employee_id = t.participant_id",
        )
    if source == "activities":
        slack = f"INTERVAL {ACTIVITY_SLACK_DAYS} DAY"
        return (
            f"CAST(p.start_date - {slack} AS DATE) AS pairing_id__earliest, "
            f"CAST(coalesce(p.end_date, current_date) + {slack} AS DATE) AS pairing_id__latest",
            "LEFT JOIN staging.pairings p ON p.pairing_id = t.pairing_id",
        )
    return "", ""


def frame_sql(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """SELECT producing the validation frame of a source, ordered by file and line."""
    present = set(raw_columns(con, source))
    data_columns = [c for c in raw_columns(con, source) if not c.startswith("_")]
    columns = [sql for column in SOURCES[source].columns for sql in _column_sql(column, present)]
    identical = ", ".join(["r._source_file", *(f"r.{quote_ident(c)}" for c in data_columns)])
    key = ", ".join(["_source_file", *SOURCES[source].key])
    lookups, joins = _lookups(source)
    return f"""
        WITH typed AS (
            SELECT {LINEAGE_SQL}, {", ".join(columns)},
                CASE WHEN row_number() OVER same_row > 1
                     THEN min(_source_line) OVER same_row END AS _duplicate_of
            FROM raw.{source} r
            WINDOW same_row AS (PARTITION BY {identical} ORDER BY _source_line)
        ), keyed AS (
            SELECT *, CASE WHEN _duplicate_of IS NULL AND count(*) FILTER (
                    WHERE _duplicate_of IS NULL) OVER (PARTITION BY {key}) > 1
                THEN true END AS {KEY_CONFLICT}
            FROM typed
        )
        SELECT t.*{", " + lookups if lookups else ""}
        FROM keyed t {joins}
        ORDER BY t._source_file, t._source_line
    """
