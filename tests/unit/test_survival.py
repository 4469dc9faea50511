"""Kaplan–Meier, Cox and the 12-month retention difference on known answers."""

from dataclasses import astuple
from functools import partial

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize_scalar
from statsmodels.duration.hazard_regression import PHReg

from stats import survival
from stats.survival import (
    cox_hazard_ratio,
    cox_hazard_ratio_and_ph_check,
    cumulative_incidence,
    km_at,
    km_curve,
    proportional_hazards_check,
    retention_difference,
)
from tests.sampled import full_cohort, sampled_cohort

# Freireich et al. (1963) 6-MP remission data (Gehan 1965); event 0 = censored.
SIX_MP_WEEKS = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO_WEEKS = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def leukaemia() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "weeks": SIX_MP_WEEKS + PLACEBO_WEEKS,
            "relapse": SIX_MP_EVENT + [1] * len(PLACEBO_WEEKS),
            "six_mp": [1] * len(SIX_MP_WEEKS) + [0] * len(PLACEBO_WEEKS),
        }
    )


# --- Kaplan–Meier ---------------------------------------------------------------------------


def test_km_reproduces_the_textbook_six_mp_curve():
    horizons = [6, 7, 10, 13, 16, 22, 23]
    result = km_at(SIX_MP_WEEKS, SIX_MP_EVENT, horizons)
    expected = [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448]
    np.testing.assert_allclose(result["survival"], expected, atol=5e-4)
    # Exact products, by hand: (18/21)(16/17)(14/15)(11/12)(10/11)(6/7)(5/6).
    assert result["survival"].iloc[-1] == pytest.approx(
        18 / 21 * 16 / 17 * 14 / 15 * 11 / 12 * 10 / 11 * 6 / 7 * 5 / 6
    )
    assert result["n_at_risk"].tolist() == [21, 17, 15, 12, 11, 7, 6]


def test_km_interval_is_greenwood_on_the_log_log_scale():
    result = km_at(SIX_MP_WEEKS, SIX_MP_EVENT, [6, 13])
    # Greenwood by hand at 13 weeks: risk sets 21, 17, 15, 12 with 3, 1, 1, 1 relapses.
    survival = 18 / 21 * 16 / 17 * 14 / 15 * 11 / 12
    variance = survival**2 * (3 / (21 * 18) + 1 / (17 * 16) + 1 / (15 * 14) + 1 / (12 * 11))
    spread = 1.959964 * np.sqrt(variance) / (survival * abs(np.log(survival)))
    assert result["ci_low"].iloc[1] == pytest.approx(survival ** np.exp(spread), abs=1e-6)
    assert result["ci_high"].iloc[1] == pytest.approx(survival ** np.exp(-spread), abs=1e-6)
    # Published (Stata `sts list`, log-log): 6 weeks 0.6197–0.9516, 13 weeks 0.4316–0.8491.
    np.testing.assert_allclose(result["ci_low"], [0.6197, 0.4316], atol=1e-4)
    np.testing.assert_allclose(result["ci_high"], [0.9516, 0.8491], atol=1e-4)


def test_km_before_the_first_event_and_beyond_follow_up():
    result = km_at(SIX_MP_WEEKS, SIX_MP_EVENT, [0, 5.9, 35, 35.1])
    assert result["survival"].iloc[:2].tolist() == [1.0, 1.0]
    assert result[["ci_low", "ci_high"]].iloc[0].tolist() == [1.0, 1.0]
    assert result["survival"].iloc[2] == pytest.approx(0.448, abs=5e-4)
    assert result[["survival", "ci_low", "ci_high"]].iloc[3].isna().all()
    assert result["n_at_risk"].tolist() == [21, 21, 1, 0]


def test_km_when_everyone_has_the_event():
    result = km_at([1, 2, 3], [1, 1, 1], [2, 3])
    assert result["survival"].tolist() == pytest.approx([1 / 3, 0.0])
    assert result[["ci_low", "ci_high"]].iloc[1].tolist() == [0.0, 0.0]


