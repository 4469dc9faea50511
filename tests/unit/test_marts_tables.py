"""The descriptive marts on a hand-built organisation: employees, pairings, program health,
the mentor-to-sponsor pathway, sponsorship access and career loneliness; and every mart of an
organisation without programs."""

import math
from datetime import date

import pandas as pd
import pytest

from effects.cohorts import build_study_cohort
from effects.outcomes import build_program_outcomes
from effects.program_effects import build_program_effects, build_program_effects_by_subgroup
from marts.career_loneliness import build_career_loneliness
from marts.dim_employee import build_dim_employee
from marts.fct_pairing import build_fct_pairing
from marts.program_health import build_program_health
from marts.sponsorship import build_mentor_to_sponsor, build_sponsorship_access
from tests.unit.test_marts_warehouse import employee, tiny_warehouse

AS_OF = "2025-06-30"

EMPLOYEES = [
    employee("m1", "2020-01-01", gender="Woman", ethnicity="Black"),
    employee("m2", "2020-01-01", gender="Man", ethnicity="White"),
    employee("m3", "2020-01-01", gender="Man", ethnicity=None),
    employee("a1", "2010-01-01", gender="Woman", ethnicity="White", job_level=6),
    employee("a2", "2010-01-01", gender="Man", ethnicity="White", job_level=8),
    employee("e1", "2021-01-01", gender="Man", ethnicity="White"),
    employee("gone", "2015-01-01", termination_date="2025-01-01", termination_type="voluntary"),
]
PROGRAMS = [
    {
        "program_id": "P1",
        "start_date": "2024-01-01",
        "end_date": "2024-06-30",
        "planned_milestones": 4,
    },
    {
        "program_id": "P2",
        "start_date": "2024-03-01",
        "end_date": "2025-03-01",
        "planned_milestones": 0,
        "certificate_threshold": 0.5,
    },
]


def pairing(pairing_id, program, kind, advisor, participant, start, end=None, reason=None):
    return {
        "pairing_id": pairing_id,
        "program_id": program,
        "relationship_type": kind,
        "advisor_id": advisor,
        "participant_id": participant,
        "start_date": start,
        "end_date": end,
        "end_reason": reason,
    }


PAIRINGS = [
    pairing("A1", "P1", "mentor", "a1", "m1", "2024-01-01", "2024-06-30", "completed"),
    pairing("A2", "P1", "mentor", "a1", "m2", "2025-06-01"),
    pairing("A3", "P1", "mentor", "a1", "m3", "2024-01-01", "2024-02-01", "withdrawn"),
    pairing("S1", "P2", "sponsor", "a2", "m1", "2024-06-01"),
    pairing("S2", "P2", "sponsor", "a2", "e1", "2024-03-01", "2024-12-31", "completed"),
]


def activity(pairing_id, day, kind, status, milestone=None, rating=None):
    return {
        "pairing_id": pairing_id,
        "activity_date": day,
        "activity_type": kind,
        "status": status,
        "milestone": milestone,
        "rating": rating,
    }


ACTIVITIES = [
    activity("A1", "2024-01-20", "meeting", "completed", rating=4),
    activity("A1", "2024-02-20", "meeting", "cancelled"),
    activity("A1", "2024-03-20", "meeting", "late_cancelled"),
    activity("A1", "2024-04-20", "meeting", "no_show"),
    activity("A1", "2024-05-20", "meeting", "completed", rating=2),
    activity("A1", "2024-01-25", "milestone", "completed", "Kick-off"),
    activity("A1", "2024-02-25", "milestone", "completed", "Plan"),
    activity("A1", "2024-03-25", "milestone", "completed", "Review"),
    activity("A1", "2024-04-25", "milestone", "completed", "Extra one"),
    activity("A1", "2024-05-25", "milestone", "completed", "Extra two"),
    activity("A3", "2024-01-10", "milestone", "completed", "Kick-off"),
    activity("A3", "2024-01-12", "milestone", "cancelled", "Plan"),
    activity("A3", "2024-03-15", "meeting", "completed"),
    activity("A2", "2025-07-15", "meeting", "completed"),  # after the as-of date
    activity("S2", "2024-03-10", "meeting", "completed", rating=5),
]

