"""Kaplan–Meier, Cox proportional hazards and the 12-month retention difference.

Frames hold one row per person: `duration` in days from the index date, `event` 0/1.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import chi2, rankdata

from stats.cox import (
    CoxFit,
    MergedRows,
    fit_cox,
    merge_censored_rows,
    tail_sums,
    unmerged_rows,
)
from stats.estimate import (
    Z_95,
    Estimate,
    design_matrix,
    group_sizes,
    method_name,
    not_estimable,
    row_groups,
    treatment_is_identified,
    wald_estimate,
    zero_one_values,
)

TWELVE_MONTHS_DAYS = 365.25
PH_CHECK_ALPHA = 0.05
# A hazard ratio whose 95% interval spans more than this factor (e^9.2 ≈ 10,000) says nothing:
# it is how separation shows when the fit stops before running off.
MAX_LOG_INTERVAL_WIDTH = np.log(1e4)


def cluster_sums(values: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """`values` (rows, or rows × columns) summed within each cluster label."""
    codes, uniques = pd.factorize(clusters)
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        return np.bincount(codes, values, minlength=len(uniques))
    return np.column_stack(
        [np.bincount(codes, values[:, j], minlength=len(uniques)) for j in range(values.shape[1])]
    )


def _has_repeats(clusters: np.ndarray | None) -> bool:
    return clusters is not None and len(pd.unique(clusters)) < len(clusters)


def _robust_treatment_variance(data: "_SurvivalData", fit: CoxFit) -> float:
    """The treatment's entry of the sandwich I⁻¹ (Σ_c U_c U_cᵀ) I⁻¹, with U_c the score
    residuals of cluster c (Breslow form), each row's residual taken within its stratum and
    times its case weight (each row its own cluster when none is given). That entry is
    Σ_c (U_c · v)² with v the first column of I⁻¹, so only the residuals' projections on v
    are expanded to the rows and summed within clusters."""
    rows = data.rows
    projected = np.zeros(rows.duration.size)  # none in a stratum without events
    for stratum, relative_risk, risk_sets in rows.breslow:
        duration, event, design = rows.duration[stratum], rows.event[stratum], rows.design[stratum]
        projected[stratum] = _projected_score_residuals(
            duration, event, relative_risk, design, risk_sets, fit.covariance[:, 0]
        )
    summed = data.clustered(projected)
    return float(summed @ summed)


# --- Kaplan–Meier --------------------------------------------------------------------------


@dataclass(frozen=True)
class _KaplanMeier:
    event_times: np.ndarray
    survival: np.ndarray
    std_error: np.ndarray  # Greenwood
    times: np.ndarray  # every distinct follow-up time, ascending
    at_risk: np.ndarray  # people followed at least that long


def km_at(
    duration: ArrayLike,
    event: ArrayLike,
    horizons_days: Sequence[float],
    people: ArrayLike | None = None,
    weights: ArrayLike | None = None,
) -> pd.DataFrame:
    """Survival at each horizon with a 95% log-log (Kalbfleisch–Prentice) Greenwood interval.

    `n_at_risk` counts people whose duration is at least the horizon. Beyond the longest
    follow-up the survival is not estimable (nan). `people` counts the people each row stands
    for (one each when not given), so that the curve can come from an aggregate.

    `weights` (per row: the sampling weight of each of its people) weight the risk sets and
    events; where any differs from 1 the variance is the infinitesimal-jackknife one, the sum
    of each person's squared weighted influence (as R's survfit with non-integer weights; it
    is Greenwood's when every weight is 1), since Greenwood's on the weighted counts would
    treat them as people observed. `n_at_risk` still counts people.
    """
    km = _kaplan_meier(duration, event, people, weights)
    frame = _km_frame(km, np.asarray(horizons_days, dtype=float))
    return frame.rename(columns={"time": "horizon_days"})


def km_curve(
    duration: ArrayLike,
    event: ArrayLike,
    people: ArrayLike | None = None,
    weights: ArrayLike | None = None,
) -> pd.DataFrame:
    """The step curve for plotting: time 0, every event time, and the end of follow-up
    (`people` and `weights` as in `km_at`)."""
    km = _kaplan_meier(duration, event, people, weights)
    if not km.times.size:
        times = np.empty(0)
    else:
        times = np.unique(np.concatenate([[0.0], km.event_times, km.times[-1:]]))
    return _km_frame(km, times).rename(columns={"time": "time_days"})


def cumulative_incidence(km: pd.DataFrame) -> pd.DataFrame:
    """1 − KM (e.g. share promoted by t) from a `km_at` or `km_curve` frame."""
    incidence = km.drop(columns=["survival", "ci_low", "ci_high"])
    position = km.columns.get_loc("survival")
    incidence.insert(position, "incidence", 1.0 - km["survival"])
    incidence.insert(position + 1, "ci_low", 1.0 - km["ci_high"])
    incidence.insert(position + 2, "ci_high", 1.0 - km["ci_low"])
    return incidence


def _kaplan_meier(
    duration: ArrayLike,
    event: ArrayLike,
    people: ArrayLike | None = None,
    weights: ArrayLike | None = None,
) -> _KaplanMeier:
    """The product-limit estimate with Greenwood's variance, from risk sets counted per
    distinct time (statsmodels' SurvfuncRight takes frequency weights, but its standard error
    with them is not Greenwood's on the expanded data). With `weights` other than 1, the
    risk sets are weighted and the variance is the infinitesimal-jackknife one."""
    durations = np.asarray(duration, dtype=float)
    events = np.asarray(event, dtype=float)
    counts = np.ones(durations.size) if people is None else np.asarray(people, dtype=float)
    weight = np.ones(durations.size) if weights is None else np.asarray(weights, dtype=float)
    observed = ~(np.isnan(durations) | np.isnan(events))
    durations, events = durations[observed], events[observed]
    counts, weight = counts[observed], weight[observed]
    times, position = np.unique(durations, return_inverse=True)
    people_followed = np.bincount(position, weights=counts, minlength=times.size)
    followed = np.bincount(position, weights=counts * weight, minlength=times.size)
    at_risk = followed[::-1].cumsum()[::-1]
    ended = np.bincount(position, weights=counts * weight * events, minlength=times.size)
    with_event = ended > 0
    deaths, risk = ended[with_event], at_risk[with_event]
    survival = np.cumprod(1.0 - deaths / risk)
    if (weight != 1).any():
        std_error = survival * _km_jackknife_spread(
            position, events, counts, weight, at_risk, ended, with_event
        )
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            # Where everyone at risk has the event the survival is 0 and the variance undefined.
            std_error = survival * np.sqrt(np.cumsum(deaths / (risk * (risk - deaths))))
    people_at_risk = people_followed[::-1].cumsum()[::-1]
    return _KaplanMeier(times[with_event], survival, std_error, times, people_at_risk)


def _km_jackknife_spread(
    position: np.ndarray,
    events: np.ndarray,
    counts: np.ndarray,
    weight: np.ndarray,
    at_risk: np.ndarray,
    ended: np.ndarray,
    with_event: np.ndarray,
) -> np.ndarray:
    """√(Σ_i n_i w_i² a_i(t)²) at each event time t, where −S(t) w_i a_i(t) is w_i ∂S(t)/∂w_i:
    a_i(t) = Σ_{t_j ≤ min(T_i, t)} (dN_ij − d_j / Y_j) / (Y_j − d_j), Y and d weighted. With
    every weight 1 this is Greenwood's variance exactly. For T_i ≤ t, a_i(t) = a_i(T_i); for
    T_i > t it is −C(t): the sum splits into a running total and a tail."""
    with np.errstate(divide="ignore", invalid="ignore"):
        survivors = at_risk - ended
        compensator = np.cumsum(np.where(ended > 0, ended / (at_risk * survivors), 0.0))
        own = events / survivors[position] - compensator[position]
    squared = counts * weight**2
    ended_by = np.bincount(position, weights=squared * own**2, minlength=at_risk.size).cumsum()
    still_followed = np.bincount(position, weights=squared, minlength=at_risk.size)
    later = still_followed[::-1].cumsum()[::-1] - still_followed  # T_i > t
    variance = ended_by + compensator**2 * later
    return np.sqrt(variance)[with_event]


def _survival_at(km: _KaplanMeier, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(survival, Greenwood standard error) of the right-continuous KM step function."""
    position = np.searchsorted(km.event_times, times, side="right")
    survival = np.concatenate([[1.0], km.survival])[position]
    std_error = np.concatenate([[0.0], km.std_error])[position]
    last_follow_up = km.times[-1] if km.times.size else -np.inf
    beyond = times > last_follow_up
    return np.where(beyond, np.nan, survival), np.where(beyond, np.nan, std_error)


def _km_frame(km: _KaplanMeier, times: np.ndarray) -> pd.DataFrame:
    survival, std_error = _survival_at(km, times)
    ci_low, ci_high = log_log_interval(survival, std_error)
    n_at_risk = np.concatenate([km.at_risk, [0.0]])[np.searchsorted(km.times, times, "left")]
    return pd.DataFrame(
        {
            "time": times,
            "survival": survival,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "n_at_risk": n_at_risk.astype("int64"),
        }
    )


def log_log_interval(survival: np.ndarray, std_error: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% interval on log(−log S) of a survival or cumulative incidence: it stays inside
    [0, 1]; degenerate at 0 or 1."""
    interior = (survival > 0) & (survival < 1) & (std_error > 0)
    safe = np.where(interior, survival, 0.5)
    spread = Z_95 * np.where(interior, std_error, 0.0) / (safe * np.abs(np.log(safe)))
    low = np.where(interior, safe ** np.exp(spread), survival)
    high = np.where(interior, safe ** np.exp(-spread), survival)
    return low, high


# --- Cox proportional hazards --------------------------------------------------------------


@dataclass(frozen=True)
class _ModelRows:
    """The rows a Cox model runs on: the data's, with the censored rows that no model input
    tells apart merged (`stats.cox.merge_censored_rows`), each weighing its rows' sum.
    Residuals computed here are per unit weight."""

    duration: np.ndarray
    event: np.ndarray
    design: np.ndarray  # treatment first
    strata: np.ndarray | None  # one code (0, 1, …) per row: a baseline hazard per stratum
    weight: np.ndarray

    @cached_property
    def fit(self) -> CoxFit | None:
        return fit_cox(self.duration, self.event, self.design, self.strata, self.weight)

    @property
    def treated(self) -> np.ndarray:
        return self.design[:, 0] == 1

    @cached_property
    def breslow(self) -> list[tuple[np.ndarray, np.ndarray, "_RiskSets"]]:
        """Per stratum with events: its rows, their relative risks and its risk sets at the
        fitted β (the robust variance and the proportional-hazards check share them)."""
        params = self.fit.params
        shift = _risk_shift(self.design, params)
        strata = []
        for stratum in self._stratum_rows():
            duration, event, design = (
                self.duration[stratum],
                self.event[stratum],
                self.design[stratum],
            )
            if not event.any():
                continue  # no event in the stratum: no jumps, no compensator
            relative_risk = _relative_risk(design, params, shift)
            risk_sets = _risk_sets(duration, event, relative_risk, design, self.weight[stratum])
            strata.append((stratum, relative_risk, risk_sets))
        return strata

    def _stratum_rows(self) -> list[np.ndarray]:
        """Positions of each stratum's rows (all rows when not stratified)."""
        if self.strata is None:
            return [np.arange(self.duration.size)]
        return [np.flatnonzero(self.strata == code) for code in range(self.strata.max() + 1)]


@dataclass(frozen=True)
class _SurvivalData:
    duration: np.ndarray
    event: np.ndarray
    design: pd.DataFrame  # treatment first
    n_treated: int
    n_control: int
    clusters: np.ndarray | None = None  # one label per row: variances summed within each
    strata: np.ndarray | None = None  # one code (0, 1, …) per row: a baseline hazard per stratum
    weights: np.ndarray | None = None  # case (sampling) weights per row; None: all 1
    merge_censored: bool = True  # False: every row its own model row (to test the merging)

    @property
    def case_weight(self) -> np.ndarray:
        return np.ones(self.duration.size) if self.weights is None else self.weights

    @property
    def treated(self) -> np.ndarray:
        return self.design.iloc[:, 0].to_numpy() == 1

    @cached_property
    def design_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row the code of its design row, per code its first row (few-valued covariates
        make a few thousand distinct design rows)."""
        return row_groups([self.design[column].to_numpy() for column in self.design.columns])

    @cached_property
    def merged(self) -> MergedRows:
        """The model rows: censored rows alike in design row, duration and stratum merged."""
        if not self.merge_censored:
            return unmerged_rows(self.duration.size)
        inputs = [self.design_rows[0], self.duration]
        if self.strata is not None:
            inputs.append(self.strata)
        return merge_censored_rows(self.event, inputs)

    @cached_property
    def rows(self) -> _ModelRows:
        """The hazard ratio's and the adjusted retention difference's model rows."""
        return self._model_rows(self.merged.summed(self.weights))

    @cached_property
    def unweighted_rows(self) -> _ModelRows:
        """The proportional-hazards check's model rows: every row counts once (`rows`
        when there are no case weights, so that the two share their fit)."""
        return self.rows if self.weights is None else self._model_rows(self.merged.summed())

    @cached_property
    def treatment_identified(self) -> bool:
        """Checked on the distinct design rows, each counted as often as it occurs."""
        codes, first = self.design_rows
        return treatment_is_identified(self._design_at(first), np.bincount(codes).astype(float))

    @cached_property
    def _merged_design(self) -> np.ndarray:
        return self._design_at(self.merged.representative)

    def _design_at(self, positions: np.ndarray) -> np.ndarray:
        # Column by column: the frame's whole matrix would be copied first.
        return np.column_stack(
            [self.design[column].to_numpy()[positions] for column in self.design]
        )

    def _model_rows(self, weight: np.ndarray) -> _ModelRows:
        first = self.merged.representative
        return _ModelRows(
            self.duration[first],
            self.event[first],
            self._merged_design,
            None if self.strata is None else self.strata[first],
            weight,
        )

    def clustered(self, per_unit_weight: np.ndarray) -> np.ndarray:
        """Model rows' values per unit weight as each row's (times its case weight), summed
        within clusters (each row its own when there are none)."""
        per_row = per_unit_weight[self.merged.expand]
        if self.weights is not None:
            per_row = per_row * (self.weights if per_row.ndim == 1 else self.weights[:, None])
        return per_row if self.clusters is None else cluster_sums(per_row, self.clusters)


def cox_hazard_ratio(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    treatment: str,
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
    cluster: str | None = None,
    strata: str | None = None,
    weights: str | None = None,
) -> Estimate:
    """Hazard ratio of treatment 1 against 0 (Efron ties); `adjusted` when covariates are given.

    With `strata` (a column), each of its values has a baseline hazard of its own.

    With `cluster` (a column), the standard error is the robust sandwich with score residuals
    summed within each cluster (Lin & Wei 1989), as R's coxph(cluster =) gives: one person may
    appear in several monthly trials.

    With `weights` (a column of case weights, e.g. sampling weights), the partial likelihood
    is weighted and the standard error is always the robust sandwich of the weighted score
    residuals (R's coxph(weights =, robust = TRUE)); weights that are all 1 change nothing."""
    data = _survival_data(
        frame, duration, event, treatment, covariates, categorical, cluster, strata, weights
    )
    return _hazard_ratio(data, method_name(covariates, categorical))


def cox_hazard_ratio_and_ph_check(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    treatment: str,
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
    cluster: str | None = None,
    strata: str | None = None,
    weights: str | None = None,
) -> tuple[Estimate, float, bool | None]:
    """`cox_hazard_ratio` and, where it is estimable, its `proportional_hazards_check`
    ((nan, None) where not), from one model frame and, without weights, one fit."""
    data = _survival_data(
        frame, duration, event, treatment, covariates, categorical, cluster, strata, weights
    )
    hazard_ratio = _hazard_ratio(data, method_name(covariates, categorical))
    if not np.isfinite(hazard_ratio.estimate):
        return hazard_ratio, np.nan, None
    return hazard_ratio, *_ph_check(data)


def _hazard_ratio(data: _SurvivalData, method: str) -> Estimate:
    fit, note = _fit_if_estimable(data, data.rows)
    if fit is None:
        return not_estimable(data.n_treated, data.n_control, method, note)
    std_error = fit.treatment_std_error
    if data.clusters is not None or data.weights is not None:
        std_error = float(np.sqrt(max(_robust_treatment_variance(data, fit), 0.0)))
    log_hr = wald_estimate(fit.params[0], std_error, data.n_treated, data.n_control, method, note)
    return hazard_ratio_from_log(log_hr)


def hazard_ratio_from_log(log_hr: Estimate) -> Estimate:
    """A log hazard ratio's estimate as a hazard ratio; not estimable when its interval spans
    more than MAX_LOG_INTERVAL_WIDTH (near separation)."""
    if not np.isfinite(log_hr.estimate):
        return log_hr
    if log_hr.ci_high - log_hr.ci_low > MAX_LOG_INTERVAL_WIDTH:
        return not_estimable(
            log_hr.n_treated,
            log_hr.n_control,
            log_hr.method,
            "the hazard ratio's interval is too wide to mean anything (near separation)",
        )
    return Estimate(
        float(np.exp(log_hr.estimate)),
        float(np.exp(log_hr.ci_low)),
        float(np.exp(log_hr.ci_high)),
        log_hr.p_value,
        log_hr.n_treated,
        log_hr.n_control,
        log_hr.method,
        log_hr.note,
    )


def proportional_hazards_check(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    treatment: str,
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
    strata: str | None = None,
) -> tuple[float, bool]:
    """(p-value, holds) of the Grambsch–Therneau test for the treatment term.

    The approximate form (as in R's cox.zph before survival 3.0 and lifelines): correlation of
    the treatment's scaled Schoenfeld residuals with the rank of the event time, chi-square on
    1 df. `holds` is False when p < 0.05; an untestable model gives (nan, True).
    """
    data = _survival_data(frame, duration, event, treatment, covariates, categorical, strata=strata)
    return _ph_check(data)


def _ph_check(data: _SurvivalData) -> tuple[float, bool]:
    """`proportional_hazards_check` of the data's model, unweighted."""
    rows = data.unweighted_rows
    fit, _ = _fit_if_estimable(data, rows)
    if fit is None:
        return np.nan, True
    residuals, times = [], []
    for stratum, _, risk_sets in rows.breslow:
        is_event = rows.event[stratum] == 1
        duration, design = rows.duration[stratum][is_event], rows.design[stratum][is_event]
        own_time = np.searchsorted(risk_sets.times, duration)
        residuals.append(design - risk_sets.covariate_means[own_time])
        times.append(duration)
    schoenfeld = np.concatenate(residuals)
    n_events = len(schoenfeld)
    # Only the treatment's column of the scaled residuals (D · r V) is needed.
    scaled = n_events * (schoenfeld @ fit.covariance[:, 0])
    time_rank = rankdata(np.concatenate(times))
    centred_rank = time_rank - time_rank.mean()
    if not centred_rank.any():
        return np.nan, True  # a single event time: no change over time to detect
    statistic = (centred_rank @ scaled) ** 2 / (
        n_events * fit.covariance[0, 0] * (centred_rank @ centred_rank)
    )
    p_value = float(chi2.sf(statistic, df=1))
    return p_value, bool(p_value >= PH_CHECK_ALPHA)


def _survival_data(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    treatment: str,
    covariates: Sequence[str],
    categorical: Sequence[str],
    cluster: str | None = None,
    strata: str | None = None,
    weights: str | None = None,
    merge_censored: bool = True,
) -> _SurvivalData:
    complete = frame.loc[frame[[duration, event, treatment]].notna().all(axis=1)]
    durations = pd.to_numeric(complete[duration]).to_numpy(dtype=float)
    if (durations < 0).any():
        raise ValueError(f"column {duration!r} has negative durations")
    events = zero_one_values(complete[event])
    treated = zero_one_values(complete[treatment])
    design = design_matrix(complete, treatment, covariates, categorical)
    clusters = None if cluster is None else complete[cluster].to_numpy()
    labels = None if strata is None else pd.factorize(complete[strata].astype("str"))[0]
    case_weight = None
    if weights is not None:
        case_weight = pd.to_numeric(complete[weights]).to_numpy(dtype=float)
        if not (np.isfinite(case_weight).all() and (case_weight > 0).all()):
            raise ValueError(f"column {weights!r} has weights that are not positive numbers")
        if (case_weight == 1).all():
            case_weight = None  # an unsampled cohort: exactly the unweighted fit
    return _SurvivalData(
        durations,
        events,
        design,
        *group_sizes(treated),
        clusters,
        labels,
        case_weight,
        merge_censored,
    )


def _fit_if_estimable(data: _SurvivalData, rows: _ModelRows) -> tuple[CoxFit | None, str | None]:
    if data.n_treated < 2 or data.n_control < 2:
        return None, "fewer than 2 people in a group"
    if not data.event[data.treated].any():
        return None, "no events among the treated"
    if not data.event[~data.treated].any():
        return None, "no events in the comparison group"
    if not data.treatment_identified:
        return None, "the treatment is fully determined by the covariates"
    fit = rows.fit
    if fit is None or not np.isfinite(fit.treatment_std_error):
        return None, "the Cox model could not be fitted"
    if not fit.converged:
        return None, "the Cox model did not converge (a coefficient runs off: separation)"
    return fit, None


# --- Risk sets (Breslow) and influence functions --------------------------------------------


@dataclass(frozen=True)
class _RiskSets:
    """Quantities at each distinct event time u_j, with relative risks w = exp(xβ − shift)."""

    times: np.ndarray  # u_j
    weight_sums: np.ndarray  # S0_j = Σ_{t_i ≥ u_j} w_i
    covariate_means: np.ndarray  # E_j = Σ w_i x_i / S0_j (rows: event times)
    hazard_jumps: np.ndarray  # Breslow dΛ0_j = d_j / S0_j

    def cumulative(self, values: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Σ_{u_j ≤ at} values_j (values indexed by event time; may have extra dimensions)."""
        totals = np.cumsum(values, axis=0)
        padded = np.concatenate([np.zeros((1, *totals.shape[1:])), totals])
        return padded[np.searchsorted(self.times, at, side="right")]


def _risk_shift(design: np.ndarray, params: np.ndarray) -> float:
    # Subtracted from every linear predictor so exp() stays finite; Λ0 is built from the same
    # shifted risks, so predictions do not depend on it.
    return float((design @ params).max())


def _relative_risk(design: np.ndarray, params: np.ndarray, shift: float) -> np.ndarray:
    return np.exp(design @ params - shift)


def _risk_sets(
    duration: np.ndarray,
    event: np.ndarray,
    relative_risk: np.ndarray,
    design: np.ndarray,
    case_weight: np.ndarray | None = None,
) -> _RiskSets:
    """The risk sets' sums; with `case_weight`, each row counts that many times in them and
    in the events (the score residuals are then per unit weight: multiply by it)."""
    order = np.argsort(duration, kind="stable")
    risk = relative_risk if case_weight is None else relative_risk * case_weight
    is_event = event == 1
    times, position = np.unique(duration[is_event], return_inverse=True)
    event_weight = np.ones(position.size) if case_weight is None else case_weight[is_event]
    deaths = np.bincount(position, event_weight, minlength=times.size)
    first_at_risk = np.searchsorted(duration[order], times, side="left")
    weight_sums = tail_sums(risk[order], first_at_risk)
    weighted = risk[order, None] * design[order]
    covariate_means = tail_sums(weighted, first_at_risk) / weight_sums[:, None]
    return _RiskSets(times, weight_sums, covariate_means, deaths / weight_sums)


def _projected_score_residuals(
    duration: np.ndarray,
    event: np.ndarray,
    relative_risk: np.ndarray,
    design: np.ndarray,
    risk_sets: _RiskSets,
    direction: np.ndarray,
) -> np.ndarray:
    """U_k · v with U_k = ∫ (x_k − E(s)) dM_k(s), one per row (Breslow form). The residuals
    are only ever needed along one direction v: projecting the design and the risk sets'
    means first makes every pass over the rows a vector's, not a matrix's."""
    x = design @ direction
    means = risk_sets.covariate_means @ direction
    cumulative_hazard = risk_sets.cumulative(risk_sets.hazard_jumps, duration)
    weighted_means = risk_sets.cumulative(means * risk_sets.hazard_jumps, duration)
    own_time = np.clip(np.searchsorted(risk_sets.times, duration), 0, risk_sets.times.size - 1)
    jump = event * (x - means[own_time])
    return jump - relative_risk * (x * cumulative_hazard - weighted_means)


def _baseline_hazard_influence(
    duration: np.ndarray,
    event: np.ndarray,
    relative_risk: np.ndarray,
    risk_sets: _RiskSets,
    horizon: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's direct influence on the Breslow Λ0(horizon), per unit of its case weight,
    and ∂Λ0(horizon)/∂β: through β̂ a row adds minus its influence on β̂ times that."""
    own_time = np.clip(np.searchsorted(risk_sets.times, duration), 0, risk_sets.times.size - 1)
    jump = event * (duration <= horizon) / risk_sets.weight_sums[own_time]
    compensator = relative_risk * risk_sets.cumulative(
        risk_sets.hazard_jumps / risk_sets.weight_sums, np.minimum(duration, horizon)
    )
    sensitivity = risk_sets.cumulative(
        risk_sets.covariate_means * risk_sets.hazard_jumps[:, None], np.array(horizon)
    )
    return jump - compensator, sensitivity


# --- 12-month retention difference ----------------------------------------------------------


def retention_difference(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    treatment: str,
    horizon_days: float = TWELVE_MONTHS_DAYS,
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
    method: Literal["naive", "adjusted"] = "naive",
    cluster: str | None = None,
    weights: str | None = None,
) -> Estimate:
    """Treated people's survival at the horizon minus their survival without treatment, in
    percentage points.

    `naive`: KM(treated) − KM(control), Greenwood variances. `adjusted`: mean over the treated
    of S(h | x, treated) − S(h | x, untreated) from the adjusted Cox model with a Breslow
    baseline; its standard error is the delta method on the joint influence functions of β̂,
    Λ̂0(h) and the average over the treated.

    With `cluster`, the influence functions are summed within each cluster before squaring
    (the naive difference then uses Kaplan–Meier influence functions where a cluster repeats,
    Greenwood's formula where none does).

    With `weights` (a column of case weights, e.g. sampling weights), the Kaplan–Meier curves,
    the Cox fit, its baseline hazard and the average over the treated are weighted, and the
    standard errors come from the weighted influence functions.
    """
    if method not in ("naive", "adjusted"):
        raise ValueError(f"method must be 'naive' or 'adjusted', not {method!r}")
    data = _survival_data(
        frame, duration, event, treatment, covariates, categorical, cluster, weights=weights
    )
    if data.n_treated < 2 or data.n_control < 2:
        return not_estimable(data.n_treated, data.n_control, method, "fewer than 2 people")
    if horizon_days > data.duration.max():
        return not_estimable(
            data.n_treated, data.n_control, method, "follow-up shorter than the horizon"
        )
    if method == "naive":
        difference, std_error, note = _km_difference(data, horizon_days)
    else:
        difference, std_error, note = _standardised_difference(data, horizon_days)
    if note is not None and not np.isfinite(difference):
        return not_estimable(data.n_treated, data.n_control, method, note)
    in_points = wald_estimate(difference, std_error, data.n_treated, data.n_control, method, note)
    return Estimate(
        100 * in_points.estimate,
        100 * in_points.ci_low,
        100 * in_points.ci_high,
        in_points.p_value,
        data.n_treated,
        data.n_control,
        method,
        in_points.note,
    )


def _km_difference(data: _SurvivalData, horizon: float) -> tuple[float, float, str | None]:
    horizon_array = np.array([horizon])
    treated, weight = data.treated, data.case_weight
    survival, std_errors = [], []
    for arm in (treated, ~treated):
        km = _kaplan_meier(data.duration[arm], data.event[arm], weights=weight[arm])
        value, std_error = _survival_at(km, horizon_array)
        survival.append(value[0])
        std_errors.append(std_error[0])
    difference = float(survival[0] - survival[1])
    if not np.isfinite(difference):
        return np.nan, np.nan, "a group's follow-up is shorter than the horizon"
    std_error = float(np.hypot(*std_errors))
    if _has_repeats(data.clusters):
        influence = np.zeros(data.duration.size)
        for arm, sign in ((treated, 1.0), (~treated, -1.0)):
            influence[arm] = sign * _km_influence(
                data.duration[arm], data.event[arm], horizon, weight[arm]
            )
        std_error = float(np.sqrt(np.sum(cluster_sums(influence, data.clusters) ** 2)))
    if std_error == 0:
        return np.nan, np.nan, "no events before the horizon in either group"
    return difference, std_error, None


def _standardised_difference(
    data: _SurvivalData, horizon: float
) -> tuple[float, float, str | None]:
    """The standardised difference on the model rows; each row's influence is its model row's
    per unit weight times its case weight."""
    rows = data.rows
    fit, note = _fit_if_estimable(data, rows)
    if fit is None:
        return np.nan, np.nan, note
    design = rows.design
    shift = _risk_shift(design, fit.params)
    [(_, relative_risk, risk_sets)] = rows.breslow  # one stratum, all rows
    baseline = float(risk_sets.cumulative(risk_sets.hazard_jumps, np.array(horizon)))

    treated = rows.treated
    as_treated, as_untreated = design[treated].copy(), design[treated].copy()
    as_treated[:, 0], as_untreated[:, 0] = 1.0, 0.0
    risk_treated = _relative_risk(as_treated, fit.params, shift)
    risk_untreated = _relative_risk(as_untreated, fit.params, shift)
    survival_treated = np.exp(-baseline * risk_treated)
    survival_untreated = np.exp(-baseline * risk_untreated)
    per_person = survival_treated - survival_untreated
    # The average over the treated, each counting its weight (1 for participants).
    treated_weight = rows.weight[treated]
    share = treated_weight / treated_weight.sum()
    difference = float(share @ per_person)

    gradient_params = baseline * (
        (share * survival_untreated * risk_untreated) @ as_untreated
        - (share * survival_treated * risk_treated) @ as_treated
    )
    gradient_baseline = float(
        share @ (survival_untreated * risk_untreated - survival_treated * risk_treated)
    )
    baseline_influence, baseline_sensitivity = _baseline_hazard_influence(
        rows.duration, rows.event, relative_risk, risk_sets, horizon
    )
    # A row's influence on β̂ is its score residual times I⁻¹; on the difference it acts
    # directly and through Λ0, along I⁻¹ (∂/∂β − ∂/∂Λ0 · ∂Λ0/∂β).
    through_params = _projected_score_residuals(
        rows.duration,
        rows.event,
        relative_risk,
        design,
        risk_sets,
        fit.covariance @ (gradient_params - gradient_baseline * baseline_sensitivity),
    )
    averaging_influence = np.zeros(rows.duration.size)
    averaging_influence[treated] = (per_person - difference) / treated_weight.sum()
    influence = data.clustered(
        averaging_influence + through_params + gradient_baseline * baseline_influence
    )
    return difference, float(np.sqrt(influence @ influence)), note


def _km_influence(
    duration: np.ndarray, event: np.ndarray, horizon: float, weight: np.ndarray | None = None
) -> np.ndarray:
    """Each row's influence on the Kaplan–Meier S(horizon):
    −S(h) w_i [dN_i 1{T_i ≤ h} / Y(T_i) − Σ_{t_j ≤ min(T_i, h)} d_j / Y_j²], with Y and d
    weighted by the case weights w (all 1 when not given)."""
    weight = np.ones(duration.size) if weight is None else weight
    times, position = np.unique(duration, return_inverse=True)
    at_risk = np.bincount(position, weight, minlength=times.size)[::-1].cumsum()[::-1]
    deaths = np.bincount(position, weights=weight * event, minlength=times.size)
    survival = float(np.prod((1 - deaths / at_risk)[times <= horizon]))
    jump = event * (duration <= horizon) / at_risk[position]
    compensator = np.cumsum(np.where(times <= horizon, deaths / at_risk**2, 0.0))[
        np.searchsorted(times, np.minimum(duration, horizon), side="right") - 1
    ]
    return -survival * weight * (jump - compensator)