def test_km_from_counted_rows_equals_km_from_the_people_they_stand_for():
    rng = np.random.default_rng(7)
    days = rng.integers(1, 60, 3000).astype(float)
    days[rng.random(days.size) < 0.02] = np.nan
    event = (rng.random(days.size) < 0.3).astype(float)
    people = pd.DataFrame({"days": days, "event": event})
    counted = people.value_counts(dropna=False).reset_index()
    horizons = [0, 10, 30.5, 59, 60]

    expected = km_at(people["days"], people["event"], horizons)
    got = km_at(counted["days"], counted["event"], horizons, counted["count"])
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(
        km_curve(counted["days"], counted["event"], counted["count"]),
        km_curve(people["days"], people["event"]),
    )


def test_km_agrees_with_statsmodels_survfunc():
    from statsmodels.duration.survfunc import SurvfuncRight

    from stats.survival import _kaplan_meier

    rng = np.random.default_rng(11)
    days = rng.integers(1, 400, 500).astype(float)
    event = (rng.random(days.size) < 0.4).astype(float)
    fit, ours = SurvfuncRight(days, event), _kaplan_meier(days, event)
    np.testing.assert_array_equal(ours.event_times, fit.surv_times)
    np.testing.assert_allclose(ours.survival, fit.surv_prob, rtol=1e-12)
    np.testing.assert_allclose(ours.std_error, fit.surv_prob_se, rtol=1e-10)


def test_km_without_events_or_people():
    no_events = km_at([5, 8], [0, 0], [4, 8, 9])
    assert no_events["survival"].iloc[:2].tolist() == [1.0, 1.0]
    assert np.isnan(no_events["survival"].iloc[2])
    nobody = km_at([], [], [365.25])
    assert nobody["survival"].isna().all() and nobody["n_at_risk"].tolist() == [0]
    assert km_curve([], []).empty


def test_km_curve_starts_at_one_steps_at_events_and_runs_to_the_end():
    curve = km_curve(SIX_MP_WEEKS, SIX_MP_EVENT)
    assert curve.columns.tolist() == ["time_days", "survival", "ci_low", "ci_high", "n_at_risk"]
    assert curve["time_days"].tolist() == [0, 6, 7, 10, 13, 16, 22, 23, 35]
    assert curve["survival"].iloc[0] == 1.0 and curve["n_at_risk"].iloc[0] == 21
    assert curve["survival"].is_monotonic_decreasing
    assert curve["survival"].iloc[-1] == curve["survival"].iloc[-2]
    assert (curve["ci_low"] <= curve["survival"]).all()
    assert (curve["survival"] <= curve["ci_high"]).all()


def test_cumulative_incidence_is_one_minus_km_with_the_interval_flipped():
    km = km_at(SIX_MP_WEEKS, SIX_MP_EVENT, [6, 23])
    incidence = cumulative_incidence(km)
    assert incidence.columns.tolist() == [
        "horizon_days",
        "incidence",
        "ci_low",
        "ci_high",
        "n_at_risk",
    ]
    np.testing.assert_allclose(incidence["incidence"], 1 - km["survival"])
    np.testing.assert_allclose(incidence["ci_low"], 1 - km["ci_high"])
    np.testing.assert_allclose(incidence["ci_high"], 1 - km["ci_low"])


# --- Cox ------------------------------------------------------------------------------------


def efron_log_partial_likelihood(beta: float, time, event, x) -> float:
    """Efron's tie correction written out event time by event time (independent reference)."""
    time, event, x = map(np.asarray, (time, event, x))
    total = 0.0
    for t in np.unique(time[event == 1]):
        dying = (time == t) & (event == 1)
        at_risk = np.exp(beta * x[time >= t]).sum()
        tied = np.exp(beta * x[dying]).sum()
        d = dying.sum()
        total += beta * x[dying].sum()
        total -= sum(np.log(at_risk - k / d * tied) for k in range(d))
    return total


