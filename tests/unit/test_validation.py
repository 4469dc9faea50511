"""Running a suite: reasons per row, and a rule that cannot run stops the run."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from quality.suites import E, _row, _when
from quality.validation import columns_read, readable_rule, run_suite


def suite(*expectations):
    from great_expectations.core import ExpectationSuite

    return ExpectationSuite(name="test.rows", expectations=list(expectations))


def test_failed_rows_get_every_reason_filled_from_the_row():
    frame = pd.DataFrame({"level": [3, 25, 0], "level__text": ["3", "25", "0"]})
    result = run_suite(
        suite(
            _row(E.ExpectColumnValuesToBeWithin, "level {level__text} is outside 1–20",
                 column="level", min_value=1, max_value=20),
            _row(E.ExpectColumnValuesToBeWithin, "level {level__text} is below 2",
                 column="level", min_value=2),
        ),
        frame,
    )  # fmt: skip
    assert result.reasons.to_dict() == {
        1: "level 25 is outside 1–20",
        2: "level 0 is outside 1–20; level 0 is below 2",
    }


def test_a_rule_that_cannot_run_stops_validation_instead_of_passing_every_row():
    frame = pd.DataFrame({"level": ["3", 4, None]}, dtype=object)  # text beside a number
    with pytest.raises(RuntimeError, match="could not run"):
        run_suite(
            suite(_row(E.ExpectColumnValuesToBeWithin, "x", column="level", min_value=1)),
            frame,
        )


@pytest.mark.parametrize(
    ("values", "bounds", "failing"),
    [
        (pd.array([3, 25, None, 0, 20], dtype="Int64"), {"min_value": 1, "max_value": 20}, [1, 3]),
        (pd.Series([1.5, 0.99, None, 5.0]), {"min_value": 1.0}, [1]),
        (
            pd.Series(
                pd.to_datetime(
                    ["2026-01-01", "2026-11-23", None, "2026-11-22 23:59"], format="ISO8601"
                )
            ).astype("datetime64[us]"),
            {"max_value": datetime(2026, 11, 22, 23, 59, 59, 999999)},
            [1],
        ),
    ],
    ids=["nullable integers", "floats", "microsecond times"],
)
def test_within_flags_the_rows_gx_between_flags(values, bounds, failing):
    """Our vectorised bounds rule against GX's own (which calls Python per value for these
    types): the same rows fail, nulls are skipped, and both bounds are inclusive."""
    frame = pd.DataFrame({"value": values})
    ours = run_suite(
        suite(_row(E.ExpectColumnValuesToBeWithin, "x", column="value", **bounds)), frame
    )
    gx = run_suite(
        suite(_row(E.ExpectColumnValuesToBeBetween, "x", column="value", **bounds)), frame
    )
    assert list(ours.failed_rows) == list(gx.failed_rows) == failing


def test_readable_rule_hides_row_values():
    assert readable_rule("job_level {job_level__text} is outside 1–20") == (
        "job_level … is outside 1–20"
    )


def test_gx_is_given_only_the_columns_rules_read_and_finds_the_same_rows():
    frame = pd.DataFrame(
        {
            "end": pd.to_datetime(["2024-01-01", None, "2023-01-01", "bad"], errors="coerce"),
            "end__text": ["2024-01-01", None, "2023-01-01", "bad"],
            "start": pd.to_datetime(["2023-06-01"] * 4),
            "start__text": ["2023-06-01"] * 4,
            "department": ["Sales", "Sales", "Ops", "Ops"],
            "_source_file": ["a.csv"] * 4,
        }
    )
    rules = suite(
        _row(E.ExpectColumnValuesToNotBeNull, "end '{end__text}' is not a real date",
             column="end", **_when("end__text.notnull()")),
        _row(E.ExpectColumnPairValuesAToBeGreaterThanB, "ends before {start__text}",
             column_A="end", column_B="start", ignore_row_if="either_value_is_missing"),
    )  # fmt: skip
    narrowed = frame[columns_read(rules, frame.columns)]
    assert list(narrowed.columns) == ["end", "end__text", "start", "start__text"]
    whole, read = run_suite(rules, frame), run_suite(rules, narrowed)
    assert (
        read.reasons.to_dict()
        == whole.reasons.to_dict()
        == {
            2: "ends before 2023-06-01",
            3: "end 'bad' is not a real date",
        }
    )
    assert read.results == whole.results
