"""Inverse-probability weighting for the average effect on the treated (ATT): the propensity
model, the weights, covariate balance, and the weighted hazard ratio and 12-month retention
difference.

ATT weights: 1 for every treated person, p/(1 − p) for a comparison person whose propensity
(probability of treatment given the covariates, from a logistic model) is p; the comparison
weights are truncated at their 1st and 99th percentiles, so that a few comparison people who
look exactly like participants cannot carry the estimate. Intervals are robust sandwiches
(clustered where a person appears in several trials) that treat the weights as known.
"""

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stats.cox import fit_cox
from stats.estimate import (
    Estimate,
    design_matrix,
    not_estimable,
    wald_estimate,
)
from stats.survival import TWELVE_MONTHS_DAYS, cluster_sums, hazard_ratio_from_log

METHOD = "ipw"
TRUNCATION_PERCENTILES = (1.0, 99.0)
MAX_ITERATIONS = 50
TOLERANCE = 1e-8
# A propensity this close to 0 or 1 is treated as that far from it: the logit would run off
# where a category holds only participants (their comparison people do not exist anyway).
PROPENSITY_FLOOR = 1e-6
# A tiny ridge keeps Newton's steps finite under (quasi-)separation.
RIDGE = 1e-6
# A frame's column of sampling weights (rows drawn from a larger comparison group stand for
# several people): the propensity model is fitted with them and the ATT weights multiplied
# by them. Without the column every row counts once.
SAMPLING_WEIGHT = "sampling_weight"


@dataclass(frozen=True)
class Weighting:
    """The propensity of each row, its ATT weight, and the covariate columns the model used."""

    propensity: np.ndarray
    weight: np.ndarray
    covariates: pd.DataFrame  # expanded (one-hot) covariates, one row per person
    treated: np.ndarray  # bool
    converged: bool
    sampling_weight: np.ndarray | None = None  # per row, when the frame had them

    @property
    def effective_comparison_size(self) -> float:
        """Kish's effective size of the weighted comparison group: (Σw)² / Σw²."""
        w = self.weight[~self.treated]
        return float(w.sum() ** 2 / (w @ w)) if w.size else 0.0

    @property
    def share_outside_comparison_range(self) -> float:
        """Share of the treated whose propensity lies outside the comparison group's range."""
        control = self.propensity[~self.treated]
        treated = self.propensity[self.treated]
        if not control.size or not treated.size:
            return np.nan
        outside = (treated < control.min()) | (treated > control.max())
        return float(outside.mean())


def att_weighting(
    frame: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
    truncation: tuple[float, float] = TRUNCATION_PERCENTILES,
) -> Weighting:
    """Fit the logistic propensity model on the covariates (in the forms of `design_matrix`)
    and return the truncated ATT weights, on the frame's rows in order."""
    design = design_matrix(frame, treatment, covariates, categorical)
    treated = design.iloc[:, 0].to_numpy() == 1
    expanded = design.iloc[:, 1:]
    regressors = np.column_stack([np.ones(len(design)), expanded.to_numpy(dtype=float)])
    sampling = _sampling_weight(frame)
    propensity, converged = _logistic(regressors, treated.astype(float), sampling)
    propensity = np.clip(propensity, PROPENSITY_FLOOR, 1 - PROPENSITY_FLOOR)
    weight = np.ones(len(design))
    odds = propensity[~treated] / (1 - propensity[~treated])
    if odds.size:
        low, high = np.percentile(odds, truncation)
        weight[~treated] = np.clip(odds, low, high)
    if sampling is not None:
        weight = weight * sampling
    return Weighting(
        propensity, weight, expanded.reset_index(drop=True), treated, converged, sampling
    )


def _sampling_weight(frame: pd.DataFrame) -> np.ndarray | None:
    """The rows' sampling weights, in order; None without the column or when all are 1."""
    if SAMPLING_WEIGHT not in frame:
        return None
    weight = pd.to_numeric(frame[SAMPLING_WEIGHT]).to_numpy(dtype=float)
    return weight if (weight != 1).any() else None


def _logistic(
    regressors: np.ndarray, outcome: np.ndarray, case_weight: np.ndarray | None = None
) -> tuple[np.ndarray, bool]:
    """Fitted probabilities of a logistic regression by Newton–Raphson (IRLS), each row
    counting `case_weight` times when given."""
    case_weight = np.ones(outcome.size) if case_weight is None else case_weight
    params = np.zeros(regressors.shape[1])
    ridge = RIDGE * np.eye(regressors.shape[1])
    ridge[0, 0] = 0.0
    converged = False
    for _ in range(MAX_ITERATIONS):
        linear = np.clip(regressors @ params, -30, 30)
        fitted = 1 / (1 + np.exp(-linear))
        variance = case_weight * fitted * (1 - fitted)
        gradient = regressors.T @ (case_weight * (outcome - fitted)) - ridge @ params
        information = (regressors * variance[:, None]).T @ regressors + ridge
        try:
            step = np.linalg.solve(information, gradient)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(information, gradient, rcond=None)[0]
        params = params + step
        if np.max(np.abs(step)) < TOLERANCE:
            converged = True
            break
    linear = np.clip(regressors @ params, -30, 30)
    return 1 / (1 + np.exp(-linear)), converged


