"""`marts.program_effects` and its subgroups on simulated cohorts (tests/simulate.py)."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from effects.program_effects import (
    METHODS,
    OUTCOMES,
    SUBGROUP_METHODS,
    missing_estimates,
    program_effects,
    program_effects_by_subgroup,
)
from stats.proportions import holm_adjust
from tests.simulate import Scenario, simulate_organisation

OUTCOME_CODES = [o.code for o in OUTCOMES]
INDEX = pd.Timestamp("2024-04-01")


def cohort_of(program_id: str, relationship_type: str, n: int, seed: int) -> pd.DataFrame:
    """A simulated program as `marts.study_cohort` rows (participants and comparison group)."""
    people = simulate_organisation(Scenario(n=n, unit_days=7), seed)
    rng = np.random.default_rng(seed)
    return people.assign(
        program_id=program_id,
        relationship_type=relationship_type,
        employee_id=[f"{program_id}-{i}" for i in people["person_id"]],
        arm=np.where(people["treated"] == 1, "participant", "comparison"),
        ethnicity=rng.choice(["Asian", "Black", "White"], len(people)),
        index_date=INDEX,
        first_pairing_start=INDEX,
        engagement_baseline=people["loneliness_baseline"] / 2,
        engagement_followup=people["loneliness_followup"] / 2,
    ).drop(columns=["treated", "person_id"])


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return pd.concat(
        [
            cohort_of("MEN-1", "mentor", 500, 1),
            cohort_of("MEN-2", "mentor", 500, 2),
            cohort_of("SPO-1", "sponsor", 500, 3),
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def effects(cohort) -> pd.DataFrame:
    return program_effects(cohort, min_group_size=5, surveys=True)


def rows(effects: pd.DataFrame, program_id: str, relationship_type: str) -> pd.DataFrame:
    return effects.loc[
        (effects["program_id"] == program_id) & (effects["relationship_type"] == relationship_type)
    ]


def test_every_program_and_pool_has_every_outcome_by_every_method(effects):
    for program_id, kind in [
        ("MEN-1", "mentor"),
        ("MEN-2", "mentor"),
        ("all", "mentor"),
        ("SPO-1", "sponsor"),
        ("all", "sponsor"),
    ]:
        found = rows(effects, program_id, kind)
        assert sorted(zip(found["outcome"], found["method"], strict=True)) == sorted(
            (o, m) for o in OUTCOME_CODES for m in METHODS
        ), (program_id, kind)
    assert len(effects) == 5 * len(OUTCOME_CODES) * len(METHODS)
    assert missing_estimates(effects) == []


def test_estimates_carry_their_interval_and_group_sizes(effects):
    estimated = effects.loc[effects["estimate"].notna()]
    assert len(estimated) == len(effects)
    assert (estimated["ci_low"] <= estimated["estimate"]).all()
    assert (estimated["estimate"] <= estimated["ci_high"]).all()
    assert (estimated[["n_treated", "n_control"]] > 0).all().all()


def test_the_cox_rows_carry_the_proportional_hazards_test(effects):
    # The weighted (ipw) fits carry no test: Schoenfeld residuals of a weighted fit are not
    # the test's.
    effects = effects.loc[effects["method"] != "ipw"]
    cox = effects["outcome"].isin(["voluntary_exit_hr", "promotion_hr"])
    assert effects.loc[cox, "ph_p_value"].between(0, 1).all()
    assert effects.loc[cox, "ph_holds"].notna().all()
    assert effects.loc[~cox, "ph_holds"].isna().all()


def test_a_pool_of_two_programs_stacks_their_cohorts(effects):
    pooled = rows(effects, "all", "mentor")
    one = rows(effects, "MEN-1", "mentor")
    two = rows(effects, "MEN-2", "mentor")
    exits = "outcome == 'voluntary_exit_hr' and method == 'naive'"
    assert pooled.query(exits)["n_treated"].item() == (
        one.query(exits)["n_treated"].item() + two.query(exits)["n_treated"].item()
    )
    assert pooled["note"].str.contains("2 programs pooled: MEN-1, MEN-2").all()


def test_a_type_with_one_program_is_its_own_pool(effects):
    pooled = rows(effects, "all", "sponsor").reset_index(drop=True)
    alone = rows(effects, "SPO-1", "sponsor").reset_index(drop=True)
    figures = ["outcome", "method", "estimate", "ci_low", "ci_high", "n_treated", "n_control"]
    pd.testing.assert_frame_equal(pooled[figures], alone[figures])
    assert pooled["note"].str.contains("one program (SPO-1)", regex=False).all()


def test_pooled_rows_come_last_within_their_type(effects):
    mentor = effects.loc[effects["relationship_type"] == "mentor", "program_id"].tolist()
    assert mentor == sorted(mentor, key=lambda p: (p == "all", p))


def test_without_survey_scores_the_survey_outcomes_are_not_estimated(cohort):
    effects = program_effects(cohort.loc[cohort["program_id"] == "SPO-1"], 5, surveys=False)
    survey = effects["outcome"].str.endswith("_did")
    assert effects.loc[survey, "estimate"].isna().all()
    assert effects.loc[survey, "note"].str.contains("no survey scores").all()
    assert effects.loc[~survey, "estimate"].notna().all()
    assert set(effects.loc[survey, "method"]) == set(METHODS)


def test_groups_under_the_minimum_size_are_not_estimated(cohort):
    spo = cohort.loc[cohort["program_id"] == "SPO-1"]
    participants = spo.index[spo["arm"] == "participant"]
    tiny = spo.drop(participants[4:])  # four participants left
    effects = program_effects(tiny, min_group_size=5, surveys=True)
    assert effects["estimate"].isna().all()
    assert effects["note"].str.contains("fewer than 5 people in a group").all()
    assert (effects["n_treated"] <= 4).all() and (effects["n_control"] > 0).all()


def test_missing_estimates_names_a_missing_method(effects):
    without = effects.drop(
        effects.index[
            (effects["program_id"] == "SPO-1")
            & (effects["outcome"] == "promotion_hr")
            & (effects["method"] == "adjusted")
        ]
    )
    assert missing_estimates(without) == ["SPO-1/sponsor: no adjusted promotion_hr"]


def test_subgroup_effects_by_every_method_with_holm_and_an_interaction_test(cohort):
    effects = program_effects_by_subgroup(cohort.loc[cohort["program_id"] == "SPO-1"], 5, True)
    assert set(effects["method"]) == set(SUBGROUP_METHODS)
    assert set(effects["program_id"]) == {"SPO-1", "all"}
    spo = effects.loc[effects["program_id"] == "SPO-1"]
    assert set(spo["subgroup"]) == {
        "gender=man",
        "gender=woman",
        "gender=nonbinary",
        "ethnicity=Asian",
        "ethnicity=Black",
        "ethnicity=White",
    }
    assert (spo["dimension"] + "=" + spo["category"] == spo["subgroup"]).all()
    for method in SUBGROUP_METHODS:
        exits = spo.loc[(spo["outcome"] == "voluntary_exit_hr") & (spo["method"] == method)]
        np.testing.assert_allclose(
            exits["p_value_holm"].to_numpy(), holm_adjust(exits["p_value"].to_numpy())
        )
        tested = exits["p_value"].notna()
        assert (exits.loc[tested, "p_value_holm"] >= exits.loc[tested, "p_value"]).all()
        for _, rows in exits.groupby("dimension"):
            # One test per dimension, on every row of it.
            assert rows["p_interaction"].nunique() == 1
            assert 0 < rows["p_interaction"].iloc[0] <= 1


def test_the_interaction_test_is_cochrans_q_on_the_log_hazard_ratios():
    from effects.program_effects import _interaction_p

    rows = pd.DataFrame(
        {
            "estimate": [0.5, 2.0, np.nan],
            "ci_low": [0.5 / np.exp(1.959964 * 0.2), 2.0 / np.exp(1.959964 * 0.3), np.nan],
            "ci_high": [0.5 * np.exp(1.959964 * 0.2), 2.0 * np.exp(1.959964 * 0.3), np.nan],
        }
    )
    difference = np.log(2.0) - np.log(0.5)
    expected = chi2.sf(difference**2 / (0.2**2 + 0.3**2), 1)
    assert _interaction_p(rows, ratio=True) == pytest.approx(expected, rel=1e-6)
    assert np.isnan(_interaction_p(rows.iloc[[0, 2]], ratio=True))


def test_tiny_groups_and_separation_are_published_as_not_estimable():
    """A subgroup too small, or one where every participant stays (no exits among them), has
    NULL figures and a one-sentence note, never a hazard ratio of 2e10 from 0 to infinity."""
    rng = np.random.default_rng(5)
    n = 400
    people = pd.DataFrame(
        {
            "program_id": "P",
            "relationship_type": "mentor",
            "employee_id": [f"e{i}" for i in range(n)],
            "arm": np.where(np.arange(n) < 60, "participant", "comparison"),
            "job_level": rng.integers(1, 5, n),
            "tenure_years": rng.gamma(2, 2, n),
            "performance_rating": rng.integers(1, 6, n).astype(float),
            "department": rng.choice(["A", "B"], n),
            "gender": np.where(
                np.arange(n) % 40 == 0, "nonbinary", rng.choice(["man", "woman"], n)
            ),
            "ethnicity": rng.choice(["X", "Y"], n),
            "exit_days": rng.integers(10, 700, n).astype(float),
            "promotion_days": rng.integers(10, 700, n).astype(float),
        }
    )
    treated = people["arm"] == "participant"
    # Separation: no participant ever leaves; promotions only among participants.
    people["exit_event"] = np.where(treated, 0, rng.integers(0, 2, n))
    people["promotion_event"] = np.where(treated, rng.integers(0, 2, n), 0)
    for column in ("loneliness", "engagement", "career_lonely"):
        people[f"{column}_baseline"] = np.nan
        people[f"{column}_followup"] = np.nan
    effects = program_effects(people, min_group_size=5, surveys=True)
    for table in (effects, program_effects_by_subgroup(people, 5, True)):
        survival = table.loc[~table["outcome"].str.endswith("_did")]
        assert survival["estimate"].isna().all(), survival.loc[survival["estimate"].notna()]
        assert survival[["ci_low", "ci_high", "p_value"]].isna().all().all()
        assert survival["note"].notna().all()
    notes = set(effects.loc[effects["program_id"] == "P", "note"])
    assert "fewer than 5 voluntary exits among participants" in notes
    assert "fewer than 5 promotions among the comparison group" in notes
    subgroups = program_effects_by_subgroup(people, 5, True)
    nonbinary = subgroups.loc[subgroups["subgroup"] == "gender=nonbinary", "note"]
    assert nonbinary.str.startswith("fewer than 5 people in a group").all()
    assert missing_estimates(effects) == []


def test_a_non_converged_cox_fit_is_not_estimable():
    """Separation that the event counts do not catch: within a category every participant's
    exit comes after every comparison exit, and the fit runs off."""
    from stats.survival import cox_hazard_ratio

    n = 60
    frame = pd.DataFrame(
        {
            "days": np.r_[np.arange(1, 31), np.arange(100, 130)].astype(float),
            "event": 1,
            "treated": np.r_[np.zeros(30), np.ones(30)],
            "x": np.tile([0.0, 1.0], n // 2),
        }
    )
    # Every comparison person leaves before any participant: the hazard ratio runs to zero.
    result = cox_hazard_ratio(frame, "days", "event", "treated", ["x"])
    assert np.isnan(result.estimate) and np.isnan(result.p_value)
    assert "separation" in result.note


def test_every_estimate_has_its_e_values_and_a_missing_one_has_none(effects, cohort):
    from stats.evalue import e_values

    assert (effects["e_value"] >= 1).all() and (effects["e_value_ci"] >= 1).all()
    assert (effects["e_value_ci"] <= effects["e_value"]).all()
    hazard = effects.loc[effects["outcome"].str.endswith("_hr")]
    for row in hazard.itertuples():
        assert (row.e_value, row.e_value_ci) == pytest.approx(
            e_values(row.estimate, row.ci_low, row.ci_high)
        )
    crossing = (effects["ci_low"] <= (effects["outcome"].str.endswith("_hr")).astype(float)) & (
        effects["ci_high"] >= (effects["outcome"].str.endswith("_hr")).astype(float)
    )
    assert (effects.loc[crossing, "e_value_ci"] == 1).all()
    none = program_effects(cohort.loc[cohort["program_id"] == "SPO-1"], 5, surveys=False)
    missing = none["estimate"].isna()
    assert missing.any() and none.loc[missing, ["e_value", "e_value_ci"]].isna().all().all()


# --- Sampling weights (issue #16) -----------------------------------------------------------


def test_an_unsampled_cohorts_weights_of_one_change_no_estimate(cohort, effects):
    weighted = program_effects(cohort.assign(sampling_weight=1.0), 5, True)
    pd.testing.assert_frame_equal(weighted, effects)


def sampled_program(seed: int) -> pd.DataFrame:
    """MEN-1 with its comparison group drawn in two trials at different rates (a fifth of
    the well rated, half of the others), each drawn row weighted by eligible / drawn."""
    people = cohort_of("MEN-1", "mentor", 900, seed)
    rng = np.random.default_rng(seed)
    comparison = people["arm"] == "comparison"
    well_rated = people["performance_rating"].fillna(0) >= 3
    people["trial_start"] = np.where(well_rated, INDEX, INDEX + pd.DateOffset(months=1))
    kept = ~comparison
    weight = np.ones(len(people))
    for trial, share in ((well_rated, 0.2), (~well_rated, 0.5)):
        eligible = people.index[comparison & trial]
        drawn = rng.choice(eligible, int(share * len(eligible)), replace=False)
        kept |= people.index.isin(drawn)
        weight[people.index.isin(eligible)] = len(eligible) / len(drawn)
        people.loc[eligible, "trial_eligible"] = len(eligible)
    return people.assign(sampling_weight=weight).loc[kept].reset_index(drop=True)


def test_sampling_weights_reach_every_outcome_and_method_and_counts_stay_people():
    sampled = sampled_program(4)
    weighted = program_effects(sampled, 5, True).set_index(["outcome", "method"])
    unweighted = program_effects(sampled.assign(sampling_weight=1.0), 5, True)
    unweighted = unweighted.set_index(["outcome", "method"])
    mine = weighted.loc[weighted["program_id"] == "MEN-1"]
    theirs = unweighted.loc[unweighted["program_id"] == "MEN-1"]
    assert mine["estimate"].notna().all()
    different = ~np.isclose(mine["estimate"], theirs["estimate"], rtol=1e-9, atol=0)
    assert different.all(), mine.index[~different].tolist()
    assert (mine["n_control"] == theirs["n_control"]).all()
    assert mine["note"].str.contains("weighted by its trial's eligible over drawn").all()


def test_ipw_fits_the_propensity_with_sampling_weights_and_multiplies_them_in():
    from stats.weighting import att_weighting

    sampled = sampled_program(5).assign(
        sampling_weight=lambda f: np.where(f["arm"] == "comparison", 3.0, 1.0),
        treated=lambda f: (f["arm"] == "participant").astype(int),
    )
    weighting = att_weighting(sampled, "treated", ["performance_rating"], ["gender"])
    repeated = sampled.loc[sampled.index.repeat(sampled["sampling_weight"].astype(int))]
    expanded = att_weighting(
        repeated.drop(columns="sampling_weight"), "treated", ["performance_rating"], ["gender"]
    )
    first_copy = ~repeated.index.duplicated()
    np.testing.assert_allclose(weighting.propensity, expanded.propensity[first_copy], rtol=1e-6)
    plain = att_weighting(sampled.drop(columns="sampling_weight"), "treated", [], ["gender"])
    comparison = sampled["arm"].to_numpy() == "comparison"
    assert not np.allclose(weighting.propensity, plain.propensity)
    # ATT weights (odds, truncated) times the sampling weight; participants 1.
    odds = weighting.propensity / (1 - weighting.propensity)
    low, high = np.percentile(odds[comparison], (1, 99))
    np.testing.assert_allclose(
        weighting.weight[comparison], 3.0 * np.clip(odds[comparison], low, high)
    )
    assert (weighting.weight[~comparison] == 1).all()


def test_program_outcomes_weight_sampled_comparison_people_and_count_them_once():
    """The comparison group's 12-month retention, share promoted and survey means from a
    sample drawn at 5% in a risky trial and 50% in a safe one, weighted by eligible / drawn,
    agree with those of everyone eligible; `n` counts the people drawn."""
    import duckdb

    from effects.cohorts import WAVE_SCORE_COLUMNS
    from effects.outcomes import count_cohort, program_outcomes
    from tests.sampled import full_cohort

    full = full_cohort(1)
    full = full.loc[full["treated"] == 0]
    cohort = full.assign(
        program_id="P",
        relationship_type="mentor",
        arm="comparison",
        gender="woman",
        ethnicity="White",
        promotion_event=(full["promotion_cause"] == 1).astype(int),
        exit_type=np.where(full["promotion_cause"] == 2, "voluntary", None),
        baseline_wave="w1",
        followup_wave="w2",
        loneliness_baseline=full["baseline"],
        loneliness_followup=full["followup"],
        career_lonely_baseline=(full["baseline"] > 5).astype(int),
        career_lonely_followup=(full["followup"] > 5).astype(int),
        engagement_baseline=full["baseline"],
        engagement_followup=full["followup"],
    )
    assert set(WAVE_SCORE_COLUMNS) <= set(cohort)
    found = {}
    for name, rows in (("everyone", cohort.assign(sampling_weight=1.0)), ("drawn", cohort)):
        drawn = rows if name == "everyone" else rows.loc[rows["drawn"]]
        con = duckdb.connect()
        con.execute("CREATE SCHEMA marts")
        con.register("rows", drawn.drop(columns=["trial", "treated", "drawn"]))
        con.execute("CREATE TABLE marts.study_cohort AS SELECT * FROM rows")
        table = program_outcomes(count_cohort(con))
        found[name] = table.loc[table["subgroup"] == "all"].iloc[0]
        if name == "drawn":
            con.execute("UPDATE marts.study_cohort SET sampling_weight = 1")
            table = program_outcomes(count_cohort(con))
            found["unweighted"] = table.loc[table["subgroup"] == "all"].iloc[0]
    everyone, drawn, unweighted = found["everyone"], found["drawn"], found["unweighted"]
    assert drawn["n"] == cohort["drawn"].sum() == unweighted["n"]
    for column in (
        "retention_12m",
        "promoted_12m",
        "loneliness_followup",
        "career_lonely_followup",
    ):
        half_width = (drawn[f"{column}_ci_high"] - drawn[f"{column}_ci_low"]) / 2
        assert abs(drawn[column] - everyone[column]) < 1.5 * half_width, column
        assert abs(unweighted[column] - everyone[column]) > 1.5 * half_width, column


def test_balance_before_weighting_counts_the_sampling_weights():
    from stats.weighting import standardised_differences

    columns = pd.DataFrame({"x": [1.0, 1.0, 0.0, 1.0, 0.0, 0.0]})
    treated = np.array([True, True, False, False, False, False])
    sampling = np.array([1.0, 1.0, 1.0, 4.0, 1.0, 1.0])
    balance = standardised_differences(columns, treated, sampling, sampling).iloc[0]
    # The comparison rows stand for 1 + 4 + 1 + 1 people, 4 of them with x = 1.
    assert balance["comparison_mean"] == pytest.approx(4 / 7)
    assert balance["comparison_mean_weighted"] == pytest.approx(4 / 7)
    unweighted = standardised_differences(columns, treated, np.ones(6)).iloc[0]
    assert unweighted["comparison_mean"] == pytest.approx(1 / 4)


def test_the_blocking_check_is_named_for_and_describes_every_method():
    from assets.effects import EVERY_OUTCOME_ESTIMATED
    from assets.effects import program_effects as program_effects_asset

    spec = next(s for s in program_effects_asset.check_specs if s.name == EVERY_OUTCOME_ESTIMATED)
    assert spec.name == "every_outcome_by_every_method"
    assert spec.blocking
    assert all(method in spec.description for method in METHODS), spec.description
