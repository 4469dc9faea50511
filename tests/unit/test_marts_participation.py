"""Programs, participation in time, activities, survey waves and the pairing's participant at
its start, on the hand-built organisation of test_marts_tables."""

import math

import pandas as pd
import pytest

from marts.dim_employee import build_dim_employee
from marts.fct_pairing import build_fct_pairing
from marts.participation import build_dim_program, build_fct_activity, build_fct_participation
from marts.survey_waves import build_survey_wave_summary, enps_with_interval
from tests.unit.test_marts_tables import ACTIVITIES, AS_OF, EMPLOYEES, PAIRINGS, PROGRAMS
from tests.unit.test_marts_warehouse import tiny_warehouse

JOB_EVENTS = [
    {"employee_id": "m1", "effective_date": "2020-01-01", "event_type": "hire", "to_level": 1},
    {
        "employee_id": "m1",
        "effective_date": "2024-03-01",
        "event_type": "promotion",
        "from_level": 1,
        "to_level": 2,
    },
    {
        "employee_id": "m1",
        "effective_date": "2025-01-01",
        "event_type": "promotion",
        "from_level": 2,
        "to_level": 3,
    },
]
SURVEY_SCORES = [
    {
        "employee_id": e,
        "wave": w,
        "wave_date": d,
        "loneliness": lon,
        "lonely": lon >= 6,
        "enps": n,
        "psych_safety_fav": safe >= 4,
        "psych_safety_neutral": safe == 3,
        "psych_safety_unfav": safe <= 2,
    }
    for w, d, answers in [
        ("2024-02", "2024-02-15", {"m1": (7, 10, 4), "m2": (4, 3, 4), "e1": (5, 8, 4)}),
        ("2025-06", "2025-06-15", {"m1": (3, 9, 5), "m2": (8, 0, 3), "e1": (5, 10, 1)}),
    ]
    for e, (lon, n, safe) in answers.items()
]


@pytest.fixture(scope="module")
def con():
    con = tiny_warehouse(
        EMPLOYEES,
        JOB_EVENTS,
        PROGRAMS,
        PAIRINGS,
        ACTIVITIES,
        survey_scores=SURVEY_SCORES,
        as_of=AS_OF,
    )
    for build in (
        build_dim_employee,
        build_fct_pairing,
        build_dim_program,
        build_fct_participation,
        build_fct_activity,
        build_survey_wave_summary,
    ):
        build(con)
    return con


def frame(con, table: str) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM marts.{table}").df()


def test_dim_program_has_one_row_per_program_with_its_pairings(con):
    programs = frame(con, "dim_program").set_index("program_id")
    assert programs.index.tolist() == ["P1", "P2"]
    assert programs.loc["P1", ["pairings", "participants", "advisors"]].tolist() == [3, 3, 1]
    assert programs.loc["P1", "relationship_types"] == "mentor"
    assert not programs.loc["P1", "is_running"] and not programs.loc["P2", "is_running"]


def test_participation_starts_with_the_first_pairing_and_ends_with_the_last(con):
    rows = frame(con, "fct_participation").set_index(["employee_id", "program_id"])
    assert len(rows) == len(PAIRINGS)  # one pairing each here
    m2 = rows.loc[("m2", "P1")]
    assert str(m2["first_pairing_start"].date()) == "2025-06-01"
    assert pd.isna(m2["last_pairing_end"]) and m2["is_ongoing"]
    m3 = rows.loc[("m3", "P1")]
    assert str(m3["last_pairing_end"].date()) == "2024-02-01" and not m3["is_ongoing"]


def test_activities_stop_at_the_as_of_date_and_carry_their_pairing(con):
    activities = frame(con, "fct_activity")
    assert len(activities) == len(ACTIVITIES) - 1  # A2's meeting is after the as-of date
    a1 = activities[activities["pairing_id"] == "A1"]
    assert a1["activity_number"].tolist() == list(range(1, len(a1) + 1))
    assert set(a1["program_id"]) == {"P1"} and set(a1["participant_id"]) == {"m1"}
    assert a1["days_since_pairing_start"].min() == 19


def test_a_pairing_carries_its_participants_level_at_the_start(con):
    pairings = frame(con, "fct_pairing").set_index("pairing_id")
    assert pairings.loc["A1", "participant_job_level_at_start"] == 1  # promoted 2024-03-01
    assert pairings.loc["S1", "participant_job_level_at_start"] == 2  # on 2024-06-01
    assert pairings.loc["A2", "participant_job_level_at_start"] == 3  # snapshot: no events
    assert pairings.loc["A1", "participant_department"] == "Eng"


def test_survey_waves_count_participants_only_from_when_they_joined(con):
    waves = frame(con, "survey_wave_summary").set_index(["wave", "relationship_type", "arm"])
    # m2's mentoring starts 2025-06-01: not a mentee in 2024-02, one in 2025-06.
    assert waves.loc[("2024-02", "mentor", "participant"), "respondents"] == 1  # m1
    assert waves.loc[("2025-06", "mentor", "participant"), "respondents"] == 2  # m1, m2
    everyone = waves.loc[("2024-02", "all", "all")]
    assert everyone["respondents"] == 3
    assert everyone["loneliness_mean"] == pytest.approx(16 / 3)
    assert everyone["lonely"] == pytest.approx(1 / 3) and everyone["lonely_n"] == 3
    # eNPS 2024-02: promoters 10 → 1, detractors 3 → 1, passive 8: 0 of 3.
    assert everyone["enps"] == pytest.approx(0.0)
    assert everyone["enps_ci_low"] < 0 < everyone["enps_ci_high"]
    # Speaking up 2025-06: mentees m1 favourable, m2 neutral; e1 (not a mentee) unfavourable.
    mentees = waves.loc[("2025-06", "mentor", "participant")]
    others = waves.loc[("2025-06", "mentor", "non_participant")]
    assert (mentees["psych_safety_fav"], mentees["psych_safety_neutral"]) == (0.5, 0.5)
    assert mentees["psych_safety_unfav"] == 0.0 and mentees["psych_safety_unfav_n"] == 2
    assert (others["psych_safety_unfav"], others["psych_safety_neutral"]) == (1.0, 0.0)
    assert math.isnan(others["has_advocate_neutral"]) and others["has_advocate_neutral_n"] == 0


def test_enps_interval_is_the_multinomial_normal_approximation():
    score, low, high = enps_with_interval([50], [20], [100])
    assert score[0] == pytest.approx(30.0)
    half = 1.959963984540054 * math.sqrt((0.5 + 0.2 - 0.3**2) / 100) * 100
    assert (low[0], high[0]) == pytest.approx((30 - half, 30 + half))
    assert all(math.isnan(x[0]) for x in enps_with_interval([0], [0], [0]))


def test_no_survey_scores_give_an_empty_wave_summary():
    con = tiny_warehouse(EMPLOYEES, (), PROGRAMS, PAIRINGS, as_of=AS_OF)
    assert build_survey_wave_summary(con) == 0
