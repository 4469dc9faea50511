"""Differences-in-differences and the shared covariate design, on hand-computed examples."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from stats.did import diff_in_diff
from stats.estimate import design_matrix
from tests.sampled import full_cohort


def eight_people() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "before": [5.0, 6, 7, 4, 5, 8, 6, 5],
            "after": [4.0, 4, 6, 4, 6, 8, 7, 5],
            "mentee": [1, 1, 1, 1, 0, 0, 0, 0],
            "site": pd.array(["x", "y", "x", "y", "x", "y", "x", "y"], dtype="str"),
        }
    )


def test_naive_did_is_the_difference_of_mean_changes_with_hc3_errors():
    result = diff_in_diff(eight_people(), "before", "after", "mentee")
    # Changes: mentees −1, −2, −1, 0 (mean −1); others +1, 0, +1, 0 (mean +0.5).
    assert result.estimate == pytest.approx(-1.5)
    # HC3 with one binary regressor is s²_T/(n_T − 1) + s²_C/(n_C − 1).
    std_error = np.sqrt((2 / 3) / 3 + (1 / 3) / 3)
    assert result.ci_high - result.ci_low == pytest.approx(2 * 1.959964 * std_error, rel=1e-5)
    assert (result.n_treated, result.n_control, result.method) == (4, 4, "naive")
    assert result.note is None


def test_did_scales_binary_outcomes_to_percentage_points():
    frame = pd.DataFrame(
        {
            "lonely_before": [1, 1, 0, 1, 1, 0, 1, 0],
            "lonely_after": [0, 1, 0, 0, 1, 1, 1, 0],
            "mentee": [1, 1, 1, 1, 0, 0, 0, 0],
        }
    )
    unit = diff_in_diff(frame, "lonely_before", "lonely_after", "mentee")
    points = diff_in_diff(frame, "lonely_before", "lonely_after", "mentee", scale=100)
    # Mentees: 2 of 4 stopped being lonely (−50 points); others: one started (+25 points).
    assert points.estimate == pytest.approx(-75.0)
    assert (points.ci_low, points.ci_high) == pytest.approx((100 * unit.ci_low, 100 * unit.ci_high))
    assert points.p_value == pytest.approx(unit.p_value)


def test_adjusted_did_matches_a_formula_regression():
    rng = np.random.default_rng(2)
    n = 300
    frame = pd.DataFrame(
        {
            "before": rng.normal(5, 1, n),
            "mentee": rng.integers(0, 2, n),
            "level": pd.array(rng.choice(["L1", "L2", "L3"], n), dtype="str"),
            "rating": np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 6, n)),
        }
    )
    frame["after"] = frame["before"] - 0.5 * frame["mentee"] + rng.normal(0, 1, n)
    ours = diff_in_diff(frame, "before", "after", "mentee", ["rating"], ["level"])
    manual = frame.assign(
        change=frame["after"] - frame["before"],
        rating_missing=frame["rating"].isna().astype(float),
        rating=frame["rating"].fillna(frame["rating"].median()),
    )
    reference = smf.ols("change ~ mentee + C(level) + rating + rating_missing", manual).fit(
        cov_type="HC3"
    )
    assert ours.method == "adjusted"
    assert ours.estimate == pytest.approx(reference.params["mentee"])
    assert ours.ci_low == pytest.approx(reference.conf_int().loc["mentee", 0])
    assert ours.p_value == pytest.approx(reference.pvalues["mentee"])


def test_did_counts_only_people_with_both_waves():
    frame = eight_people()
    frame.loc[0, "before"] = np.nan
    frame.loc[5, "after"] = np.nan
    result = diff_in_diff(frame, "before", "after", "mentee")
    assert (result.n_treated, result.n_control) == (3, 3)
    # Mentees −2, −1, 0 (mean −1); others +1, +1, 0 (mean 2/3).
    assert result.estimate == pytest.approx(-1 - 2 / 3)


def test_did_with_fewer_than_two_in_a_group_is_nan_with_a_note():
    result = diff_in_diff(eight_people().iloc[3:], "before", "after", "mentee")
    assert np.isnan(result.estimate) and np.isnan(result.ci_low)
    assert (result.n_treated, result.n_control) == (1, 4)
    assert "fewer than 2" in result.note


def test_did_is_not_estimable_when_a_covariate_determines_the_treatment():
    frame = eight_people().assign(cohort=["pilot"] * 4 + ["other"] * 4)
    result = diff_in_diff(frame, "before", "after", "mentee", categorical=["cohort"])
    assert np.isnan(result.estimate)
    assert result.note == "the treatment is fully determined by the covariates"


def test_did_falls_back_to_hc1_when_someone_has_leverage_one():
    # Person 3 is the only non-mentee at site z: treatment and site pin their change exactly.
    frame = pd.DataFrame(
        {
            "before": [5.0, 6, 7, 4, 5, 8, 6, 5],
            "after": [4.0, 4, 6, 5, 6, 8, 7, 5],
            "mentee": [1, 0, 1, 0, 1, 0, 1, 1],
            "site": ["z", "x", "z", "z", "z", "x", "z", "z"],
            "band": ["p", "p", "q", "p", "q", "q", "q", "q"],
        }
    )
    result = diff_in_diff(frame, "before", "after", "mentee", categorical=["site", "band"])
    assert np.isfinite(result.estimate) and np.isfinite(result.ci_low)
    assert "HC1" in result.note


# --- The covariate design shared with Cox ---------------------------------------------------


def test_design_puts_treatment_first_and_one_hot_encodes_against_the_most_common_level():
    frame = pd.DataFrame(
        {
            "mentee": [1, 0, 1, 0, 1, 0, 1],
            "level": pd.array(["L2", "L1", "L2", "L3", "L3", "L2", "L1"], dtype="str"),
        }
    )
    design = design_matrix(frame, "mentee", categorical=["level"])
    assert design.columns.tolist() == ["mentee", "level=L1", "level=L3"]
    assert design.dtypes.eq(float).all()


def test_design_gives_missing_numbers_an_indicator_and_missing_categories_a_level():
    frame = pd.DataFrame(
        {
            "mentee": [1, 0, 1, 0, 1, 0, 1],
            "rating": [3.0, np.nan, 5.0, np.nan, 1.0, 4.0, 2.0],
            "gender": pd.array(["w", "m", None, "w", None, "m", "w"], dtype="str"),
        }
    )
    design = design_matrix(frame, "mentee", covariates=["rating", "gender"])
    assert design.columns.tolist() == [
        "mentee",
        "rating",
        "rating_missing",
        "gender=(missing)",
        "gender=m",
    ]
    assert design["rating"].tolist() == [3.0, 3.0, 5.0, 3.0, 1.0, 4.0, 2.0]  # median 3
    assert design["rating_missing"].tolist() == [0, 1, 0, 1, 0, 0, 0]


def test_category_columns_give_the_design_their_text_would():
    """The cohort's text columns arrive as categories, listed in first-seen order and with
    levels that a subset of people may not use."""
    gender = ["w", "m", None, "w", "w", "m", "w", "x", "m", "(missing)"]
    frame = pd.DataFrame(
        {
            "mentee": [1, 0, 1, 0, 1, 0, 1, 0, 1, 0],
            "gender": pd.array(gender, dtype="str"),
            "unit": pd.array(["b", "a", "b", "c", "a", "a", "b", "c", "a", "b"], dtype="str"),
        }
    )
    categories = frame.astype(
        {
            "gender": pd.CategoricalDtype(["unused", "x", "w", "m", "(missing)"]),
            "unit": pd.CategoricalDtype(["c", "b", "a"]),
        }
    )
    expected = design_matrix(frame, "mentee", categorical=["gender", "unit"])
    got = design_matrix(categories, "mentee", categorical=["gender", "unit"])
    assert "gender=(missing)" in expected.columns
    pd.testing.assert_frame_equal(got, expected)


def test_design_drops_constant_single_person_and_redundant_columns():
    frame = pd.DataFrame(
        {
            "mentee": [1, 0, 1, 0, 1, 0],
            "site": ["HQ"] * 6,  # constant
            "tenure": [1.0, 2, 3, 4, 5, 6],
            "tenure_months": [12.0, 24, 36, 48, 60, 72],  # same information as tenure
            "rating": [3.0, 3, 3, 3, 3, np.nan],  # indicator would describe one person
            "unit": ["a", "a", "a", "b", "b", "c"],  # level c is one person
        }
    )
    design = design_matrix(
        frame, "mentee", ["site", "tenure", "tenure_months", "rating", "mentee"], ["unit"]
    )
    assert design.columns.tolist() == ["mentee", "tenure", "unit=b"]


def test_design_without_covariates_is_the_treatment_alone():
    design = design_matrix(eight_people(), "mentee")
    assert design.columns.tolist() == ["mentee"]
    assert design["mentee"].tolist() == [1, 1, 1, 1, 0, 0, 0, 0]


def test_treatment_must_be_zero_or_one():
    frame = eight_people().assign(mentee=[2, 1, 1, 1, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="0/1"):
        diff_in_diff(frame, "before", "after", "mentee")


def test_rows_are_matched_by_position_even_with_repeated_index_labels():
    frame = eight_people()
    resampled = frame.iloc[[0, 0, 1, 2, 4, 4, 5, 6]]  # as a bootstrap draw would be
    expected = diff_in_diff(
        resampled.reset_index(drop=True), "before", "after", "mentee", [], ["site"]
    )
    assert diff_in_diff(resampled, "before", "after", "mentee", [], ["site"]) == expected
    assert len(design_matrix(resampled, "mentee", categorical=["site"])) == 8


def test_more_covariates_than_people_is_not_estimable_rather_than_an_error():
    rng = np.random.default_rng(5)
    frame = eight_people().assign(**{f"x{i}": rng.normal(size=8) for i in range(9)})
    covariates = [f"x{i}" for i in range(9)]
    design = design_matrix(frame, "mentee", covariates)
    assert len(design.columns) - 1 <= 7  # centred, eight rows span at most seven directions
    result = diff_in_diff(frame, "before", "after", "mentee", covariates)
    assert np.isnan(result.estimate)
    assert result.note == "fewer people with both waves than model terms"


def test_clustered_did_matches_statsmodels_cluster_robust_ols():
    """Where people recur (several monthly trials), the variance is CR1 over employee_id, as
    statsmodels' OLS(cov_type="cluster") computes it."""
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    n = 600
    frame = pd.DataFrame(
        {
            "person": rng.integers(0, 250, n),
            "treated": (rng.random(n) < 0.3).astype(int),
            "x": rng.normal(size=n),
            "pair": rng.choice(["a>c", "b>c"], n),
        }
    )
    frame["baseline"] = rng.normal(5, 1, n)
    shared = rng.normal(0, 1, 250)[frame["person"]]  # a person's rows move together
    frame["followup"] = (
        frame["baseline"] - 0.5 * frame["treated"] + 0.3 * frame["x"] + shared + rng.normal(0, 1, n)
    )
    result = diff_in_diff(
        frame, "baseline", "followup", "treated", ["x"], fixed_effects=["pair"], cluster="person"
    )
    regressors = sm.add_constant(
        np.column_stack([frame["treated"], frame["x"], frame["pair"] == "b>c"]).astype(float)
    )
    reference = sm.OLS(frame["followup"] - frame["baseline"], regressors).fit(
        cov_type="cluster", cov_kwds={"groups": frame["person"]}
    )
    assert result.estimate == pytest.approx(reference.params.iloc[1], rel=1e-8)
    low, high = reference.conf_int().iloc[1]
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-6)


