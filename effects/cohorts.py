"""The study design of OUTPUTS.md ("Metric definitions"): who is compared with whom, from when.

For each program and relationship type the index date is the program's start_date. Everyone
employed on it falls into one group:

- `participant`: the participant of a pairing of that program and relationship type;
- `advisor`: otherwise, an advisor of such a pairing;
- `comparison`: everyone else who is neither a participant nor an advisor in that program (of any
  relationship type) and was not a participant of that relationship type in the 12 months
  before (a pairing running at any time in that window).

Follow-up runs in days from the index date for every group, so only events after it count and
nobody is credited with time before they joined. It ends at the first exit or the as-of date.
Voluntary exit is the event of the retention outcome; involuntary exits, retirements, other exits
and the as-of date censor it. Promotion is the first `promotion` job event (or any move raising
the level) after the index date; exits censor it. People at the organisation's highest job level
on the index date cannot be promoted: they are left out of the promotion outcome (NULL), in both
groups, rather than counted as never promoted (that would flatter whichever group has fewer of
them, usually the participants).

Covariates are taken as of the index date: the job level then (rebuilt from job_events: the level
the latest event on or before the index date left, else the level the first later event started
from, else the snapshot's level), tenure, performance rating (the snapshot's: the contract says
it is the latest rating before any program), department and gender; ethnicity is kept for the
subgroups, not adjusted for.

Survey waves: the baseline is a person's latest wave dated on or before the index date, the
follow-up their first wave dated on or after the program's end_date (and not after the as-of
date).
"""

import hashlib
import os
from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa

from warehouse.catalogue import STUDY_COHORT, apply_comments
from warehouse.catalogue import STUDY_COHORT_PEOPLE as COHORT_PEOPLE
from warehouse.db import arrow_table, table_exists, table_fingerprint
from warehouse.tables import SURVEY_SCORES, create_table_as

COHORT_INPUTS = ("staging.programs", "staging.pairings", "staging.employees", "staging.job_events")
DIGEST_COLUMN = "inputs_digest"
DAYS_PER_YEAR = 365.25
LOOKBACK_MONTHS = 12
# Where a track has more eligible comparison person-months than MAX_UNSAMPLED (a large
# organisation), comparison people are drawn per participant within each monthly trial, by a
# fixed seed; below it everyone eligible is compared.
COMPARISONS_PER_PARTICIPANT = 5
MAX_UNSAMPLED = 100_000
SAMPLE_SEED = "mentorlens-16"
BASELINE_MAX_MONTHS_SETTING = "MENTORLENS_BASELINE_MAX_MONTHS"
DEFAULT_BASELINE_MAX_MONTHS = 18

SURVEY_OUTCOMES = ("loneliness", "engagement", "career_lonely")
WAVES = ("baseline", "followup")
# Each wave's scores in the cohort, by score: `loneliness_baseline`, `loneliness_followup`, …
WAVE_SCORE_COLUMNS = tuple(f"{o}_{w}" for o in SURVEY_OUTCOMES for w in WAVES)
# Every column `_survey_sql` adds to the cohort, in its order; the rest does not depend on
# survey waves.
SURVEY_COLUMNS = tuple(
    c
    for w in WAVES
    for c in (f"{w}_wave", f"{w}_wave_date", *(f"{o}_{w}" for o in SURVEY_OUTCOMES))
)
SCORE_COLUMNS = ", ".join(f"s.{c}" for c in ("wave", "wave_date", *SURVEY_OUTCOMES))

# The contract of marts.fct_survey_score, empty: stands in when no survey was scored.
NO_SURVEY_SCORES = """
SELECT NULL::VARCHAR AS employee_id, NULL::VARCHAR AS wave, NULL::DATE AS wave_date,
    NULL::INTEGER AS loneliness, NULL::DOUBLE AS engagement, NULL::BOOLEAN AS career_lonely
WHERE false
"""

