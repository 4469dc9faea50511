"""Survey scoring rules, on hand-computed examples."""

import math

import pandas as pd
import pytest

from surveys.answers import parse_answers
from surveys.scoring import count_incomplete, enps_score, score_responses

NA = pd.NA


def numeric(**items: list[object]) -> pd.DataFrame:
    return pd.DataFrame({code: pd.array(values, dtype="Int64") for code, values in items.items()})


def loneliness_frame() -> pd.DataFrame:
    return numeric(
        lon_companionship=[1, 2, 2, 3, 2, NA, NA],
        lon_left_out=[1, 2, 2, 3, NA, NA, 1],
        lon_isolated=[1, 1, 2, 3, 3, NA, NA],
    )


def test_loneliness_is_the_ucla_sum_when_all_three_are_answered():
    scores = score_responses(loneliness_frame())
    assert scores["loneliness"].tolist() == [3, 5, 6, 9, NA, NA, NA]
    assert scores["loneliness_complete"].tolist() == [True] * 4 + [False] * 3


def test_lonely_from_six_by_default():
    scores = score_responses(loneliness_frame())
    assert scores["lonely"].tolist() == [False, False, True, True, NA, NA, NA]


def test_lonely_with_a_custom_threshold():
    scores = score_responses(loneliness_frame(), lonely_threshold=5)
    assert scores["lonely"].tolist() == [False, True, True, True, NA, NA, NA]


def test_a_threshold_outside_the_score_range_is_refused():
    with pytest.raises(ValueError, match="within 3–9"):
        score_responses(loneliness_frame(), lonely_threshold=10)


def test_partial_answers_count_as_incomplete_and_blank_ones_do_not():
    frame = loneliness_frame().assign(
        eng_vigor=pd.array([4, NA, NA, 0, 1, 2, NA], dtype="Int64"),
        eng_dedication=pd.array([5, 6, NA, 0, 2, 3, NA], dtype="Int64"),
        eng_absorption=pd.array([6, 6, NA, 0, 2, 3, NA], dtype="Int64"),
    )
    assert count_incomplete(frame) == {"loneliness": 2, "engagement": 1}


def test_engagement_is_the_uwes_mean_when_all_three_are_answered():
    scores = score_responses(
        numeric(
            eng_vigor=[4, 0, 6, 1, 5],
            eng_dedication=[5, 0, 6, 2, NA],
            eng_absorption=[6, 0, 6, 2, 5],
        )
    )
    assert scores["engagement"].tolist()[:4] == pytest.approx([5.0, 0.0, 6.0, 5 / 3])
    assert scores["engagement"].isna().tolist() == [False] * 4 + [True]
    assert scores["engagement_complete"].tolist() == [True] * 4 + [False]


def test_agreement_items_are_favourable_at_four_and_five():
    answers = [1, 2, 3, 4, 5, NA]
    favourable = [False, False, False, True, True, NA]
    scores = score_responses(
        numeric(career_alone=answers, has_advocate=answers, psych_safety=answers)
    )
    assert scores["career_lonely"].tolist() == favourable
    assert scores["has_advocate_fav"].tolist() == favourable
    assert scores["psych_safety_fav"].tolist() == favourable


def test_advocate_and_psychological_safety_are_also_neutral_at_three_and_unfavourable_below():
    answers = [1, 2, 3, 4, 5, NA]
    scores = score_responses(numeric(has_advocate=answers, psych_safety=answers))
    for item in ("has_advocate", "psych_safety"):
        assert scores[f"{item}_neutral"].tolist() == [False, False, True, False, False, NA]
        assert scores[f"{item}_unfav"].tolist() == [True, True, False, False, False, NA]
    assert "career_alone_neutral" not in scores


