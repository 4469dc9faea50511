"""`marts.fct_pairing`: one row per pairing, with its meetings, milestones and outcome."""

import duckdb

from quality.staging import ROW_REASONS
from warehouse.catalogue import FCT_PAIRING, RUN_INFO
from warehouse.db import table_exists
from warehouse.tables import create_table_as

DEFAULT_CERTIFICATE_THRESHOLD = 0.8
ACTIVATION_DAYS = 60
# 3 of 4 milestones is exactly 0.75 in binary, but 0.7 / 0.35-style thresholds are not: a
# rate a rounding error below its threshold still earns the certificate.
THRESHOLD_TOLERANCE = 1e-9

FCT_PAIRING_SQL = f"""
WITH activities AS (
    SELECT a.* FROM staging.activities a, {RUN_INFO} r WHERE a.activity_date <= r.as_of
),
meetings AS (
    SELECT pairing_id,
        count(*) FILTER (WHERE status = 'completed') AS meetings_completed,
        count(*) FILTER (WHERE status = 'cancelled') AS meetings_cancelled,
        count(*) FILTER (WHERE status = 'late_cancelled') AS meetings_late_cancelled,
        count(*) FILTER (WHERE status = 'no_show') AS meetings_no_show,
        avg(rating) AS mean_meeting_rating,
        count(rating) AS meeting_ratings,
        min(activity_date) FILTER (WHERE status = 'completed') AS first_meeting_date
    FROM activities WHERE activity_type = 'meeting' GROUP BY pairing_id
),
milestones AS (
    SELECT pairing_id, count(DISTINCT milestone) AS milestones_completed
    FROM activities
    WHERE activity_type = 'milestone' AND status = 'completed' AND milestone IS NOT NULL
    GROUP BY pairing_id
),
-- The participant's level on the start date, rebuilt from job events as the study cohort does:
-- the last level reached on or before it, else the level left by the first later event, else
-- the HRIS snapshot's.
level_before AS (
    SELECT p.pairing_id, j.to_level AS level
    FROM staging.pairings p JOIN staging.job_events j
        ON j.employee_id = p.participant_id AND j.effective_date <= p.start_date
        AND j.to_level IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY p.pairing_id
        ORDER BY j.effective_date DESC, j.event_type = 'hire', j.to_level DESC, j.event_type
    ) = 1
),
level_after AS (
    SELECT p.pairing_id, j.from_level AS level
    FROM staging.pairings p JOIN staging.job_events j
        ON j.employee_id = p.participant_id AND j.effective_date > p.start_date
        AND j.from_level IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY p.pairing_id
        ORDER BY j.effective_date, j.event_type <> 'hire', j.from_level, j.event_type
    ) = 1
),
-- The participant's department in the latest employees snapshot of the pairing's start month
-- or before (employee_snapshots, below); NULL when no snapshot is that old.
department_at_start AS (
    SELECT p.pairing_id, d.department
    FROM staging.pairings p JOIN employee_snapshots d
        ON d.employee_id = p.participant_id
        AND d.snapshot_month <= date_trunc('month', p.start_date)
    QUALIFY row_number() OVER (
        PARTITION BY p.pairing_id ORDER BY d.snapshot_month DESC, d._source_file DESC
    ) = 1
),
measured AS (
    SELECT p.pairing_id, p.program_id, p.relationship_type, p.advisor_id, p.participant_id,
        p.start_date, p.end_date, p.end_reason,
        p.end_date IS NULL OR p.end_date > r.as_of AS is_ongoing,
        datediff('day', p.start_date, least(coalesce(p.end_date, r.as_of), r.as_of))
            AS duration_days,
        coalesce(m.meetings_completed, 0) AS meetings_completed,
        coalesce(m.meetings_cancelled, 0) AS meetings_cancelled,
        coalesce(m.meetings_late_cancelled, 0) AS meetings_late_cancelled,
        coalesce(m.meetings_no_show, 0) AS meetings_no_show,
        coalesce(s.milestones_completed, 0) AS milestones_completed,
        g.planned_milestones,
        -- Extra milestone names beyond the plan do not make a pair more than complete.
        CASE WHEN g.planned_milestones > 0 THEN
            least(coalesce(s.milestones_completed, 0) / g.planned_milestones, 1.0)
        END AS milestone_completion_rate,
        coalesce(g.certificate_threshold, {DEFAULT_CERTIFICATE_THRESHOLD}) AS certificate_threshold,
        m.mean_meeting_rating,
        coalesce(m.meeting_ratings, 0) AS meeting_ratings,
        m.first_meeting_date,
        CAST(p.start_date + INTERVAL {ACTIVATION_DAYS} DAY AS DATE) AS activation_deadline,
        r.as_of,
        coalesce(b.level, a.level, e.job_level) AS participant_job_level_at_start,
        e.department AS participant_department,
        d.department AS participant_department_at_start
    FROM staging.pairings p
    CROSS JOIN {RUN_INFO} r
    LEFT JOIN staging.programs g USING (program_id)
    LEFT JOIN meetings m USING (pairing_id)
    LEFT JOIN milestones s USING (pairing_id)
    LEFT JOIN level_before b USING (pairing_id)
    LEFT JOIN level_after a USING (pairing_id)
    LEFT JOIN staging.employees e ON e.employee_id = p.participant_id
    LEFT JOIN department_at_start d USING (pairing_id)
)
SELECT * EXCLUDE (
        activation_deadline,
        as_of,
        participant_job_level_at_start,
        participant_department,
        participant_department_at_start
    ),
    milestone_completion_rate >= certificate_threshold - {THRESHOLD_TOLERANCE}
        AS certificate_eligible,
    CASE
        WHEN first_meeting_date <= activation_deadline THEN true
        WHEN activation_deadline <= as_of THEN false
    END AS activated,  -- NULL while the 60 days have not passed
    participant_job_level_at_start, participant_department, participant_department_at_start
FROM measured
ORDER BY pairing_id
"""

