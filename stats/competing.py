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
from scipy.stats import norm

Z_95 = float(norm.ppf(0.975))
CENSORED = 0


def aalen_johansen(
    duration: ArrayLike,
    cause: ArrayLike,
    horizons: Sequence[float],
    people: ArrayLike | None = None,
    of_interest: int = 1,
) -> pd.DataFrame:
    """Cumulative incidence of cause `of_interest` at each horizon.

    `cause` is 0 for a censored row and a positive code for the event that ended it (any code
    other than `of_interest` competes). `people` counts the people each row stands for (one
    each when not given), so that the estimate can come from an aggregate. Columns
    `horizon_days`, `incidence`, `ci_low`, `ci_high`, `std_error`, `n_at_risk`; beyond the
    longest follow-up the incidence is not estimable (nan).
    """
    curve = _curve(duration, cause, people, of_interest)
    times = np.asarray(horizons, dtype=float)
    position = np.searchsorted(curve["times"], times, side="right")
    incidence = np.concatenate([[0.0], curve["incidence"]])[position]
    std_error = np.concatenate([[0.0], curve["std_error"]])[position]
    last = curve["times"][-1] if curve["times"].size else -np.inf
    beyond = times > last
    incidence = np.where(beyond, np.nan, incidence)
    std_error = np.where(beyond, np.nan, std_error)
    ci_low, ci_high = _log_log_interval(incidence, std_error)
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
    duration: ArrayLike, cause: ArrayLike, people: ArrayLike | None, of_interest: int
) -> dict[str, np.ndarray]:
    """The estimate and its standard error at every distinct follow-up time."""
    durations = np.asarray(duration, dtype=float)
    causes = np.asarray(cause, dtype=float)
    counts = np.ones(durations.size) if people is None else np.asarray(people, dtype=float)
    kept = ~(np.isnan(durations) | np.isnan(causes))
    durations, causes, counts = durations[kept], causes[kept], counts[kept]
    times, position = np.unique(durations, return_inverse=True)
    followed = np.bincount(position, weights=counts, minlength=times.size)
    at_risk = followed[::-1].cumsum()[::-1]
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
    return {"times": times, "incidence": incidence, "std_error": std_error, "at_risk": at_risk}


def _log_log_interval(value: np.ndarray, std_error: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% interval on log(−log F): inside [0, 1]; degenerate at F = 0 or 1."""
    interior = (value > 0) & (value < 1) & (std_error > 0)
    safe = np.where(interior, value, 0.5)
    spread = Z_95 * np.where(interior, std_error, 0.0) / (safe * np.abs(np.log(safe)))
    low = np.where(interior, safe ** np.exp(spread), value)
    high = np.where(interior, safe ** np.exp(-spread), value)
    return low, high


def aalen_johansen_curve(
    duration: ArrayLike, cause: ArrayLike, people: ArrayLike | None = None, of_interest: int = 1
) -> pd.DataFrame:
    """The step curve for plotting: time 0, every distinct follow-up time (columns
    `time_days`, `incidence`, `ci_low`, `ci_high`, `n_at_risk`)."""
    curve = _curve(duration, cause, people, of_interest)
    times = np.unique(np.concatenate([[0.0], curve["times"]])) if curve["times"].size else []
    return aalen_johansen(duration, cause, times, people, of_interest).rename(
        columns={"horizon_days": "time_days"}
    )