def test_cox_matches_the_published_six_mp_result():
    # R: coxph(Surv(time, cens) ~ treat, gehan) (Efron): coef 1.572 for placebo vs 6-MP,
    # se 0.412, Wald p = 0.000138, so HR(6-MP vs placebo) = exp(-1.572) = 0.208.
    result = cox_hazard_ratio(leukaemia(), "weeks", "relapse", "six_mp")
    assert result.method == "naive" and result.note is None
    assert np.log(result.estimate) == pytest.approx(-1.5721, abs=1e-4)
    assert result.p_value == pytest.approx(0.000138, abs=2e-6)
    std_error = (np.log(result.ci_high) - np.log(result.ci_low)) / (2 * 1.959964)
    assert std_error == pytest.approx(0.4124, abs=1e-4)
    assert (result.n_treated, result.n_control) == (21, 21)


def test_cox_matches_an_independent_efron_likelihood():
    frame = leukaemia()
    args = (frame["weeks"], frame["relapse"], frame["six_mp"])
    best = minimize_scalar(lambda b: -efron_log_partial_likelihood(b, *args), bounds=(-5, 5))
    step = 1e-4
    curvature = (
        -(
            efron_log_partial_likelihood(best.x + step, *args)
            - 2 * efron_log_partial_likelihood(best.x, *args)
            + efron_log_partial_likelihood(best.x - step, *args)
        )
        / step**2
    )
    result = cox_hazard_ratio(frame, "weeks", "relapse", "six_mp")
    assert np.log(result.estimate) == pytest.approx(best.x, abs=1e-4)
    std_error = (np.log(result.ci_high) - np.log(result.ci_low)) / (2 * 1.959964)
    assert std_error == pytest.approx(1 / np.sqrt(curvature), rel=1e-3)


