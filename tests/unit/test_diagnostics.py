"""`marts.covariate_balance` and `marts.study_diagnostics` (effects/diagnostics.py): balance,
overlap and the survey pre-trend placebo."""

import numpy as np
import pandas as pd
import pytest

from effects.diagnostics import (
    BASELINE,
    PLACEBO_PAIR,
    PRIOR,
    diagnostics,
    imbalanced,
    pre_trend_placebo,
)
from effects.program_effects import Study, studies
from tests.unit.test_marts_effects import cohort_of


@pytest.fixture(scope="module")
def tables():
    cohort = pd.concat(
        [cohort_of("MEN-1", "mentor", 800, 1), cohort_of("MEN-2", "mentor", 800, 2)],
        ignore_index=True,
    )
    return diagnostics(studies(cohort))


def test_balance_has_every_category_before_and_after_weighting(tables):
    balance, _, _ = tables
    men = balance.loc[balance["program_id"] == "MEN-1"]
    genders = men.loc[men["covariate"] == "gender", "category"]
    assert set(genders) >= {"man", "woman"}  # no reference category left out
    assert set(men["covariate"]) >= {
        "level_group",
        "tenure_band",
        "performance_rating",
        "performance_rating_missing",
        "department",
        "gender",
    }
    assert "program_id" in set(balance.loc[balance["program_id"] == "all", "covariate"])
    # Weighting removes most of the imbalance; at 800 people with this strong selection the
    # truncated weights leave performance rating at |SMD| ≈ 0.14 (within 0.1 at 2,000:
    # test_weighting), and the check names it.
    assert men["smd_before"].abs().max() > 0.6
    assert men["smd_after"].abs().max() < men["smd_before"].abs().max() / 3
    assert len(imbalanced(balance)) == (balance["smd_after"].abs() > 0.1).sum()
    worse = balance.assign(smd_after=balance["smd_after"].where(balance.index != 0, 0.3))
    assert imbalanced(worse)[0] == "MEN-1/mentor performance_rating (SMD +0.30)"


def test_diagnostics_per_study(tables):
    _, table, histogram = tables
    sizes = histogram.groupby(["program_id", "arm"])["people"].sum()
    assert (
        sizes[("MEN-1", "participant")]
        == table.set_index("program_id").loc["MEN-1", "participants"]
    )
    assert (
        sizes[("MEN-1", "comparison")]
        == table.set_index("program_id").loc["MEN-1", "comparison_rows"]
    )
    assert list(table["program_id"]) == ["MEN-1", "MEN-2", "all"]
    assert (table["effective_comparison_size"] > 0).all()
    assert (table["effective_comparison_size"] <= table["comparison_rows"]).all()
    assert table["share_outside_overlap"].between(0, 1).all()
    assert (table["max_abs_smd_after"] < 0.2).all()
    assert table["note"].str.contains("have no comparable colleague").all()
    # The simulated cohorts hold no wave before the baseline: the placebo is not made.
    assert table["placebo_estimate"].isna().all()
    assert table["note"].str.contains("placebo: no survey scores").all()


def _placebo_study(trend: float, seed: int) -> Study:
    """People with two waves before time zero; participants (chosen on a covariate that also
    sets everyone's level, not their trend) drift by `trend` more than the comparison group."""
    rng = np.random.default_rng(seed)
    n = 1500
    level = rng.normal(size=n)
    treated = (rng.random(n) < 1 / (1 + np.exp(1.5 - level))).astype(int)
    prior = 5 + level + rng.normal(0, 1, n)
    baseline = prior + 0.3 + trend * treated + rng.normal(0, 1, n)
    people = pd.DataFrame(
        {
            "treated": treated,
            "employee_id": [f"e{i}" for i in range(n)],
            PRIOR: prior,
            BASELINE: baseline,
            PLACEBO_PAIR: rng.choice(["w0 > w1", "w1 > w2"], n),
        }
    )
    return Study("P", "mentor", people)


@pytest.mark.parametrize("seed", range(5))
def test_the_placebo_finds_nothing_when_nothing_was_planted(seed):
    placebo = pre_trend_placebo(_placebo_study(0.0, seed))
    assert placebo.ci_low <= 0 <= placebo.ci_high


@pytest.mark.parametrize("seed", range(5))
def test_the_placebo_finds_a_planted_pre_existing_trend(seed):
    placebo = pre_trend_placebo(_placebo_study(-0.5, seed))
    assert placebo.ci_high < 0
    assert placebo.ci_low <= -0.5 <= placebo.ci_high
