"""Aalen–Johansen cumulative incidence against published values."""

import numpy as np
import pytest

from stats.competing import aalen_johansen
from stats.survival import km_at
from tests.sampled import full_cohort

# The example of statsmodels' test_survfunc.test_incidence: estimates published by R's
# cmprsk (cuminc(ftime, fstat)), standard errors by Stata's stcompet (R's cmprsk uses Aalen's
# 1978 variance instead).
FTIME = np.array([1, 1, 2, 4, 4, 4, 6, 6, 7, 8, 9, 9, 9, 1, 2, 2, 4, 4])
FSTAT = np.array([1, 1, 1, 2, 2, 2, 3, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0])
TIMES = [1, 2, 4, 6, 7, 8, 9]
PUBLISHED = {
    1: (
        [0.11111111, 0.17037037, 0.17037037, 0.17037037, 0.17037037, 0.17037037, 0.17037037],
        [0.07407407, 0.08976251, 0.08976251, 0.08976251, 0.08976251, 0.08976251, 0.08976251],
    ),
    2: (
        [0.0, 0.0, 0.20740741, 0.20740741, 0.20740741, 0.20740741, 0.20740741],
        [0.0, 0.0, 0.10610391, 0.10610391, 0.10610391, 0.10610391, 0.10610391],
    ),
    3: (
        [0.0, 0.0, 0.0, 0.17777778, 0.26666667, 0.26666667, 0.26666667],
        [0.0, 0.0, 0.0, 0.11196147, 0.12787781, 0.12787781, 0.12787781],
    ),
}


@pytest.mark.parametrize("cause", PUBLISHED)
def test_aalen_johansen_matches_cmprsk_and_stcompet(cause: int):
    estimate, std_error = PUBLISHED[cause]
    result = aalen_johansen(FTIME, FSTAT, TIMES, of_interest=cause)
    np.testing.assert_allclose(result["incidence"], estimate, atol=1e-7)
    np.testing.assert_allclose(result["std_error"], std_error, atol=1e-7)


def test_the_causes_and_survival_add_up_to_one():
    total = sum(aalen_johansen(FTIME, FSTAT, TIMES, of_interest=c)["incidence"] for c in (1, 2, 3))
    any_event = km_at(FTIME, FSTAT > 0, TIMES)["survival"]
    np.testing.assert_allclose(total + any_event, 1.0)


def test_without_competing_events_it_is_one_minus_kaplan_meier():
    status = np.where(FSTAT == 1, 1, 0)
    incidence = aalen_johansen(FTIME, status, TIMES)["incidence"]
    np.testing.assert_allclose(incidence, 1 - km_at(FTIME, status, TIMES)["survival"])


def test_counted_rows_give_the_estimate_of_the_people_they_stand_for():
    pairs, people = np.unique(np.column_stack([FTIME, FSTAT]), axis=0, return_counts=True)
    counted = aalen_johansen(pairs[:, 0], pairs[:, 1], TIMES, people=people)
    np.testing.assert_allclose(
        counted["incidence"], aalen_johansen(FTIME, FSTAT, TIMES)["incidence"]
    )
    np.testing.assert_allclose(
        counted["std_error"], aalen_johansen(FTIME, FSTAT, TIMES)["std_error"]
    )


def test_the_interval_lies_in_zero_one_and_beyond_follow_up_is_nan():
    result = aalen_johansen(FTIME, FSTAT, [4, 100])
    row = result.iloc[0]
    assert 0 < row["ci_low"] < row["incidence"] < row["ci_high"] < 1
    assert np.isnan(result.iloc[1]["incidence"])


def test_competing_exits_lower_the_share_below_one_minus_kaplan_meier():
    """Treating exits as censoring overstates the share promoted (the reason for AJ)."""
    rng = np.random.default_rng(0)
    promotion, exit_time = rng.exponential(1000, 5000), rng.exponential(600, 5000)
    time = np.minimum(promotion, exit_time)
    cause = np.where(promotion <= exit_time, 1, 2)
    aj = aalen_johansen(time, cause, [730])["incidence"].iloc[0]
    one_minus_km = 1 - km_at(time, cause == 1, [730])["survival"].iloc[0]
    assert aj < one_minus_km - 0.03


# --- Sampling weights (issue #16) -----------------------------------------------------------


def _numerical_jackknife(duration, cause, weights, horizon: float) -> float:
    """√Σ (w_i ∂F/∂w_i)², each derivative by a central finite difference: the definition of
    the infinitesimal-jackknife variance, computed the slow way."""
    step = 1e-6
    terms = []
    for i in range(weights.size):
        up, down = weights.copy(), weights.copy()
        up[i] += step
        down[i] -= step
        change = (
            aalen_johansen(duration, cause, [horizon], weights=up)["incidence"].iloc[0]
            - aalen_johansen(duration, cause, [horizon], weights=down)["incidence"].iloc[0]
        )
        terms.append(weights[i] * change / (2 * step))
    return float(np.sqrt(np.sum(np.square(terms))))


def test_the_weighted_standard_error_is_the_infinitesimal_jackknife():
    rng = np.random.default_rng(3)
    n = 80
    duration = rng.integers(1, 30, n).astype(float)
    cause = rng.choice([0, 1, 2], n, p=[0.4, 0.3, 0.3])
    weights = rng.choice([1.0, 2.5, 6.0], n)
    horizons = [5.0, 15.0, 25.0]
    result = aalen_johansen(duration, cause, horizons, weights=weights)
    for horizon, std_error in zip(horizons, result["std_error"], strict=True):
        numerical = _numerical_jackknife(duration, cause, weights, horizon)
        assert std_error == pytest.approx(numerical, rel=1e-4), horizon


def test_weights_recover_the_full_cohorts_share_promoted_and_weights_of_one_change_nothing():
    full = full_cohort()
    full = full.loc[full["treated"] == 0]
    sampled = full.loc[full["drawn"]]
    truth = aalen_johansen(full["promotion_days"], full["promotion_cause"], [365.25]).iloc[0]
    weighted = aalen_johansen(
        sampled["promotion_days"],
        sampled["promotion_cause"],
        [365.25],
        weights=sampled["sampling_weight"],
    ).iloc[0]
    unweighted = aalen_johansen(
        sampled["promotion_days"], sampled["promotion_cause"], [365.25]
    ).iloc[0]
    assert abs(weighted["incidence"] - truth["incidence"]) < 3 * weighted["std_error"]
    assert abs(unweighted["incidence"] - truth["incidence"]) > 3 * weighted["std_error"]
    assert weighted["n_at_risk"] == unweighted["n_at_risk"]
    ones = aalen_johansen(
        sampled["promotion_days"],
        sampled["promotion_cause"],
        [365.25],
        weights=np.ones(len(sampled)),
    ).iloc[0]
    assert ones.equals(unweighted)


def test_equal_weights_give_about_the_delta_method_standard_error():
    rng = np.random.default_rng(5)
    duration = rng.integers(1, 60, 400).astype(float)
    cause = rng.choice([0, 1, 2], 400, p=[0.5, 0.25, 0.25])
    plain = aalen_johansen(duration, cause, [20, 40])
    doubled = aalen_johansen(duration, cause, [20, 40], weights=np.full(400, 2.0))
    np.testing.assert_allclose(doubled["incidence"], plain["incidence"])
    np.testing.assert_allclose(doubled["std_error"], plain["std_error"], rtol=0.05)