SURVEY_SCORES = [
    {"employee_id": e, "wave": w, "wave_date": d, "career_lonely": agrees}
    for w, d, answers in [
        ("2024-02", "2024-02-15", {"m1": True, "m2": True, "m3": False, "e1": None}),
        ("2025-03", "2025-03-15", {"m1": False, "m2": True}),
    ]
    for e, agrees in answers.items()
]


@pytest.fixture(scope="module")
def con():
    con = tiny_warehouse(
        EMPLOYEES, (), PROGRAMS, PAIRINGS, ACTIVITIES, survey_scores=SURVEY_SCORES, as_of=AS_OF
    )
    for build in (
        build_dim_employee,
        build_fct_pairing,
        build_program_health,
        build_mentor_to_sponsor,
        build_sponsorship_access,
        build_career_loneliness,
    ):
        build(con)
    return con


def table(con, name: str, key: str) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM marts.{name}").df().set_index(key)


def test_dim_employee_flags_and_tenure(con):
    people = table(con, "dim_employee", "employee_id")
    assert len(people) == len(EMPLOYEES)
    assert people.loc["m1", ["is_mentee", "is_protege", "is_mentor", "is_advisor"]].tolist() == [
        True,
        True,
        False,
        False,
    ]
    assert people.loc["a1", ["is_mentor", "is_advisor", "is_mentee"]].tolist() == [
        True,
        True,
        False,
    ]
    assert people.loc["a2", "is_sponsor"] and not people.loc["e1", "has_ally"]
    assert not people.loc["gone", "is_employed"] and people.loc["m1", "is_employed"]
    gone_tenure = (date(2025, 1, 1) - date(2015, 1, 1)).days / 365.25  # at the exit
    assert people.loc["gone", "tenure_years"] == pytest.approx(gone_tenure)
    m1_tenure = (date(2025, 6, 30) - date(2020, 1, 1)).days / 365.25  # at the as-of date
    assert people.loc["m1", "tenure_years"] == pytest.approx(m1_tenure)


def test_fct_pairing_counts_meetings_and_distinct_completed_milestones(con):
    a1 = table(con, "fct_pairing", "pairing_id").loc["A1"]
    counts = ["meetings_completed", "meetings_cancelled", "meetings_late_cancelled"]
    assert a1[[*counts, "meetings_no_show", "milestones_completed"]].tolist() == [2, 1, 1, 1, 5]
    assert a1["milestone_completion_rate"] == 1.0  # five names, four planned: complete, no more
    assert a1["certificate_threshold"] == 0.8  # the default
    assert a1["certificate_eligible"] and a1["activated"]
    assert a1["mean_meeting_rating"] == 3.0 and a1["meeting_ratings"] == 2
    assert a1["duration_days"] == (date(2024, 6, 30) - date(2024, 1, 1)).days


def test_fct_pairing_activation_and_ongoing_pairings(con):
    pairings = table(con, "fct_pairing", "pairing_id")
    a3 = pairings.loc["A3"]
    assert a3["milestone_completion_rate"] == 0.25 and not a3["certificate_eligible"]
    assert not a3["activated"]  # first meeting 74 days after the start
    a2 = pairings.loc["A2"]
    assert a2["is_ongoing"] and a2["duration_days"] == 29
    assert a2["meetings_completed"] == 0  # the meeting after the as-of date does not count
    assert pd.isna(a2["activated"])  # its 60 days have not passed
    s2 = pairings.loc["S2"]
    assert pd.isna(s2["milestone_completion_rate"]) and pd.isna(s2["certificate_eligible"])


