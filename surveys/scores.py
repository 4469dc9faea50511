"""`marts.fct_survey_score`: one row per employee and wave, scored by `surveys.scoring`."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa

from surveys.instruments import SCALED_ITEM_CODES
from surveys.scoring import score_responses
from warehouse.catalogue import SURVEY_SCORES
from warehouse.db import arrow_table
from warehouse.tables import create_table_as

SCORE_COLUMNS = (
    "loneliness",
    "lonely",
    "engagement",
    "career_lonely",
    "has_advocate_fav",
    "psych_safety_fav",
    "enps",
    "has_advocate_neutral",
    "has_advocate_unfav",
    "psych_safety_neutral",
    "psych_safety_unfav",
)


def _as_nullable_integers(kind: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    # Answers arrive as Int64 directly: converted from floats, they took a second at xl.
    return pd.Int64Dtype() if pa.types.is_integer(kind) else None


def build_survey_scores(con: duckdb.DuckDBPyConnection, lonely_threshold: int) -> int:
    """Score each employee's latest scored response per wave; returns the row count."""
    responses = arrow_table(
        con,
        f"SELECT r.employee_id, r.wave, w.wave_date, {', '.join(SCALED_ITEM_CODES)} "
        "FROM staging.survey_responses r JOIN staging.survey_waves w USING (wave) "
        "WHERE r.scored AND NOT r.superseded AND r.employee_id IS NOT NULL",
    ).to_pandas(date_as_object=False, types_mapper=_as_nullable_integers)
    scores = score_responses(responses[list(SCALED_ITEM_CODES)], lonely_threshold=lonely_threshold)
    frame = responses[["employee_id", "wave", "wave_date"]].join(scores[list(SCORE_COLUMNS)])
    con.register("_scores", frame)
    create_table_as(
        con,
        SURVEY_SCORES,
        """
        SELECT CAST(employee_id AS VARCHAR) AS employee_id, CAST(wave AS VARCHAR) AS wave,
            CAST(wave_date AS DATE) AS wave_date, CAST(loneliness AS INTEGER) AS loneliness,
            CAST(lonely AS BOOLEAN) AS lonely, CAST(engagement AS DOUBLE) AS engagement,
            CAST(career_lonely AS BOOLEAN) AS career_lonely,
            CAST(has_advocate_fav AS BOOLEAN) AS has_advocate_fav,
            CAST(psych_safety_fav AS BOOLEAN) AS psych_safety_fav, CAST(enps AS INTEGER) AS enps,
            CAST(has_advocate_neutral AS BOOLEAN) AS has_advocate_neutral,
            CAST(has_advocate_unfav AS BOOLEAN) AS has_advocate_unfav,
            CAST(psych_safety_neutral AS BOOLEAN) AS psych_safety_neutral,
            CAST(psych_safety_unfav AS BOOLEAN) AS psych_safety_unfav
        FROM _scores ORDER BY wave_date, employee_id
        """,
    )
    con.unregister("_scores")
    return len(frame)