def standardised_differences(
    columns: pd.DataFrame,
    is_treated: np.ndarray,
    weight: np.ndarray,
    sampling_weight: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per column (a covariate, or one category of one as 0/1): the treated mean, the
    comparison group's mean before and after weighting, and the standardised mean differences
    before and after (difference over the pooled unweighted standard deviation
    √((s²_treated + s²_comparison) / 2), the same denominator both times so that the two
    are comparable). With `sampling_weight`, "before weighting" means before the ATT weights:
    the comparison group's mean and variance count each row's sampling weight."""
    values = columns.to_numpy(dtype=float)
    is_treated = np.asarray(is_treated, dtype=bool)
    treated, control = values[is_treated], values[~is_treated]
    w = np.asarray(weight, dtype=float)[~is_treated]
    treated_mean = treated.mean(axis=0)
    control_mean = control.mean(axis=0)
    control_var = None
    if sampling_weight is not None:
        s = np.asarray(sampling_weight, dtype=float)[~is_treated]
        control_mean = (s @ control) / s.sum()
        if control.shape[0] > 1:
            spread_sq = s @ (control - control_mean) ** 2 / s.sum()
            control_var = spread_sq * control.shape[0] / (control.shape[0] - 1)
    weighted_mean = (w @ control) / w.sum()
    with warnings.catch_warnings():
        # A group of one person has no variance: its differences are NaN, not a warning.
        warnings.simplefilter("ignore", RuntimeWarning)
        if control_var is None:
            control_var = control.var(axis=0, ddof=1)
        spread = np.sqrt((treated.var(axis=0, ddof=1) + control_var) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        # A constant column differs by nothing; one without a variance (a group of one) is NaN.
        undefined = np.where(np.isnan(spread), np.nan, 0.0)
        before = np.where(spread > 0, (treated_mean - control_mean) / spread, undefined)
        after = np.where(spread > 0, (treated_mean - weighted_mean) / spread, undefined)
    return pd.DataFrame(
        {
            "covariate": list(columns.columns),
            "treated_mean": treated_mean,
            "comparison_mean": control_mean,
            "comparison_mean_weighted": weighted_mean,
            "smd_before": before,
            "smd_after": after,
        }
    )


# --- Weighted survival -----------------------------------------------------------------------


def _complete(
    frame: pd.DataFrame, duration: str, event: str, treatment: str, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    keep = frame[[duration, event, treatment]].notna().all(axis=1).to_numpy()
    durations = pd.to_numeric(frame[duration]).to_numpy(dtype=float)[keep]
    events = pd.to_numeric(frame[event]).to_numpy(dtype=float)[keep]
    treated = pd.to_numeric(frame[treatment]).to_numpy(dtype=float)[keep] == 1
    return durations, events, treated, np.asarray(weight, dtype=float)[keep], keep


def weighted_hazard_ratio(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    treatment: str,
    weight: np.ndarray,
    cluster: str | None = None,
    strata: str | None = None,
) -> Estimate:
    """Hazard ratio of treatment from a Cox model with participation alone, weighted, with
    the robust sandwich variance (weighted score residuals, summed within clusters: R's
    coxph(weights =, robust = TRUE)). `weight` is one value per row of `frame`."""
    durations, events, treated, w, keep = _complete(frame, duration, event, treatment, weight)
    n_treated, n_control = int(treated.sum()), int((~treated).sum())
    if not (events[treated].any() and events[~treated].any()):
        return not_estimable(n_treated, n_control, METHOD, "no events in a group")
    design = treated.astype(float)[:, None]
    labels = None if strata is None else frame[strata].astype("str").to_numpy()[keep]
    fit = fit_cox(durations, events, design, labels, weights=w)
    if fit is None or not fit.converged:
        return not_estimable(
            n_treated, n_control, METHOD, "the weighted Cox model did not converge"
        )
    beta = float(fit.params[0])
    scores = np.zeros(durations.size)
    groups = np.zeros(durations.size, dtype=int) if labels is None else pd.factorize(labels)[0]
    for label in np.unique(groups):
        rows = groups == label
        scores[rows] = _weighted_score_residuals(
            durations[rows], events[rows], design[rows, 0], w[rows], beta
        )
    clusters = np.arange(durations.size) if cluster is None else frame[cluster].to_numpy()[keep]
    summed = cluster_sums(scores, clusters)
    variance = float(fit.covariance[0, 0] ** 2 * (summed @ summed))
    return hazard_ratio_from_log(
        wald_estimate(beta, np.sqrt(variance), n_treated, n_control, METHOD)
    )


def _weighted_score_residuals(
    duration: np.ndarray, event: np.ndarray, x: np.ndarray, weight: np.ndarray, beta: float
) -> np.ndarray:
    """w_i [dN_i (x_i − E(T_i)) − e^{βx_i} Σ_{t_j ≤ T_i} (x_i − E_j) dΛ_j] (Breslow), with
    E and dΛ from the weighted risk sets."""
    if not event.any():
        return np.zeros(duration.size)
    risk = np.exp(beta * x)
    order = np.argsort(duration, kind="stable")
    sorted_times = duration[order]
    tail_s0 = np.cumsum((weight * risk)[order][::-1])[::-1]
    tail_s1 = np.cumsum((weight * risk * x)[order][::-1])[::-1]
    times, position = np.unique(duration[event == 1], return_inverse=True)
    deaths = np.bincount(position, weight[event == 1], minlength=times.size)
    first = np.searchsorted(sorted_times, times, side="left")
    s0, mean = tail_s0[first], tail_s1[first] / tail_s0[first]
    jumps = deaths / s0
    cumulative = np.concatenate([[0.0], np.cumsum(jumps)])
    cumulative_mean = np.concatenate([[0.0], np.cumsum(mean * jumps)])
    upto = np.searchsorted(times, duration, side="right")
    own = np.clip(np.searchsorted(times, duration), 0, times.size - 1)
    jump = event * (x - mean[own])
    compensator = risk * (x * cumulative[upto] - cumulative_mean[upto])
    return weight * (jump - compensator)


def weighted_km(
    duration: np.ndarray, event: np.ndarray, weight: np.ndarray, horizon: float
) -> tuple[float, np.ndarray]:
    """Weighted Kaplan–Meier S(horizon) and each row's influence on it:
    −S(h) w_i [dN_i 1{T_i ≤ h} / Y(T_i) − Σ_{t_j ≤ min(T_i, h)} d_j / Y_j²], Y and d weighted."""
    times, position = np.unique(duration, return_inverse=True)
    at_risk = np.bincount(position, weight, minlength=times.size)[::-1].cumsum()[::-1]
    deaths = np.bincount(position, weight * event, minlength=times.size)
    survival = float(np.prod((1 - deaths / at_risk)[times <= horizon]))
    jump = event * (duration <= horizon) / at_risk[position]
    compensator = np.cumsum(np.where(times <= horizon, deaths / at_risk**2, 0.0))[
        np.searchsorted(times, np.minimum(duration, horizon), side="right") - 1
    ]
    return survival, -survival * weight * (jump - compensator)


def weighted_km_curve(duration: np.ndarray, event: np.ndarray, weight: np.ndarray) -> pd.DataFrame:
    """The weighted Kaplan–Meier step curve (time 0 and every event time)."""
    times, position = np.unique(duration, return_inverse=True)
    at_risk = np.bincount(position, weight, minlength=times.size)[::-1].cumsum()[::-1]
    deaths = np.bincount(position, weight * event, minlength=times.size)
    survival = np.cumprod(1 - deaths / at_risk)
    keep = deaths > 0
    return pd.DataFrame(
        {"time_days": np.r_[0.0, times[keep]], "survival": np.r_[1.0, survival[keep]]}
    )


def weighted_retention_difference(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    treatment: str,
    weight: np.ndarray,
    cluster: str | None = None,
    horizon_days: float = TWELVE_MONTHS_DAYS,
) -> Estimate:
    """Treated Kaplan–Meier survival at the horizon minus the weighted comparison group's, in
    percentage points, with an influence-function standard error summed within clusters."""
    durations, events, treated, w, keep = _complete(frame, duration, event, treatment, weight)
    n_treated, n_control = int(treated.sum()), int((~treated).sum())
    if n_treated < 2 or n_control < 2:
        return not_estimable(n_treated, n_control, METHOD, "fewer than 2 people")
    if horizon_days > durations[treated].max() or horizon_days > durations[~treated].max():
        return not_estimable(
            n_treated, n_control, METHOD, "a group's follow-up is shorter than the horizon"
        )
    influence = np.zeros(durations.size)
    survival_treated, influence[treated] = weighted_km(
        durations[treated], events[treated], w[treated], horizon_days
    )
    survival_control, control_influence = weighted_km(
        durations[~treated], events[~treated], w[~treated], horizon_days
    )
    influence[~treated] = -control_influence
    clusters = np.arange(durations.size) if cluster is None else frame[cluster].to_numpy()[keep]
    std_error = float(np.sqrt(np.sum(cluster_sums(influence, clusters) ** 2)))
    if std_error == 0:
        return not_estimable(
            n_treated, n_control, METHOD, "no events before the horizon in either group"
        )
    difference = wald_estimate(
        survival_treated - survival_control, std_error, n_treated, n_control, METHOD
    )
    return Estimate(
        100 * difference.estimate,
        100 * difference.ci_low,
        100 * difference.ci_high,
        difference.p_value,
        n_treated,
        n_control,
        METHOD,
        difference.note,
    )
