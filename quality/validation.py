"""Run a suite on a DuckDB table through GX's SQL data source; failing rows as reasons in SQL.

GX runs every expectation inside DuckDB and hands back, for each, the SQL that selects its
failing rows (`unexpected_index_query`, with the file and physical line as index columns) or,
for an `UnexpectedRowsExpectation`, the query itself. Those queries run in DuckDB too, and each
failing row gets its rule's reason, filled from the row in SQL: nothing is copied to pandas.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

import duckdb

from warehouse.db import quote_ident, quote_literal

INDEX_COLUMNS = ["_source_file", "_source_line"]
RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "unexpected_index_column_names": INDEX_COLUMNS,
    "return_unexpected_index_query": True,
}
FAILURES_DDL = "(_source_file VARCHAR, _source_line BIGINT, rule INTEGER, reason VARCHAR)"


@dataclass(frozen=True)
class ExpectationResult:
    suite: str
    expectation: str
    column: str | None
    level: str
    success: bool
    unexpected_count: int
    element_count: int
    reason: str  # the rule in words, without row values: 'job_level … is outside 1–20'


def validate_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    suite,
    failures: str | None = None,
    run=None,
) -> list[ExpectationResult]:
    """Run `suite` on `table` (in the connection's main schema) through GX; insert every row a
    row-level rule fails into `failures` (file, line, rule, reason), if given. `run` collects
    GX's validation results (for Data Docs)."""
    import great_expectations as gx

    from quality.gx_duckdb import duckdb_context

    context, source = duckdb_context(con)
    batch = source.add_table_asset(table, table_name=table).add_batch_definition_whole_table("all")
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=context.suites.add(suite))
    )
    outcome = definition.run(result_format=RESULT_FORMAT)
    if run is not None:
        run.append(outcome)
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    engine = source.get_execution_engine()
    results = []
    for rule, result in enumerate(outcome.results):
        config = result.expectation_config
        meta = config.meta or {}
        template = meta.get("reason", config.type)
        details = result.result or {}
        if (error := _raised(result.exception_info)) is not None:
            raise RuntimeError(f"Expectation {config.type} on {suite.name} could not run: {error}")
        if config.type == "unexpected_rows_expectation":
            unexpected = int(details.get("observed_value") or 0)
            element_count = rows
        else:
            unexpected = int(details.get("unexpected_count") or 0)
            counted = details.get("element_count")
            element_count = rows if counted is None else int(counted)
        level = meta.get("level", "row")
        if failures is not None and level == "row" and unexpected:
            found = _insert_failures(con, table, failures, rule, template, config, details, engine)
            if found != unexpected:
                raise RuntimeError(
                    f"Expectation {config.type} on {suite.name}: GX counted {unexpected} "
                    f"failing rows but its query selects {found}"
                )
        results.append(
            ExpectationResult(
                suite=suite.name,
                expectation=config.type,
                column=config.kwargs.get("column")
                or ",".join(config.kwargs.get("column_list", []) or [])
                or config.kwargs.get("column_A"),
                level=level,
                success=bool(result.success),
                unexpected_count=unexpected,
                element_count=element_count,
                reason=meta.get("rule") or readable_rule(template),
            )
        )
    return results


def _insert_failures(con, table, failures, rule, template, config, details, engine) -> int:
    """Insert the rows the rule fails, with its reason filled from each row; how many."""
    if config.type == "unexpected_rows_expectation":
        failing = config.kwargs["unexpected_rows_query"].format(batch=table)
        condition = "true"
    else:
        failing = details["unexpected_index_query"].strip().rstrip(";")
        # GX's unexpected_index_query leaves the row_condition out: apply it here.
        condition = _condition_sql(config.kwargs.get("row_condition"), engine)
    before = con.execute(f"SELECT count(*) FROM {failures}").fetchone()[0]
    con.execute(
        f"INSERT INTO {failures} SELECT f._source_file, f._source_line, {rule}, "
        f"{reason_sql(template, 'f')} FROM {table} f "
        f"SEMI JOIN (SELECT DISTINCT _source_file, _source_line FROM ({failing})) q "
        f"USING (_source_file, _source_line) WHERE {condition}"
    )
    return con.execute(f"SELECT count(*) FROM {failures}").fetchone()[0] - before


def _condition_sql(condition, engine) -> str:
    from great_expectations.expectations.row_conditions import deserialize_row_condition

    if condition is None:
        return "true"
    if isinstance(condition, dict):  # the configuration holds it serialised
        condition = deserialize_row_condition(condition)
    clause = engine.condition_to_filter_clause(condition)
    return str(
        clause.compile(dialect=engine.engine.dialect, compile_kwargs={"literal_binds": True})
    )


def reason_sql(template: str, alias: str) -> str:
    """A SQL expression filling the reason template from the row: '{col}' becomes the row's
    value, '(empty)' when it has none."""
    parts = []
    for literal, field, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(quote_literal(literal))
        if field is not None:
            value = f"CAST({alias}.{quote_ident(field)} AS VARCHAR)"
            parts.append(f"coalesce({value}, '(empty)')")
    return " || ".join(parts) or "''"


def _raised(info: dict | None) -> str | None:
    """The error of an expectation that could not run. GX reports it at the top of
    `exception_info`, or nested under the id of each metric that failed; a rule that errors
    must stop the run, never pass every row."""
    if not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and str(entry.get("raised_exception")).lower() == "true":
            return entry.get("exception_message") or "unknown error"
    return None


def readable_rule(template: str) -> str:
    """A reason template with its row values left out: 'job_level … is outside 1–20'."""
    return re.sub(r"\{[^}]+\}", "…", template)


def collect_reasons(failures: str) -> str:
    """SELECT of (file, line, reasons): every reason of a row, in the suite's order."""
    return (
        "SELECT _source_file, _source_line, string_agg(reason, '; ' ORDER BY rule) AS reasons "
        f"FROM {failures} GROUP BY _source_file, _source_line"
    )
