"""Cumulative incidence with competing events: the Aalen–Johansen estimator.

The share of people who had an event of interest (a promotion) by time t, when another event
(an exit) ends their chance of having it. 1 − Kaplan–Meier with the competing event treated
as censoring answers a different question: the share promoted in a world where nobody leaves,
which overstates the share promoted in this one.

    F_k(t) = Σ_{t_j ≤ t} S(t_j−) d_kj / n_j

with S the Kaplan–Meier survival from events of any cause, d_kj the events of cause k at t_j
and n_j the people at risk just before it. The variance is the delta-method one of Marubini &
Valsecchi (1995), as Stata's stcompet and statsmodels' CumIncidenceRight compute it; the 95%
interval is taken on the log(−log) scale, so it stays within [0, 1].

Plain statistics: no warehouse or pipeline imports.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from stats.survival import log_log_interval

CENSORED = 0


def aalen_johansen(
    duration: ArrayLike,
    cause: ArrayLike,
    horizons: Sequence[float],
    people: ArrayLike | None = None,
    of_interest: int = 1,
    weights: ArrayLike | None = None,
) -> pd.DataFrame:
    """Cumulative incidence of cause `of_interest` at each horizon.

    `cause` is 0 for a censored row and a positive code for the event that ended it (any code
    other than `of_interest` competes). `people` counts the people each row stands for (one
    each when not given), so that the estimate can come from an aggregate. Columns
    `horizon_days`, `incidence`, `ci_low`, `ci_high`, `std_error`, `n_at_risk`; beyond the
    longest follow-up the incidence is not estimable (nan).

    `weights` (per row: the sampling weight of each of its people) weight the risk sets and
    events; where any differs from 1 the standard error is the infinitesimal-jackknife one
    (the sum of each person's squared weighted influence), since the delta-method formula
    would treat the weighted counts as people observed. `n_at_risk` still counts people.
    """
    curve = _curve(duration, cause, people, of_interest, weights)
    times = np.asarray(horizons, dtype=float)
    position = np.searchsorted(curve["times"], times, side="right")
    incidence = np.concatenate([[0.0], curve["incidence"]])[position]
    std_error = np.concatenate([[0.0], curve["std_error"]])[position]
    last = curve["times"][-1] if curve["times"].size else -np.inf
    beyond = times > last
    incidence = np.where(beyond, np.nan, incidence)
    std_error = np.where(beyond, np.nan, std_error)
    ci_low, ci_high = log_log_interval(incidence, std_error)
    at_risk_position = np.searchsorted(curve["times"], times, side="left")
    n_at_risk = np.concatenate([curve["at_risk"], [0.0]])[at_risk_position]
    return pd.DataFrame(
        {
            "horizon_days": times,
            "incidence": incidence,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "std_error": std_error,
            "n_at_risk": n_at_risk.astype("int64"),
        }
    )


def _curve(
    duration: ArrayLike,
    cause: ArrayLike,
    people: ArrayLike | None,
    of_interest: int,
    weights: ArrayLike | None = None,
) -> dict[str, np.ndarray]:
    """The estimate and its standard error at every distinct follow-up time (with weights
    other than 1, the infinitesimal-jackknife one)."""
    durations = np.asarray(duration, dtype=float)
    causes = np.asarray(cause, dtype=float)
    people_counts = np.ones(durations.size) if people is None else np.asarray(people, dtype=float)
    weight = np.ones(durations.size) if weights is None else np.asarray(weights, dtype=float)
    kept = ~(np.isnan(durations) | np.isnan(causes))
    durations, causes = durations[kept], causes[kept]
    people_counts, weight = people_counts[kept], weight[kept]
    counts = people_counts * weight
    times, position = np.unique(durations, return_inverse=True)
    followed = np.bincount(position, weights=counts, minlength=times.size)
    at_risk = followed[::-1].cumsum()[::-1]
    people_followed = np.bincount(position, weights=people_counts, minlength=times.size)
    any_event = np.bincount(position, weights=counts * (causes != CENSORED), minlength=times.size)
    of_cause = np.bincount(position, weights=counts * (causes == of_interest), minlength=times.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1.0 - any_event / at_risk)
        before = np.concatenate([[1.0], survival[:-1]])  # S(t_j−)
        incidence = np.cumsum(before * of_cause / at_risk)
        # Marubini & Valsecchi's delta-method variance.
        all_ratio = np.where(at_risk > any_event, any_event / (at_risk * (at_risk - any_event)), 0)
        variance = (
            incidence**2 * np.cumsum(all_ratio)
            - 2 * incidence * np.cumsum(incidence * all_ratio)
            + np.cumsum(incidence**2 * all_ratio)
            + np.cumsum(before**2 * (at_risk - of_cause) * of_cause / at_risk**3)
            - 2 * incidence * np.cumsum(before * of_cause / at_risk**2)
            + 2 * np.cumsum(incidence * before * of_cause / at_risk**2)
        )
    std_error = np.sqrt(np.maximum(variance, 0.0))
    if (weight != 1).any():
        std_error = _jackknife_std_errors(
            position,
            causes,
            people_counts * weight**2,
            at_risk,
            any_event,
            of_cause,
            before,
            incidence,
            of_interest,
        )
    return {
        "times": times,
        "incidence": incidence,
        "std_error": std_error,
        "at_risk": people_followed[::-1].cumsum()[::-1],
    }


def _jackknife_std_errors(
    position: np.ndarray,
    causes: np.ndarray,
    squared_weight: np.ndarray,
    at_risk: np.ndarray,
    any_event: np.ndarray,
    of_cause: np.ndarray,
    before: np.ndarray,
    incidence: np.ndarray,
    of_interest: int,
) -> np.ndarray:
    """√(Σ_i n_i w_i² IF_i(h)²) at every distinct time h, with IF_i(h) = ∂F(h)/∂w_i, exactly
    (Y, d weighted; dM1_ij = dN1_ij − d1_j / Y_j and dM_ij = dN_ij − d_j / Y_j at the times
    t_j the row is at risk):

        IF_i(h) = Σ_{t_j ≤ min(T_i, h)} S(t_j−) dM1_ij / Y_j − (F(h) − F(t_j)) dM_ij / (Y_j − d_j).

    A row ended by h has IF = a_i − F(h) b_i, with a_i, b_i fixed at its own time; a row
    still followed has IF = −(A(h) − F(h) B(h) + G(h)), the same for all of them. So the sum
    is running totals of n w² a², n w² a b, n w² b² and a tail of n w²: O(rows + times)."""
    survivors = at_risk - any_event
    with np.errstate(divide="ignore", invalid="ignore"):
        # Where everyone at risk had an event S drops to 0 and F moves no more: F(h) − F(t_j)
        # is 0 for every later h, so those terms vanish.
        per_survivor = np.where(survivors > 0, 1 / survivors, 0.0)
        a_terms = np.cumsum(before * of_cause / at_risk**2)  # A
        b_terms = np.cumsum(any_event / at_risk * per_survivor)  # B
        g_terms = np.cumsum(incidence * any_event / at_risk * per_survivor)  # G
        is_cause = causes == of_interest
        any_cause = causes != CENSORED
        a = (
            before[position] * is_cause / at_risk[position]
            + incidence[position] * any_cause * per_survivor[position]
            - a_terms[position]
            - g_terms[position]
        )
        b = any_cause * per_survivor[position] - b_terms[position]
    size = at_risk.size

    def running(values: np.ndarray) -> np.ndarray:
        return np.bincount(position, squared_weight * values, minlength=size).cumsum()

    ended = running(a * a) - 2 * incidence * running(a * b) + incidence**2 * running(b * b)
    followed = np.bincount(position, squared_weight, minlength=size)
    later = followed[::-1].cumsum()[::-1] - followed
    still = (a_terms - incidence * b_terms + g_terms) ** 2 * later
    return np.sqrt(np.maximum(ended + still, 0.0))


def aalen_johansen_curve(
    duration: ArrayLike,
    cause: ArrayLike,
    people: ArrayLike | None = None,
    of_interest: int = 1,
    weights: ArrayLike | None = None,
) -> pd.DataFrame:
    """The step curve for plotting: time 0, every distinct follow-up time (columns
    `time_days`, `incidence`, `ci_low`, `ci_high`, `n_at_risk`)."""
    curve = _curve(duration, cause, people, of_interest, weights)
    times = np.unique(np.concatenate([[0.0], curve["times"]])) if curve["times"].size else []
    return aalen_johansen(duration, cause, times, people, of_interest, weights).rename(
        columns={"horizon_days": "time_days"}
    )
