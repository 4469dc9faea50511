"""The study design (OUTPUTS.md, "Metric definitions") on a hand-built organisation."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from effects.cohorts import SURVEY_COLUMNS, build_study_cohort, read_cohort
from tests.unit.test_marts_tables import pairing
from tests.unit.test_marts_warehouse import (
    SURVEY_SCORE_COLUMNS,
    _create,
    employee,
    tiny_warehouse,
)

AS_OF = "2025-12-31"
INDEX = date(2024, 4, 1)
FOLLOW_UP_TO_AS_OF = (date(2025, 12, 31) - INDEX).days  # 639

PROGRAMS = [
    {"program_id": "P0", "start_date": "2022-01-01", "end_date": "2023-10-31"},
    {"program_id": "P1", "start_date": "2024-04-01", "end_date": "2024-12-31"},
]


EMPLOYEES = [
    # Participants of P1's mentoring.
    employee(
        "mentee_leaves", "2019-01-01", termination_date="2024-10-01", termination_type="voluntary"
    ),
    employee("mentee_promoted", "2019-01-01", job_level=4),
    employee("mentee_hired_late", "2024-05-01"),
    employee("mentee_paired_later", "2018-01-01"),
    # Advisors, and a coachee of the same program.
    employee("mentor", "2010-01-01", job_level=6),
    employee("coachee", "2015-01-01"),
    # Everyone else employed on the index date.
    employee("fired", "2018-01-01", termination_date="2024-08-01", termination_type="involuntary"),
    employee("stays", "2018-01-01", performance_rating=None),
    employee(
        "leaves_after_as_of",
        "2018-01-01",
        termination_date="2026-03-01",
        termination_type="voluntary",
    ),
    employee("recent_mentee", "2018-01-01"),
    employee("former_mentee", "2018-01-01"),
    employee("promoted_before_only", "2018-01-01"),
    employee("rebuilt_level", "2012-01-01", job_level=5),
    employee("at_the_top", "2000-01-01", job_level=9),
    # Gone before the index date.
    employee(
        "left_before", "2018-01-01", termination_date="2024-03-31", termination_type="voluntary"
    ),
]

JOB_EVENTS = [
    {
        "employee_id": "mentee_promoted",
        "effective_date": "2024-01-15",
        "event_type": "promotion",
        "from_level": 2,
        "to_level": 3,
    },
    {
        "employee_id": "mentee_promoted",
        "effective_date": "2024-09-01",
        "event_type": "promotion",
        "from_level": 3,
        "to_level": 4,
    },
    {
        "employee_id": "promoted_before_only",
        "effective_date": "2023-06-01",
        "event_type": "promotion",
        "from_level": 2,
        "to_level": 3,
    },
    {
        "employee_id": "rebuilt_level",
        "effective_date": "2012-01-01",
        "event_type": "hire",
        "to_level": 3,
    },
    {
        "employee_id": "rebuilt_level",
        "effective_date": "2024-06-01",
        "event_type": "lateral",
        "from_level": 3,
        "to_level": 4,
    },
    {
        "employee_id": "rebuilt_level",
        "effective_date": "2025-01-01",
        "event_type": "promotion",
        "from_level": 4,
        "to_level": 5,
    },
    {
        "employee_id": "fired",
        "effective_date": "2024-09-01",
        "event_type": "promotion",
        "from_level": 3,
        "to_level": 4,
    },
]

PAIRINGS = [
    pairing("X1", "P1", "mentor", "mentor", "mentee_leaves", "2024-04-01", "2024-10-01"),
    pairing("X2", "P1", "mentor", "mentor", "mentee_promoted", "2024-04-01", "2024-12-31"),
    pairing("X3", "P1", "mentor", "mentor", "mentee_hired_late", "2024-06-01", "2024-12-31"),
    pairing("X4", "P1", "coach", "mentor", "coachee", "2024-04-01", "2024-12-31"),
    pairing("X7", "P1", "mentor", "mentor", "mentee_paired_later", "2024-07-15", "2024-12-31"),
    pairing("X5", "P0", "mentor", "mentor", "recent_mentee", "2022-01-01", "2023-10-31"),
    pairing("X6", "P0", "mentor", "mentor", "former_mentee", "2022-01-01", "2023-03-31"),
]

WAVES = {"w1": "2024-02-15", "w2": "2024-06-01", "w3": "2025-02-01", "w4": "2025-08-01"}


def score(employee_id: str, wave: str, loneliness: int) -> dict:
    return {
        "employee_id": employee_id,
        "wave": wave,
        "wave_date": WAVES[wave],
        "loneliness": loneliness,
        "engagement": 3.0,
        "career_lonely": loneliness > 5,
    }


SURVEY_SCORES = [
    score("mentee_leaves", "w1", 7),
    score("mentee_promoted", "w1", 6),
    score("mentee_promoted", "w2", 5),  # during the program: neither baseline nor follow-up
    score("mentee_promoted", "w3", 4),
    score("mentee_promoted", "w4", 3),
    score("stays", "w2", 5),
    score("stays", "w4", 5),
]


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    con = tiny_warehouse(
        EMPLOYEES, JOB_EVENTS, PROGRAMS, PAIRINGS, survey_scores=SURVEY_SCORES, as_of=AS_OF
    )
    build_study_cohort(con, date.fromisoformat(AS_OF))
    return read_cohort(con)


def person(
    cohort: pd.DataFrame, employee_id: str, kind: str = "mentor", trial: date = INDEX
) -> pd.Series:
    """The person's row in the given monthly trial (by default the program's first)."""
    rows = cohort.loc[
        (cohort["program_id"] == "P1")
        & (cohort["relationship_type"] == kind)
        & (cohort["employee_id"] == employee_id)
        & (cohort["trial_start"] == pd.Timestamp(trial))
    ]
    assert len(rows) == 1, f"{employee_id} is in the {kind} trial {trial} {len(rows)} times"
    return rows.iloc[0]


def members(cohort: pd.DataFrame, kind: str = "mentor", trial: date = INDEX) -> dict[str, str]:
    """Everyone in one monthly trial (by default the program's first) and their group."""
    rows = cohort.loc[
        (cohort["program_id"] == "P1")
        & (cohort["relationship_type"] == kind)
        & (cohort["trial_start"] == pd.Timestamp(trial))
    ]
    return dict(zip(rows["employee_id"], rows["arm"], strict=True))


# --- groups ------------------------------------------------------------------------------------


def test_groups_of_the_mentoring_track(cohort):
    assert members(cohort) == {
        "mentee_leaves": "participant",
        "mentee_promoted": "participant",
        "mentor": "advisor",
        "fired": "comparison",
        "stays": "comparison",
        "leaves_after_as_of": "comparison",
        "former_mentee": "comparison",
        "promoted_before_only": "comparison",
        "rebuilt_level": "comparison",
        "at_the_top": "comparison",
        "mentee_paired_later": "comparison",  # until paired (censored then)
    }


def test_each_month_with_first_pairings_is_a_trial(cohort):
    track = cohort.loc[(cohort["program_id"] == "P1") & (cohort["relationship_type"] == "mentor")]
    trials = sorted(track["trial_start"].dt.date.unique())
    assert trials == [INDEX, date(2024, 6, 1), date(2024, 7, 1)]
    participants = track.loc[track["arm"] == "participant"]
    assert sorted(participants["employee_id"]) == [
        "mentee_hired_late",
        "mentee_leaves",
        "mentee_paired_later",
        "mentee_promoted",
    ]  # each participant once, in the trial of their first pairing


def test_a_participant_paired_late_counts_from_their_own_pairing(cohort):
    late = person(cohort, "mentee_hired_late", trial=date(2024, 6, 1))
    assert late["arm"] == "participant"
    assert late["index_date"] == pd.Timestamp("2024-06-01")
    assert late["exit_days"] == (date(2025, 12, 31) - date(2024, 6, 1)).days
    later = person(cohort, "mentee_paired_later", trial=date(2024, 7, 1))
    assert later["index_date"] == pd.Timestamp("2024-07-15")


def test_a_comparison_person_paired_later_is_censored_then(cohort):
    before = person(cohort, "mentee_paired_later")
    assert before["arm"] == "comparison"
    assert before["paired_later_on"] == pd.Timestamp("2024-07-15")
    assert before["exit_days"] == (date(2024, 7, 15) - INDEX).days
    assert before["exit_event"] == 0
    # A later trial follows the still-unpaired comparison people from its own first day.
    june = person(cohort, "stays", trial=date(2024, 6, 1))
    assert june["index_date"] == pd.Timestamp("2024-06-01")
    # The trial's own participants and earlier ones are not its comparison people.
    assert members(cohort, trial=date(2024, 7, 1))["mentee_paired_later"] == "participant"
    assert "mentee_leaves" not in members(cohort, trial=date(2024, 6, 1))


def test_only_people_employed_on_the_trials_first_day_are_compared(cohort):
    assert "mentee_hired_late" not in members(cohort)
    assert "left_before" not in members(cohort)


def test_a_recent_participant_of_the_type_is_no_comparison(cohort):
    assert "recent_mentee" not in members(cohort)  # mentored until 5 months before
    assert members(cohort)["former_mentee"] == "comparison"  # 12 months before: fine again


def test_advisors_and_those_paired_in_the_program_are_kept_out_of_its_comparison_groups(cohort):
    assert "coachee" not in members(cohort, "mentor")
    assert members(cohort, "coach") == {
        "mentee_paired_later": "comparison",  # not yet paired in the program
        "coachee": "participant",
        "mentor": "advisor",
        "fired": "comparison",
        "stays": "comparison",
        "leaves_after_as_of": "comparison",
        "former_mentee": "comparison",
        "promoted_before_only": "comparison",
        "rebuilt_level": "comparison",
        "at_the_top": "comparison",
        "recent_mentee": "comparison",  # a mentee, but coaching's comparison only asks of coaching
    }
    # Paired as mentees in the program's first month: not coaching's comparison either.
    assert "mentee_leaves" not in members(cohort, "coach")


# --- time from the index date ----------------------------------------------------------------


def test_a_participant_hired_long_before_counts_from_the_index_date(cohort):
    leaver = person(cohort, "mentee_leaves")
    assert leaver["index_date"] == pd.Timestamp(INDEX)
    assert leaver["exit_days"] == (date(2024, 10, 1) - INDEX).days
    assert leaver["exit_event"] == 1


def test_only_promotions_after_the_index_date_count(cohort):
    promoted = person(cohort, "mentee_promoted")
    assert promoted["promotion_days"] == (date(2024, 9, 1) - INDEX).days
    assert promoted["promotion_event"] == 1
    before_only = person(cohort, "promoted_before_only")
    assert before_only["promotion_event"] == 0
    assert before_only["promotion_days"] == FOLLOW_UP_TO_AS_OF


def test_an_involuntary_exit_censors_both_outcomes(cohort):
    fired = person(cohort, "fired")
    assert fired["exit_event"] == 0
    assert fired["exit_days"] == (date(2024, 8, 1) - INDEX).days
    assert fired["exit_type"] == "involuntary"
    # Promoted after leaving: the exit came first.
    assert fired["promotion_event"] == 0
    assert fired["promotion_days"] == fired["exit_days"]


def test_the_as_of_date_censors(cohort):
    for employee_id in ("stays", "leaves_after_as_of"):
        row = person(cohort, employee_id)
        assert row["exit_event"] == 0
        assert row["exit_days"] == FOLLOW_UP_TO_AS_OF
        assert pd.isna(row["exit_type"])


def test_the_top_level_is_not_at_risk_of_promotion(cohort):
    top = person(cohort, "at_the_top")
    assert pd.isna(top["promotion_days"]) and pd.isna(top["promotion_event"])
    assert top["exit_days"] == FOLLOW_UP_TO_AS_OF


# --- covariates as of the index date ---------------------------------------------------------


def test_job_level_is_rebuilt_as_of_the_index_date(cohort):
    assert person(cohort, "rebuilt_level")["job_level"] == 3  # snapshot says 5
    assert person(cohort, "mentee_promoted")["job_level"] == 3  # snapshot says 4
    assert person(cohort, "stays")["job_level"] == 3  # no job events: the snapshot


def test_tenure_and_a_missing_rating(cohort):
    leaver = person(cohort, "mentee_leaves")
    assert leaver["tenure_years"] == pytest.approx((INDEX - date(2019, 1, 1)).days / 365.25)
    assert pd.isna(person(cohort, "stays")["performance_rating"])


# --- survey waves ----------------------------------------------------------------------------


def test_baseline_and_follow_up_waves(cohort):
    promoted = person(cohort, "mentee_promoted")
    assert promoted["baseline_wave"] == "w1"
    assert promoted["followup_wave"] == "w3"  # the first after the program's end
    assert (promoted["loneliness_baseline"], promoted["loneliness_followup"]) == (6, 4)
    assert (promoted["career_lonely_baseline"], promoted["career_lonely_followup"]) == (1, 0)
    stays = person(cohort, "stays")
    assert pd.isna(stays["baseline_wave"])  # w2 is after the index date
    assert stays["followup_wave"] == "w4"
    leaver = person(cohort, "mentee_leaves")
    assert leaver["baseline_wave"] == "w1" and pd.isna(leaver["followup_wave"])


def test_without_survey_scores_the_wave_columns_are_empty():
    con = tiny_warehouse(EMPLOYEES, JOB_EVENTS, PROGRAMS, PAIRINGS, as_of=AS_OF)
    build_study_cohort(con, date.fromisoformat(AS_OF))
    cohort = read_cohort(con)
    assert len(cohort) and cohort["baseline_wave"].isna().all()
    assert cohort["loneliness_followup"].isna().all()


def test_a_new_wave_reuses_the_cohort_people_until_staging_or_the_as_of_date_changes():
    as_of = date.fromisoformat(AS_OF)
    con = tiny_warehouse(
        EMPLOYEES, JOB_EVENTS, PROGRAMS, PAIRINGS, survey_scores=SURVEY_SCORES[:3], as_of=AS_OF
    )
    build_study_cohort(con, as_of)
    marker = "UPDATE meta.study_cohort_people SET department = 'remembered'"
    con.execute(marker)  # survives only if the next build reuses the table

    con.execute("DROP TABLE marts.fct_survey_score")  # the later waves arrive
    _create(con, "marts.fct_survey_score", SURVEY_SCORE_COLUMNS, SURVEY_SCORES)
    build_study_cohort(con, as_of)
    cohort = read_cohort(con)
    assert set(cohort["department"]) == {"remembered"}
    people = con.execute("SELECT * EXCLUDE (inputs_digest) FROM meta.study_cohort_people")
    assert [*(c[0] for c in people.description), *SURVEY_COLUMNS] == list(cohort.columns)
    assert person(cohort, "mentee_promoted")["followup_wave"] == "w3"  # from the later waves

    build_study_cohort(con, date(2025, 12, 30))
    assert "remembered" not in set(read_cohort(con)["department"])
    con.execute(marker)
    con.execute(
        "UPDATE staging.employees SET job_level = job_level + 1 WHERE employee_id = 'stays'"
    )
    build_study_cohort(con, date(2025, 12, 30))
    assert "remembered" not in set(read_cohort(con)["department"])


def test_programs_starting_after_the_as_of_date_have_no_cohort():
    later = [*PROGRAMS, {"program_id": "P2", "start_date": "2026-03-01", "end_date": "2026-12-31"}]
    pairings = [*PAIRINGS, pairing("X9", "P2", "mentor", "mentor", "stays", "2026-03-01")]
    con = tiny_warehouse(EMPLOYEES, JOB_EVENTS, later, pairings, as_of=AS_OF)
    build_study_cohort(con, date.fromisoformat(AS_OF))
    assert "P2" not in set(read_cohort(con)["program_id"])


def test_same_day_events_give_the_same_level_whatever_their_order():
    """A transfer and a promotion on one day before the index date, and a demotion and a
    transfer on one day after it: the day ends at the highest level reached and starts from
    the lowest left, in either row order."""
    same_day = [
        ("before", "2024-02-01", "transfer", 3, 3),
        ("before", "2024-02-01", "promotion", 3, 4),
        ("after", "2024-06-01", "transfer", 5, 5),
        ("after", "2024-06-01", "demotion", 6, 5),
    ]
    events = [
        {
            "employee_id": person_id,
            "effective_date": day,
            "event_type": kind,
            "from_level": from_level,
            "to_level": to_level,
        }
        for person_id, day, kind, from_level, to_level in same_day
    ]
    people = [employee("before", "2018-01-01"), employee("after", "2018-01-01")]
    pairings = [pairing("X", "P1", "mentor", "before", "after", "2024-04-01")]
    levels = []
    for ordered in (events, events[::-1]):
        con = tiny_warehouse(people, ordered, PROGRAMS, pairings, as_of=AS_OF)
        build_study_cohort(con, date.fromisoformat(AS_OF))
        rows = read_cohort(con).set_index("employee_id")["job_level"]
        levels.append((rows["before"], rows["after"]))
    assert levels == [(4, 5), (4, 5)]


def test_a_large_tracks_comparison_people_are_drawn_per_participant_with_a_fixed_seed():
    drawn = []
    for _ in range(2):
        con = tiny_warehouse(EMPLOYEES, JOB_EVENTS, PROGRAMS, PAIRINGS, as_of=AS_OF)
        build_study_cohort(con, date.fromisoformat(AS_OF), max_unsampled=0, per_participant=1)
        cohort = read_cohort(con)
        track = cohort.loc[
            (cohort["program_id"] == "P1") & (cohort["relationship_type"] == "mentor")
        ]
        per_trial = track.groupby("trial_start")["arm"].value_counts().unstack(fill_value=0)
        assert (per_trial["comparison"] <= per_trial["participant"]).all()
        comparison = track.loc[track["arm"] == "comparison"]
        assert (comparison["trial_eligible"] >= 2).all()  # more were eligible than drawn
        # Each drawn row stands for its trial's eligible people over those drawn.
        drawn_per_trial = comparison.groupby("trial_start")["employee_id"].transform("size")
        assert np.allclose(
            comparison["sampling_weight"], comparison["trial_eligible"] / drawn_per_trial
        )
        assert (comparison["sampling_weight"] > 1).all()
        assert (track.loc[track["arm"] != "comparison", "sampling_weight"] == 1).all()
        drawn.append(sorted(zip(comparison["trial_start"], comparison["employee_id"], strict=True)))
    assert drawn[0] == drawn[1]


def test_a_baseline_wave_older_than_the_cap_is_no_baseline(monkeypatch):
    """w1 (15 February) is 1.5 months before mentee_promoted's time zero (1 April)."""
    as_of = date.fromisoformat(AS_OF)
    for months, expected in (("18", "w1"), ("2", "w1"), ("1", None)):
        monkeypatch.setenv("MENTORLENS_BASELINE_MAX_MONTHS", months)
        con = tiny_warehouse(
            EMPLOYEES, JOB_EVENTS, PROGRAMS, PAIRINGS, survey_scores=SURVEY_SCORES, as_of=AS_OF
        )
        build_study_cohort(con, as_of)
        baseline = person(read_cohort(con), "mentee_promoted")["baseline_wave"]
        assert (baseline if pd.notna(baseline) else None) == expected, months


def test_an_unsampled_cohort_weighs_every_row_one_and_sampling_settings_rebuild_it():
    con = tiny_warehouse(EMPLOYEES, JOB_EVENTS, PROGRAMS, PAIRINGS, as_of=AS_OF)
    build_study_cohort(con, date.fromisoformat(AS_OF))
    everyone = read_cohort(con)
    assert (everyone["sampling_weight"] == 1).all()
    compared = everyone.loc[everyone["arm"] == "comparison"]
    trial = ["program_id", "relationship_type", "trial_start"]
    per_trial = compared.groupby(trial, observed=True)["employee_id"].transform("size")
    assert (compared["trial_eligible"] == per_trial).all()
    # The same warehouse with sampling forced: the remembered people are not reused.
    build_study_cohort(con, date.fromisoformat(AS_OF), max_unsampled=0, per_participant=1)
    sampled = read_cohort(con)
    assert len(sampled) < len(everyone)
    assert (sampled["sampling_weight"] > 1).any()
    # Weights add up to the eligible person-months of every trial.
    drawn = sampled.loc[sampled["arm"] == "comparison"]
    totals = drawn.groupby(trial, observed=True).agg(
        weight=("sampling_weight", "sum"), eligible=("trial_eligible", "max")
    )
    assert np.allclose(totals["weight"], totals["eligible"])
