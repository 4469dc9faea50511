"""Simulated organisations with planted program effects and strong selection into the program.

One row per employee at a program's index date. High performers and senior people join more
often, leave less, are promoted more and become less lonely over time anyway, so comparisons
that ignore those covariates are biased. Every outcome is generated from a model that the
`adjusted` estimators can represent exactly (log-linear hazards, linear changes, the same
covariates, a missing-performance shift), so their intervals should cover the planted values.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

LEVELS = np.array(["L1", "L2", "L3", "L4", "L5"])
LEVEL_SHARES = [0.30, 0.30, 0.20, 0.13, 0.07]
RATING_SHARES = [0.05, 0.15, 0.45, 0.25, 0.10]  # ratings 1..5
DEPARTMENT_EFFECTS = {"Sales": 0.25, "Engineering": -0.10, "Finance": 0.0, "Operations": 0.15}
GENDERS = np.array(["woman", "man", "nonbinary"])
GENDER_SHARES = [0.47, 0.50, 0.03]
COVARIATES = ["tenure_years", "performance_rating"]
CATEGORICAL = ["job_level", "department", "gender"]

EXIT_WEIBULL_SHAPE, EXIT_WEIBULL_SCALE_DAYS = 1.1, 1300.0  # ≈ 14–18% leave in a year
PROMOTION_WEIBULL_SHAPE, PROMOTION_WEIBULL_SCALE_DAYS = 1.3, 3000.0
OTHER_EXIT_RATE_PER_DAY = 0.03 / 365.25  # involuntary exits and retirements: they censor
FOLLOW_UP_DAYS = (550.0, 1100.0)  # index date to the data's as-of date


@dataclass(frozen=True)
class Scenario:
    n: int = 4000
    exit_hr: float = 0.7
    promotion_hr: float = 1.6
    loneliness_effect: float = -0.8  # UCLA-3 points
    career_lonely_effect: float = -0.15  # probability (−15 percentage points)
    selection: float = 1.0  # 0 = random assignment
    unit_days: int = 1  # durations are recorded in whole units (7: weeks, fewer tied times)


PLANTED = Scenario()
NULL = Scenario(exit_hr=1.0, promotion_hr=1.0, loneliness_effect=0.0, career_lonely_effect=0.0)


def simulate_organisation(scenario: Scenario, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    people = _employees(scenario.n, rng)
    treated = rng.random(scenario.n) < _join_probability(people, scenario.selection)
    people["treated"] = treated.astype("int64")
    as_of = rng.uniform(*FOLLOW_UP_DAYS, size=scenario.n)
    other_exit = rng.exponential(1 / OTHER_EXIT_RATE_PER_DAY, size=scenario.n)
    exit_time = _weibull_times(
        exit_linear_predictor(people, scenario), EXIT_WEIBULL_SHAPE, EXIT_WEIBULL_SCALE_DAYS, rng
    )
    promotion_time = _weibull_times(
        promotion_linear_predictor(people, scenario),
        PROMOTION_WEIBULL_SHAPE,
        PROMOTION_WEIBULL_SCALE_DAYS,
        rng,
    )
    exit_days, exit_event = _observed(exit_time, np.minimum(as_of, other_exit), scenario.unit_days)
    # Nobody is promoted after leaving, for whatever reason.
    promotion_days, promotion_event = _observed(
        promotion_time, np.minimum.reduce([as_of, other_exit, exit_time]), scenario.unit_days
    )
    people = people.assign(
        exit_days=exit_days,
        exit_event=exit_event,
        promotion_days=promotion_days,
        promotion_event=promotion_event,
    )
    people = _add_loneliness(people, scenario, rng)
    return _add_career_lonely(people, scenario, rng)


def true_retention_difference(
    frame: pd.DataFrame, scenario: Scenario, horizon_days: float = 365.25
) -> float:
    """Treated people's true survival at the horizon with minus without the program, in points.

    Durations are rounded up to whole units u, so "recorded beyond h" means T > u·floor(h/u)
    (T > 365 days for h = 365.25 and daily data).
    """
    treated = frame.loc[frame["treated"] == 1]
    linear = exit_linear_predictor(treated.assign(treated=0), scenario)
    last_whole_unit = scenario.unit_days * np.floor(horizon_days / scenario.unit_days)
    baseline = (last_whole_unit / EXIT_WEIBULL_SCALE_DAYS) ** EXIT_WEIBULL_SHAPE
    with_program = np.exp(-baseline * np.exp(linear + np.log(scenario.exit_hr)))
    without_program = np.exp(-baseline * np.exp(linear))
    return float(100 * np.mean(with_program - without_program))


def exit_linear_predictor(people: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    return (
        -0.30 * _level_index(people)
        - 0.50 * _centred_rating(people)
        + 0.40 * _rating_missing(people)
        - 0.06 * people["tenure_years"].to_numpy()
        + people["department"].map(DEPARTMENT_EFFECTS).to_numpy(dtype=float)
        + 0.15 * (people["gender"] == "woman").to_numpy()
        + np.log(scenario.exit_hr) * people["treated"].to_numpy()
    )


def promotion_linear_predictor(people: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    return (
        0.20 * _level_index(people)
        + 0.60 * _centred_rating(people)
        - 0.30 * _rating_missing(people)
        - 0.03 * people["tenure_years"].to_numpy()
        - 0.5 * people["department"].map(DEPARTMENT_EFFECTS).to_numpy(dtype=float)
        - 0.10 * (people["gender"] == "woman").to_numpy()
        + np.log(scenario.promotion_hr) * people["treated"].to_numpy()
    )


def _employees(n: int, rng: np.random.Generator) -> pd.DataFrame:
    rating = rng.choice(np.arange(1, 6), size=n, p=RATING_SHARES).astype(float)
    rating[rng.random(n) < 0.12] = np.nan
    return pd.DataFrame(
        {
            "person_id": np.arange(n),
            "job_level": pd.array(rng.choice(LEVELS, size=n, p=LEVEL_SHARES), dtype="str"),
            "tenure_years": rng.gamma(shape=2.0, scale=2.0, size=n),
            "performance_rating": rating,
            "department": pd.array(rng.choice(list(DEPARTMENT_EFFECTS), size=n), dtype="str"),
            "gender": pd.array(rng.choice(GENDERS, size=n, p=GENDER_SHARES), dtype="str"),
        }
    )


def _join_probability(people: pd.DataFrame, selection: float) -> np.ndarray:
    logit = -1.6 + selection * (
        0.55 * _level_index(people)
        + 0.90 * _centred_rating(people)
        - 0.50 * _rating_missing(people)
        + 0.3 * (people["department"] == "Engineering").to_numpy()
    )
    return 1 / (1 + np.exp(-logit))


def _weibull_times(
    linear: np.ndarray, shape: float, scale_days: float, rng: np.random.Generator
) -> np.ndarray:
    """Proportional hazards with Λ(t | x) = (t / scale)^shape · exp(linear)."""
    return scale_days * (rng.exponential(size=linear.size) * np.exp(-linear)) ** (1 / shape)


def _observed(
    event_time: np.ndarray, censor_time: np.ndarray, unit_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Days, rounded up to whole units (so always > 0), and the 0/1 event flag."""
    units = np.ceil(np.minimum(event_time, censor_time) / unit_days)
    return unit_days * units, (event_time <= censor_time).astype(int)


