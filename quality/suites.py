"""One Great Expectations suite per source: the single definition of what valid means.

Column rules are generated from `quality.contract`; rules across columns and sources are
written out below, those that reach into other tables as `UnexpectedRowsExpectation`s in SQL.
Suites run on DuckDB tables through GX's SQL data source (`quality.validation`). Each
expectation carries in `meta`:
- `reason`: a template for the sentence a person reads in quarantine, filled from the row
  (placeholders are column names of the validation table; `<col>__text` holds the raw text);
- `rule` (optional): the rule in words where the template alone would not say it;
- `level`: `row` (failing rows are quarantined) or `dataset` (a failure stops the run).

The validation table of a source holds its typed contract columns, `<col>__text` for every
column that is parsed, and the lineage columns (`quality.frames`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from quality.contract import SOURCES, Column, Kind

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations import Expectation


class _Expectations:
    """`great_expectations.expectations`, imported on first use: the import takes seconds."""

    def __getattr__(self, name: str):
        import great_expectations as gx

        return getattr(gx.expectations, name)


E = _Expectations()
KEY_CONFLICT = "_key_conflict"
ACTIVITY_SLACK_DAYS = 14  # "a few days' slack" for activities logged around a pairing's dates


def col(name: str):
    """A GX row-condition column: `col("x").is_not_null() & (col("y") == "z")`."""
    from great_expectations.expectations.row_conditions import Column as ConditionColumn

    return ConditionColumn(name)


def text_column(column: Column) -> str:
    """The frame column holding what the file said, for messages."""
    return (
        column.name
        if column.kind == Kind.TEXT and column.allowed is None
        else f"{column.name}__text"
    )


def _row(expectation_type, reason: str, rule: str | None = None, **kwargs) -> Expectation:
    meta = {"reason": reason, "level": "row", **({"rule": rule} if rule else {})}
    return expectation_type(**kwargs, meta=meta)


def _when(condition) -> dict:
    return {"row_condition": condition}


def _rows_where(sql: str, reason: str) -> Expectation:
    """Rows selected by `sql`, a query over `{batch}` (aliased `t`) returning the lineage
    columns of the rows that break the rule."""
    return _row(E.UnexpectedRowsExpectation, reason, unexpected_rows_query=sql)


def column_rules(column: Column, run_date: date) -> list[Expectation]:
    name, shown = column.name, "{" + text_column(column) + "}"
    rules = []
    if column.not_null:
        rules.append(
            _row(E.ExpectColumnValuesToNotBeNull, f"{name} is missing", column=text_column(column))
        )
    if column.kind != Kind.TEXT:
        what = {Kind.DATE: "a real date", Kind.INTEGER: "a whole number", Kind.NUMBER: "a number"}
        rules.append(
            _row(
                E.ExpectColumnValuesToNotBeNull,
                f"{name} '{shown}' is not {what[column.kind]}",
                column=name,
                **_when(col(text_column(column)).is_not_null()),
            )
        )
    if column.allowed:
        rules.append(
            _row(
                E.ExpectColumnValuesToBeInSet,
                f"{name} '{shown}' is not one of {', '.join(column.allowed)}",
                column=name,
                value_set=list(column.allowed),
            )
        )
    if column.minimum is not None or column.maximum is not None:
        bounds = _describe_bounds(column.minimum, column.maximum)
        rules.append(
            _row(
                E.ExpectColumnValuesToBeBetween,
                f"{name} {shown} is {bounds}",
                column=name,
                min_value=column.minimum,
                max_value=column.maximum,
            )
        )
    if column.not_in_future:
        rules.append(
            _row(
                E.ExpectColumnValuesToBeBetween,
                f"{name} {shown} is in the future",
                column=name,
                max_value=_end_of(run_date),
            )
        )
    return rules


def _end_of(day: date) -> datetime:
    return datetime.combine(day, datetime.max.time())


def _describe_bounds(low: float | None, high: float | None) -> str:
    fmt = "{:g}".format
    if low is not None and high is not None:
        return f"outside {fmt(low)}–{fmt(high)}"
    return f"below {fmt(low)}" if low is not None else f"above {fmt(high)}"


def _file_rules(key: tuple[str, ...]) -> list[Expectation]:
    """Every row of a file is well-formed and appears once; one key, one row per file.

    Whether a row repeats another, or shares its key with a different row of its file, is
    marked in SQL when the validation table is built (`_duplicate_of`, `_key_conflict`).
    """
    rules = [
        _row(
            E.ExpectColumnValuesToBeNull,
            "{_malformed}",
            rule="the line does not have the header's fields",
            column="_malformed",
        ),
        _row(
            E.ExpectColumnValuesToBeNull,
            "duplicate of line {_duplicate_of}",
            column="_duplicate_of",
        ),
    ]
    if key:
        shown = ", ".join("{" + k + "}" for k in key)
        rules.append(
            _row(
                E.ExpectColumnValuesToBeNull,
                f"{'/'.join(key)} {shown} appears on several lines of this file "
                "with different values",
                column=KEY_CONFLICT,
            )
        )
    return rules


def _not_before(column: str, bound: str, reason: str, strictly: bool = False) -> Expectation:
    return _row(
        E.ExpectColumnPairValuesAToBeGreaterThanB,
        reason,
        column_A=column,
        column_B=bound,
        or_equal=not strictly,
        ignore_row_if="either_value_is_missing",
    )


LINEAGE = "t._source_file, t._source_line"


def _exists(column: str, table: str, key: str, reason: str) -> Expectation:
    """A reference names a row of `table` (keys may repeat there: a row without a match is
    selected once either way). GX writes `{batch}` unaliased unless the query joins, so the
    rules that name `t` join."""
    return _rows_where(
        f"SELECT {LINEAGE} FROM {{batch}} t LEFT JOIN {table} r ON r.{key} = t.{column} "
        f"WHERE t.{column} IS NOT NULL AND r.{key} IS NULL",
        reason,
    )


def _not_self(first: str, second: str, reason: str) -> Expectation:
    return _rows_where(
        f"SELECT _source_file, _source_line FROM {{batch}} WHERE {first} = {second}", reason
    )


def _employed_on(person: str, day: str) -> list[Expectation]:
    employee = f"JOIN staging.employees e ON e.employee_id = t.{person}"
    return [
        _rows_where(
            f"SELECT {LINEAGE} FROM {{batch}} t {employee} WHERE t.{day} < e.hire_date",
            f"{person} {{{person}}} was not yet hired on {day} {{{day}__text}}",
        ),
        _rows_where(
            f"SELECT {LINEAGE} FROM {{batch}} t {employee} WHERE e.termination_date <= t.{day}",
            f"{person} {{{person}}} had left on or before {day} {{{day}__text}}",
        ),
    ]


def _pairing_window(condition: str, reason: str) -> Expectation:
    slack = f"INTERVAL {ACTIVITY_SLACK_DAYS} DAY"
    return _rows_where(
        f"SELECT {LINEAGE} FROM {{batch}} t JOIN staging.pairings p "
        f"ON p.pairing_id = t.pairing_id WHERE {condition.format(slack=slack)}",
        reason,
    )


CROSS_RULES = {
    "employees": lambda: [
        _not_before(
            "termination_date",
            "hire_date",
            "termination_date {termination_date__text} is before hire_date {hire_date__text}",
        ),
        _row(
            E.ExpectColumnValuesToNotBeNull,
            "termination_type is missing for a termination on {termination_date__text}",
            column="termination_type__text",
            **_when(col("termination_date").is_not_null()),
        ),
        # Any employee of any file may manage: the whole raw table, not only staged rows.
        _exists(
            "manager_id",
            "(SELECT nullif(trim(employee_id), '') AS employee_id FROM raw.employees)",
            "employee_id",
            "manager_id {manager_id} is not an employee",
        ),
        _not_self("employee_id", "manager_id", "manager_id {manager_id} is the employee themself"),
    ],
    "job_events": lambda: [
        _exists(
            "employee_id",
            "staging.employees",
            "employee_id",
            "employee_id {employee_id} is not an employee",
        ),
        _rows_where(
            f"SELECT {LINEAGE} FROM {{batch}} t JOIN staging.employees e "
            "ON e.employee_id = t.employee_id WHERE t.effective_date < e.hire_date",
            "effective_date {effective_date__text} is before the employee's hire_date",
        ),
        _rows_where(
            "SELECT _source_file, _source_line FROM {batch} "
            "WHERE event_type = 'promotion' AND to_level <= from_level",
            "promotion from level {from_level__text} to {to_level__text} does not raise the level",
        ),
    ],
    "programs": lambda: [
        _not_before(
            "end_date",
            "start_date",
            "end_date {end_date__text} is before start_date {start_date__text}",
        ),
    ],
    "pairings": lambda: [
        _exists(
            "program_id",
            "staging.programs",
            "program_id",
            "program_id {program_id} is not a program",
        ),
        _exists(
            "advisor_id",
            "staging.employees",
            "employee_id",
            "advisor_id {advisor_id} is not an employee",
        ),
        _exists(
            "participant_id",
            "staging.employees",
            "employee_id",
            "participant_id {participant_id} is not an employee",
        ),
        _not_self(
            "advisor_id",
            "participant_id",
            "advisor and participant are the same person ({advisor_id})",
        ),
        _not_before(
            "end_date",
            "start_date",
            "end_date {end_date__text} is before start_date {start_date__text}",
        ),
        *_employed_on("advisor_id", "start_date"),
        *_employed_on("participant_id", "start_date"),
    ],
    "activities": lambda: [
        _exists(
            "pairing_id",
            "staging.pairings",
            "pairing_id",
            "pairing_id {pairing_id} is not a pairing",
        ),
        _pairing_window(
            "t.activity_date < p.start_date - {slack}",
            "activity_date {activity_date__text} is before pairing {pairing_id} started",
        ),
        _pairing_window(
            "t.activity_date > coalesce(p.end_date, current_date) + {slack}",
            "activity_date {activity_date__text} is after pairing {pairing_id} ended",
        ),
    ],
}


def dataset_rules(key: tuple[str, ...]) -> list[Expectation]:
    """Checked on the staged table after last-file-wins; a failure stops the run."""
    meta = {"level": "dataset"}
    rules = [
        E.ExpectTableRowCountToBeBetween(min_value=1, meta={**meta, "reason": "no valid rows"})
    ]
    unique = {"meta": {**meta, "reason": f"duplicate {'/'.join(key)} after last-file-wins"}}
    if len(key) == 1:
        rules.append(E.ExpectColumnValuesToBeUnique(column=key[0], **unique))
    elif key:
        rules.append(E.ExpectCompoundColumnsToBeUnique(column_list=list(key), **unique))
    return rules


def row_suite(source: str, run_date: date) -> ExpectationSuite:
    spec = SOURCES[source]
    expectations = [rule for column in spec.columns for rule in column_rules(column, run_date)]
    expectations += _file_rules(spec.key) + CROSS_RULES[source]()
    from great_expectations.core import ExpectationSuite

    return ExpectationSuite(name=f"{source}.rows", expectations=expectations)


def survey_suite(items: dict[str, str], run_date: date) -> ExpectationSuite:
    """Rows of survey files. Unfinished, preview and spam responses (`_scored` false) are
    loaded but not scored, so only the file rules apply to them.

    `items` maps each item code to a description of its scale for the message.
    """
    from great_expectations.core import ExpectationSuite

    scored = col("_scored") == True  # noqa: E712 (a GX condition, not a comparison)
    rules = [
        _row(
            E.ExpectColumnValuesToNotBeNull,
            "no respondent id: the response cannot be linked to anyone",
            column="employee_id",
            **_when(scored),
        ),
        _row(
            E.ExpectColumnValuesToNotBeNull,
            "response time '{submitted_at__text}' is not a real date",
            column="submitted_at",
            **_when(col("submitted_at__text").is_not_null() & scored),
        ),
        _row(
            E.ExpectColumnValuesToBeBetween,
            "response time {submitted_at__text} is in the future",
            column="submitted_at",
            max_value=_end_of(run_date),
            **_when(scored),
        ),
        *(
            _row(
                E.ExpectColumnValuesToNotBeNull,
                f"{code} answer '{{{code}__text}}' is not on the {scale}",
                column=code,
                **_when(col(f"{code}__text").is_not_null() & scored),
            )
            for code, scale in items.items()
        ),
        *_file_rules(()),
    ]
    return ExpectationSuite(name="surveys.rows", expectations=rules)


def dataset_suite(source: str) -> ExpectationSuite:
    from great_expectations.core import ExpectationSuite

    key = SOURCES[source].key
    return ExpectationSuite(name=f"{source}.dataset", expectations=dataset_rules(key))
