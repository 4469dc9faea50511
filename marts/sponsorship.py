"""Who gets a sponsor: the mentor-to-sponsor pathway and the sponsorship access gap."""

import duckdb

from marts.dim_employee import NOT_DISCLOSED
from marts.shares import with_shares
from warehouse.catalogue import DIM_EMPLOYEE, MENTOR_TO_SPONSOR, RUN_INFO, SPONSORSHIP_ACCESS
from warehouse.tables import write_frame

POOLED = "all"

PATHWAY_SHARE = "gained_sponsor_12m"
PATHWAY_COLUMNS = MENTOR_TO_SPONSOR.types()

# Mentees start their window on their first mentoring pairing of the program; the colleagues
# they are compared with (employed then, not mentored in that program) on the program's start.
# A sponsor pairing starting on the window's first day up to 12 months later counts, and only
# people whose 12 months have passed by the as-of date are counted.
PATHWAY_SQL = f"""
WITH mentees AS (
    SELECT program_id, participant_id AS employee_id, min(start_date) AS window_start
    FROM staging.pairings WHERE relationship_type = 'mentor'
    GROUP BY program_id, participant_id
),
others AS (
    SELECT g.program_id, e.employee_id, g.start_date AS window_start
    FROM staging.programs g
    JOIN staging.employees e ON e.hire_date <= g.start_date
        AND (e.termination_date IS NULL OR e.termination_date > g.start_date)
    WHERE g.program_id IN (SELECT program_id FROM mentees)
        AND NOT EXISTS (
            SELECT 1 FROM mentees m
            WHERE m.program_id = g.program_id AND m.employee_id = e.employee_id
        )
),
people AS (
    SELECT *, 'mentee' AS arm FROM mentees
    UNION ALL
    SELECT *, 'other_employees' FROM others
),
flagged AS (
    SELECT p.program_id, p.arm,
        CAST(p.window_start + INTERVAL 12 MONTH AS DATE) <= r.as_of AS window_complete,
        EXISTS (
            SELECT 1 FROM staging.pairings s
            WHERE s.relationship_type = 'sponsor' AND s.participant_id = p.employee_id
                AND s.start_date >= p.window_start
                AND s.start_date <= p.window_start + INTERVAL 12 MONTH
        ) AS gained
    FROM people p CROSS JOIN {RUN_INFO} r
)
SELECT coalesce(program_id, '{POOLED}') AS program_id, arm,
    count(*) FILTER (WHERE window_complete AND gained) AS {PATHWAY_SHARE}__successes,
    count(*) FILTER (WHERE window_complete) AS {PATHWAY_SHARE}__n,
    count(*) FILTER (WHERE NOT window_complete) AS window_incomplete
FROM flagged
GROUP BY GROUPING SETS ((program_id, arm), (arm))
ORDER BY program_id = '{POOLED}', program_id, arm
"""

ACCESS_SHARES = ("sponsored_now", "ever_sponsored")
ACCESS_COLUMNS = SPONSORSHIP_ACCESS.types()


def _access_by(dimension: str, category: str) -> str:
    return f"""
    SELECT '{dimension}' AS dimension, {category} AS category,
        count(*) FILTER (WHERE sponsored_now) AS sponsored_now__successes,
        count(*) AS sponsored_now__n,
        count(*) FILTER (WHERE ever_sponsored) AS ever_sponsored__successes,
        count(*) AS ever_sponsored__n
    FROM people GROUP BY ALL
    """


# Everyone employed on the as-of date: "now" is a sponsor pairing running on that date,
# "ever" any sponsor pairing started by then.
ACCESS_SQL = f"""
WITH sponsored AS (
    SELECT participant_id AS employee_id,
        bool_or(start_date <= r.as_of AND (end_date IS NULL OR end_date >= r.as_of))
            AS sponsored_now,
        bool_or(start_date <= r.as_of) AS ever_sponsored
    FROM staging.pairings CROSS JOIN {RUN_INFO} r
    WHERE relationship_type = 'sponsor'
    GROUP BY participant_id
),
people AS (
    SELECT coalesce(e.gender, '{NOT_DISCLOSED}') AS gender,
        coalesce(e.ethnicity, '{NOT_DISCLOSED}') AS ethnicity,
        coalesce(s.sponsored_now, false) AS sponsored_now,
        coalesce(s.ever_sponsored, false) AS ever_sponsored
    FROM {DIM_EMPLOYEE} e LEFT JOIN sponsored s USING (employee_id)
    WHERE e.is_employed
),
rows AS (
    {_access_by("all", "'all'")}
    UNION ALL {_access_by("gender", "gender")}
    UNION ALL {_access_by("ethnicity", "ethnicity")}
)
SELECT * FROM rows ORDER BY dimension = 'all' DESC, dimension, category
"""


def build_mentor_to_sponsor(con: duckdb.DuckDBPyConnection) -> int:
    counts = con.execute(PATHWAY_SQL).df()
    return write_frame(con, MENTOR_TO_SPONSOR, with_shares(counts, [PATHWAY_SHARE]))


def build_sponsorship_access(con: duckdb.DuckDBPyConnection) -> int:
    counts = con.execute(ACCESS_SQL).df()
    return write_frame(con, SPONSORSHIP_ACCESS, with_shares(counts, ACCESS_SHARES))
