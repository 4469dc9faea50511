"""`marts.dim_program`, `marts.fct_participation` and `marts.fct_activity`: programs, who took
part in which and when, and every meeting and milestone, so that analysts can join survey waves
and outcomes to participation correctly in time."""

import duckdb

from warehouse.catalogue import DIM_PROGRAM, FCT_ACTIVITY, FCT_PARTICIPATION, RUN_INFO
from warehouse.tables import create_table_as

DIM_PROGRAM_SQL = f"""
WITH pairings AS (
    SELECT program_id,
        count(*) AS pairings,
        count(DISTINCT participant_id) AS participants,
        count(DISTINCT advisor_id) AS advisors,
        string_agg(DISTINCT relationship_type, ', ' ORDER BY relationship_type)
            AS relationship_types,
        min(start_date) AS first_pairing_start,
        max(start_date) AS last_pairing_start
    FROM staging.pairings GROUP BY program_id
)
SELECT g.program_id, g.program_name, g.start_date, g.end_date,
    g.end_date IS NULL OR g.end_date > r.as_of AS is_running,
    g.planned_milestones, g.certificate_threshold,
    p.relationship_types,
    coalesce(p.pairings, 0) AS pairings,
    coalesce(p.participants, 0) AS participants,
    coalesce(p.advisors, 0) AS advisors,
    p.first_pairing_start, p.last_pairing_start
FROM staging.programs g
CROSS JOIN {RUN_INFO} r
LEFT JOIN pairings p USING (program_id)
ORDER BY g.start_date, g.program_id
"""

# A participation ends with its last pairing; while any of its pairings goes on (no end on or
# before the as-of date) it has no end.
FCT_PARTICIPATION_SQL = f"""
SELECT p.participant_id AS employee_id, p.program_id, p.relationship_type,
    count(*) AS pairings,
    min(p.start_date) AS first_pairing_start,
    CASE WHEN bool_and(p.end_date IS NOT NULL AND p.end_date <= r.as_of)
        THEN max(p.end_date) END AS last_pairing_end,
    NOT bool_and(p.end_date IS NOT NULL AND p.end_date <= r.as_of) AS is_ongoing,
    any_value(g.start_date) AS program_start_date,
    any_value(g.end_date) AS program_end_date
FROM staging.pairings p
CROSS JOIN {RUN_INFO} r
LEFT JOIN staging.programs g USING (program_id)
GROUP BY p.participant_id, p.program_id, p.relationship_type, r.as_of
ORDER BY employee_id, program_id, relationship_type
"""

# Activities after the as-of date are left out, as in marts.fct_pairing.
FCT_ACTIVITY_SQL = f"""
SELECT a.pairing_id,
    CAST(row_number() OVER (
        PARTITION BY a.pairing_id
        ORDER BY a.activity_date, a.activity_type, a.milestone, a.status, a.rating
    ) AS BIGINT) AS activity_number,
    p.program_id, p.relationship_type, p.advisor_id, p.participant_id,
    a.activity_date, a.activity_type, a.milestone, a.status, a.rating,
    datediff('day', p.start_date, a.activity_date) AS days_since_pairing_start
FROM staging.activities a
JOIN staging.pairings p USING (pairing_id)
CROSS JOIN {RUN_INFO} r
WHERE a.activity_date <= r.as_of
ORDER BY a.pairing_id, activity_number
"""


def build_dim_program(con: duckdb.DuckDBPyConnection) -> int:
    return create_table_as(con, DIM_PROGRAM, DIM_PROGRAM_SQL)


def build_fct_participation(con: duckdb.DuckDBPyConnection) -> int:
    return create_table_as(con, FCT_PARTICIPATION, FCT_PARTICIPATION_SQL)


def build_fct_activity(con: duckdb.DuckDBPyConnection) -> int:
    return create_table_as(con, FCT_ACTIVITY, FCT_ACTIVITY_SQL)
