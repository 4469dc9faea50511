"""Running a suite on a DuckDB table: reasons per row, and a rule that cannot run stops the run."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from quality.suites import E, _row, _rows_where, _when, col
from quality.validation import (
    FAILURES_DDL,
    collect_reasons,
    readable_rule,
    reason_sql,
    validate_table,
)


def suite(*expectations):
    from great_expectations.core import ExpectationSuite

    return ExpectationSuite(name="test.rows", expectations=list(expectations))


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE frame AS SELECT * FROM (VALUES "
        "('a.csv', 2, 3, '3', DATE '2024-01-01', '2024-01-01'), "
        "('a.csv', 3, 25, '25', NULL, 'bad'), "
        "('a.csv', 4, 0, '0', DATE '2023-01-01', '2023-01-01'), "
        "('b.csv', 2, NULL, NULL, NULL, NULL)"
        ") t(_source_file, _source_line, level, level__text, ends, ends__text)"
    )
    con.execute(f"CREATE TEMP TABLE failures {FAILURES_DDL}")
    yield con
    con.close()


def reasons(con) -> dict:
    rows = con.execute(f"{collect_reasons('failures')} ORDER BY 1, 2").fetchall()
    return {(file, line): text for file, line, text in rows}


def test_failed_rows_get_every_reason_filled_from_the_row_in_rule_order(con):
    results = validate_table(
        con,
        "frame",
        suite(
            _row(E.ExpectColumnValuesToBeBetween, "level {level__text} is outside 1–20",
                 column="level", min_value=1, max_value=20),
            _row(E.ExpectColumnValuesToNotBeNull, "ends '{ends__text}' is not a real date",
                 column="ends", **_when(col("ends__text").is_not_null())),
            _row(E.ExpectColumnValuesToBeBetween, "level {level__text} is below 2",
                 column="level", min_value=2),
            _rows_where("SELECT _source_file, _source_line FROM {batch} WHERE ends < DATE "
                        "'2023-06-01'", "ends {ends} is before {level}"),
        ),
        "failures",
    )  # fmt: skip
    assert reasons(con) == {
        ("a.csv", 3): "level 25 is outside 1–20; ends 'bad' is not a real date",
        ("a.csv", 4): "level 0 is outside 1–20; level 0 is below 2; ends 2023-01-01 is before 0",
    }
    assert [(r.unexpected_count, r.success) for r in results] == [
        (2, False),
        (1, False),
        (1, False),
        (1, False),
    ]
    assert results[0].reason == "level … is outside 1–20"


def test_the_row_condition_gx_leaves_out_of_its_query_is_applied(con):
    """GX's unexpected_index_query drops the row_condition; the rows must be GX's count."""
    validate_table(
        con,
        "frame",
        suite(
            _row(E.ExpectColumnValuesToNotBeNull, "ends missing on {_source_line}", column="ends",
                 **_when(col("level") > 1)),
        ),
        "failures",
    )  # fmt: skip
    assert reasons(con) == {("a.csv", 3): "ends missing on 3"}


def test_a_rule_that_cannot_run_stops_validation_instead_of_passing_every_row(con):
    with pytest.raises(RuntimeError, match="could not run"):
        validate_table(
            con,
            "frame",
            suite(_row(E.ExpectColumnValuesToBeBetween, "x", column="no_such", min_value=1)),
            "failures",
        )


def test_reasons_show_empty_values_and_dates_as_people_read_them(con):
    template = "{_source_file} line {_source_line}: {level} / {ends}"
    rows = con.execute(f"SELECT {reason_sql(template, 'f')} FROM frame f ORDER BY ALL").fetchall()
    assert rows[0] == ("a.csv line 2: 3 / 2024-01-01",)
    assert ("b.csv line 2: (empty) / (empty)",) in rows


def test_readable_rule_hides_row_values():
    assert readable_rule("job_level {job_level__text} is outside 1–20") == (
        "job_level … is outside 1–20"
    )