COHORT_SQL = f"""
WITH programs AS (
    SELECT program_id, start_date AS program_start, end_date AS program_end_date
    FROM staging.programs WHERE start_date < $as_of
),
sides AS (
    SELECT program_id, relationship_type, participant_id AS employee_id,
        true AS is_participant, start_date
    FROM staging.pairings
    UNION ALL
    SELECT program_id, relationship_type, advisor_id, false, start_date FROM staging.pairings
),
track_roles AS (
    SELECT program_id, relationship_type, employee_id,
        min(start_date) FILTER (WHERE is_participant) AS first_pairing_start,
        min(start_date) FILTER (WHERE NOT is_participant) AS first_advised_start
    FROM sides GROUP BY ALL
),
program_advisors AS (SELECT DISTINCT program_id, employee_id FROM sides WHERE NOT is_participant),
-- When someone is first paired (as a participant, any type) in a program: a comparison member
-- is censored then.
program_paired AS (
    SELECT program_id, employee_id, min(start_date) AS paired_on
    FROM sides WHERE is_participant GROUP BY ALL
),
-- Participants (time zero: their first pairing of the track) and advisors (their first pairing
-- as an advisor), each employed on their time zero, which falls before the as-of date.
starters AS (
    SELECT r.program_id, r.relationship_type, r.employee_id,
        CASE WHEN r.first_pairing_start IS NOT NULL THEN 'participant' ELSE 'advisor' END
            AS arm,
        greatest(coalesce(r.first_pairing_start, r.first_advised_start), g.program_start)
            AS index_date,
        r.first_pairing_start,
        NULL::DATE AS paired_later_on
    FROM track_roles r JOIN programs g USING (program_id)
),
starters_employed AS (
    SELECT s.*, greatest(date_trunc('month', s.index_date)::DATE, g.program_start) AS trial_start
    FROM starters s
    JOIN programs g USING (program_id)
    JOIN staging.employees e USING (employee_id)
    WHERE s.index_date < $as_of
        AND e.hire_date <= s.index_date
        AND (e.termination_date IS NULL OR e.termination_date > s.index_date)
),
trials AS (
    SELECT program_id, relationship_type, trial_start, count(*) AS participants
    FROM starters_employed WHERE arm = 'participant' GROUP BY ALL
),
-- A trial's comparison people: employed on its first day, never an advisor in the program, not
-- paired in it by the end of the trial's month, and no participant of the type in the
-- {LOOKBACK_MONTHS} months before.
eligible AS (
    SELECT t.program_id, t.relationship_type, t.trial_start, t.participants, e.employee_id,
        f.paired_on AS paired_later_on
    FROM trials t
    JOIN staging.employees e
        ON e.hire_date <= t.trial_start
        AND (e.termination_date IS NULL OR e.termination_date > t.trial_start)
    LEFT JOIN program_advisors a
        ON a.program_id = t.program_id AND a.employee_id = e.employee_id
    LEFT JOIN program_paired f
        ON f.program_id = t.program_id AND f.employee_id = e.employee_id
    WHERE a.employee_id IS NULL
        AND (f.paired_on IS NULL
             OR f.paired_on >= date_trunc('month', t.trial_start) + INTERVAL 1 MONTH)
        AND NOT EXISTS (
            SELECT 1 FROM staging.pairings p
            WHERE p.participant_id = e.employee_id
                AND p.relationship_type = t.relationship_type
                AND p.start_date < t.trial_start
                AND (p.end_date IS NULL
                     OR p.end_date >= t.trial_start - INTERVAL {LOOKBACK_MONTHS} MONTH)
        )
),
-- Where a track has more than $max_unsampled eligible person-months, at most $per_participant
-- comparison people per participant in each trial, drawn by a hash of the person and the
-- trial with a fixed seed: the same data always gives the same sample.
sampled AS (
    SELECT program_id, relationship_type, employee_id, 'comparison' AS arm,
        trial_start AS index_date, NULL::DATE AS first_pairing_start, paired_later_on,
        trial_start, count(*) OVER trial AS trial_eligible
    FROM eligible
    WINDOW trial AS (PARTITION BY program_id, relationship_type, trial_start)
    QUALIFY count(*) OVER (PARTITION BY program_id, relationship_type) <= $max_unsampled
        OR row_number() OVER (
            PARTITION BY program_id, relationship_type, trial_start
            ORDER BY hash(employee_id || '|' || program_id || '|' || relationship_type || '|'
                || CAST(trial_start AS VARCHAR) || '|' || $seed), employee_id
        ) <= $per_participant * participants
),
-- A sampled comparison row stands for the trial's eligible people it was drawn from
-- (eligible / drawn); everyone else stands for themselves.
members AS (
    SELECT s.*, NULL::BIGINT AS trial_eligible, 1.0::DOUBLE AS sampling_weight
    FROM starters_employed s
    UNION ALL BY NAME
    SELECT *, trial_eligible / count(*) OVER (
        PARTITION BY program_id, relationship_type, trial_start
    ) AS sampling_weight
    FROM sampled
),
cohort AS (
    SELECT m.*, g.program_end_date, e.* EXCLUDE (employee_id)
    FROM members m
    JOIN programs g USING (program_id)
    JOIN staging.employees e USING (employee_id)
),
time_zeros AS (SELECT DISTINCT employee_id, index_date FROM members),
-- Several events on one day: the day ends at the highest level reached and starts from the
-- lowest left, whatever order the rows came in, so that the same data always gives the same
-- cohort.
level_before AS (
    SELECT d.index_date, j.employee_id, j.to_level AS level
    FROM time_zeros d JOIN staging.job_events j
        ON j.employee_id = d.employee_id
        AND j.effective_date <= d.index_date AND j.to_level IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY d.index_date, j.employee_id
        ORDER BY j.effective_date DESC, j.event_type = 'hire', j.to_level DESC, j.event_type
    ) = 1
),
level_after AS (
    SELECT d.index_date, j.employee_id, j.from_level AS level
    FROM time_zeros d JOIN staging.job_events j
        ON j.employee_id = d.employee_id
        AND j.effective_date > d.index_date AND j.from_level IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY d.index_date, j.employee_id
        ORDER BY j.effective_date, j.event_type <> 'hire', j.from_level, j.event_type
    ) = 1
),
promotions AS (
    SELECT d.index_date, j.employee_id, min(j.effective_date) AS promoted_on
    FROM time_zeros d JOIN staging.job_events j
        ON j.employee_id = d.employee_id
        AND j.effective_date > d.index_date
        AND (j.event_type = 'promotion' OR j.to_level > j.from_level)
    GROUP BY ALL
),
followed AS (
    SELECT c.*,
        least(coalesce(c.termination_date, $as_of), $as_of,
              coalesce(c.paired_later_on, $as_of)) AS follow_up_end,
        c.termination_date <= least($as_of, coalesce(c.paired_later_on, $as_of)) AS exited,
        coalesce(b.level, a.level, c.job_level) AS level_at_index,
        p.promoted_on
    FROM cohort c
    LEFT JOIN level_before b USING (index_date, employee_id)
    LEFT JOIN level_after a USING (index_date, employee_id)
    LEFT JOIN promotions p USING (index_date, employee_id)
)
SELECT program_id, relationship_type, employee_id, arm,
    trial_start, trial_eligible, sampling_weight, index_date, program_end_date, first_pairing_start,
    paired_later_on,
    level_at_index AS job_level,
    datediff('day', hire_date, index_date) / {DAYS_PER_YEAR} AS tenure_years,
    performance_rating, department, gender, ethnicity,
    follow_up_end,
    CASE WHEN exited THEN termination_type END AS exit_type,
    datediff('day', index_date, follow_up_end) AS exit_days,
    CAST(coalesce(exited AND termination_type = 'voluntary', false) AS INTEGER) AS exit_event,
    CASE WHEN NOT at_top_level THEN datediff('day', index_date, CASE
        WHEN promoted_on <= follow_up_end THEN promoted_on ELSE follow_up_end
    END) END AS promotion_days,
    CASE WHEN NOT at_top_level THEN
        CAST(coalesce(promoted_on <= follow_up_end, false) AS INTEGER)
    END AS promotion_event
FROM (
    SELECT *, level_at_index >= max(level_at_index) OVER (PARTITION BY program_id,
        relationship_type) AS at_top_level
    FROM followed
)
"""


