"""Differences-in-differences on one row per person with a baseline and a follow-up value."""

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

from assets.effects.estimate import (
    Estimate,
    design_matrix,
    group_sizes,
    method_name,
    not_estimable,
    treatment_is_identified,
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
) -> Estimate:
    """Mean change of the treated minus mean change of the comparison group, times `scale`.

    OLS of (followup − baseline) on treatment (`naive`) or on treatment and covariates
    (`adjusted`), with HC3 standard errors. Only people with both values count. Use
    scale=100 to report a 0/1 outcome in percentage points.
    """
    method = method_name(covariates, categorical)
    both_waves = frame.loc[frame[[baseline, followup, treatment]].notna().all(axis=1)]
    n_treated, n_control = group_sizes(zero_one_values(both_waves[treatment]))
    if n_treated < 2 or n_control < 2:
        return not_estimable(
            n_treated, n_control, method, "fewer than 2 people with both waves in a group"
        )
    change = pd.to_numeric(both_waves[followup]).to_numpy(dtype=float) - pd.to_numeric(
        both_waves[baseline]
    ).to_numpy(dtype=float)
    design = design_matrix(both_waves, treatment, covariates, categorical)
    if not treatment_is_identified(design):
        return not_estimable(
            n_treated, n_control, method, "the treatment is fully determined by the covariates"
        )
    regressors = sm.add_constant(design.to_numpy(), has_constant="add")
    covariance_type, note = _covariance_type(regressors)
    fit = sm.OLS(change, regressors).fit(cov_type=covariance_type)
    effect = wald_estimate(
        float(fit.params[1]), float(fit.bse[1]), n_treated, n_control, method, note
    )
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


def _covariance_type(regressors: np.ndarray) -> tuple[str, str | None]:
    if _max_leverage(regressors) < MAX_LEVERAGE_FOR_HC3:
        return "HC3", None
    return "HC1", "a person has leverage 1, so HC1 standard errors were used instead of HC3"


def _max_leverage(regressors: np.ndarray) -> float:
    q, _ = np.linalg.qr(regressors)
    return float(np.max(np.einsum("ij,ij->i", q, q)))
