"""Inverse-probability weighting for the average effect on the treated (ATT): the propensity
model, the weights, covariate balance, and the weighted hazard ratio and 12-month retention
difference.

ATT weights: 1 for every treated person, p/(1 − p) for a comparison person whose propensity
(probability of treatment given the covariates, from a logistic model) is p; the comparison
weights are truncated at their 1st and 99th percentiles, so that a few comparison people who
look exactly like participants cannot carry the estimate. Intervals are robust sandwiches
(clustered where a person appears in several trials) that treat the weights as known.

Inverse-probability-of-censoring weights (IPCW, `censoring_weights`): where a comparison
person's follow-up is cut short by something the design imposes (in sequential trials, being
paired later), and who is cut short depends on the covariates, the people left at risk drift
away from the pseudo-population the ATT weights built. Each comparison person's follow-up at
time t then also counts 1/P(not yet censored by t | covariates), from a pooled logistic model
of the censoring hazard per calendar period (a month): the weights change over follow-up, so
the weighted Cox model and Kaplan–Meier curves take counting-process rows (entry, exit],
one per period with a weight of its own (`split_follow_up`).
"""

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from stats.cox import fit_cox, merge_censored_rows
from stats.estimate import (
    Estimate,
    design_matrix,
    not_estimable,
    row_groups,
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
    counting `case_weight` times when given. Fitted on the distinct rows of `regressors`, each
    a binomial row with their counts: the same likelihood, over a few thousand rows."""
    pattern, first = row_groups(list(regressors.T))
    counts = np.ones(outcome.size) if case_weight is None else case_weight
    trials = np.bincount(pattern, counts, minlength=first.size)
    successes = np.bincount(pattern, counts * outcome, minlength=first.size)
    params, converged = _logistic_params(regressors[first], successes, trials)
    linear = np.clip(regressors @ params, -30, 30)
    return 1 / (1 + np.exp(-linear)), converged


def _logistic_params(
    regressors: np.ndarray, successes: np.ndarray, trials: np.ndarray
) -> tuple[np.ndarray, bool]:
    """The coefficients of a binomial logistic regression by Newton–Raphson (IRLS): each row
    is `trials` Bernoulli trials with `successes` among them (both may be weighted counts)."""
    params = np.zeros(regressors.shape[1])
    ridge = RIDGE * np.eye(regressors.shape[1])
    ridge[0, 0] = 0.0
    converged = False
    for _ in range(MAX_ITERATIONS):
        linear = np.clip(regressors @ params, -30, 30)
        fitted = 1 / (1 + np.exp(-linear))
        variance = trials * fitted * (1 - fitted)
        gradient = regressors.T @ (successes - trials * fitted) - ridge @ params
        information = (regressors * variance[:, None]).T @ regressors + ridge
        try:
            step = np.linalg.solve(information, gradient)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(information, gradient, rcond=None)[0]
        params = params + step
        if np.max(np.abs(step)) < TOLERANCE:
            converged = True
            break
    return params, converged


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
    frame: pd.DataFrame,
    duration: str,
    event: str,
    treatment: str,
    weight: np.ndarray,
    entry: str | None = None,
) -> tuple[np.ndarray, ...]:
    """Durations, events, treated, weights, entries (−inf without `entry`) of the rows with
    the outcome observed, the mask of those rows, and per row whether it is a person's first
    (or only) row: counting-process rows of one person all but the first have an entry."""
    keep = frame[[duration, event, treatment]].notna().all(axis=1).to_numpy()
    durations = pd.to_numeric(frame[duration]).to_numpy(dtype=float)[keep]
    events = pd.to_numeric(frame[event]).to_numpy(dtype=float)[keep]
    treated = pd.to_numeric(frame[treatment]).to_numpy(dtype=float)[keep] == 1
    entries = (
        np.full(durations.size, -np.inf)
        if entry is None
        else pd.to_numeric(frame[entry]).to_numpy(dtype=float)[keep]
    )
    first = ~np.isfinite(entries)
    return durations, events, treated, np.asarray(weight, dtype=float)[keep], entries, keep, first


def weighted_hazard_ratio(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    treatment: str,
    weight: np.ndarray,
    cluster: str | None = None,
    strata: str | None = None,
    entry: str | None = None,
) -> Estimate:
    """Hazard ratio of treatment from a Cox model with participation alone, weighted, with
    the robust sandwich variance (weighted score residuals, summed within clusters: R's
    coxph(weights =, robust = TRUE)). `weight` is one value per row of `frame`.

    With `entry` (counting-process rows from `split_follow_up`: a person's follow-up in
    pieces (entry, duration], each with its own weight), the weights may change over time;
    the group sizes count people (their first rows), not pieces.

    The fit and the score residuals (per unit weight) run on the rows with censored rows
    alike in stratum, treatment, duration and entry merged (`stats.cox.merge_censored_rows`)."""
    durations, events, treated, w, entries, keep, first = _complete(
        frame, duration, event, treatment, weight, entry
    )
    n_treated, n_control = int((treated & first).sum()), int((~treated & first).sum())
    if not (events[treated].any() and events[~treated].any()):
        return not_estimable(n_treated, n_control, METHOD, "no events in a group")
    groups = np.zeros(durations.size, dtype=int)
    if strata is not None:
        groups = pd.factorize(frame[strata].astype("str").to_numpy()[keep])[0]
    merged = merge_censored_rows(events, [groups, treated, durations, entries])
    at = merged.representative
    durations_at, events_at = durations[at], events[at]
    entries_at, groups_at = entries[at], groups[at]
    x, merged_weight = treated[at].astype(float), merged.summed(w)
    fit = fit_cox(
        durations_at,
        events_at,
        x[:, None],
        None if strata is None else groups_at,
        weights=merged_weight,
        entry=None if entry is None else entries_at,
    )
    if fit is None or not fit.converged:
        return not_estimable(
            n_treated, n_control, METHOD, "the weighted Cox model did not converge"
        )
    beta = float(fit.params[0])
    scores = np.zeros(at.size)
    for label in np.unique(groups_at):
        rows = groups_at == label
        scores[rows] = _score_residuals_per_weight(
            durations_at[rows],
            events_at[rows],
            x[rows],
            merged_weight[rows],
            beta,
            entries_at[rows],
        )
    clusters = np.arange(durations.size) if cluster is None else frame[cluster].to_numpy()[keep]
    summed = cluster_sums(w * scores[merged.expand], clusters)
    variance = float(fit.covariance[0, 0] ** 2 * (summed @ summed))
    return hazard_ratio_from_log(
        wald_estimate(beta, np.sqrt(variance), n_treated, n_control, METHOD)
    )


def _score_residuals_per_weight(
    duration: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    beta: float,
    entry: np.ndarray | None = None,
) -> np.ndarray:
    """dN_i (x_i − E(T_i)) − e^{βx_i} Σ_{E_i < t_j ≤ T_i} (x_i − E_j) dΛ_j (Breslow), with E and
    dΛ from the risk sets weighted by `weight` (rows at risk over (entry, duration]): a row's
    weighted score residual is this times its weight."""
    if not event.any():
        return np.zeros(duration.size)
    entry = np.full(duration.size, -np.inf) if entry is None else entry
    risk = np.exp(beta * x)
    order = np.argsort(duration, kind="stable")
    sorted_times = duration[order]
    tail_s0 = np.cumsum((weight * risk)[order][::-1])[::-1]
    tail_s1 = np.cumsum((weight * risk * x)[order][::-1])[::-1]
    times, position = np.unique(duration[event == 1], return_inverse=True)
    deaths = np.bincount(position, weight[event == 1], minlength=times.size)
    first = np.searchsorted(sorted_times, times, side="left")
    s0, s1 = tail_s0[first], tail_s1[first]
    if np.isfinite(entry).any():
        # Less the rows not yet at risk (entry at or after the time).
        by_entry = np.argsort(entry, kind="stable")
        late = np.searchsorted(entry[by_entry], times, side="left")
        late_s0 = np.r_[np.cumsum((weight * risk)[by_entry][::-1])[::-1], 0.0]
        late_s1 = np.r_[np.cumsum((weight * risk * x)[by_entry][::-1])[::-1], 0.0]
        s0, s1 = s0 - late_s0[late], s1 - late_s1[late]
    mean = s1 / s0
    jumps = deaths / s0
    cumulative = np.concatenate([[0.0], np.cumsum(jumps)])
    cumulative_mean = np.concatenate([[0.0], np.cumsum(mean * jumps)])
    upto = np.searchsorted(times, duration, side="right")
    since = np.searchsorted(times, entry, side="right")
    own = np.clip(np.searchsorted(times, duration), 0, times.size - 1)
    jump = event * (x - mean[own])
    compensator = risk * (
        x * (cumulative[upto] - cumulative[since])
        - (cumulative_mean[upto] - cumulative_mean[since])
    )
    return jump - compensator


def _weighted_risk_sets(
    duration: np.ndarray, event: np.ndarray, weight: np.ndarray, entry: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct durations, each row's place among them, and the weighted number at risk
    (entry < t ≤ duration) and of events at each."""
    times, position = np.unique(duration, return_inverse=True)
    at_risk = np.bincount(position, weight, minlength=times.size)[::-1].cumsum()[::-1]
    if entry is not None and np.isfinite(entry).any():
        # A row is not yet at risk at the times up to its entry: the first `entered` of them.
        entered = np.searchsorted(times, entry, side="right")
        late = np.bincount(entered, weight, minlength=times.size + 1)
        at_risk = at_risk - late[::-1].cumsum()[::-1][1:]
    deaths = np.bincount(position, weight * event, minlength=times.size)
    return times, position, at_risk, deaths


def weighted_km(
    duration: np.ndarray,
    event: np.ndarray,
    weight: np.ndarray,
    horizon: float,
    entry: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Weighted Kaplan–Meier S(horizon) and each row's influence on it:
    −S(h) w_i [dN_i 1{T_i ≤ h} / Y(T_i) − Σ_{E_i < t_j ≤ min(T_i, h)} d_j / Y_j²], Y and d
    weighted; with `entry` E (counting-process rows), a row is at risk over (E, T]."""
    times, position, at_risk, deaths = _weighted_risk_sets(duration, event, weight, entry)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(deaths > 0, deaths / at_risk, 0.0)
        increment = np.where(deaths > 0, deaths / at_risk**2, 0.0)
    survival = float(np.prod((1 - hazard)[times <= horizon]))
    jump = event * (duration <= horizon) / at_risk[position]
    cumulative = np.r_[0.0, np.cumsum(np.where(times <= horizon, increment, 0.0))]
    upto = np.searchsorted(times, np.minimum(duration, horizon), side="right")
    since = (
        np.zeros(duration.size, dtype=int)
        if entry is None
        else np.searchsorted(times, np.minimum(entry, horizon), side="right")
    )
    compensator = cumulative[upto] - cumulative[since]
    return survival, -survival * weight * (jump - compensator)


def weighted_km_curve(
    duration: np.ndarray,
    event: np.ndarray,
    weight: np.ndarray,
    entry: np.ndarray | None = None,
) -> pd.DataFrame:
    """The weighted Kaplan–Meier step curve (time 0 and every event time)."""
    times, _, at_risk, deaths = _weighted_risk_sets(duration, event, weight, entry)
    keep = deaths > 0
    survival = np.cumprod(1 - deaths[keep] / at_risk[keep])
    return pd.DataFrame({"time_days": np.r_[0.0, times[keep]], "survival": np.r_[1.0, survival]})


def weighted_retention_difference(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    treatment: str,
    weight: np.ndarray,
    cluster: str | None = None,
    horizon_days: float = TWELVE_MONTHS_DAYS,
    entry: str | None = None,
) -> Estimate:
    """Treated Kaplan–Meier survival at the horizon minus the weighted comparison group's, in
    percentage points, with an influence-function standard error summed within clusters.
    With `entry`, counting-process rows as in `weighted_hazard_ratio`."""
    durations, events, treated, w, entries, keep, first = _complete(
        frame, duration, event, treatment, weight, entry
    )
    n_treated, n_control = int((treated & first).sum()), int((~treated & first).sum())
    if n_treated < 2 or n_control < 2:
        return not_estimable(n_treated, n_control, METHOD, "fewer than 2 people")
    if horizon_days > durations[treated].max() or horizon_days > durations[~treated].max():
        return not_estimable(
            n_treated, n_control, METHOD, "a group's follow-up is shorter than the horizon"
        )
    influence = np.zeros(durations.size)
    survival_treated, influence[treated] = weighted_km(
        durations[treated], events[treated], w[treated], horizon_days, entries[treated]
    )
    survival_control, control_influence = weighted_km(
        durations[~treated], events[~treated], w[~treated], horizon_days, entries[~treated]
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


# --- Inverse probability of censoring weights --------------------------------------------------

# A comparison person's censoring factor is capped at this: a probability of staying
# uncensored below 1/10 counts as 1/10, so that no one stands for more than ten people like
# them who were paired. (The ATT weights it multiplies are truncated already; a percentile
# cut here would clip exactly the people most like the participants, and in the simulated
# organisations cost a third of the correction.) The factors are not stabilised: dividing
# them by the marginal probability of staying uncensored would scale each trial's comparison
# group by a factor of its own and change the mix of trials in the risk sets relative to the
# participants.
MAX_CENSORING_FACTOR = 10.0


@dataclass(frozen=True)
class CensoringWeights:
    """Per row and calendar period, 1 / P(still uncensored in the middle of that period |
    covariates): the factor by which a row's weight grows over its follow-up (1 for rows that
    cannot be censored, and for every row before its time zero)."""

    factor: np.ndarray  # rows × periods
    origin: np.ndarray  # per row: its time zero, a day number on the scale of `period_starts`
    period_starts: np.ndarray  # the periods' first days, ascending; the last period is open
    converged: bool

    def period_of(self, days: np.ndarray) -> np.ndarray:
        """The period holding each row's moment `days` after its time zero, periods taken as
        (start, next start]: follow-up that ends on a period's first day ends in the period
        before (day 0: the period of time zero)."""
        time_zero = np.searchsorted(self.period_starts, self.origin, side="right") - 1
        place = np.searchsorted(self.period_starts, self.origin + days, side="left") - 1
        return np.clip(np.maximum(place, time_zero), 0, self.period_starts.size - 1)

    def at(self, days: np.ndarray) -> np.ndarray:
        """Each row's factor `days` after its time zero (missing days: 1)."""
        days = np.asarray(days, dtype=float)
        known = np.isfinite(days)
        factor = np.ones(days.size)
        rows = np.flatnonzero(known)
        factor[rows] = self.factor[rows, self.period_of(days)[rows]]
        return factor


def no_censoring_weights(n: int) -> CensoringWeights:
    """Factors of 1 for `n` rows: nothing to correct for."""
    return CensoringWeights(np.ones((n, 1)), np.zeros(n), np.zeros(1), True)


def censoring_weights(
    duration: np.ndarray,
    censored: np.ndarray,
    at_risk: np.ndarray,
    covariates: np.ndarray,
    origin: np.ndarray,
    period_starts: np.ndarray,
    stratum: np.ndarray | None = None,
    cap: float = MAX_CENSORING_FACTOR,
    case_weight: np.ndarray | None = None,
) -> CensoringWeights:
    """The inverse probability of censoring weights of rows followed for `duration` days from
    their time zero `origin` (a day number), of whom those `at_risk` can be censored and the
    `censored` were, at the end of their follow-up.

    The censoring hazard is a pooled logistic model over person-periods (the calendar periods
    that start at `period_starts`, e.g. months): logit h = α(stratum, period, first period of
    the row) + γ·covariates, where `covariates` is a design matrix without its intercept. A
    cell (stratum, period, first or later) in which nobody was censored has hazard 0; that is
    how periods after the last possible censoring (the last pairing), or a row's own first
    period when the design rules out censoring in it, weigh nothing.

    A row's factor in period p is 1 / (K(p) · √(1 − h_p)), K(p) = Π_{q < p} (1 − h_q): the
    probability of being uncensored halfway through the period (a constant hazard within
    it), at most `cap`. With `case_weight` (sampling weights), each row counts that many
    times in the model."""
    duration = np.asarray(duration, dtype=float)
    n, n_periods = duration.size, np.asarray(period_starts).size
    origin = np.asarray(origin, dtype=float)
    period_starts = np.asarray(period_starts, dtype=float)
    candidates = np.flatnonzero(np.asarray(at_risk, dtype=bool) & np.isfinite(duration))
    censored = np.asarray(censored, dtype=bool) & np.isfinite(duration)
    if not censored[candidates].any() or n_periods == 0:
        return no_censoring_weights(n)
    weights = CensoringWeights(np.ones((n, n_periods)), origin, period_starts, True)
    first = weights.period_of(np.zeros(n))
    last = weights.period_of(np.nan_to_num(duration))
    strata = np.zeros(n, dtype=int) if stratum is None else pd.factorize(stratum)[0]
    n_strata = int(strata.max()) + 1

    # Person-periods of the rows that can be censored, and each one's cell.
    lived = last[candidates] - first[candidates] + 1
    row = np.repeat(candidates, lived)
    step = np.arange(row.size) - np.repeat(np.cumsum(lived) - lived, lived)
    period = first[row] + step
    cell = (strata[row] * n_periods + period) * 2 + (step == 0)
    event = censored[row] & (period == last[row])
    cells = np.unique(cell[event])
    fitted = np.isin(cell, cells)
    x = np.asarray(covariates, dtype=float).reshape(n, -1)
    # Person-periods alike in cell and covariates are one binomial row: many fewer rows.
    profile, first_of_profile = row_groups(list(x[candidates].T))
    profiles = x[candidates][first_of_profile]
    profile_of = np.zeros(n, dtype=np.int64)
    profile_of[candidates] = profile
    key = np.searchsorted(cells, cell[fitted]) * len(profiles) + profile_of[row[fitted]]
    keys, pattern = np.unique(key, return_inverse=True)
    counts = np.ones(n) if case_weight is None else np.asarray(case_weight, dtype=float)
    counted = counts[row[fitted]]
    trials = np.bincount(pattern, counted, minlength=keys.size)
    events = np.bincount(pattern, counted * event[fitted], minlength=keys.size)
    dummies = (keys[:, None] // len(profiles) == np.arange(cells.size)).astype(float)
    # The covariates' effects drift linearly over the periods in which people were censored
    # (centred on their mean): when those likeliest to be censored are censored early, the
    # ones left later are fewer but their odds the higher, and a constant effect would
    # understate it.
    cell_period = ((cells // 2) % n_periods).astype(float)
    centre, spread = cell_period.mean(), max(float(cell_period.std()), 1.0)
    profile_x = profiles[keys % len(profiles)]
    drift = ((cell_period - centre) / spread)[keys // len(profiles)]
    params, converged = _logistic_params(
        np.column_stack([dummies, profile_x, profile_x * drift[:, None]]), events, trials
    )

    # Every period's hazard for every row that can be censored (0 in cells without censoring).
    intercept = np.full(n_strata * n_periods * 2, -np.inf)
    intercept[cells] = params[: cells.size]
    periods = np.arange(n_periods)
    row_cells = (strata[candidates, None] * n_periods + periods) * 2 + (
        periods == first[candidates, None]
    )
    k = x.shape[1]
    constant = x[candidates] @ params[cells.size : cells.size + k]
    drifting = x[candidates] @ params[cells.size + k :]
    covariate_part = constant[:, None] + drifting[:, None] * ((periods - centre) / spread)
    linear = np.clip(intercept[row_cells] + covariate_part, -30, 30)
    hazard = np.where(np.isfinite(intercept[row_cells]), 1 / (1 + np.exp(-linear)), 0.0)
    hazard = np.where(periods >= first[candidates, None], hazard, 0.0)
    log_survival = np.log1p(-np.minimum(hazard, 1 - 1e-12))
    before = np.cumsum(log_survival, axis=1) - log_survival
    factor = np.exp(-(before + 0.5 * log_survival))
    factor = np.minimum(factor, cap)
    weights.factor[candidates] = factor
    return replace(weights, converged=converged)


def split_follow_up(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    censoring: CensoringWeights,
    entry: str = "_entry",
) -> tuple[pd.DataFrame, np.ndarray]:
    """Each row's follow-up (0, duration] cut where its censoring factor changes, as
    counting-process rows (entry, duration] with the event on the last piece only (the first
    piece's entry is −inf), and the factor of each piece. Rows are repeated in order, and the
    result's index is each piece's row position in `frame`; rows with a missing duration stay
    whole (factor 1)."""
    days = pd.to_numeric(frame[duration]).to_numpy(dtype=float)
    n = days.size
    known = np.isfinite(days)
    first = censoring.period_of(np.zeros(n))
    last = np.where(known, censoring.period_of(np.nan_to_num(days)), first)
    pieces = last - first + 1
    row = np.repeat(np.arange(n), pieces)
    step = np.arange(row.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    period = first[row] + step
    factor = np.where(known[row], censoring.factor[row, period], 1.0)
    # A piece starts where the factor changes (or the row does).
    starts = (step == 0) | (factor != np.r_[np.nan, factor[:-1]])
    row, period, factor, step = row[starts], period[starts], factor[starts], step[starts]
    begins = censoring.period_starts[period] - censoring.origin[row]
    entries = np.where(step == 0, -np.inf, begins)
    following = np.r_[row[1:] == row[:-1], False]
    ends = np.where(following, np.r_[entries[1:], np.nan], days[row])
    split = frame.iloc[row].set_axis(row, axis=0)
    split[duration] = ends
    is_last = ~following
    events = pd.to_numeric(frame[event]).to_numpy(dtype=float)[row]
    split[event] = np.where(is_last, events, np.where(np.isnan(events), np.nan, 0.0))
    split[entry] = entries
    return split, factor
