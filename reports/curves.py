"""Kaplan–Meier curves for the charts, from `marts.study_cohort` counted in DuckDB and
`stats.survival`.

The pages never read the cohort's people: they read how many people of each program, type and
group ended their follow-up on each day, with or without the event, a few thousand rows
however large the organisation.

A curve stops where fewer than k people are still followed: past that point each step would
describe fewer than k people. A group gets no curve at all when it has fewer than k people, or
when fewer than k of them (or all but fewer than k) had the event, as its table cells are hidden
then too.
"""

import pandas as pd

from effects.cohorts import STUDY_COHORT
from effects.outcomes import DAYS_PER_MONTH
from reports.reader import Reader
from reports.suppression import Suppression
from stats.competing import aalen_johansen_curve
from stats.survival import km_curve


def follow_up_counts(reader: Reader, duration: str, event: str) -> pd.DataFrame | None:
    """People per program, relationship type, group, `duration` (as `days`), `event` (0/1, as
    `event`) and sampling weight (`weight`: how many eligible people each stands for), in
    column `people`; None when the cohort is not built."""
    return reader.query(
        f"SELECT program_id, relationship_type, arm, {duration} AS days, {event} AS event, "
        f"sampling_weight AS weight, count(*) AS people FROM {STUDY_COHORT} "
        "WHERE arm IN ('participant', 'comparison') GROUP BY ALL ORDER BY ALL",
        [STUDY_COHORT],
    )


def group_curve(
    follow_up: pd.DataFrame, suppression: Suppression, incidence: bool = False
) -> pd.DataFrame | None:
    """Columns `months`, `value`, `low`, `high`, `n_at_risk` from one group's `follow_up`
    counts (columns `days`, `event`, `people`, optionally `weight`: sampled comparison people
    count their sampling weight in the curve, once in `n_at_risk`); None when the group may
    not be drawn."""
    weights = follow_up.get("weight")
    people = pd.to_numeric(follow_up["people"])
    events = int(((pd.to_numeric(follow_up["event"]) == 1) * people).sum())
    if suppression.share(events, int(people.sum())):
        return None
    if incidence:
        # `event` 1: the event; 2: a competing one (an exit before a promotion); 0: censored.
        curve = aalen_johansen_curve(follow_up["days"], follow_up["event"], people, weights=weights)
        curve = curve.rename(columns={"incidence": "value"})
    else:
        curve = km_curve(follow_up["days"], follow_up["event"], people, weights)
        curve = curve.rename(columns={"survival": "value"})
    curve = curve.loc[curve["n_at_risk"] >= suppression.k]
    if curve.empty:
        return None
    return pd.DataFrame(
        {
            "months": curve["time_days"] / DAYS_PER_MONTH,
            "value": curve["value"],
            "low": curve["ci_low"],
            "high": curve["ci_high"],
            "n_at_risk": curve["n_at_risk"],
        }
    ).reset_index(drop=True)