def test_program_health_shares_with_wilson_intervals(con):
    health = table(con, "program_health", "relationship_type")
    mentoring = health.loc["mentor"]
    assert mentoring["pairings"] == 3
    assert (mentoring["activation_rate"], mentoring["activation_rate_n"]) == (0.5, 2)
    assert mentoring["activation_rate_ci_low"] < 0.5 < mentoring["activation_rate_ci_high"]
    assert mentoring["withdrawal_rate"] == pytest.approx(1 / 3)
    assert mentoring["cancellation_rate"] == pytest.approx(1 / 6)  # A1's 5 + A3's 1 scheduled
    assert mentoring["cancellation_rate_n"] == 6
    # A1: 4 of 4 planned (capped), A3: 1 of 4, A2: 0 of 4.
    assert mentoring["milestone_completion_rate"] == pytest.approx(5 / 12)
    assert mentoring["mean_meeting_rating"] == 3.0
    sponsorship = health.loc["sponsor"]
    assert pd.isna(sponsorship["milestone_completion_rate"])  # nothing planned
    assert sponsorship["milestone_completion_rate_n"] == 0


def test_mentor_to_sponsor_counts_completed_windows_only(con):
    pathway = con.execute("SELECT * FROM marts.mentor_to_sponsor").df()
    mentees = pathway.loc[(pathway["program_id"] == "P1") & (pathway["arm"] == "mentee")].iloc[0]
    # m1 gained a sponsor, m3 did not, m2's 12 months have not passed.
    assert (mentees["gained_sponsor_12m"], mentees["gained_sponsor_12m_n"]) == (0.5, 2)
    assert mentees["window_incomplete"] == 1
    others = pathway.loc[
        (pathway["program_id"] == "P1") & (pathway["arm"] == "other_employees")
    ].iloc[0]
    # Employed on P1's start and not its mentees: a1, a2, e1, gone; e1 was sponsored.
    assert (others["gained_sponsor_12m"], others["gained_sponsor_12m_n"]) == (0.25, 4)
    assert set(pathway["program_id"]) == {"P1", "all"}


def test_sponsorship_access_by_gender_and_ethnicity(con):
    access = con.execute("SELECT * FROM marts.sponsorship_access").df()
    everyone = access.loc[access["dimension"] == "all"].iloc[0]
    assert everyone["sponsored_now_n"] == 6  # "gone" left before the as-of date
    assert everyone["sponsored_now"] == pytest.approx(1 / 6)  # m1's pairing runs on
    assert everyone["ever_sponsored"] == pytest.approx(2 / 6)  # and e1's ended
    by = access.set_index(["dimension", "category"])
    assert by.loc[("gender", "Woman"), "sponsored_now"] == 0.5
    assert by.loc[("ethnicity", "not disclosed"), "ever_sponsored_n"] == 1
    assert math.isclose(by.loc[("ethnicity", "White"), "ever_sponsored"], 1 / 4)


def test_career_loneliness_per_wave_with_the_benchmark(con):
    waves = table(con, "career_loneliness", "wave")
    assert waves.loc["2024-02", "career_lonely"] == pytest.approx(2 / 3)  # e1 did not answer
    assert waves.loc["2024-02", "career_lonely_n"] == 3
    assert waves.loc["2025-03", "career_lonely"] == 0.5
    assert (waves["industry_benchmark"] == 0.77).all()


def test_career_loneliness_is_empty_without_survey_scores():
    con = tiny_warehouse(EMPLOYEES, as_of=AS_OF)
    assert build_career_loneliness(con) == 0
    columns = [
        c
        for (c,) in con.execute(
            "SELECT column_name FROM (DESCRIBE marts.career_loneliness)"
        ).fetchall()
    ]
    assert columns[:3] == ["wave", "wave_date", "career_lonely"]
    assert "industry_benchmark" in columns


def test_an_organisation_without_programs_builds_empty_marts():
    con = tiny_warehouse(EMPLOYEES, as_of=AS_OF)
    assert build_dim_employee(con) == len(EMPLOYEES)
    for build in (build_fct_pairing, build_program_health, build_mentor_to_sponsor):
        assert build(con) == 0
    assert build_sponsorship_access(con) == 1 + 2 + 3  # all, two genders, three ethnicities
    assert build_study_cohort(con, date.fromisoformat(AS_OF)) == 0
    assert build_program_outcomes(con) == 0
    assert build_program_effects(con, 5).empty
    assert build_program_effects_by_subgroup(con, 5) == 0
