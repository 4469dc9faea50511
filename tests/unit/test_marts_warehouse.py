"""A tiny in-memory warehouse for mart tests, and the tests of the as-of date and comments."""

from datetime import date

import duckdb
import pytest

from marts.run_info import build_run_info, resolve_as_of
from quality.contract import SOURCES
from warehouse.catalogue import TABLES, apply_comments
from warehouse.tables import SURVEY_SCORES, read_as_of

SURVEY_SCORE_COLUMNS = {
    "employee_id": "VARCHAR",
    "wave": "VARCHAR",
    "wave_date": "DATE",
    "loneliness": "INTEGER",
    "lonely": "BOOLEAN",
    "engagement": "DOUBLE",
    "career_lonely": "BOOLEAN",
    "has_advocate_fav": "BOOLEAN",
    "psych_safety_fav": "BOOLEAN",
    "enps": "INTEGER",
    "has_advocate_neutral": "BOOLEAN",
    "has_advocate_unfav": "BOOLEAN",
    "psych_safety_neutral": "BOOLEAN",
    "psych_safety_unfav": "BOOLEAN",
}


def _value(value: object) -> object:
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return date.fromisoformat(value)
    return value


def _create(
    con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], rows: list[dict]
) -> None:
    con.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    for row in rows:
        unknown = set(row) - set(columns)
        assert not unknown, f"{table} has no column(s) {unknown}"
        con.execute(
            f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            [_value(v) for v in row.values()],
        )


def tiny_warehouse(
    employees: list[dict],
    job_events: list[dict] = (),
    programs: list[dict] = (),
    pairings: list[dict] = (),
    activities: list[dict] = (),
    survey_scores: list[dict] | None = None,
    as_of: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Staging tables with the contract's columns (missing values NULL); `marts.run_info` when
    `as_of` is given; `marts.fct_survey_score` when `survey_scores` is given."""
    con = duckdb.connect()
    for schema in ("staging", "marts"):
        con.execute(f"CREATE SCHEMA {schema}")
    tables = {
        "employees": employees,
        "job_events": job_events,
        "programs": programs,
        "pairings": pairings,
        "activities": activities,
    }
    for source, rows in tables.items():
        columns = {c.name: c.sql_type for c in SOURCES[source].columns}
        _create(con, f"staging.{source}", columns, list(rows))
    if survey_scores is not None:
        _create(con, SURVEY_SCORES, SURVEY_SCORE_COLUMNS, survey_scores)
    if as_of is not None:
        build_run_info(con, date.fromisoformat(as_of), "test")
    return con


def employee(employee_id: str, hired: str = "2020-01-01", **values: object) -> dict:
    defaults = {"job_level": 3, "performance_rating": 3.0, "gender": "Woman", "department": "Eng"}
    return {"employee_id": employee_id, "hire_date": hired, **defaults, **values}


# --- the as-of date --------------------------------------------------------------------------


def test_the_setting_wins():
    con = tiny_warehouse([employee("1")])
    assert resolve_as_of(con, "2025-06-30", date(2026, 1, 1)) == (date(2025, 6, 30), "setting")


def test_otherwise_the_latest_hire_exit_or_job_event_not_after_today():
    con = tiny_warehouse(
        [
            employee("1", "2020-01-01", termination_date="2025-03-31", termination_type="other"),
            employee("2", "2030-01-01"),  # in the future: ignored
        ],
        job_events=[
            {"employee_id": "1", "effective_date": "2025-02-01", "event_type": "promotion"},
        ],
    )
    as_of, source = resolve_as_of(con, None, date(2026, 1, 1))
    assert as_of == date(2025, 3, 31)
    assert "latest" in source


def test_no_data_means_today():
    con = tiny_warehouse([])
    assert resolve_as_of(con, None, date(2026, 1, 1))[0] == date(2026, 1, 1)


def test_run_info_holds_one_row_with_the_as_of_date():
    con = tiny_warehouse([], as_of="2025-06-30")
    assert read_as_of(con) == date(2025, 6, 30)
    assert con.execute(
        "SELECT count(*), min(built_at) IS NOT NULL FROM marts.run_info"
    ).fetchone() == (
        1,
        True,
    )


# --- comments ----------------------------------------------------------------------------------


def test_every_column_gets_its_comment():
    con = tiny_warehouse([], as_of="2025-06-30")
    comments = dict(
        con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'run_info'"
        ).fetchall()
    )
    assert comments == {c.name: c.description for c in TABLES["marts.run_info"].columns}
    table_comment = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE table_name = 'run_info'"
    ).fetchone()[0]
    assert table_comment == TABLES["marts.run_info"].description


def test_a_column_without_a_comment_is_refused():
    con = tiny_warehouse([], as_of="2025-06-30")
    con.execute("ALTER TABLE marts.run_info ADD COLUMN surprise INTEGER")
    with pytest.raises(ValueError, match="surprise"):
        apply_comments(con, "marts.run_info")