def test_the_warehouse_counts_each_band_over_the_scored_latest_responses():
    """`marts.fct_survey_score` from a tiny staging: unscored and superseded responses and
    anonymous ones count in no band; every answered item is in exactly one band."""
    import duckdb

    from surveys.instruments import SCALED_ITEM_CODES
    from surveys.scores import build_survey_scores

    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging; CREATE SCHEMA marts")
    items = ", ".join(f"{c} BIGINT" for c in SCALED_ITEM_CODES)
    con.execute(
        "CREATE TABLE staging.survey_responses (employee_id VARCHAR, wave VARCHAR, "
        f"scored BOOLEAN, superseded BOOLEAN, {items})"
    )
    con.execute("CREATE TABLE staging.survey_waves (wave VARCHAR, wave_date DATE)")
    con.execute("INSERT INTO staging.survey_waves VALUES ('W1', '2026-03-01')")
    rows = [  # employee, scored, superseded, has_advocate, psych_safety
        ("e1", True, False, 5, 1),
        ("e2", True, False, 4, 2),
        ("e3", True, False, 3, 3),
        ("e4", True, False, 2, None),
        ("e5", True, False, 1, 4),
        ("e6", False, False, 1, 1),  # unscored (unfinished)
        ("e1", True, True, 1, 5),  # superseded by e1's latest
        (None, True, False, 1, 1),  # anonymous
    ]
    for employee, scored, superseded, advocate, safety in rows:
        con.execute(
            "INSERT INTO staging.survey_responses (employee_id, wave, scored, superseded, "
            "has_advocate, psych_safety) VALUES (?, 'W1', ?, ?, ?, ?)",
            [employee, scored, superseded, advocate, safety],
        )
    assert build_survey_scores(con, lonely_threshold=6) == 5
    counts = con.execute(
        "SELECT "
        + ", ".join(
            f"count(*) FILTER (WHERE {item}_{band})"
            for item in ("has_advocate", "psych_safety")
            for band in ("fav", "neutral", "unfav")
        )
        + ", count(*) FILTER (WHERE psych_safety_neutral IS NULL) FROM marts.fct_survey_score"
    ).fetchone()
    assert counts == (2, 1, 2, 1, 1, 2, 1)


def test_missing_items_score_as_unanswered():
    scores = score_responses(numeric(enps=[8]))
    assert scores.loc[0, "enps"] == 8
    assert (
        scores.drop(columns=["enps", "loneliness_complete", "engagement_complete"])
        .isna()
        .all(axis=None)
    )
    assert not scores.loc[0, "loneliness_complete"]


def test_scores_keep_the_response_index():
    frame = numeric(enps=[1, 2]).set_axis([40, 41])
    assert score_responses(frame).index.tolist() == [40, 41]


def test_enps_is_promoters_minus_detractors_in_points():
    # 5 promoters, 2 passives, 3 detractors of 10: 50% − 30% = +20.
    answers = pd.Series([10, 9, 9, 10, 9, 7, 8, 0, 6, 5, NA], dtype="Int64")
    assert enps_score(answers) == pytest.approx(20.0)
    assert enps_score(pd.Series([0, 6], dtype="Int64")) == pytest.approx(-100.0)
    assert math.isnan(enps_score(pd.Series([NA], dtype="Int64")))


def test_labels_parse_and_score_end_to_end():
    answers = pd.DataFrame(
        {
            "lon_companionship": ["Often", "hardly ever"],
            "lon_left_out": ["3", "Some of the time"],
            "lon_isolated": ["Some of the time", ""],
            "eng_vigor": ["Once a week", "Never"],
            "eng_dedication": ["Very often", "1"],
            "eng_absorption": ["every day", "Rarely"],
            "career_alone": ["Agree", "Strongly disagree"],
            "enps": ["10 - Extremely likely", "6"],
        }
    )
    parsed, problems = parse_answers(answers)
    scores = score_responses(parsed)
    assert problems.empty
    assert scores["loneliness"].tolist() == [8, NA]
    assert scores["lonely"].tolist() == [True, NA]
    assert scores["engagement"].tolist() == [5.0, 1.0]
    assert scores["career_lonely"].tolist() == [True, False]
    assert scores["enps"].tolist() == [10, 6]
    assert count_incomplete(parsed) == {"loneliness": 1, "engagement": 0}
