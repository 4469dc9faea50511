"""ATT weighting: the propensity model, balance after weighting, weighted Cox, Kaplan–Meier
and DiD (stats/weighting.py, the weights of stats/cox.py and stats/did.py)."""

from dataclasses import astuple

import numpy as np
import pandas as pd
import pytest

from effects.diagnostics import study_balance
from effects.program_effects import studies, study_weighting
from stats import weighting
from stats.cox import fit_cox, merge_censored_rows, unmerged_rows
from stats.did import diff_in_diff
from stats.survival import cox_hazard_ratio, retention_difference
from stats.weighting import (
    MAX_CENSORING_FACTOR,
    att_weighting,
    censoring_weights,
    no_censoring_weights,
    split_follow_up,
    weighted_hazard_ratio,
    weighted_km,
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


# --- Inverse probability of censoring weights ------------------------------------------------

PERIOD_STARTS = np.arange(0.0, 400.0, 10.0)  # periods of 10 days: (0, 10], (10, 20], …


def _two_profiles() -> pd.DataFrame:
    """20 comparison people (10 with x = 1) and 4 participants, all from day 0: 4 of the
    x = 1 and 1 of the x = 0 comparison people are censored on day 15 (period 1), nobody
    else, and everyone else is followed to day 35."""
    x = np.r_[np.ones(10), np.zeros(10), [1, 1, 0, 0]]
    censored = np.zeros(24, dtype=bool)
    censored[[0, 1, 2, 3, 10]] = True
    return pd.DataFrame(
        {
            "x": x,
            "days": np.where(censored, 15.0, 35.0),
            "event": np.r_[np.zeros(20), [1, 0, 1, 0]],
            "treated": np.r_[np.zeros(20), np.ones(4)].astype(int),
            "censored": censored,
            "id": np.arange(24),
        }
    )


def _weights_of(frame: pd.DataFrame, case_weight: np.ndarray | None = None):
    return censoring_weights(
        frame["days"],
        frame["censored"],
        frame["treated"] == 0,
        frame[["x"]].to_numpy(),
        np.zeros(len(frame)),
        PERIOD_STARTS,
        case_weight=case_weight,
    )


def test_censoring_factors_by_hand():
    """Censoring happens in one period only, so the model is saturated there and its hazards
    are the shares censored: 4/10 when x = 1, 1/10 when x = 0. Before the period the factor
    is 1, in its middle 1/√(1 − h), after it 1/(1 − h); participants keep 1."""
    frame = _two_profiles()
    weights = _weights_of(frame)
    assert weights.converged
    for x, hazard in ((1, 0.4), (0, 0.1)):
        row = int(np.flatnonzero((frame["x"] == x) & (frame["treated"] == 0))[0])
        expected = [1.0, 1 / np.sqrt(1 - hazard), 1 / (1 - hazard), 1 / (1 - hazard)]
        np.testing.assert_allclose(weights.factor[row, :4], expected, rtol=1e-5)
    np.testing.assert_array_equal(weights.factor[frame["treated"] == 1], 1.0)
    # Day 5 is in period 0, day 10 still is ((0, 10]), day 25 in period 2.
    np.testing.assert_allclose(
        weights.at(np.r_[5.0, 10.0, 25.0, np.full(21, np.nan)])[:3],
        [1.0, 1.0, 1 / 0.6],
        rtol=1e-5,
    )


def test_censoring_case_weights_act_like_repeated_rows():
    """A sampled comparison person stands for several: weight 3 on the censored x = 0 row and
    on two uncensored x = 1 rows gives the hazards of the frame with those rows repeated."""
    frame = _two_profiles()
    case_weight = np.ones(len(frame))
    case_weight[[10, 4, 5]] = 3
    weighted = _weights_of(frame, case_weight)
    repeated = frame.loc[frame.index.repeat(case_weight.astype(int))]
    expanded = _weights_of(repeated.reset_index(drop=True))
    first_copy = ~repeated.index.duplicated()
    np.testing.assert_allclose(weighted.factor, expanded.factor[first_copy], rtol=1e-6)
    # Hazards 4/14 (x = 1: 4 of 10, and 2 × 2 more uncensored) and 3/12 (x = 0), not 4/10, 1/10.
    x1 = int(np.flatnonzero((frame["x"] == 1) & (frame["treated"] == 0))[0])
    assert weighted.factor[x1, 2] == pytest.approx(1 / (1 - 4 / 14), rel=1e-5)


def test_follow_up_is_split_where_the_factor_changes():
    frame = _two_profiles()
    pieces, factor = split_follow_up(frame, "days", "event", _weights_of(frame))
    followed = pieces.loc[pieces.index == 4]  # x = 1, not censored, followed to day 35
    assert followed["_entry"].tolist() == [-np.inf, 10.0, 20.0]
    assert followed["days"].tolist() == [10.0, 20.0, 35.0]
    expected = [1, 1 / np.sqrt(0.6), 1 / 0.6]
    np.testing.assert_allclose(factor[pieces.index == 4], expected, rtol=1e-5)
    censored = pieces.loc[pieces.index == 0]  # censored on day 15: two pieces
    assert censored["days"].tolist() == [10.0, 15.0]
    participant = pieces.loc[pieces.index == 20]  # an event on day 35, one piece
    assert participant["_entry"].tolist() == [-np.inf]
    assert participant["event"].tolist() == [1]
    # Each person's events are kept, on their last piece only.
    assert pieces.groupby(level=0)["event"].sum().tolist() == frame["event"].tolist()


def test_the_weighted_km_of_pieces_is_the_hand_computed_one():
    """Two comparison profiles: 2 at risk with weight 2 from day 0, one with weight 1 from
    day 3 (entered then); events on days 2 and 5."""
    duration = np.array([2.0, 6.0, 5.0])
    event = np.array([1.0, 0.0, 1.0])
    weight = np.array([2.0, 2.0, 1.0])
    entry = np.array([-np.inf, -np.inf, 3.0])
    survival, _ = weighted_km(duration, event, weight, 10.0, entry)
    # Day 2: 2 of 4 (the third row not yet in); day 5: 1 of 3.
    assert survival == pytest.approx((1 - 2 / 4) * (1 - 1 / 3))


def test_no_censoring_leaves_the_weights_and_the_estimates_as_they_were():
    frame = _survival_frame()
    weights = censoring_weights(
        frame["days"],
        np.zeros(len(frame), dtype=bool),
        frame["treated"] == 0,
        np.ones((len(frame), 1)),
        np.zeros(len(frame)),
        PERIOD_STARTS,
    )
    np.testing.assert_array_equal(weights.factor, 1.0)
    pieces, factor = split_follow_up(frame, "days", "event", weights)
    assert len(pieces) == len(frame)
    att = np.random.default_rng(4).uniform(0.2, 3, len(frame))
    for estimate in (weighted_hazard_ratio, weighted_retention_difference):
        before = estimate(frame, "days", "event", "treated", att, "id")
        after = estimate(pieces, "days", "event", "treated", att * factor, "id", entry="_entry")
        assert after == before


def _informatively_censored(seed: int = 0, n: int = 5000) -> tuple[pd.DataFrame, np.ndarray]:
    """Participants and comparison people alike (x ~ Bernoulli(½) in both; no effect), but
    comparison people with x = 1, who leave 4.5 times as fast, are paired (censored) far more
    often, on days 30–149: without correction the comparison group looks as if it stayed."""
    rng = np.random.default_rng(seed)
    treated = np.r_[np.ones(n), np.zeros(n)].astype(int)
    x = (rng.random(2 * n) < 0.5).astype(float)
    exit_day = np.ceil(rng.exponential(1 / (0.0006 * np.exp(1.5 * x))))
    chance = np.where(x == 1, 0.8, 0.1)
    paired = np.where(
        (treated == 0) & (rng.random(2 * n) < chance), rng.integers(30, 150, 2 * n), np.inf
    )
    end = np.minimum.reduce([exit_day, paired, np.full(2 * n, 600.0)])
    frame = pd.DataFrame(
        {
            "days": end,
            "event": (exit_day <= np.minimum(paired, 600)).astype(int),
            "treated": treated,
            "x": x,
            "id": np.arange(2 * n),
        }
    )
    return frame, paired <= np.minimum(exit_day, 600)


def test_censoring_weights_remove_the_bias_of_informative_censoring():
    frame, censored = _informatively_censored()
    weights = censoring_weights(
        frame["days"],
        censored,
        frame["treated"] == 0,
        frame[["x"]].to_numpy(),
        np.zeros(len(frame)),
        np.arange(0.0, 660.0, 30.0),
    )
    assert weights.converged
    assert 1 < weights.factor.max() <= MAX_CENSORING_FACTOR
    ones = np.ones(len(frame))
    naive_hr = weighted_hazard_ratio(frame, "days", "event", "treated", ones, "id")
    naive_diff = weighted_retention_difference(frame, "days", "event", "treated", ones, "id")
    assert naive_hr.ci_low > 1.1
    assert naive_diff.ci_high < -5
    pieces, factor = split_follow_up(frame, "days", "event", weights)
    hr = weighted_hazard_ratio(pieces, "days", "event", "treated", factor, "id", entry="_entry")
    diff = weighted_retention_difference(
        pieces, "days", "event", "treated", factor, "id", entry="_entry"
    )
    assert hr.ci_low <= 1 <= hr.ci_high and abs(np.log(hr.estimate)) < 0.05
    assert diff.ci_low <= 0 <= diff.ci_high
    # People, not pieces, are counted.
    assert (hr.n_treated, hr.n_control) == (5000, 5000)


def test_merging_censored_pieces_changes_no_weighted_hazard_ratio(monkeypatch):
    frame, censored = _informatively_censored(n=2000)
    frame["program"] = np.where(frame["id"] % 3 == 0, "a", "b")
    weights = censoring_weights(
        frame["days"],
        censored,
        frame["treated"] == 0,
        frame[["x"]].to_numpy(),
        (frame["id"] % 7).to_numpy(dtype=float),  # time zeros apart: entries differ
        np.arange(0.0, 660.0, 30.0),
    )
    pieces, factor = split_follow_up(frame, "days", "event", weights)
    arguments = (pieces, "days", "event", "treated", factor, "id", "program", "_entry")
    merged_sizes = []

    def merge_and_count(event, columns):
        merged = merge_censored_rows(event, columns)
        merged_sizes.append(merged.representative.size)
        return merged

    monkeypatch.setattr(weighting, "merge_censored_rows", merge_and_count)
    merged = weighted_hazard_ratio(*arguments)
    assert merged_sizes[0] < len(pieces) / 2  # the merging has something to merge
    monkeypatch.setattr(
        weighting, "merge_censored_rows", lambda event, columns: unmerged_rows(event.size)
    )
    unmerged = weighted_hazard_ratio(*arguments)
    assert np.isfinite(astuple(merged)[:4]).all()
    np.testing.assert_allclose(astuple(merged)[:4], astuple(unmerged)[:4], rtol=1e-9)


def test_no_censoring_weights_are_ones():
    weights = no_censoring_weights(3)
    np.testing.assert_array_equal(weights.at(np.array([0.0, 100.0, np.nan])), 1.0)


def test_a_study_without_later_pairings_keeps_its_time_zero_weights_and_estimates():
    """No comparison person is paired later (no `paired_later_on`): every censoring factor is
    1 and each ipw estimate is the one the ATT weights alone give."""
    from effects.program_effects import (
        CLUSTER,
        OUTCOMES,
        TREATED,
        _ipw_estimate,
        study_censoring,
    )

    study = studies(cohort_of("P", "mentor", 1500, 4))[0]
    weighting = study_weighting(study)
    censoring = study_censoring(study, weighting)
    np.testing.assert_array_equal(censoring.factor, 1.0)
    people, weight = study.people, weighting.weight
    for outcome in OUTCOMES:
        if outcome.kind == "did":
            continue
        with_censoring = _ipw_estimate(study, outcome, weighting, censoring)
        estimate = weighted_hazard_ratio if outcome.kind == "cox" else weighted_retention_difference
        alone = estimate(people, outcome.first, outcome.second, TREATED, weight, CLUSTER)
        assert with_censoring == alone, outcome.code


def test_comparison_people_paired_later_are_censored_then_and_weighted_for_it():
    """A fifth of the comparison people with a top rating are paired on day 45 (and so
    censored then): those still at risk like them count for more from then on, nobody
    counts for more before it, participants never do, and people (not pieces) are counted."""
    from effects.program_effects import OUTCOMES, TREATED, _ipw_estimate, study_censoring

    cohort = cohort_of("P", "mentor", 1500, 5)
    rng = np.random.default_rng(99)  # not the organisation's seed: its draws are the same
    top = (cohort["arm"] == "comparison") & (cohort["performance_rating"] >= 4)
    paired = top & (rng.random(len(cohort)) < 0.2) & (cohort["exit_days"] > 45)
    index = pd.to_datetime(cohort["index_date"])
    days = cohort["exit_days"].where(~paired, 45)
    cohort = cohort.assign(
        paired_later_on=(index + pd.Timedelta(days=45)).where(paired),
        exit_days=days,
        exit_event=cohort["exit_event"].where(~paired, 0),
        follow_up_end=index + pd.to_timedelta(days, unit="D"),
        exit_type=np.where(cohort["exit_event"].where(~paired, 0) == 1, "voluntary", None),
    )
    study = studies(cohort)[0]
    weighting = study_weighting(study)
    censoring = study_censoring(study, weighting)
    assert censoring.converged
    later = censoring.at(np.full(len(study.people), 200.0))
    early = censoring.at(np.full(len(study.people), 10.0))
    treated = study.people[TREATED].to_numpy() == 1
    rated = study.people["performance_rating"].to_numpy() >= 4
    np.testing.assert_array_equal(early, 1.0)
    np.testing.assert_array_equal(later[treated], 1.0)
    like_them, others = later[~treated & rated], later[~treated & ~rated]
    assert like_them.mean() > 1.15 > 1.05 > others.mean(), (like_them.mean(), others.mean())
    assert like_them.min() > 1 and others.min() >= 1
    n_control = int((~treated).sum())
    for outcome in OUTCOMES:
        if outcome.kind != "did":
            result = _ipw_estimate(study, outcome, weighting, censoring)
            assert np.isfinite(result.estimate) and result.n_control == n_control, outcome
