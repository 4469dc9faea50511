"""Simulated organisations with planted program effects and strong selection into the program.

`simulate_staffed_organisation` builds a whole organisation as staging tables (employees, job
events, one program, its pairings and survey scores), so that planted-truth tests run the
product's own cohort and estimates (tests/unit/test_simulated_effects.py). The adjusted
models' covariates are the product's (effects/program_effects.py), never a copy.

`simulate_organisation` gives one row per employee at a program's index date, as cohort rows
for the tests of the effects table's structure (tests/unit/test_marts_effects.py).

In both, high performers and senior people join more often, leave less, are promoted more
and become less lonely over time anyway, so comparisons that ignore those covariates are
biased.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

LEVELS = np.arange(1, 6)  # job levels, as integers like staging.employees.job_level
LEVEL_SHARES = [0.30, 0.30, 0.20, 0.13, 0.07]
RATING_SHARES = [0.05, 0.15, 0.45, 0.25, 0.10]  # ratings 1..5
DEPARTMENT_EFFECTS = {"Sales": 0.25, "Engineering": -0.10, "Finance": 0.0, "Operations": 0.15}
GENDERS = np.array(["woman", "man", "nonbinary"])
GENDER_SHARES = [0.47, 0.50, 0.03]

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
            "job_level": rng.choice(LEVELS, size=n, p=LEVEL_SHARES),
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
    return people["job_level"].to_numpy(dtype=int) - LEVELS[0]


def _centred_rating(people: pd.DataFrame) -> np.ndarray:
    return np.nan_to_num(people["performance_rating"].to_numpy(dtype=float) - 3.0)


def _rating_missing(people: pd.DataFrame) -> np.ndarray:
    return people["performance_rating"].isna().to_numpy(dtype=float)


# --- Whole organisations as staging tables: the product's own cohort and estimates ------------

STAGGER_START = pd.Timestamp("2024-01-01")  # the program's start_date (day 0)
STAGGER_END_DAY = 365  # the program's end_date, in days from its start
STAGGER_AS_OF_DAY = 900
STAGGER_LEVELS = np.arange(1, 7)  # level 6 is the top: nobody is promoted from it
STAGGER_LEVEL_SHARES = [0.25, 0.25, 0.20, 0.15, 0.10, 0.05]
# Non-linear (hump-shaped) effects of level: selection peaks at levels 3–4, exit dips there.
LEVEL_SELECTION = np.array([-0.6, 0.2, 1.0, 1.0, 0.0, -0.8])
LEVEL_EXIT = np.array([0.35, 0.10, -0.30, -0.25, 0.05, -0.40])
LEVEL_PROMOTION = np.array([0.30, 0.10, -0.20, 0.10, -0.30, 0.0])
VOLUNTARY_RATE_PER_DAY = 0.16 / 365.25
PROMOTION_RATE_PER_DAY = 0.10 / 365.25
# Survey waves (day from the program's start): two before the program's end, two after.
SURVEY_WAVE_DAYS = {"w0": -30, "w1": 120, "w2": 420, "w3": 640}
SURVEY_WAVE_SHOCKS = {"w0": 0.0, "w1": 0.2, "w2": -0.1, "w3": 0.3}  # common to everyone


@dataclass(frozen=True)
class Organisation:
    """A simulated organisation's one program, as the staging tables of the warehouse."""

    employees: pd.DataFrame
    job_events: pd.DataFrame
    programs: pd.DataFrame
    pairings: pd.DataFrame
    survey_scores: pd.DataFrame
    as_of: pd.Timestamp
    # Per employee: day-0 covariates, the latent rates and the pairing day (NaN: never paired).
    truth: pd.DataFrame


@dataclass(frozen=True)
class StaggeredScenario:
    n: int = 6000
    exit_hr: float = 0.7
    promotion_hr: float = 1.3
    loneliness_effect: float = -0.8  # UCLA-3 points
    engagement_effect: float = 0.4  # UWES points
    career_lonely_effect: float = -0.15  # probability
    stagger_days: int = 240  # first pairings spread over this many days from the start (0: all)
    selection: float = 1.0


STAGGERED_NULL = StaggeredScenario(
    exit_hr=1.0,
    promotion_hr=1.0,
    loneliness_effect=0.0,
    engagement_effect=0.0,
    career_lonely_effect=0.0,
)