def _add_loneliness(
    people: pd.DataFrame, scenario: Scenario, rng: np.random.Generator
) -> pd.DataFrame:
    """UCLA-3 on a continuous scale (not rounded or clipped, so the planted effect is exact)."""
    n = len(people)
    level, rating, missing = _level_index(people), _centred_rating(people), _rating_missing(people)
    tenure, treated = people["tenure_years"].to_numpy(), people["treated"].to_numpy()
    baseline = 5.5 - 0.20 * level - 0.30 * rating + 0.3 * missing + rng.normal(0, 1.2, n)
    trend = -0.15 * level - 0.35 * rating + 0.25 * missing - 0.03 * tenure
    followup = baseline + trend + scenario.loneliness_effect * treated + rng.normal(0, 1.0, n)
    responded = _responded_both_waves(people, rng)
    return people.assign(
        loneliness_baseline=np.where(responded, baseline, np.nan),
        loneliness_followup=np.where(responded, followup, np.nan),
    )


def _add_career_lonely(
    people: pd.DataFrame, scenario: Scenario, rng: np.random.Generator
) -> pd.DataFrame:
    """0/1 agreement whose probability moves linearly, staying within 0.04–0.83 (no clipping)."""
    level, rating, missing = _level_index(people), _centred_rating(people), _rating_missing(people)
    p_baseline = 0.65 - 0.04 * level - 0.05 * rating + 0.05 * missing
    p_followup = (
        p_baseline
        - 0.03 * level
        - 0.04 * rating
        + scenario.career_lonely_effect * people["treated"].to_numpy()
    )
    responded = _responded_both_waves(people, rng)
    n = len(people)
    return people.assign(
        career_lonely_baseline=np.where(responded, rng.random(n) < p_baseline, np.nan),
        career_lonely_followup=np.where(responded, rng.random(n) < p_followup, np.nan),
    )


def _responded_both_waves(people: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Participants answer surveys more often; missingness depends only on observed data."""
    probability = np.where(people["treated"] == 1, 0.75, 0.55) + 0.03 * _level_index(people)
    return rng.random(len(people)) < probability


def _level_index(people: pd.DataFrame) -> np.ndarray:
    return np.searchsorted(LEVELS, people["job_level"].to_numpy(dtype=object))


def _centred_rating(people: pd.DataFrame) -> np.ndarray:
    return np.nan_to_num(people["performance_rating"].to_numpy(dtype=float) - 3.0)


def _rating_missing(people: pd.DataFrame) -> np.ndarray:
    return people["performance_rating"].isna().to_numpy(dtype=float)