def small_organisation(seed: int = 3, n: int = 400, unit_days: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    department = rng.choice(["Sales", "Finance", "Engineering"], size=n)
    rating = rng.integers(1, 6, size=n).astype(float)
    rating[rng.random(n) < 0.15] = np.nan
    treated = rng.integers(0, 2, size=n)
    linear = -0.5 * treated + 0.4 * (department == "Sales") - 0.2 * np.nan_to_num(rating - 3)
    exit_time = rng.exponential(500 * np.exp(-linear))
    follow_up = rng.uniform(400, 800, size=n)
    return pd.DataFrame(
        {
            "days": unit_days * np.ceil(np.minimum(exit_time, follow_up) / unit_days),
            "left": (exit_time <= follow_up).astype(int),
            "treated": treated,
            "department": pd.array(department, dtype="str"),
            "rating": rating,
            "site": "HQ",  # constant: must be dropped, not break the fit
        }
    )


def test_adjusted_cox_matches_statsmodels_with_its_own_coding():
    frame = small_organisation()
    ours = cox_hazard_ratio(
        frame, "days", "left", "treated", covariates=["rating", "site"], categorical=["department"]
    )
    manual = frame.assign(
        rating_missing=frame["rating"].isna().astype(float),
        rating=frame["rating"].fillna(frame["rating"].median()),
    )
    reference = PHReg.from_formula(
        "days ~ treated + C(department) + rating + rating_missing",
        manual,
        status=manual["left"].to_numpy(),
        ties="efron",
    ).fit()
    assert ours.method == "adjusted"
    assert np.log(ours.estimate) == pytest.approx(reference.params[-3], rel=1e-6)
    assert ours.p_value == pytest.approx(reference.pvalues[-3], rel=1e-4)


def test_cox_drops_covariates_that_carry_nothing():
    frame = small_organisation().assign(rating_in_tenths=lambda f: f["rating"] * 10)
    one_copy = cox_hazard_ratio(frame, "days", "left", "treated", ["rating"])
    # A constant column and a rescaled copy of a covariate add nothing: dropped, not fatal.
    redundant = cox_hazard_ratio(
        frame, "days", "left", "treated", ["rating", "site", "rating_in_tenths"]
    )
    assert redundant == one_copy
    assert redundant.note is None


def test_cox_is_not_estimable_when_a_covariate_determines_the_treatment():
    frame = small_organisation()
    frame["programme_site"] = np.where(frame["treated"] == 1, "pilot", "elsewhere")
    result = cox_hazard_ratio(frame, "days", "left", "treated", categorical=["programme_site"])
    assert np.isnan(result.estimate)
    assert result.note == "the treatment is fully determined by the covariates"


@pytest.mark.parametrize(
    ("frame", "note"),
    [
        (pd.DataFrame({"d": [5.0, 6, 7], "e": [1, 0, 1], "t": [1, 0, 0]}), "fewer than 2"),
        (pd.DataFrame({"d": [5.0, 6, 7, 8], "e": [0, 0, 1, 1], "t": [1, 1, 0, 0]}), "treated"),
        (pd.DataFrame({"d": [5.0, 6, 7, 8], "e": [1, 1, 0, 0], "t": [1, 1, 0, 0]}), "comparison"),
        (pd.DataFrame({"d": [], "e": [], "t": []}), "fewer than 2"),
    ],
)
def test_cox_returns_nan_with_a_note_when_not_estimable(frame: pd.DataFrame, note: str):
    result = cox_hazard_ratio(frame, "d", "e", "t")
    assert np.isnan(result.estimate) and np.isnan(result.ci_low) and np.isnan(result.p_value)
    assert note in result.note


def test_cox_ignores_rows_with_missing_outcome_or_treatment():
    frame = leukaemia()
    padded = pd.concat(
        [frame, pd.DataFrame({"weeks": [np.nan, 3.0], "relapse": [1, 1], "six_mp": [1, None]})],
        ignore_index=True,
    )
    assert cox_hazard_ratio(padded, "weeks", "relapse", "six_mp") == cox_hazard_ratio(
        frame, "weeks", "relapse", "six_mp"
    )


# --- Proportional-hazards check -------------------------------------------------------------


def piecewise_survival(hazard_ratio_early: float, hazard_ratio_late: float, seed: int, n: int):
    """Treated hazard is HR_early × baseline before day 180 and HR_late × baseline after."""
    rng = np.random.default_rng(seed)
    treated = rng.integers(0, 2, size=n)
    baseline_rate, change_day = 1 / 400, 180.0
    early = baseline_rate * np.where(treated == 1, hazard_ratio_early, 1.0)
    late = baseline_rate * np.where(treated == 1, hazard_ratio_late, 1.0)
    draw = rng.exponential(size=n)
    before_change = draw < early * change_day
    event_time = np.where(
        before_change, draw / early, change_day + (draw - early * change_day) / late
    )
    follow_up = rng.uniform(300, 700, size=n)
    return pd.DataFrame(
        {
            "days": np.ceil(np.minimum(event_time, follow_up)),
            "left": (event_time <= follow_up).astype(int),
            "treated": treated,
        }
    )


def test_ph_check_flags_crossing_hazards():
    p_value, holds = proportional_hazards_check(
        piecewise_survival(0.3, 2.0, seed=1, n=2000), "days", "left", "treated"
    )
    assert p_value < 1e-4 and not holds


def test_ph_check_rejects_about_five_percent_of_proportional_cases():
    p_values = [
        proportional_hazards_check(
            piecewise_survival(0.6, 0.6, seed, 300), "days", "left", "treated"
        )[0]
        for seed in range(60)
    ]
    rejected = np.mean(np.array(p_values) < 0.05)
    assert 0.0 <= rejected <= 0.15  # 60 draws: 5% ± sampling error
    assert np.mean(p_values) == pytest.approx(0.5, abs=0.1)


def test_ph_check_of_an_unfittable_model_is_nan_and_does_not_flag():
    p_value, holds = proportional_hazards_check(
        pd.DataFrame({"d": [1.0, 2], "e": [1, 1], "t": [1, 0]}), "d", "e", "t"
    )
    assert np.isnan(p_value) and holds


# --- Retention difference -------------------------------------------------------------------


def test_naive_retention_difference_is_the_km_gap_with_greenwood_variance():
    result = retention_difference(leukaemia(), "weeks", "relapse", "six_mp", horizon_days=10)
    # By hand: S_6MP(10) = 0.7529; placebo, no censoring before 10 weeks: 8/21 still in remission.
    six_mp_survival, placebo_survival = 0.752941, 8 / 21
    variance = 0.096296**2 + placebo_survival * (1 - placebo_survival) / 21
    assert result.estimate == pytest.approx(100 * (six_mp_survival - placebo_survival), abs=1e-3)
    half_width = 100 * 1.959964 * np.sqrt(variance)
    assert result.ci_high - result.estimate == pytest.approx(half_width, abs=1e-2)
    assert result.method == "naive"


def test_adjusted_retention_difference_without_covariates_tracks_the_naive_one():
    frame = small_organisation(seed=11, n=3000)
    naive = retention_difference(frame, "days", "left", "treated")
    adjusted = retention_difference(frame, "days", "left", "treated", method="adjusted")
    assert adjusted.method == "adjusted"
    assert adjusted.estimate == pytest.approx(naive.estimate, abs=1.0)
    assert adjusted.ci_high - adjusted.ci_low < naive.ci_high - naive.ci_low


@pytest.mark.slow
def test_adjusted_retention_standard_error_agrees_with_a_bootstrap():
    frame = small_organisation(seed=5, n=400, unit_days=7)  # weekly: fewer, tied event times
    options = dict(covariates=["rating"], categorical=["department"], method="adjusted")
    analytic = retention_difference(frame, "days", "left", "treated", **options)
    rng = np.random.default_rng(0)
    replicates = [
        retention_difference(
            frame.iloc[rng.integers(0, len(frame), len(frame))],
            "days",
            "left",
            "treated",
            **options,
        ).estimate
        for _ in range(150)
    ]
    analytic_se = (analytic.ci_high - analytic.ci_low) / (2 * 1.959964)
    # 150 replicates estimate a standard deviation to about ±12% (2 standard errors).
    assert analytic_se == pytest.approx(np.std(replicates, ddof=1), rel=0.15)


@pytest.mark.parametrize("method", ["naive", "adjusted"])
def test_retention_difference_beyond_follow_up_is_nan(method: str):
    result = retention_difference(leukaemia(), "weeks", "relapse", "six_mp", method=method)
    assert np.isnan(result.estimate) and "horizon" in result.note


def test_retention_difference_rejects_an_unknown_method():
    with pytest.raises(ValueError):
        retention_difference(leukaemia(), "weeks", "relapse", "six_mp", method="ipw")


@pytest.mark.parametrize("stratified", [False, True])
def test_clustered_and_stratified_cox_matches_statsmodels(stratified: bool):
    """The robust (cluster) sandwich and strata agree with statsmodels' PHReg(strata=,
    groups=), which R's coxph(cluster =, strata()) also gives."""
    import statsmodels.api as sm

    rng = np.random.default_rng(1)
    n = 900
    people = rng.integers(0, 500, n)  # many people appear more than once
    stratum = rng.integers(0, 3, n)
    x = rng.normal(size=n)
    treated = (rng.random(n) < 0.4).astype(int)
    latent = rng.exponential(1 / np.exp(0.3 * x - 0.4 * treated + 0.5 * stratum)) * 300
    censor = rng.uniform(100, 700, n)
    days = np.ceil(np.minimum(latent, censor))
    event = (latent <= censor).astype(int)
    frame = pd.DataFrame({"d": days, "e": event, "t": treated, "x": x, "id": people, "s": stratum})
    result = cox_hazard_ratio(
        frame, "d", "e", "t", ["x"], cluster="id", strata="s" if stratified else None
    )
    reference = sm.PHReg(
        days,
        np.column_stack([treated, x]),
        status=event,
        ties="efron",
        strata=stratum if stratified else None,
    ).fit(groups=people)
    assert result.estimate == pytest.approx(np.exp(reference.params[0]), rel=1e-6)
    low, high = np.exp(reference.conf_int()[0])
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-6)


