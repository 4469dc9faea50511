"""Differences-in-differences on one row per person with a baseline and a follow-up value."""

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.linalg import cho_factor, cho_solve, cholesky, solve_triangular

from stats.estimate import (
    Estimate,
    adds_direction,
    design_matrix,
    group_sizes,
    method_name,
    not_estimable,
    wald_estimate,
    zero_one_values,
)

# HC3 divides each squared residual by (1 − leverage)²; at leverage 1 it is undefined.
MAX_LEVERAGE_FOR_HC3 = 1 - 1e-8


def diff_in_diff(
    frame: pd.DataFrame,
    baseline: str,
    followup: str,
    treatment: str,
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
    scale: float = 1.0,
    fixed_effects: Sequence[str] = (),
    cluster: str | None = None,
    weights: str | None = None,
    case_weights: str | None = None,
) -> Estimate:
    """Mean change of the treated minus mean change of the comparison group, times `scale`.

    OLS of (followup − baseline) on treatment (`naive`) or on treatment and covariates
    (`adjusted`), with HC3 standard errors. Only people with both values count. Use
    scale=100 to report a 0/1 outcome in percentage points.

    `fixed_effects` are categorical columns entered in every method (the (baseline wave,
    follow-up wave) pair, the program of a pool). With `cluster`, the variance is the
    cluster-robust CR1 sandwich when a cluster holds several rows (HC3 otherwise).

    With `weights` (a column of case weights, e.g. ATT weights), the fit is weighted least
    squares and the method `ipw`; the sandwich is then the weighted one (rows scaled by √w).
    `case_weights` (a column, e.g. sampling weights) weight the fit the same way without
    changing the method's name; weights that are all 1 change nothing.
    """
    method = "ipw" if weights else method_name(covariates, categorical)
    weight_columns = [c for c in (weights, case_weights) if c]
    extra = [*fixed_effects, *([cluster] if cluster else []), *weight_columns]
    names = [baseline, followup, treatment, *covariates, *categorical, *extra]
    used = frame[list(dict.fromkeys(names))]
    # Only the model's columns are copied with the rows: a cohort has dozens more.
    both_waves = used.loc[used[[baseline, followup, treatment]].notna().all(axis=1)]
    n_treated, n_control = group_sizes(zero_one_values(both_waves[treatment]))
    if n_treated < 2 or n_control < 2:
        return not_estimable(
            n_treated, n_control, method, "fewer than 2 people with both waves in a group"
        )
    change = pd.to_numeric(both_waves[followup]).to_numpy(dtype=float) - pd.to_numeric(
        both_waves[baseline]
    ).to_numpy(dtype=float)
    design = design_matrix(
        both_waves, treatment, covariates, [*categorical, *fixed_effects]
    ).to_numpy()
    regressors = np.column_stack([np.ones(len(change)), design[:, 1:], design[:, 0]])
    row_weight = np.ones(len(change))
    for column in weight_columns:
        row_weight = row_weight * pd.to_numeric(both_waves[column]).to_numpy(dtype=float)
    if weights or (row_weight != 1).any():
        root = np.sqrt(row_weight)
        change, regressors = change * root, regressors * root[:, None]
    if len(change) <= regressors.shape[1]:
        return not_estimable(
            n_treated, n_control, method, "fewer people with both waves than model terms"
        )
    other, treated = regressors[:, :-1], regressors[:, -1]
    try:
        solve_other = _least_squares_solver(other)
    except np.linalg.LinAlgError:
        return not_estimable(n_treated, n_control, method, "the model's covariates are collinear")
    # The treatment's part that the other regressors do not explain (Frisch–Waugh–Lovell).
    unexplained = treated - other @ solve_other(other.T @ treated)
    if not adds_direction(np.linalg.norm(unexplained), np.linalg.norm(treated - treated.mean())):
        return not_estimable(
            n_treated, n_control, method, "the treatment is fully determined by the covariates"
        )
    clusters = both_waves[cluster].to_numpy() if cluster else None
    coefficient, std_error, note = _treatment_coefficient(
        change, regressors, unexplained, solve_other, clusters
    )
    effect = wald_estimate(coefficient, std_error, n_treated, n_control, method, note)
    low, high = sorted((scale * effect.ci_low, scale * effect.ci_high))
    return Estimate(
        scale * effect.estimate,
        low,
        high,
        effect.p_value,
        n_treated,
        n_control,
        method,
        effect.note,
    )


def _least_squares_solver(regressors: np.ndarray):
    """b ↦ (XᵀX)⁻¹ b by a Cholesky factorisation of the Gram matrix: one pass over the rows.
    design_matrix keeps only covariates that add a direction, so XᵀX is positive definite; a
    Householder QR of the tall matrix cost most of a subgroup's DiD time."""
    factor = cho_factor(regressors.T @ regressors, check_finite=False)
    return lambda b: cho_solve(factor, b, check_finite=False)


def _treatment_coefficient(
    outcome: np.ndarray,
    regressors: np.ndarray,
    unexplained: np.ndarray,
    solve_other,
    clusters: np.ndarray | None = None,
) -> tuple[float, float, str | None]:
    """OLS coefficient of the treatment (the last column) and its standard error: CR1 with
    clusters, else HC3 (HC1 when someone has leverage 1).

    With u the treatment's part unexplained by the other regressors, the coefficient is a·y
    with a = u / uᵀu (Frisch–Waugh–Lovell), and its sandwich variance Σ w_i a_i² (HC) or
    Σ_c (Σ_{i∈c} a_i e_i)² (clustered). statsmodels' OLS adds a pseudo-inverse by SVD on
    top, which at a million people was most of the DiD time; tests hold the two to agree.
    """
    n, columns = regressors.shape
    a = unexplained / (unexplained @ unexplained)
    coefficient = float(a @ outcome)
    other = regressors[:, :-1]
    rest = outcome - coefficient * regressors[:, -1]
    residuals = rest - other @ solve_other(other.T @ rest)
    if clusters is not None:
        codes, uniques = pd.factorize(clusters)
        n_clusters = len(uniques)
        if 1 < n_clusters < n:
            summed = np.bincount(codes, a * residuals, minlength=n_clusters)
            correction = n_clusters / (n_clusters - 1) * (n - 1) / (n - columns)
            variance = float(correction * summed @ summed)
            return coefficient, float(np.sqrt(variance)) if variance > 0 else np.nan, None
    leverage = _leverages(regressors)
    if leverage.max() < MAX_LEVERAGE_FOR_HC3:
        weights, note = (residuals / (1 - leverage)) ** 2, None
    else:
        weights = residuals**2 * n / (n - columns)
        note = "a person has leverage 1, so HC1 standard errors were used instead of HC3"
    variance = float(weights @ a**2)
    return coefficient, float(np.sqrt(variance)) if variance > 0 else np.nan, note


def _leverages(regressors: np.ndarray) -> np.ndarray:
    """diag X (XᵀX)⁻¹ Xᵀ, row by row."""
    lower = cholesky(regressors.T @ regressors, lower=True, check_finite=False)
    half = solve_triangular(lower, regressors.T, lower=True, check_finite=False)
    return np.einsum("ij,ij->j", half, half)
