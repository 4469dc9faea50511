"""ATT weighting: the propensity model, balance after weighting, weighted Cox, Kaplan–Meier
and DiD (stats/weighting.py, the weights of stats/cox.py and stats/did.py)."""

import numpy as np
import pandas as pd
import pytest

from effects.diagnostics import study_balance
from effects.program_effects import studies, study_weighting
from stats.cox import fit_cox
from stats.did import diff_in_diff
from stats.survival import cox_hazard_ratio, retention_difference
from stats.weighting import (
    att_weighting,
    weighted_hazard_ratio,
    weighted_retention_difference,
)
from tests.unit.test_marts_effects import cohort_of


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_balance_after_weighting_is_within_a_tenth_where_selection_follows_covariates(seed):
    """The simulated organisation's participants join on level, tenure, performance and
    gender (tests/simulate.py): before weighting they differ, after it no covariate category
    differs by more than 0.1 standard deviations."""
    study = studies(cohort_of("P", "mentor", 2000, seed))[0]
    balance = study_balance(study, study_weighting(study))
    assert balance["smd_before"].abs().max() > 0.2
    assert balance["smd_after"].abs().max() <= 0.1, balance.sort_values("smd_after")


def test_att_weights_are_one_for_the_treated_and_truncated_for_the_comparison_group():
    rng = np.random.default_rng(0)
    n = 2000
    x = rng.normal(size=n)
    frame = pd.DataFrame({"t": (rng.random(n) < 1 / (1 + np.exp(1 - 1.5 * x))).astype(int)})
    frame["x"] = x
    weighting = att_weighting(frame, "t", ["x"])
    treated = frame["t"].to_numpy() == 1
    assert (weighting.weight[treated] == 1).all()
    odds = weighting.propensity[~treated] / (1 - weighting.propensity[~treated])
    low, high = np.percentile(odds, [1, 99])
    assert weighting.weight[~treated].min() == pytest.approx(low)
    assert weighting.weight[~treated].max() == pytest.approx(high)
    assert 0 < weighting.effective_comparison_size < (~treated).sum()
    assert 0 <= weighting.share_outside_comparison_range <= 1


def _survival_frame(seed: int = 3, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    treated = rng.integers(0, 2, n)
    days = np.ceil(rng.exponential(400 / np.exp(-0.4 * treated))).clip(max=700)
    return pd.DataFrame(
        {
            "days": days,
            "event": (days < 700).astype(int),
            "treated": treated,
            "id": [f"e{i // 2}" for i in range(n)],
        }
    )


def test_unit_weights_reproduce_the_unweighted_fits():
    frame = _survival_frame()
    ones = np.ones(len(frame))
    plain = cox_hazard_ratio(frame, "days", "event", "treated", cluster="id")
    weighted = weighted_hazard_ratio(frame, "days", "event", "treated", ones, "id")
    assert weighted.estimate == pytest.approx(plain.estimate, rel=1e-8)
    # Robust (Breslow-residual) sandwich against the same with clustering: close.
    assert weighted.ci_low == pytest.approx(plain.ci_low, rel=0.02)
    plain = retention_difference(frame, "days", "event", "treated", cluster="id")
    weighted = weighted_retention_difference(frame, "days", "event", "treated", ones, "id")
    assert weighted.estimate == pytest.approx(plain.estimate, rel=1e-8)
    assert weighted.ci_low == pytest.approx(plain.ci_low, rel=1e-6)


def test_integer_weights_act_like_repeated_rows():
    frame = _survival_frame()
    counts = np.random.default_rng(1).integers(1, 4, len(frame))
    weighted = fit_cox(frame["days"], frame["event"], frame[["treated"]].to_numpy(), None, counts)
    repeated = frame.loc[frame.index.repeat(counts)]
    stacked = fit_cox(repeated["days"], repeated["event"], repeated[["treated"]].to_numpy())
    # Equal but for Efron's handling of the ties the repetition creates.
    assert weighted.params[0] == pytest.approx(stacked.params[0], abs=0.01)
    did = pd.DataFrame(
        {
            "before": np.random.default_rng(2).normal(size=len(frame)),
            "after": np.random.default_rng(3).normal(size=len(frame)),
            "treated": frame["treated"],
            "w": counts.astype(float),
        }
    )
    weighted = diff_in_diff(did, "before", "after", "treated", weights="w")
    repeated = diff_in_diff(did.loc[did.index.repeat(counts)], "before", "after", "treated")
    assert weighted.method == "ipw"
    assert weighted.estimate == pytest.approx(repeated.estimate, rel=1e-9)
