"""Kaplan–Meier curves for the charts, from `marts.study_cohort` and `assets.effects.survival`.

A curve stops where fewer than k people are still followed: past that point each step would
describe fewer than k people. A group gets no curve at all when it has fewer than k people, or
when fewer than k of them (or all but fewer than k) had the event, as its table cells are hidden
then too.
"""

import pandas as pd

from assets.effects.outcomes import DAYS_PER_MONTH
from assets.effects.survival import cumulative_incidence, km_curve
from reports.suppression import Suppression


def group_curve(
    people: pd.DataFrame,
    duration: str,
    event: str,
    suppression: Suppression,
    incidence: bool = False,
) -> pd.DataFrame | None:
    """Columns `months`, `value`, `low`, `high`, `n_at_risk`; None when the group may not be
    drawn."""
    events = int(pd.to_numeric(people[event]).sum()) if len(people) else 0
    if suppression.share(events, len(people)):
        return None
    curve = km_curve(people[duration], people[event])
    if incidence:
        curve = cumulative_incidence(curve).rename(columns={"incidence": "value"})
    else:
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
