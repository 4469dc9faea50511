"""`marts.survey_wave_summary`: each survey wave's scores, for everyone and for the
participants of each relationship type against everyone else, as of the wave's date."""

import duckdb
import numpy as np
import pandas as pd

from marts.shares import with_shares
from warehouse.catalogue import SURVEY_SCORES, SURVEY_WAVE_SUMMARY
from warehouse.db import table_exists
from warehouse.tables import write_frame

RELATIONSHIP_TYPES = ("mentor", "sponsor", "ally", "coach")
SHARES = (
    "lonely",
    "career_lonely",
    "has_advocate_fav",
    "psych_safety_fav",
    "has_advocate_neutral",
    "has_advocate_unfav",
    "psych_safety_neutral",
    "psych_safety_unfav",
)
Z_95 = 1.959963984540054
ALL = "all"

_SHARE_COUNTS = ", ".join(
    f"count(*) FILTER (WHERE {s}) AS {s}__successes, count({s}) AS {s}__n" for s in SHARES
)

# A respondent is a participant of a type in a wave when one of their pairings of that type
# started on or before the wave's date: someone who joined later is not counted as a
# participant in the waves before. Their first pairing of the type decides it.
SEGMENTS_SQL = f"""
WITH scores AS (SELECT * FROM {SURVEY_SCORES}),
first_pairing AS (
    SELECT participant_id, relationship_type, min(start_date) AS first_start
    FROM staging.pairings GROUP BY ALL
),
segments AS (
    SELECT s.*, '{ALL}' AS relationship_type, '{ALL}' AS arm FROM scores s
    UNION ALL
    SELECT s.*, t.relationship_type,
        CASE WHEN f.first_start <= s.wave_date THEN 'participant' ELSE 'non_participant' END
            AS arm
    FROM scores s
    CROSS JOIN (SELECT unnest($types) AS relationship_type) t
    LEFT JOIN first_pairing f
        ON f.participant_id = s.employee_id AND f.relationship_type = t.relationship_type
)
SELECT wave, wave_date, relationship_type, arm,
    count(*) AS respondents,
    avg(loneliness) AS loneliness_mean, count(loneliness) AS loneliness_n,
    avg(engagement) AS engagement_mean, count(engagement) AS engagement_n,
    {_SHARE_COUNTS},
    count(*) FILTER (WHERE enps >= 9) AS enps_promoters,
    count(*) FILTER (WHERE enps <= 6) AS enps_detractors,
    count(enps) AS enps_n
FROM segments
GROUP BY wave, wave_date, relationship_type, arm
ORDER BY wave_date, wave, CASE relationship_type WHEN '{ALL}' THEN 0 ELSE 1 END,
    relationship_type, arm
"""


def enps_with_interval(promoters, detractors, n) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """eNPS = 100 × (promoters − detractors) / n, with a normal-approximation 95% interval
    from the multinomial variance (p₊ + p₋ − (p₊ − p₋)²) / n, clipped to −100…100; NaN for n 0."""
    promoters, detractors, n = (np.asarray(x, dtype=float) for x in (promoters, detractors, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        plus, minus = promoters / n, detractors / n
        score = plus - minus
        half = Z_95 * np.sqrt(np.maximum(plus + minus - score**2, 0.0) / n)
    empty = n == 0
    score = np.where(empty, np.nan, score)
    low = np.where(empty, np.nan, np.clip(score - half, -1.0, 1.0))
    high = np.where(empty, np.nan, np.clip(score + half, -1.0, 1.0))
    return 100 * score, 100 * low, 100 * high


def survey_wave_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    if not table_exists(con, SURVEY_SCORES):
        return pd.DataFrame(columns=list(SURVEY_WAVE_SUMMARY.types()))
    counts = con.execute(SEGMENTS_SQL, {"types": list(RELATIONSHIP_TYPES)}).df()
    frame = with_shares(counts, SHARES)
    frame["enps"], frame["enps_ci_low"], frame["enps_ci_high"] = enps_with_interval(
        frame["enps_promoters"], frame["enps_detractors"], frame["enps_n"]
    )
    return frame


def build_survey_wave_summary(con: duckdb.DuckDBPyConnection) -> int:
    """One row per wave, relationship type (or all) and arm; no rows without survey scores."""
    return write_frame(con, SURVEY_WAVE_SUMMARY, survey_wave_summary(con))