def simulate_staffed_organisation(scenario: StaggeredScenario, seed: int) -> Organisation:
    """Employees with strong selection into one program (on level, non-linearly; tenure;
    performance; gender), first pairings spread over `stagger_days`, and outcomes whose planted
    effects start at each participant's pairing. Whoever leaves before their pairing day is
    never paired. Hazards are constant in time (exponential), so that follow-up from any
    time zero has the same proportional-hazards form, and depend on day-0 covariates."""
    rng = np.random.default_rng(seed)
    n = scenario.n
    level = rng.choice(STAGGER_LEVELS, size=n, p=STAGGER_LEVEL_SHARES)
    tenure = rng.gamma(shape=2.0, scale=2.5, size=n) + 0.1
    rating = rng.choice(np.arange(1, 6), size=n, p=RATING_SHARES).astype(float)
    rating[rng.random(n) < 0.12] = np.nan
    rating_c, rating_missing = np.nan_to_num(rating - 3.0), np.isnan(rating).astype(float)
    department = rng.choice(list(DEPARTMENT_EFFECTS), size=n)
    department_effect = pd.Series(department).map(DEPARTMENT_EFFECTS).to_numpy(dtype=float)
    woman = rng.random(n) < 0.48
    gender = np.where(woman, "woman", "man")
    ethnicity = rng.choice(
        ["Asian", "Black", "Hispanic", "White"], size=n, p=[0.2, 0.15, 0.15, 0.5]
    )

    join_logit = -1.7 + scenario.selection * (
        LEVEL_SELECTION[level - 1]
        + 0.9 * rating_c
        - 0.5 * rating_missing
        - 0.25 * np.minimum(tenure, 12)
        + 0.5 * woman
        + 0.3 * (department == "Engineering")
    )
    joins = rng.random(n) < 1 / (1 + np.exp(-join_logit))
    pairing_day = np.where(
        joins, rng.integers(0, scenario.stagger_days + 1, size=n), np.nan
    ).astype(float)

    exit_linear = (
        LEVEL_EXIT[level - 1]
        - 0.5 * rating_c
        + 0.4 * rating_missing
        + department_effect
        + 0.15 * woman
        - 0.3 * (tenure >= 5)
    )
    voluntary_rate = VOLUNTARY_RATE_PER_DAY * np.exp(exit_linear)
    voluntary = _piecewise_exponential(0.0, voluntary_rate, pairing_day, scenario.exit_hr, rng)
    other = rng.exponential(1 / OTHER_EXIT_RATE_PER_DAY, size=n)
    exit_day = np.minimum(voluntary, other)
    # Who leaves before their pairing day is never paired.
    paired = joins & (exit_day > pairing_day)
    pairing_day = np.where(paired, pairing_day, np.nan)
    # The effect only ever starts at a pairing that happened: redraw nothing, since the
    # latent times after an unrealised pairing day are never used (they left before it).
    leaves = exit_day <= STAGGER_AS_OF_DAY
    exit_type = np.where(voluntary <= other, "voluntary", "involuntary")

    promotion_linear = (
        LEVEL_PROMOTION[level - 1]
        + 0.6 * rating_c
        - 0.3 * rating_missing
        - 0.5 * department_effect
        - 0.10 * woman
        - 0.2 * (tenure >= 5)
    )
    promotion_rate = PROMOTION_RATE_PER_DAY * np.exp(promotion_linear)
    events = []
    current, now = level.copy(), np.zeros(n)
    end = np.minimum(exit_day, STAGGER_AS_OF_DAY)
    for _ in range(len(STAGGER_LEVELS)):
        can = current < STAGGER_LEVELS[-1]
        nxt = _piecewise_exponential(now, promotion_rate, pairing_day, scenario.promotion_hr, rng)
        happens = can & (nxt <= end)
        for i in np.flatnonzero(happens):
            events.append((i, int(np.ceil(nxt[i])), int(current[i]), int(current[i] + 1)))
        current = np.where(happens, current + 1, current)
        now = np.where(happens, np.ceil(nxt), np.inf)
        if not happens.any():
            break

    ids = np.array([f"E{i:06d}" for i in range(n)])
    day = pd.to_timedelta
    employees = pd.DataFrame(
        {
            "employee_id": ids,
            "hire_date": STAGGER_START - day(np.round(tenure * 365.25), unit="D"),
            "termination_date": np.where(
                leaves,
                STAGGER_START + day(np.ceil(np.where(leaves, exit_day, 0)), unit="D"),
                pd.NaT,
            ),
            "termination_type": np.where(leaves, exit_type, None),
            "job_level": current,  # the snapshot: the level at the as-of date
            "department": department,
            "gender": gender,
            "ethnicity": ethnicity,
            "performance_rating": rating,
        }
    )
    employees["termination_date"] = pd.to_datetime(employees["termination_date"])
    n_advisors = max(20, n // 40)
    advisors = pd.DataFrame(
        {
            "employee_id": [f"A{i:05d}" for i in range(n_advisors)],
            "hire_date": STAGGER_START - pd.Timedelta(days=4000),
            "termination_date": pd.NaT,
            "termination_type": None,
            "job_level": STAGGER_LEVELS[-1],
            "department": "Finance",
            "gender": "man",
            "ethnicity": "White",
            "performance_rating": 4.0,
        }
    )
    job_events = pd.DataFrame(
        [
            {
                "employee_id": ids[i],
                "effective_date": STAGGER_START + pd.Timedelta(days=d),
                "event_type": "promotion",
                "from_level": a,
                "to_level": b,
            }
            for i, d, a, b in events
        ],
        columns=["employee_id", "effective_date", "event_type", "from_level", "to_level"],
    )
    participants = np.flatnonzero(~np.isnan(pairing_day))
    start = STAGGER_START + pd.to_timedelta(pairing_day[participants], unit="D")
    pairings = pd.DataFrame(
        {
            "pairing_id": [f"X{i:06d}" for i in participants],
            "program_id": "SIM",
            "relationship_type": "mentor",
            "advisor_id": [f"A{i % n_advisors:05d}" for i in range(len(participants))],
            "participant_id": ids[participants],
            "start_date": start,
            "end_date": start + pd.Timedelta(days=180),
            "end_reason": "completed",
        }
    )
    programs = pd.DataFrame(
        {
            "program_id": ["SIM"],
            "program_name": ["Simulated"],
            "start_date": [STAGGER_START],
            "end_date": [STAGGER_START + pd.Timedelta(days=STAGGER_END_DAY)],
            "planned_milestones": [4],
            "certificate_threshold": [0.5],
        }
    )
    truth = pd.DataFrame(
        {
            "employee_id": ids,
            "pairing_day": pairing_day,
            "voluntary_rate": voluntary_rate,
            "promotion_rate": promotion_rate,
        }
    )
    scores = _staggered_surveys(
        scenario, rng, ids, level, rating_c, rating_missing, woman, pairing_day, exit_day
    )
    return Organisation(
        pd.concat([employees, advisors], ignore_index=True),
        job_events,
        programs,
        pairings,
        scores,
        STAGGER_START + pd.Timedelta(days=STAGGER_AS_OF_DAY),
        truth,
    )


def _piecewise_exponential(
    now: np.ndarray | float,
    rate: np.ndarray,
    switch_day: np.ndarray,
    hazard_ratio: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """The next event after `now` with hazard `rate` until `switch_day` (NaN: never) and
    `rate × hazard_ratio` from then on."""
    now = np.broadcast_to(np.asarray(now, dtype=float), rate.shape)
    draw = rng.exponential(size=rate.size)
    switch = np.where(np.isnan(switch_day), np.inf, switch_day)
    with np.errstate(invalid="ignore"):
        before = np.nan_to_num(np.maximum(switch - now, 0.0), nan=np.inf)
    in_first = draw <= rate * before
    first = now + draw / rate
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        second = np.maximum(now, switch) + (draw - rate * before) / (rate * hazard_ratio)
    return np.where(in_first, first, second)


def _staggered_surveys(
    scenario: StaggeredScenario,
    rng: np.random.Generator,
    ids: np.ndarray,
    level: np.ndarray,
    rating_c: np.ndarray,
    rating_missing: np.ndarray,
    woman: np.ndarray,
    pairing_day: np.ndarray,
    exit_day: np.ndarray,
) -> pd.DataFrame:
    """Scores per employee and wave: a personal level, a covariate-driven shift after the
    program's end (selection makes participants change more anyway), a shock common to each
    wave, and the planted effect once paired. Loneliness is rounded to a whole number, as a
    UCLA-3 sum is (the rounding noise has mean zero); engagement stays continuous."""
    n = ids.size
    hump = LEVEL_SELECTION[level - 1]
    lonely_base = 5.5 - 0.3 * rating_c + 0.3 * rating_missing + 0.2 * hump + rng.normal(0, 1.0, n)
    lonely_shift = -0.2 * hump - 0.35 * rating_c + 0.25 * rating_missing - 0.2 * woman
    engaged_base = 3.5 + 0.3 * rating_c + rng.normal(0, 0.8, n)
    engaged_shift = 0.15 * hump + 0.2 * rating_c
    p_base = 0.55 - 0.05 * rating_c + 0.04 * hump
    p_shift = -0.04 * rating_c - 0.04 * hump
    frames = []
    for wave, wave_day in SURVEY_WAVE_DAYS.items():
        after_end = float(wave_day >= STAGGER_END_DAY)
        paired = np.nan_to_num(pairing_day, nan=np.inf) < wave_day
        shock = SURVEY_WAVE_SHOCKS[wave]
        respond = (exit_day > wave_day) & (rng.random(n) < np.where(paired, 0.8, 0.65))
        lonely = (
            lonely_base
            + after_end * lonely_shift
            + shock
            + scenario.loneliness_effect * paired
            + rng.normal(0, 0.8, n)
        )
        engaged = (
            engaged_base
            + after_end * engaged_shift
            + shock
            + scenario.engagement_effect * paired
            + rng.normal(0, 0.6, n)
        )
        p = p_base + after_end * p_shift + 0.3 * shock + scenario.career_lonely_effect * paired
        frames.append(
            pd.DataFrame(
                {
                    "employee_id": ids[respond],
                    "wave": wave,
                    "wave_date": STAGGER_START + pd.Timedelta(days=wave_day),
                    # A UCLA-3 sum is a whole number (rounding a continuous score adds noise
                    # with mean zero, so the planted effect stays the truth).
                    "loneliness": np.rint(lonely[respond]).astype("int32"),
                    "engagement": engaged[respond],
                    "career_lonely": (rng.random(n) < p)[respond],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def true_staggered_retention_difference(
    organisation: Organisation, scenario: StaggeredScenario, participant_ids: np.ndarray
) -> float:
    """The participants' true 12-month voluntary retention from their pairing with the
    program minus without it, in points (durations in whole days: T > 365)."""
    truth = organisation.truth.set_index("employee_id").loc[participant_ids]
    rate = truth["voluntary_rate"].to_numpy()
    return float(100 * np.mean(np.exp(-rate * 365 * scenario.exit_hr) - np.exp(-rate * 365)))


def true_marginal_hazard_ratio(
    organisation: Organisation,
    rate: str,
    hazard_ratio: float,
    participant_ids: np.ndarray,
    seed: int = 0,
    copies: int = 20,
) -> float:
    """The participants' marginal hazard ratio (the target of `ipw`, not the conditional one
    planted): their times with the program against without it, drawn `copies` times from
    their own rates, censored by other exits and by the as-of date as in the organisation,
    compared by an unadjusted Cox fit."""
    from stats.cox import fit_cox

    truth = organisation.truth.set_index("employee_id").loc[participant_ids]
    rates = np.tile(truth[rate].to_numpy(), copies)
    follow_up = np.tile(STAGGER_AS_OF_DAY - truth["pairing_day"].to_numpy(), copies)
    rng = np.random.default_rng(seed)
    durations, events, treated = [], [], []
    for arm, ratio in ((1.0, hazard_ratio), (0.0, 1.0)):
        time = rng.exponential(1 / (rates * ratio))
        censor = np.minimum(follow_up, rng.exponential(1 / OTHER_EXIT_RATE_PER_DAY, rates.size))
        durations.append(np.ceil(np.minimum(time, censor)))
        events.append((time <= censor).astype(float))
        treated.append(np.full(rates.size, arm))
    fit = fit_cox(
        np.concatenate(durations), np.concatenate(events), np.concatenate(treated)[:, None]
    )
    return float(np.exp(fit.params[0]))
