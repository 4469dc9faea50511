"""Who works at the demo organisation: hire dates, starting levels, demographics and traits.

Everyone gets latent traits (loneliness, engagement, ...) that the survey model reads later, and a
true performance rating that drives both program selection and career hazards: that shared cause
is what makes a naive comparison flatter the programs.
"""

import numpy as np
import pandas as pd

from demo.calendar import AS_OF_DAY, YEAR

GENDERS = np.array(["Woman", "Man", "Non-binary", ""], dtype=object)
GENDER_SHARES = (0.45, 0.48, 0.02, 0.05)
ETHNICITIES = np.array(
    ["White", "Asian", "Black", "Hispanic or Latino", "Two or more races", ""], dtype=object
)
ETHNICITY_SHARES = (0.50, 0.19, 0.12, 0.10, 0.04, 0.05)
UNDERREPRESENTED_ETHNICITIES = ("Black", "Hispanic or Latino")
DEPARTMENTS = np.array(
    [
        "Engineering",
        "Sales",
        "Operations",
        "Customer Success",
        "Finance",
        "Marketing",
        "People",
        "Legal",
    ],
    dtype=object,
)
DEPARTMENT_SHARES = (0.30, 0.18, 0.16, 0.12, 0.08, 0.08, 0.05, 0.03)
LOCATIONS = np.array(["Denver", "London", "Berlin", "Toronto", "São Paulo"], dtype=object)
LOCATION_SHARES = (0.35, 0.25, 0.15, 0.15, 0.10)
RATINGS = np.array([1.0, 2.0, 3.0, 3.5, 4.0, 5.0])
RATING_SHARES = (0.04, 0.14, 0.45, 0.05, 0.24, 0.08)
TOP_LEVEL = 10

HEADCOUNT_GROWTH = 0.03  # a year
MEAN_TENURE_AT_HISTORY_START = 5.0  # years
RATING_MISSING_SHARE = 0.04


def level_shares(decay: float) -> np.ndarray:
    shares = decay ** np.arange(TOP_LEVEL)
    return shares / shares.sum()


def draw_hire_days(rng: np.random.Generator, headcount: int, annual_exit: float) -> np.ndarray:
    """Hire days of everyone ever employed, for a headcount of about `headcount` on the as-of date.

    People present on day 0 were hired earlier (negative days); later hires replace leavers and
    grow the headcount by HEADCOUNT_GROWTH a year. The last hire joins on the as-of date itself so
    that the data's latest hire marks the as-of date.
    """
    span = AS_OF_DAY / YEAR
    initial = max(1, round(headcount * np.exp(-HEADCOUNT_GROWTH * span)))
    hires = round((HEADCOUNT_GROWTH + annual_exit) / HEADCOUNT_GROWTH * (headcount - initial))
    tenure = rng.exponential(MEAN_TENURE_AT_HISTORY_START * YEAR, initial) % (30 * YEAR)
    present = -np.ceil(tenure)
    growth = np.expm1(HEADCOUNT_GROWTH * span)
    hire_years = np.log1p(rng.random(hires) * growth) / HEADCOUNT_GROWTH
    later = np.floor(hire_years * YEAR)
    days = np.sort(np.concatenate([present, later]))
    days[-1] = AS_OF_DAY
    return days.astype(np.int64)


def draw_people(rng: np.random.Generator, hire_days: np.ndarray) -> pd.DataFrame:
    """One row per person, position = person number; levels are those on max(hire, day 0)."""
    n = hire_days.size
    present_at_start = hire_days <= 0
    level0 = np.where(
        present_at_start,
        rng.choice(TOP_LEVEL, n, p=level_shares(0.72)) + 1,
        rng.choice(TOP_LEVEL, n, p=level_shares(0.50)) + 1,
    )
    rating = rng.choice(RATINGS, n, p=RATING_SHARES)
    gender = rng.choice(GENDERS, n, p=GENDER_SHARES)
    ethnicity = rng.choice(ETHNICITIES, n, p=ETHNICITY_SHARES)
    people = pd.DataFrame(
        {
            "hire_day": hire_days,
            "level0": level0.astype(np.int64),
            "rating": rating,
            "rating_known": rng.random(n) >= RATING_MISSING_SHARE,
            "gender": pd.array(gender, dtype="str"),
            "ethnicity": pd.array(ethnicity, dtype="str"),
            "department": pd.array(rng.choice(DEPARTMENTS, n, p=DEPARTMENT_SHARES), dtype="str"),
            "location": pd.array(rng.choice(LOCATIONS, n, p=LOCATION_SHARES), dtype="str"),
        }
    )
    return people.join(draw_traits(rng, people))


def draw_traits(rng: np.random.Generator, people: pd.DataFrame) -> pd.DataFrame:
    """Stable latent traits (standardised scale) behind the survey answers."""
    n = len(people)
    performance = people["rating"].to_numpy() - 3
    seniority = people["level0"].to_numpy() - 3
    loneliness = rng.standard_normal(n)
    return pd.DataFrame(
        {
            "loneliness": loneliness,
            "engagement": -0.35 * loneliness + 0.25 * performance + 0.85 * rng.standard_normal(n),
            "career": 0.45 * loneliness - 0.20 * performance + 0.85 * rng.standard_normal(n),
            "advocacy": 0.30 * performance + 0.15 * seniority + 0.90 * rng.standard_normal(n),
            "safety": -0.30 * loneliness + 0.95 * rng.standard_normal(n),
        }
    )


def is_underrepresented(people: pd.DataFrame) -> np.ndarray:
    gender = people["gender"].to_numpy(dtype=object)
    ethnicity = people["ethnicity"].to_numpy(dtype=object)
    return np.isin(gender, ["Woman", "Non-binary"]) | np.isin(
        ethnicity, UNDERREPRESENTED_ETHNICITIES
    )