def _survey_sql(cohort: str, scores: str) -> str:
    """The cohort with each person's baseline and follow-up wave and their scores."""

    def values(alias: str, suffix: str) -> str:
        return ", ".join(
            [
                f"{alias}.wave AS {suffix}_wave",
                f"{alias}.wave_date AS {suffix}_wave_date",
                f"{alias}.loneliness AS loneliness_{suffix}",
                f"{alias}.engagement AS engagement_{suffix}",
                f"CAST({alias}.career_lonely AS INTEGER) AS career_lonely_{suffix}",
            ]
        )

    # Each person's waves are looked up once per distinct index (or end) date, not once per
    # program and type: tracks of one program share their dates.
    return f"""
    WITH scores AS ({scores}),
    baseline AS (
        SELECT d.employee_id, d.index_date, {SCORE_COLUMNS}
        FROM (SELECT DISTINCT employee_id, index_date FROM {cohort}) d JOIN scores s
            ON s.employee_id = d.employee_id AND s.wave_date <= d.index_date
            AND s.wave_date >= d.index_date - to_months($baseline_months)
        QUALIFY row_number() OVER (
            PARTITION BY d.employee_id, d.index_date ORDER BY s.wave_date DESC, s.wave DESC
        ) = 1
    ),
    followup AS (
        SELECT d.employee_id, d.program_end_date, d.paired_later_on, {SCORE_COLUMNS}
        FROM (SELECT DISTINCT employee_id, program_end_date, paired_later_on FROM {cohort}) d
        JOIN scores s
            ON s.employee_id = d.employee_id
            AND s.wave_date >= d.program_end_date AND s.wave_date <= $as_of
            AND (d.paired_later_on IS NULL OR s.wave_date < d.paired_later_on)
        QUALIFY row_number() OVER (
            PARTITION BY d.employee_id, d.program_end_date, d.paired_later_on
            ORDER BY s.wave_date, s.wave
        ) = 1
    )
    SELECT c.*, {values("b", "baseline")}, {values("f", "followup")}
    FROM {cohort} c
    LEFT JOIN baseline b USING (employee_id, index_date)
    LEFT JOIN followup f
        ON f.employee_id = c.employee_id AND f.program_end_date = c.program_end_date
        AND f.paired_later_on IS NOT DISTINCT FROM c.paired_later_on
    ORDER BY c.program_id, c.relationship_type, c.arm, c.trial_start, c.employee_id
    """