def test_collinear_columns_are_found_from_the_gram_matrix_as_a_qr_finds_them():
    from stats.estimate import COLLINEARITY_TOLERANCE, _linearly_independent

    rng = np.random.default_rng(4)
    n = 5000
    a, b = rng.normal(size=n), rng.normal(size=n)
    dummies = np.eye(4)[rng.integers(0, 4, n)]
    design = pd.DataFrame(
        {
            "a": a,
            "b": b,
            "a+b": a + b,  # a combination of earlier columns
            "d1": dummies[:, 1],
            "d2": dummies[:, 2],
            "d3": dummies[:, 3],
            "d0": dummies[:, 0],  # the dummies sum to one: centred, d0 = −(d1 + d2 + d3)
            "small": a + 1e-3 * rng.normal(size=n),  # nearly a, but not quite
        }
    )
    centred = design.to_numpy() - design.to_numpy().mean(axis=0)
    r = np.abs(np.diag(np.linalg.qr(centred, mode="r")))
    expected = list(design.columns[r > COLLINEARITY_TOLERANCE * np.linalg.norm(centred, axis=0)])
    assert _linearly_independent(design) == expected
    assert expected == ["a", "b", "d1", "d2", "d3", "small"]


# --- Sampling weights (issue #16) -----------------------------------------------------------


