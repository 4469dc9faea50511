"""`marts.program_outcomes`: retention, promotion and survey means per group and subgroup."""

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from effects.cohorts import STUDY_COHORT, WAVE_SCORE_COLUMNS
from effects.subgroups import DIMENSIONS, subgroups
from stats.competing import aalen_johansen
from stats.proportions import mean_interval, wilson_interval
from stats.survival import km_at
from warehouse.catalogue import PROGRAM_OUTCOMES
from warehouse.db import arrow_table, quote_ident
from warehouse.tables import write_frame

DAYS_PER_MONTH = 30.4375
RETENTION_MONTHS = (6, 12, 24)
PROMOTION_MONTHS = (12, 24)
KEYS = ("program_id", "relationship_type", "arm")


def _interval_columns(name: str) -> dict[str, str]:
    return {name: "DOUBLE", f"{name}_ci_low": "DOUBLE", f"{name}_ci_high": "DOUBLE"}


COLUMNS = {
    "program_id": "VARCHAR",
    "relationship_type": "VARCHAR",
    "arm": "VARCHAR",
    "subgroup": "VARCHAR",
    "n": "BIGINT",
    "voluntary_exits": "BIGINT",
    "promotions": "BIGINT",
    **{c: t for m in RETENTION_MONTHS for c, t in _interval_columns(f"retention_{m}m").items()},
    **{c: t for m in PROMOTION_MONTHS for c, t in _interval_columns(f"promoted_{m}m").items()},
    "survey_n": "BIGINT",
    **{c: t for s in WAVE_SCORE_COLUMNS for c, t in _interval_columns(s).items()},
}


def _with_interval(name: str, values: pd.Series) -> dict[str, float]:
    return {
        name: values.iloc[0],
        f"{name}_ci_low": values.iloc[1],
        f"{name}_ci_high": values.iloc[2],
    }


@dataclass(frozen=True)
class CohortCounts:
    """`marts.study_cohort` counted in DuckDB, so that a million people's outcomes come from a
    few hundred thousand rows: people per track, group, gender and ethnicity (`SUBGROUPED`),
    sampling weight (`weight`) and exit day and event (`exits`), or promotion day and event
    (`promotions`), in column `people`; and per track, group, gender and ethnicity the people
    with both survey waves (`survey_n`) with the count of each score and its sums weighted by
    the sampling weight (sum of weights, of squared weights, of weighted values and squares)
    (`surveys`). Sampled comparison people count their weight in every share and mean, and
    once in every count of people or events."""

    exits: pd.DataFrame
    promotions: pd.DataFrame
    surveys: pd.DataFrame


SUBGROUPED = (*KEYS, *DIMENSIONS)
# Promotion (1), an exit of any kind before it (2, competing), or censored (0).
PROMOTED, EXITED = 1, 2
# How many eligible people a cohort row stands for (sampled comparison rows: more than one).
WEIGHT = "sampling_weight"
PROMOTION_CAUSE = (
    f"CASE WHEN promotion_event = 1 THEN {PROMOTED} "
    f"WHEN promotion_event = 0 AND exit_type IS NOT NULL THEN {EXITED} "
    "WHEN promotion_event = 0 THEN 0 END"
)


def count_cohort(con: duckdb.DuckDBPyConnection) -> CohortCounts:
    keys = ", ".join(map(quote_ident, SUBGROUPED))

    def counted(days: str, event: str) -> pd.DataFrame:
        return arrow_table(
            con,
            f"SELECT {keys}, {days} AS days, {event} AS event, {WEIGHT} AS weight, "
            f"count(*) AS people FROM {STUDY_COHORT} GROUP BY ALL ORDER BY ALL",
        ).to_pandas()

    both = "baseline_wave IS NOT NULL AND followup_wave IS NOT NULL"
    sums = ", ".join(
        f"sum({WEIGHT} * CAST({c} AS DOUBLE)) FILTER (WHERE {both}) AS {c}_sum, "
        f"sum({WEIGHT} * CAST({c} AS DOUBLE) ^ 2) FILTER (WHERE {both}) AS {c}_sumsq, "
        f"sum({WEIGHT}) FILTER (WHERE {both} AND {c} IS NOT NULL) AS {c}_weight, "
        f"sum({WEIGHT} ^ 2) FILTER (WHERE {both} AND {c} IS NOT NULL) AS {c}_weight_sq, "
        f"count({c}) FILTER (WHERE {both}) AS {c}_count"
        for c in WAVE_SCORE_COLUMNS
    )
    surveys = arrow_table(
        con,
        f"SELECT {keys}, count(*) FILTER (WHERE {both}) AS survey_n, {sums} "
        f"FROM {STUDY_COHORT} GROUP BY ALL ORDER BY ALL",
    ).to_pandas()
    return CohortCounts(
        counted("exit_days", "exit_event"), counted("promotion_days", PROMOTION_CAUSE), surveys
    )


