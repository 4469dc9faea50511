"""`marts.program_outcomes`: retention, promotion and survey means per group and subgroup."""

import duckdb
import numpy as np
import pandas as pd

from assets.effects.cohorts import SURVEY_OUTCOMES, read_cohort
from assets.effects.subgroups import subgroups
from assets.effects.survival import cumulative_incidence, km_at
from assets.marts.tables import write_frame

PROGRAM_OUTCOMES = "marts.program_outcomes"

DAYS_PER_MONTH = 30.4375
RETENTION_MONTHS = (6, 12, 24)
PROMOTION_MONTHS = (12, 24)
KEYS = ("program_id", "relationship_type", "group")


def _interval_columns(name: str) -> dict[str, str]:
    return {name: "DOUBLE", f"{name}_ci_low": "DOUBLE", f"{name}_ci_high": "DOUBLE"}


COLUMNS = {
    "program_id": "VARCHAR",
    "relationship_type": "VARCHAR",
    "group": "VARCHAR",
    "subgroup": "VARCHAR",
    "n": "BIGINT",
    "voluntary_exits": "BIGINT",
    "promotions": "BIGINT",
    **{c: t for m in RETENTION_MONTHS for c, t in _interval_columns(f"retention_{m}m").items()},
    **{c: t for m in PROMOTION_MONTHS for c, t in _interval_columns(f"promoted_{m}m").items()},
    "survey_n": "BIGINT",
    **{
        f"{outcome}_{wave}": "DOUBLE"
        for outcome in SURVEY_OUTCOMES
        for wave in ("baseline", "followup")
    },
}


def _with_interval(name: str, values: pd.Series) -> dict[str, float]:
    return {
        name: values.iloc[0],
        f"{name}_ci_low": values.iloc[1],
        f"{name}_ci_high": values.iloc[2],
    }


def _survival_figures(people: pd.DataFrame) -> dict[str, float]:
    figures = {}
    retention = km_at(
        people["exit_days"], people["exit_event"], [m * DAYS_PER_MONTH for m in RETENTION_MONTHS]
    )
    for months, (_, row) in zip(RETENTION_MONTHS, retention.iterrows(), strict=True):
        figures |= _with_interval(f"retention_{months}m", row[["survival", "ci_low", "ci_high"]])
    promoted = cumulative_incidence(
        km_at(
            people["promotion_days"],
            people["promotion_event"],
            [m * DAYS_PER_MONTH for m in PROMOTION_MONTHS],
        )
    )
    for months, (_, row) in zip(PROMOTION_MONTHS, promoted.iterrows(), strict=True):
        figures |= _with_interval(f"promoted_{months}m", row[["incidence", "ci_low", "ci_high"]])
    return figures


def _survey_figures(people: pd.DataFrame) -> dict[str, float]:
    """Means over the people with both a baseline and a follow-up wave (the DiD sample)."""
    both = people.loc[people["baseline_wave"].notna() & people["followup_wave"].notna()]
    figures: dict[str, float] = {"survey_n": len(both)}
    for outcome in SURVEY_OUTCOMES:
        for wave in ("baseline", "followup"):
            column = f"{outcome}_{wave}"
            values = pd.to_numeric(both[column]).astype(float)
            figures[column] = float(values.mean()) if values.notna().any() else np.nan
    return figures


def group_outcomes(people: pd.DataFrame) -> dict[str, float]:
    """The figures of one group of people (one row of the table, keys aside)."""
    return {
        "n": len(people),
        "voluntary_exits": int(people["exit_event"].sum()),
        "promotions": int(people["promotion_event"].sum()),
        **_survival_figures(people),
        **_survey_figures(people),
    }


def program_outcomes(cohort: pd.DataFrame) -> pd.DataFrame:
    """One row per program, relationship type, group and subgroup of `marts.study_cohort`."""
    rows = []
    for keys, people in cohort.groupby(list(KEYS), sort=True):
        people = people.reset_index(drop=True)
        for label, mask in subgroups(people):
            rows.append(
                dict(zip(KEYS, keys, strict=True))
                | {"subgroup": label}
                | group_outcomes(people.loc[mask])
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def build_program_outcomes(con: duckdb.DuckDBPyConnection) -> int:
    return write_frame(con, PROGRAM_OUTCOMES, program_outcomes(read_cohort(con)), COLUMNS)