def test_case_weights_are_weighted_least_squares_and_keep_the_methods_name():
    full = full_cohort()
    sampled = full.loc[full["drawn"]].reset_index(drop=True)
    everyone = diff_in_diff(full, "baseline", "followup", "treated")
    weighted = diff_in_diff(
        sampled,
        "baseline",
        "followup",
        "treated",
        cluster="employee_id",
        case_weights="sampling_weight",
    )
    unweighted = diff_in_diff(sampled, "baseline", "followup", "treated", cluster="employee_id")
    assert weighted.method == "naive"
    half_width = (weighted.ci_high - weighted.ci_low) / 2
    assert abs(weighted.estimate - everyone.estimate) < 1.5 * half_width
    assert abs(unweighted.estimate - everyone.estimate) > 1.5 * half_width
    # The weighted fit is a regression with each row counted its weight.
    fitted = smf.wls(
        "I(followup - baseline) ~ treated", sampled, weights=sampled["sampling_weight"]
    ).fit()
    assert weighted.estimate == pytest.approx(fitted.params["treated"])
    assert (weighted.n_treated, weighted.n_control) == (unweighted.n_treated, unweighted.n_control)
    ones = diff_in_diff(
        sampled.assign(sampling_weight=1.0),
        "baseline",
        "followup",
        "treated",
        ["trial"],
        cluster="employee_id",
        case_weights="sampling_weight",
    )
    assert ones == diff_in_diff(
        sampled, "baseline", "followup", "treated", ["trial"], cluster="employee_id"
    )