def _km_figures(
    counts: pd.DataFrame, name: str, months: tuple[int, ...], incidence: bool
) -> dict[str, float]:
    """Kaplan–Meier survival at each horizon, or with `incidence` the cumulative incidence of
    cause 1 (Aalen–Johansen: `event` 2 is a competing event)."""
    horizons = [m * DAYS_PER_MONTH for m in months]
    weights = counts["weight"]
    if incidence:
        km = aalen_johansen(
            counts["days"], counts["event"], horizons, counts["people"], weights=weights
        )
        value = "incidence"
    else:
        km = km_at(counts["days"], counts["event"], horizons, counts["people"], weights)
        value = "survival"
    figures = {}
    for month, (_, row) in zip(months, km.iterrows(), strict=True):
        figures |= _with_interval(f"{name}_{month}m", row[[value, "ci_low", "ci_high"]])
    return figures


def _events(counts: pd.DataFrame) -> int:
    return int(((pd.to_numeric(counts["event"]) == 1) * counts["people"]).sum())


def _survey_figures(surveys: pd.DataFrame) -> dict[str, float]:
    """Means over the people with both a baseline and a follow-up wave (the DiD sample),
    each person counting their sampling weight. With weights other than 1 the intervals use
    Kish's effective number of people, (Σw)² / Σw², in place of the count."""
    figures: dict[str, float] = {"survey_n": int(surveys["survey_n"].sum())}
    for column in WAVE_SCORE_COLUMNS:
        count: float = int(surveys[f"{column}_count"].sum())
        total = float(surveys[f"{column}_sum"].sum())
        squares = float(surveys[f"{column}_sumsq"].sum())
        weight = float(surveys[f"{column}_weight"].sum())
        if weight != count:  # sampled: weighted sums rescaled to the effective size
            effective = weight**2 / float(surveys[f"{column}_weight_sq"].sum())
            count, total, squares = (
                effective,
                total / weight * effective,
                squares / weight * effective,
            )
        if column.startswith("career_lonely"):  # a share of people: Wilson
            low, high = wilson_interval(total, count)
            mean = total / count if count else np.nan
        else:
            mean, low, high = mean_interval(total, squares, count)
        figures |= {column: mean, f"{column}_ci_low": low, f"{column}_ci_high": high}
    return figures


def group_outcomes(exits: pd.DataFrame, promotions: pd.DataFrame, surveys: pd.DataFrame) -> dict:
    """The figures of one group of people (one row of the table, keys aside), from its rows of
    each of `CohortCounts`' frames."""
    return {
        "n": int(exits["people"].sum()),
        "voluntary_exits": _events(exits),
        "promotions": _events(promotions),
        **_km_figures(exits, "retention", RETENTION_MONTHS, incidence=False),
        **_km_figures(promotions, "promoted", PROMOTION_MONTHS, incidence=True),
        **_survey_figures(surveys),
    }


def program_outcomes(counts: CohortCounts) -> pd.DataFrame:
    """One row per program, relationship type, group and subgroup of `marts.study_cohort`."""
    frames = (counts.exits, counts.promotions, counts.surveys)
    tracks = [dict(iter(frame.groupby(list(KEYS), sort=True))) for frame in frames]
    rows = []
    for keys in tracks[0]:
        of_track = [by_track[keys].reset_index(drop=True) for by_track in tracks]
        masks = [dict(subgroups(frame)) for frame in of_track]
        for label in masks[0]:
            rows.append(
                dict(zip(KEYS, keys, strict=True))
                | {"subgroup": label}
                | group_outcomes(
                    *(frame.loc[mask[label]] for frame, mask in zip(of_track, masks, strict=True))
                )
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def build_program_outcomes(con: duckdb.DuckDBPyConnection) -> int:
    return write_frame(con, PROGRAM_OUTCOMES, program_outcomes(count_cohort(con)), COLUMNS)