SNAPSHOT_MONTH = r"(\d{4})-(0[1-9]|1[0-2])"
# Every validated row of every employees snapshot, dated by the year and month in its file
# name (employees_2025-03.csv): the only history of departments the exports carry.
SNAPSHOTS_SQL = f"""
SELECT r.employee_id, nullif(trim(r.department), '') AS department, r._source_file,
    make_date(
        CAST(regexp_extract(r._source_file, '{SNAPSHOT_MONTH}', 1) AS INTEGER),
        CAST(regexp_extract(r._source_file, '{SNAPSHOT_MONTH}', 2) AS INTEGER),
        1
    ) AS snapshot_month
FROM raw.employees r
ANTI JOIN {ROW_REASONS} q
    ON q.source = 'employees' AND q._source_file = r._source_file
    AND q._source_line = r._source_line
WHERE regexp_matches(r._source_file, '{SNAPSHOT_MONTH}')
"""
NO_SNAPSHOTS_SQL = (
    "SELECT NULL::VARCHAR AS employee_id, NULL::VARCHAR AS department, "
    "NULL::VARCHAR AS _source_file, NULL::DATE AS snapshot_month WHERE false"
)


def build_fct_pairing(con: duckdb.DuckDBPyConnection) -> int:
    # raw holds the columns the files had: a department may never have come.
    landed = (
        table_exists(con, "raw.employees")
        and table_exists(con, ROW_REASONS)
        and "department" in {c for (c, *_) in con.execute("DESCRIBE raw.employees").fetchall()}
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW employee_snapshots AS "
        + (SNAPSHOTS_SQL if landed else NO_SNAPSHOTS_SQL)
    )
    return create_table_as(con, FCT_PAIRING, FCT_PAIRING_SQL)
