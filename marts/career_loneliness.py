"""`marts.career_loneliness`: who feels alone in their career development, wave by wave."""

import duckdb
import pandas as pd

from marts.shares import with_shares
from warehouse.catalogue import CAREER_LONELINESS, SURVEY_SCORES
from warehouse.db import table_exists
from warehouse.tables import write_frame

# Share agreeing with "I feel alone in determining my career development" in an industry survey.
INDUSTRY_BENCHMARK = 0.77
SHARE = "career_lonely"

COLUMNS = CAREER_LONELINESS.types()

COUNTS_SQL = f"""
SELECT wave, wave_date,
    count(*) FILTER (WHERE career_lonely) AS {SHARE}__successes,
    count(career_lonely) AS {SHARE}__n,
    {INDUSTRY_BENCHMARK} AS industry_benchmark
FROM {SURVEY_SCORES}
GROUP BY wave, wave_date
ORDER BY wave_date, wave
"""


def build_career_loneliness(con: duckdb.DuckDBPyConnection) -> int:
    """One row per wave; no rows when there are no survey scores."""
    if table_exists(con, SURVEY_SCORES):
        counts = con.execute(COUNTS_SQL).df()
    else:
        counts = pd.DataFrame(columns=["wave", "wave_date", f"{SHARE}__successes", f"{SHARE}__n"])
    return write_frame(con, CAREER_LONELINESS, with_shares(counts, [SHARE]))