def survey_scores_query(con: duckdb.DuckDBPyConnection) -> str:
    """The survey scores to use: the mart when a survey was scored, else an empty stand-in."""
    if surveys_scored(con):
        return f"SELECT * FROM {SURVEY_SCORES}"
    return NO_SURVEY_SCORES


def build_study_cohort(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    max_unsampled: int = MAX_UNSAMPLED,
    per_participant: int = COMPARISONS_PER_PARTICIPANT,
) -> int:
    """Create `marts.study_cohort` from the staging tables (and survey scores, if any).

    A track with more than `max_unsampled` eligible comparison person-months gets at most
    `per_participant` comparison people per participant in each trial, each weighted by its
    trial's eligible people over those drawn (`sampling_weight`).

    The people, follow-up and covariates come from `meta.study_cohort_people`, rebuilt only
    when the staging tables, the as-of date or this query changed: a new survey wave changes
    only the survey columns, and rebuilding the rest was a third of the cohort's time at a
    million people.
    """
    params = {"as_of": as_of}
    people_params = params | {
        "seed": SAMPLE_SEED,
        "per_participant": per_participant,
        "max_unsampled": max_unsampled,
    }
    digest = _people_inputs_digest(con, as_of, max_unsampled, per_participant)
    if _remembered_people_digest(con) != digest:
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        con.execute(
            f"CREATE OR REPLACE TABLE {COHORT_PEOPLE} AS "
            f"SELECT *, $digest AS {DIGEST_COLUMN} FROM ({COHORT_SQL})",
            people_params | {"digest": digest},
        )
        apply_comments(con, COHORT_PEOPLE)
    people = f"(SELECT * EXCLUDE ({DIGEST_COLUMN}) FROM {COHORT_PEOPLE})"
    survey_params = params | {"baseline_months": baseline_max_months()}
    return create_table_as(
        con, STUDY_COHORT, _survey_sql(people, survey_scores_query(con)), survey_params
    )


def baseline_max_months() -> int:
    """How old a baseline wave may be at time zero (MENTORLENS_BASELINE_MAX_MONTHS, default 18)."""
    text = os.environ.get(BASELINE_MAX_MONTHS_SETTING, "").strip()
    if not text:
        return DEFAULT_BASELINE_MAX_MONTHS
    months = int(text)
    if not 1 <= months <= 120:
        raise ValueError(f"{BASELINE_MAX_MONTHS_SETTING} must be 1–120 months, not {text}")
    return months


def _people_inputs_digest(
    con: duckdb.DuckDBPyConnection, as_of: date, max_unsampled: int, per_participant: int
) -> str:
    inputs = [table_fingerprint(con, table) for table in COHORT_INPUTS]
    settings = (as_of, COHORT_SQL, SAMPLE_SEED, per_participant, max_unsampled)
    return hashlib.blake2b(repr((inputs, settings)).encode(), digest_size=20).hexdigest()


def _remembered_people_digest(con: duckdb.DuckDBPyConnection) -> str | None:
    if not table_exists(con, COHORT_PEOPLE):
        return None
    found = con.execute(f"SELECT {DIGEST_COLUMN} FROM {COHORT_PEOPLE} LIMIT 1").fetchall()
    return found[0][0] if found else None


def read_cohort(
    con: duckdb.DuckDBPyConnection, query: str = f"SELECT * FROM {STUDY_COHORT}"
) -> pd.DataFrame:
    """The cohort (or the rows of `query`, the cohort with more columns) with its few-valued
    text columns (department, group, …) as categories: a
    million-person cohort is split into hundreds of model frames, and copying category codes
    is many times cheaper than copying strings. Read through Arrow, which at a million people
    takes a sixth of the time of DuckDB's own DataFrame conversion."""
    table = arrow_table(con, query)
    columns = {
        name: column.dictionary_encode() if name != "employee_id" and _is_text(column) else column
        for name, column in zip(table.column_names, table.columns, strict=True)
    }
    return pa.table(columns).to_pandas(date_as_object=False)


def _is_text(column: pa.ChunkedArray) -> bool:
    kind = column.type
    return (
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
    )


def surveys_scored(con: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(con, SURVEY_SCORES)
