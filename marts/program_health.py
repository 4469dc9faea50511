"""`marts.program_health`: how each program's pairings are going, per relationship type."""

import duckdb

from marts.shares import with_shares
from warehouse.catalogue import FCT_PAIRING, PROGRAM_HEALTH
from warehouse.tables import write_frame

DAYS_PER_MONTH = 30.4375

# share → (successes, denominator) over the pairings of a program and relationship type.
SHARES: dict[str, tuple[str, str]] = {
    "activation_rate": ("count(*) FILTER (WHERE activated)", "count(activated)"),
    "cancellation_rate": ("sum(meetings_cancelled)", "sum(scheduled)"),
    "late_cancellation_rate": ("sum(meetings_late_cancelled)", "sum(scheduled)"),
    "no_show_rate": ("sum(meetings_no_show)", "sum(scheduled)"),
    "milestone_completion_rate": (
        "sum(least(milestones_completed, planned_milestones)) FILTER (WHERE planned > 0)",
        "sum(planned_milestones) FILTER (WHERE planned > 0)",
    ),
    "certificate_eligible_rate": (
        "count(*) FILTER (WHERE certificate_eligible)",
        "count(certificate_eligible)",
    ),
    "rematch_rate": ("count(*) FILTER (WHERE end_reason = 'rematched')", "count(*)"),
    "withdrawal_rate": ("count(*) FILTER (WHERE end_reason = 'withdrawn')", "count(*)"),
}

COLUMNS = PROGRAM_HEALTH.types()


def _counts_sql() -> str:
    counts = ",\n        ".join(
        f"{successes} AS {name}__successes, {n} AS {name}__n"
        for name, (successes, n) in SHARES.items()
    )
    return f"""
    WITH pairings AS (
        SELECT *, meetings_completed + meetings_cancelled + meetings_late_cancelled
            + meetings_no_show AS scheduled, coalesce(planned_milestones, 0) AS planned
        FROM {FCT_PAIRING}
    )
    SELECT program_id, any_value(g.program_name) AS program_name, relationship_type,
        count(*) AS pairings,
        count(DISTINCT participant_id) AS participants,
        sum(duration_days) / {DAYS_PER_MONTH} AS pairing_months,
        sum(meetings_completed) AS meetings_completed,
        sum(meetings_completed) / nullif(sum(duration_days) / {DAYS_PER_MONTH}, 0)
            AS meetings_per_pairing_month,
        sum(mean_meeting_rating * meeting_ratings) / nullif(sum(meeting_ratings), 0)
            AS mean_meeting_rating,
        sum(meeting_ratings) AS meeting_ratings,
        {counts}
    FROM pairings
    LEFT JOIN (SELECT program_id, program_name FROM staging.programs) g USING (program_id)
    GROUP BY program_id, relationship_type
    ORDER BY program_id, relationship_type
    """


def build_program_health(con: duckdb.DuckDBPyConnection) -> int:
    counts = con.execute(_counts_sql()).df()
    return write_frame(con, PROGRAM_HEALTH, with_shares(counts, SHARES))
