"""`COMMENT ON` for every table and column of every schema, run before publication.

Tables in the table catalogue (`warehouse.catalogue`) get its descriptions. The `staging`
tables of the sources are declared here from the input contract (`quality.contract`), with the
columns described below; the survey tables from the survey instruments. `raw` and
`quarantine` tables hold whatever columns the files had: the contract's are described, lineage
columns too, and any other column is said to be kept as landed.
"""

import duckdb

from quality.contract import SOURCES, Source
from surveys.instruments import ITEMS_BY_CODE
from warehouse.catalogue import TABLES, Column, Table, apply_comments
from warehouse.db import quote_ident, quote_literal

# What each contract column holds once typed (INPUTS.md).
CONTRACT_DESCRIPTIONS = {
    "employee_id": "The employee's id, as text (leading zeros kept).",
    "hire_date": "Hire date.",
    "termination_date": "Termination date; empty while employed.",
    "termination_type": "voluntary, involuntary, retirement or other.",
    "job_level": "Job level (1–20).",
    "department": "Department.",
    "location": "Location.",
    "manager_id": "The manager's employee_id.",
    "gender": "Gender as given; empty = not disclosed.",
    "ethnicity": "Ethnicity as given; empty = not disclosed.",
    "performance_rating": "Latest performance rating before any program (1–5).",
    "effective_date": "When the job event took effect.",
    "event_type": "hire, promotion, lateral, demotion or termination.",
    "from_level": "Job level before the event.",
    "to_level": "Job level after the event.",
    "program_id": "The program's id.",
    "program_name": "The program's name.",
    "start_date": "Start date.",
    "end_date": "End date; empty while it goes on (pairings).",
    "planned_milestones": "Milestones a pair is expected to complete.",
    "certificate_threshold": "Milestone completion rate that earns the certificate (0–1).",
    "pairing_id": "The pairing's id.",
    "relationship_type": "mentor, sponsor, ally or coach.",
    "advisor_id": "The mentor, sponsor, ally or coach (employee_id).",
    "participant_id": "The mentee, protégé or supported colleague (employee_id).",
    "end_reason": "completed, rematched, withdrawn or left_company.",
    "activity_date": "When the meeting or milestone happened (or was due).",
    "activity_type": "meeting or milestone.",
    "milestone": "The milestone's name (milestones only).",
    "status": "completed, cancelled, late_cancelled or no_show.",
    "rating": "Feedback rating of a meeting (1–5).",
    "submitted_at": "When the response was submitted.",
    "wave": "The survey wave: the file's wave column, else the file name's stem.",
}
LINEAGE = (
    Column("_source_file", "VARCHAR", "The inbox file the row came from."),
    Column("_source_line", "BIGINT", "The row's physical line in that file (header row = 1)."),
)
RAW_LINEAGE = {
    "_load_id": "The load that landed the file (one per file and run).",
    "_loaded_at": "When the file was landed.",
    "_malformed": "Why the line could not be split into the header's columns, if it could not.",
}
REASONS = "Every reason the row failed validation, readable by a person."

SURVEY_WAVES_COLUMNS = (
    Column("wave", "VARCHAR", "The survey wave."),
    Column("wave_date", "DATE", "The wave's date: the median time of its scored responses."),
    Column("responses", "BIGINT", "Responses staged in the wave."),
    Column("scored", "BIGINT", "Responses scored (finished, not a preview, not spam)."),
    Column("superseded", "BIGINT", "Responses replaced by the same person's later one."),
    Column("unfinished", "BIGINT", "Qualtrics responses not finished."),
    Column("preview", "BIGINT", "Qualtrics survey previews."),
    Column("spam", "BIGINT", "Qualtrics responses flagged as spam."),
    Column("incomplete_loneliness", "BIGINT", "Scored responses missing a UCLA-3 item."),
    Column("incomplete_engagement", "BIGINT", "Scored responses missing a UWES-3 item."),
)
RESPONSE_COLUMNS = {
    "employee_id": "The respondent (employees.employee_id).",
    "wave": "The survey wave.",
    "submitted_at": "When the response was submitted (or recorded).",
    "scored": "Whether the response is scored (finished, not a preview, not spam).",
    "unscored_reason": "Why it is not scored: unfinished, preview or spam.",
    "superseded": "Replaced by the same person's later response in the wave.",
}


