"""`marts.dim_employee`: one row per employee, with tenure and participation flags."""

import duckdb

from warehouse.catalogue import DIM_EMPLOYEE, RUN_INFO
from warehouse.tables import create_table_as

DAYS_PER_YEAR = 365.25
# Gender and ethnicity are reported as given; an empty value is shown as this category.
NOT_DISCLOSED = "not disclosed"

# (relationship type, side of the pairing) → flag; the participant is the mentee or protégé.
PARTICIPATION_FLAGS: dict[tuple[str, str], str] = {
    ("mentor", "participant"): "is_mentee",
    ("mentor", "advisor"): "is_mentor",
    ("sponsor", "participant"): "is_protege",
    ("sponsor", "advisor"): "is_sponsor",
    ("ally", "participant"): "has_ally",
    ("ally", "advisor"): "is_ally",
    ("coach", "participant"): "is_coachee",
    ("coach", "advisor"): "is_coach",
}


def _flag_sql() -> str:
    flags = [
        f"bool_or(relationship_type = '{kind}' AND side = '{side}') AS {flag}"
        for (kind, side), flag in PARTICIPATION_FLAGS.items()
    ]
    return ",\n            ".join([*flags, "bool_or(side = 'advisor') AS is_advisor"])


def dim_employee_query() -> str:
    flag_names = [*PARTICIPATION_FLAGS.values(), "is_advisor"]
    flags = ", ".join(f"coalesce(f.{name}, false) AS {name}" for name in flag_names)
    return f"""
    WITH sides AS (
        SELECT participant_id AS employee_id, relationship_type, 'participant' AS side
        FROM staging.pairings
        UNION ALL
        SELECT advisor_id, relationship_type, 'advisor' FROM staging.pairings
    ),
    flags AS (
        SELECT employee_id,
            {_flag_sql()}
        FROM sides GROUP BY employee_id
    )
    SELECT
        e.employee_id, e.hire_date, e.termination_date, e.termination_type,
        e.hire_date <= r.as_of
            AND (e.termination_date IS NULL OR e.termination_date > r.as_of) AS is_employed,
        CASE WHEN e.hire_date <= r.as_of THEN datediff(
            'day', e.hire_date, least(coalesce(e.termination_date, r.as_of), r.as_of)
        ) / {DAYS_PER_YEAR} END AS tenure_years,
        e.job_level, e.department, e.location, e.manager_id, e.gender, e.ethnicity,
        e.performance_rating,
        {flags}
    FROM staging.employees e
    CROSS JOIN {RUN_INFO} r
    LEFT JOIN flags f USING (employee_id)
    ORDER BY e.employee_id
    """


def build_dim_employee(con: duckdb.DuckDBPyConnection) -> int:
    return create_table_as(con, DIM_EMPLOYEE, dim_employee_query())
