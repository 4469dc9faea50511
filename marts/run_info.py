"""The data's as-of date: where every follow-up ends (INPUTS.md)."""

from datetime import date

import duckdb

from warehouse.catalogue import RUN_INFO
from warehouse.tables import create_table_as

LATEST_EVENT_SQL = """
SELECT max(day) FROM (
    SELECT hire_date AS day FROM staging.employees
    UNION ALL SELECT termination_date FROM staging.employees
    UNION ALL SELECT effective_date FROM staging.job_events
)
WHERE day <= $today
"""


def resolve_as_of(
    con: duckdb.DuckDBPyConnection, setting: str | None, today: date
) -> tuple[date, str]:
    """(as-of date, where it came from): the setting, else the latest hire, termination or job
    event not after today, else today when there is no data yet."""
    if setting:
        return date.fromisoformat(setting), "setting"
    latest = con.execute(LATEST_EVENT_SQL, {"today": today}).fetchone()[0]
    if latest is None:
        return today, "today (no dated events)"
    return latest, "latest hire, termination or job event"


def build_run_info(con: duckdb.DuckDBPyConnection, as_of: date, source: str) -> int:
    return create_table_as(
        con,
        RUN_INFO,
        "SELECT $as_of::DATE AS as_of, $source::VARCHAR AS as_of_source, "
        "current_timestamp::TIMESTAMP AS built_at",
        {"as_of": as_of, "source": source},
    )