def _item(code: str) -> str | None:
    item = ITEMS_BY_CODE.get(code)
    if item is None:
        return None
    return f"{item.instrument} item: '{item.wording}'" + (
        f" ({item.scale.range_text})." if item.scale else " (free text)."
    )


def staging_table(source: Source) -> Table:
    """`staging.<source>` as the contract types it."""
    return Table(
        "staging",
        source.name,
        f"{source.description}: typed rows that passed validation; the last file by name wins "
        f"per key ({', '.join(source.key)}).",
        (
            *(Column(c.name, c.sql_type, CONTRACT_DESCRIPTIONS[c.name]) for c in source.columns),
            *LINEAGE,
        ),
        key=source.key,
    )


STAGING = {f"staging.{s.name}": staging_table(s) for s in SOURCES.values() if s.name != "surveys"}
STAGING["staging.survey_waves"] = Table(
    "staging",
    "survey_waves",
    "One row per survey wave: how many responses it had, how many were scored and why the "
    "others were not, and its date.",
    SURVEY_WAVES_COLUMNS,
    key=("wave",),
)


def _column_description(schema: str, table: str, column: str) -> str:
    for described in LINEAGE:
        if described.name == column:
            return described.description
    if column in RAW_LINEAGE:
        return RAW_LINEAGE[column]
    if column == "reasons":
        return REASONS
    if table == "survey_responses" and column in RESPONSE_COLUMNS:
        return RESPONSE_COLUMNS[column]
    if (item := _item(column)) is not None:
        return item if schema == "staging" else f"{item} As in the file, as text."
    if column in CONTRACT_DESCRIPTIONS:
        text = CONTRACT_DESCRIPTIONS[column]
        return text if schema == "staging" else f"{text} As in the file, as text."
    if column == "comment":
        return "Free-text survey comment, as written (sensitive: kept out of every other table)."
    return "A column of the file outside the contract, kept as landed (text)."


def _table_description(schema: str, table: str) -> str:
    if schema == "raw":
        return (
            f"Every row of every {table} file as landed: the file's columns as text (contact "
            "columns included: raw is left out of a pseudonymised copy), plus lineage."
        )
    if schema == "quarantine":
        if table == "survey_reasons":
            return "Why each quarantined survey row failed, by file and line."
        return (
            f"Rows of {table} files that failed validation, as landed, with their file, line "
            "and every reason."
        )
    if table == "survey_responses":
        return (
            "Survey responses linked to a person and a wave, answers as item scores; unscored "
            "and superseded responses are flagged, not dropped."
        )
    return f"{schema}.{table}."


def _comment_as_found(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, declared: Table | None
) -> None:
    """Comment a table whose columns are the files' (or another layer's): declared columns
    get their declaration's description, others a description from their name; never raises."""
    name = f"{quote_ident(schema)}.{quote_ident(table)}"
    descriptions = {c.name: c.description for c in declared.columns} if declared else {}
    comment = declared.description if declared else _table_description(schema, table)
    con.execute(f"COMMENT ON TABLE {name} IS {quote_literal(comment)}")
    for (column,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table],
    ).fetchall():
        text = descriptions.get(column) or _column_description(schema, table, column)
        con.execute(f"COMMENT ON COLUMN {name}.{quote_ident(column)} IS {quote_literal(text)}")


def document_warehouse(con: duckdb.DuckDBPyConnection) -> int:
    """Comment every table and column of the warehouse; returns the number of tables."""
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() ORDER BY ALL"
    ).fetchall()
    # One transaction: hundreds of comments, each a change of the catalogue.
    con.execute("BEGIN TRANSACTION")
    try:
        for schema, table in tables:
            qualified = f"{schema}.{table}"
            if qualified in TABLES:
                apply_comments(con, TABLES[qualified])
            else:
                _comment_as_found(con, schema, table, STAGING.get(qualified))
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return len(tables)
