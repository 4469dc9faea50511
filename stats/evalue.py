"""E-values (VanderWeele & Ding 2017, "Sensitivity analysis in observational research:
introducing the E-value", Ann Intern Med 167:268–274).

The E-value is the minimum strength of association, on the risk-ratio scale, that an unmeasured
confounder would need with both the treatment and the outcome, beyond the measured covariates,
to explain away an estimate: E = RR + sqrt(RR (RR − 1)) for RR ≥ 1, and the same of 1/RR
below 1. For the interval, the bound nearer 1 takes the place of RR, and the E-value is 1 when
the interval already includes no effect.

Other scales are first converted to an approximate risk ratio (the paper's Table 2):
- hazard ratios are used directly (the rare-outcome choice: HR ≈ RR). With a common outcome
  (over 15% by the end of follow-up) this overstates the E-value; the paper's common-outcome
  conversion `hazard_ratio_as_risk_ratio(common=True)` is available;
- a difference in means of a continuous outcome, standardised by the outcome's standard
  deviation (d), as RR ≈ exp(0.91 d), each bound likewise;
- a risk difference, given the risk in the treated, as the ratio of the treated's risk to the
  risk they would have had without treatment (risk − difference), each bound likewise.
"""

import numpy as np

# The paper's conversion of a standardised mean difference to a risk ratio: RR ≈ exp(0.91 d).
SMD_TO_LOG_RR = 0.91


def e_value(risk_ratio: float) -> float:
    """The E-value of a point estimate on the risk-ratio scale; NaN when not finite or ≤ 0."""
    rr = float(risk_ratio)
    if not (np.isfinite(rr) and rr > 0):
        return np.nan
    if rr < 1:
        rr = 1 / rr
    return float(rr + np.sqrt(rr * (rr - 1)))


def e_values(estimate: float, ci_low: float, ci_high: float) -> tuple[float, float]:
    """(E-value of the estimate, E-value of the confidence bound nearer 1) for a risk ratio and
    its interval. NaN, NaN when the estimate is missing; the interval's E-value is 1 when the
    interval includes 1, NaN when a bound is missing."""
    point = e_value(estimate)
    if not np.isfinite(point):
        return np.nan, np.nan
    low, high = sorted((float(ci_low), float(ci_high)))
    if not (np.isfinite(low) and np.isfinite(high)):
        return point, np.nan
    if low > 1:
        return point, e_value(low)
    if high < 1:
        return point, e_value(high)
    return point, 1.0


def hazard_ratio_as_risk_ratio(hazard_ratio: float, common: bool = False) -> float:
    """HR as an approximate RR: itself for a rare outcome, else
    (1 − 0.5^√HR) / (1 − 0.5^√(1/HR))."""
    hr = float(hazard_ratio)
    if not common or not (np.isfinite(hr) and hr > 0):
        return hr
    return float((1 - 0.5 ** np.sqrt(hr)) / (1 - 0.5 ** np.sqrt(1 / hr)))


def standardised_difference_as_risk_ratio(difference: float, std_dev: float) -> float:
    """A difference in means over the outcome's standard deviation, as RR ≈ exp(0.91 d)."""
    if not (np.isfinite(difference) and np.isfinite(std_dev) and std_dev > 0):
        return np.nan
    return float(np.exp(SMD_TO_LOG_RR * difference / std_dev))


def risk_difference_as_risk_ratio(difference: float, treated_risk: float) -> float:
    """A risk difference (treated minus untreated, as proportions) as the treated's risk over
    the risk they would have had untreated; NaN where that risk would not be positive."""
    untreated = float(treated_risk) - float(difference)
    if not (np.isfinite(untreated) and np.isfinite(treated_risk)) or untreated <= 0:
        return np.nan
    if treated_risk <= 0:
        return np.nan
    return float(treated_risk / untreated)