def test_km_influence_functions_give_greenwoods_variance():
    """The clustered naive retention difference sums these per person; with one row each,
    their sum of squares is Greenwood's variance (up to d/Y² against d/(Y(Y − d)))."""
    from stats.survival import _kaplan_meier, _km_influence, _survival_at

    rng = np.random.default_rng(2)
    days = np.ceil(rng.exponential(900, 800))
    censor = rng.uniform(100, 1000, 800)
    event = (days <= censor).astype(float)
    days = np.minimum(days, np.ceil(censor))
    _, greenwood = _survival_at(_kaplan_meier(days, event), np.array([365.25]))
    influence = _km_influence(days, event, 365.25)
    assert np.sqrt(influence @ influence) == pytest.approx(greenwood[0], rel=0.01)


# --- Sampling weights (issue #16) -----------------------------------------------------------


def _comparison(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.loc[frame["treated"] == 0]


def test_weights_of_one_change_nothing():
    people = sampled_cohort().assign(sampling_weight=1.0)
    for method, categorical in (("naive", ()), ("adjusted", ("trial",))):
        plain = retention_difference(
            people, "exit_days", "exit_event", "treated", categorical=categorical, method=method
        )
        weighted = retention_difference(
            people,
            "exit_days",
            "exit_event",
            "treated",
            categorical=categorical,
            method=method,
            weights="sampling_weight",
        )
        assert weighted == plain
    plain_hr = cox_hazard_ratio(people, "exit_days", "exit_event", "treated", cluster="employee_id")
    weighted_hr = cox_hazard_ratio(
        people,
        "exit_days",
        "exit_event",
        "treated",
        cluster="employee_id",
        weights="sampling_weight",
    )
    assert weighted_hr == plain_hr
    comparison = _comparison(people)
    pd.testing.assert_frame_equal(
        km_at(comparison["exit_days"], comparison["exit_event"], [365.25]),
        km_at(
            comparison["exit_days"],
            comparison["exit_event"],
            [365.25],
            weights=comparison["sampling_weight"],
        ),
    )


def test_integer_weights_give_the_curve_of_the_people_repeated_and_count_people_at_risk():
    weights = np.array([1, 3, 2, 1, 4, 1, 2] * 3, dtype=float)
    weeks, event = np.array(SIX_MP_WEEKS), np.array(SIX_MP_EVENT)
    weighted = km_at(weeks, event, [6, 10, 16, 23], weights=weights)
    repeated = km_at(
        np.repeat(weeks, weights.astype(int)),
        np.repeat(event, weights.astype(int)),
        [6, 10, 16, 23],
    )
    assert np.allclose(weighted["survival"], repeated["survival"])
    assert (
        weighted["n_at_risk"].tolist() == km_at(weeks, event, [6, 10, 16, 23])["n_at_risk"].tolist()
    )
    curve = km_curve(weeks, event, weights=weights)
    assert np.allclose(
        curve["survival"],
        km_curve(np.repeat(weeks, weights.astype(int)), np.repeat(event, weights.astype(int)))[
            "survival"
        ],
    )


def test_the_jackknife_variance_of_equal_weights_is_greenwoods():
    """Weights all 2 leave the estimate alone, and the jackknife variance is then the
    unweighted one, which for Kaplan–Meier is Greenwood's."""
    duration = np.tile(SIX_MP_WEEKS + PLACEBO_WEEKS, 5)
    event = np.tile(SIX_MP_EVENT + [1] * len(PLACEBO_WEEKS), 5)
    greenwood = km_at(duration, event, [8, 16])
    jackknife = km_at(duration, event, [8, 16], weights=np.full(duration.size, 2.0))
    assert np.allclose(jackknife["survival"], greenwood["survival"])
    np.testing.assert_allclose(jackknife["ci_low"], greenwood["ci_low"], rtol=1e-10)
    np.testing.assert_allclose(jackknife["ci_high"], greenwood["ci_high"], rtol=1e-10)


def test_equal_weights_leave_the_hazard_ratio_and_its_robust_error_alone():
    people = leukaemia().reset_index(names="id")
    plain = cox_hazard_ratio(people, "weeks", "relapse", "six_mp", cluster="id")
    doubled = cox_hazard_ratio(
        people.assign(w=2.0), "weeks", "relapse", "six_mp", cluster="id", weights="w"
    )
    assert doubled.estimate == pytest.approx(plain.estimate, rel=1e-8)
    assert doubled.ci_low == pytest.approx(plain.ci_low, rel=1e-6)
    assert doubled.ci_high == pytest.approx(plain.ci_high, rel=1e-6)
    adjusted = retention_difference(
        people.assign(w=1.0), "weeks", "relapse", "six_mp", 10, method="adjusted"
    )
    adjusted_doubled = retention_difference(
        people.assign(w=2.0), "weeks", "relapse", "six_mp", 10, method="adjusted", weights="w"
    )
    assert adjusted_doubled.estimate == pytest.approx(adjusted.estimate, rel=1e-8)
    assert adjusted_doubled.ci_low == pytest.approx(adjusted.ci_low, rel=1e-6)


def _half_width(estimate) -> float:
    return (estimate.ci_high - estimate.ci_low) / 2


def test_weighting_a_sampled_comparison_group_recovers_the_full_cohorts_survival():
    """Trial A (risky) is drawn at 5%, trial B (safe) at 50%: unweighted, the sample looks
    far safer than everyone eligible; weighted by eligible / drawn it does not."""
    full, sampled = _comparison(full_cohort()), _comparison(sampled_cohort())
    truth = km_at(full["exit_days"], full["exit_event"], [365.25]).iloc[0]["survival"]
    weighted = km_at(
        sampled["exit_days"], sampled["exit_event"], [365.25], weights=sampled["sampling_weight"]
    ).iloc[0]
    unweighted = km_at(sampled["exit_days"], sampled["exit_event"], [365.25]).iloc[0]
    tolerance = 1.5 * (weighted["ci_high"] - weighted["ci_low"])  # three standard errors
    assert abs(weighted["survival"] - truth) < tolerance
    assert abs(unweighted["survival"] - truth) > tolerance
    assert weighted["n_at_risk"] == unweighted["n_at_risk"]


def test_weighted_estimates_of_a_sampled_cohort_agree_with_the_full_cohorts():
    full, sampled = full_cohort(), sampled_cohort()
    columns = ("exit_days", "exit_event", "treated")
    everyone = cox_hazard_ratio(full, *columns)
    weighted = cox_hazard_ratio(sampled, *columns, weights="sampling_weight")
    unweighted = cox_hazard_ratio(sampled, *columns)
    log_error = (np.log(weighted.ci_high) - np.log(weighted.ci_low)) / 2 / 1.96
    assert abs(np.log(weighted.estimate / everyone.estimate)) < 3 * log_error
    assert abs(np.log(unweighted.estimate / everyone.estimate)) > 3 * log_error
    assert weighted.n_control == unweighted.n_control == (sampled["treated"] == 0).sum()
    for method, categorical in (("naive", ()), ("adjusted", ("trial",))):
        everyone = retention_difference(full, *columns, categorical=categorical, method=method)
        weighted = retention_difference(
            sampled, *columns, categorical=categorical, method=method, weights="sampling_weight"
        )
        assert abs(weighted.estimate - everyone.estimate) < 1.5 * _half_width(weighted), method
    naive_unweighted = retention_difference(sampled, *columns)
    naive_weighted = retention_difference(sampled, *columns, weights="sampling_weight")
    assert abs(naive_unweighted.estimate - everyone.estimate) > 1.5 * _half_width(naive_weighted)


def test_the_weighted_kaplan_meier_error_is_the_infinitesimal_jackknife():
    """√Σ (w_i ∂S/∂w_i)², each derivative by a central finite difference."""
    rng = np.random.default_rng(4)
    duration = rng.integers(1, 30, 80).astype(float)
    event = rng.integers(0, 2, 80)
    weights = rng.choice([1.0, 2.5, 6.0], 80)
    horizons = np.array([10.0, 15.0, 20.0])
    from stats.survival import _kaplan_meier, _survival_at

    survival, std_error = _survival_at(_kaplan_meier(duration, event, weights=weights), horizons)
    assert ((survival > 0) & (survival < 1)).all()
    step = 1e-6
    for horizon, analytic in zip(horizons, std_error, strict=True):
        terms = []
        for i in range(weights.size):
            up, down = weights.copy(), weights.copy()
            up[i] += step
            down[i] -= step
            change = km_at(duration, event, [horizon], weights=up)["survival"].iloc[0]
            change -= km_at(duration, event, [horizon], weights=down)["survival"].iloc[0]
            terms.append(weights[i] * change / (2 * step))
        numerical = float(np.sqrt(np.sum(np.square(terms))))
        assert analytic == pytest.approx(numerical, rel=1e-4), horizon


def test_the_weighted_cox_robust_error_is_the_infinitesimal_jackknife():
    """The robust sandwich of a weighted fit is √Σ (w_i ∂β/∂w_i)² (one row per cluster)."""
    from stats.cox import fit_cox

    rng = np.random.default_rng(6)
    n = 120
    treated = rng.integers(0, 2, n)
    duration = rng.exponential(1 / np.exp(-0.5 * treated))
    event = (rng.random(n) < 0.8).astype(int)
    weights = np.where(treated == 1, 1.0, rng.choice([2.0, 7.0], n))
    people = pd.DataFrame(
        {"t": duration, "e": event, "x": treated, "w": weights, "id": np.arange(n)}
    )
    result = cox_hazard_ratio(people, "t", "e", "x", cluster="id", weights="w")
    analytic = (np.log(result.ci_high) - np.log(result.ci_low)) / 3.92
    step = 1e-6
    terms = []
    for i in range(n):
        up, down = weights.copy(), weights.copy()
        up[i] += step
        down[i] -= step
        beta_up = fit_cox(duration, event, treated[:, None].astype(float), weights=up).params[0]
        beta_down = fit_cox(duration, event, treated[:, None].astype(float), weights=down)
        terms.append(weights[i] * (beta_up - beta_down.params[0]) / (2 * step))
    assert analytic == pytest.approx(float(np.sqrt(np.sum(np.square(terms)))), rel=0.05)


# --- Merged censored rows -------------------------------------------------------------------


def repeated_trials(seed: int = 11, n: int = 3000) -> pd.DataFrame:
    """Person-trials with few-valued covariates and coarse follow-up: most censored rows have
    twins in every model input (but not in their person or, sometimes, their weight)."""
    rng = np.random.default_rng(seed)
    department = rng.choice(["ops", "sales", "tech"], n)
    treated = rng.integers(0, 2, n)
    rating = rng.choice([2.0, 3.0, 4.0, np.nan], n)
    hazard = np.exp(-0.4 * treated + 0.3 * (department == "tech")) / 300
    event_day = np.ceil(rng.exponential(1 / hazard))
    follow_up = rng.choice([90.0, 180.0, 365.0], n)
    return pd.DataFrame(
        {
            "days": np.minimum(event_day, follow_up),
            "left": (event_day <= follow_up).astype(int),
            "treated": treated,
            "department": department,
            "rating": rating,
            "program": rng.choice(["a", "b"], n),
            "person": rng.integers(0, n // 3, n),
            "w": np.where(treated == 1, 1.0, rng.choice([1.5, 4.0], n)),
        }
    )


@pytest.mark.parametrize(("weights", "strata"), [(None, None), ("w", None), ("w", "program")])
def test_merging_censored_twins_changes_no_estimate(monkeypatch, weights, strata):
    frame = repeated_trials()
    model = (frame, "days", "left", "treated", ["rating"], ["department"])
    merged = survival._survival_data(*model, "person", strata, weights)
    assert merged.rows.duration.size < len(frame) / 2  # the merging has something to merge
    hazard_ratio = cox_hazard_ratio_and_ph_check(
        *model, cluster="person", strata=strata, weights=weights
    )
    retention = retention_difference(
        *model[:4], 180, ["rating"], ["department"], "adjusted", "person", weights
    )

    unmerged = partial(survival._survival_data, merge_censored=False)
    monkeypatch.setattr(survival, "_survival_data", unmerged)
    assert unmerged(*model, "person", strata, weights).rows.duration.size == len(frame)
    hazard_ratio_unmerged = cox_hazard_ratio_and_ph_check(
        *model, cluster="person", strata=strata, weights=weights
    )
    retention_unmerged = retention_difference(
        *model[:4], 180, ["rating"], ["department"], "adjusted", "person", weights
    )

    estimate, p_value, holds = hazard_ratio
    estimate_unmerged, p_value_unmerged, holds_unmerged = hazard_ratio_unmerged
    numbers = [*astuple(estimate)[:4], p_value, *astuple(retention)[:4]]
    numbers_unmerged = [
        *astuple(estimate_unmerged)[:4],
        p_value_unmerged,
        *astuple(retention_unmerged)[:4],
    ]
    assert np.isfinite(numbers).all()
    np.testing.assert_allclose(numbers, numbers_unmerged, rtol=1e-9)
    assert holds == holds_unmerged
