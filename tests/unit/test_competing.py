"""Aalen–Johansen cumulative incidence against published values."""

import numpy as np
import pytest

from stats.competing import aalen_johansen
from stats.survival import km_at

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
