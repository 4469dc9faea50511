"""The validation table marks repeated rows and keys that different rows of a file share."""

from __future__ import annotations

import duckdb
import pytest

from quality.frames import frame_sql

ROWS = [
    # file, line, employee_id, department
    ("a.csv", 2, "E1", "Sales"),
    ("a.csv", 3, "E1", "Sales"),  # repeats line 2
    ("a.csv", 4, "E2", "Sales"),
    ("a.csv", 5, " E2 ", "Ops"),  # same key as line 4 once trimmed, another row
    ("a.csv", 6, "E2", "Sales"),  # repeats line 4, so no conflict of its own
    ("a.csv", 7, None, "Ops"),
    ("a.csv", 8, None, "HR"),  # no key, like line 7, another row
    ("b.csv", 2, "E1", "Ops"),  # a key of a.csv in another file: no conflict
]


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.employees (_source_file VARCHAR, _source_line BIGINT, "
        "_load_id VARCHAR, _loaded_at TIMESTAMP, _malformed VARCHAR, employee_id VARCHAR, "
        "department VARCHAR)"
    )
    con.executemany(
        "INSERT INTO raw.employees VALUES (?, ?, 'load', NULL, NULL, ?, ?)", [list(r) for r in ROWS]
    )
    yield con
    con.close()


def marks(con, files=None) -> dict[tuple[str, int], tuple[int | None, bool | None]]:
    return {
        (file, line): (duplicate_of, conflict)
        for file, line, duplicate_of, conflict in con.execute(
            "SELECT _source_file, _source_line, _duplicate_of, _key_conflict "
            f"FROM ({frame_sql(con, 'employees', files)})"
        ).fetchall()
    }


def test_repeats_point_to_the_first_line_and_only_different_rows_conflict(con):
    assert marks(con) == {
        ("a.csv", 2): (None, None),
        ("a.csv", 3): (2, None),
        ("a.csv", 4): (None, True),
        ("a.csv", 5): (None, True),
        ("a.csv", 6): (4, None),
        ("a.csv", 7): (None, True),
        ("a.csv", 8): (None, True),
        ("b.csv", 2): (None, None),
    }


def test_only_the_rows_of_the_files_asked_for(con):
    assert marks(con, ["b.csv"]) == {("b.csv", 2): (None, None)}


SURVEY_ROWS = [
    # file, line, employee_id, submitted_at, lon_companionship
    ("w.csv", 2, "E1", "2026-03-01", "Often"),
    ("w.csv", 3, "E1", "2026-03-01", "Often"),  # repeats line 2
    ("w.csv", 4, "E1", "2026-03-02", "Often"),  # the same respondent, another response
    ("w.csv", 5, None, "2026-03-03", "Never"),
    ("w.csv", 6, "", "2026-03-03", "Never"),  # no respondent either, but not the same text
    ("w.csv", 7, None, "2026-03-03", "Never"),  # repeats line 5, though no one is named
    ("v.csv", 2, "E1", "2026-03-01", "Often"),  # a row of w.csv in another file
]


def test_survey_repeats_are_found_among_rows_of_one_respondent_or_of_none():
    from surveys.staging import survey_frame_sql

    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.surveys (_source_file VARCHAR, _source_line BIGINT, "
        "_malformed VARCHAR, employee_id VARCHAR, submitted_at VARCHAR, "
        "lon_companionship VARCHAR)"
    )
    con.executemany("INSERT INTO raw.surveys VALUES (?, ?, NULL, ?, ?, ?)", SURVEY_ROWS)
    marked = con.execute(
        "SELECT _source_file, _source_line, _duplicate_of "
        f"FROM ({survey_frame_sql(con, 'employee_id', {})}) ORDER BY 1, 2"
    ).fetchall()
    assert marked == [
        ("v.csv", 2, None),
        ("w.csv", 2, None),
        ("w.csv", 3, 2),
        ("w.csv", 4, None),
        ("w.csv", 5, None),
        ("w.csv", 6, None),
        ("w.csv", 7, 5),
    ]
