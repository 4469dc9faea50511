"""Survey items, answer parsing and the item map, on hand-made answers."""

from pathlib import Path

import pandas as pd
import pytest

from surveys.answers import PROBLEM_COLUMNS, parse_answers
from surveys.instruments import (
    ITEM_CODES,
    ITEMS_BY_CODE,
    SCALED_ITEM_CODES,
    UWES_SCALE,
    item_codes_of,
)
from surveys.item_map import apply_item_map, load_item_map, normalise_header


def parsed(item: str, *answers: object) -> list[object]:
    numeric, problems = parse_answers(pd.DataFrame({item: pd.Series(answers, dtype="str")}))
    assert problems.empty, problems["reason"].tolist()
    return numeric[item].tolist()


def reasons(item: str, *answers: str) -> list[str]:
    _, problems = parse_answers(pd.DataFrame({item: pd.Series(answers, dtype="str")}))
    return problems["reason"].tolist()


def test_every_item_of_the_contract_is_defined_once():
    assert ITEM_CODES == (
        "lon_companionship",
        "lon_left_out",
        "lon_isolated",
        "eng_vigor",
        "eng_dedication",
        "eng_absorption",
        "career_alone",
        "has_advocate",
        "psych_safety",
        "enps",
        "comment",
    )
    assert "comment" not in SCALED_ITEM_CODES
    assert ITEMS_BY_CODE["comment"].scale is None
    assert item_codes_of("UCLA-3 loneliness") == (
        "lon_companionship",
        "lon_left_out",
        "lon_isolated",
    )


def test_numbers_are_read_with_or_without_a_decimal_zero():
    assert parsed("lon_isolated", "1", "2.0", " 3 ") == [1, 2, 3]
    assert parsed("eng_vigor", "0", "6.0") == [0, 6]
    assert parsed("enps", "0", "10", "7.0") == [0, 10, 7]


def test_ucla_labels_match_case_and_whitespace_insensitively():
    assert parsed("lon_left_out", "Hardly ever", "  some   OF the time ", "OFTEN") == [1, 2, 3]


def test_uwes_labels_in_both_styles_of_the_manual():
    adverbs = ["Never", "Almost never", "Rarely", "Sometimes", "Often", "Very often", "Always"]
    frequencies = [
        "Never",
        "A few times a year or less",
        "Once a month or less",
        "A few times a month",
        "Once a week",
        "A few times a week",
        "Every day",
    ]
    assert parsed("eng_vigor", *adverbs) == [0, 1, 2, 3, 4, 5, 6]
    assert parsed("eng_dedication", *frequencies) == [0, 1, 2, 3, 4, 5, 6]
    assert parsed("eng_absorption", "a FEW times a\tweek", "EVERY DAY ") == [5, 6]


def test_the_same_label_means_what_the_item_scale_says():
    assert parsed("lon_isolated", "Often") == [3]
    assert parsed("eng_vigor", "Often") == [4]


def test_agreement_labels():
    labels = [
        "Strongly disagree",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "strongly AGREE",
    ]
    assert parsed("career_alone", *labels) == [1, 2, 3, 4, 5]


def test_enps_anchor_labels_are_read_by_their_leading_number():
    assert parsed("enps", "0 - Not at all likely", "10 - Extremely likely", "9") == [0, 10, 9]


def test_empty_answers_are_missing_not_problems():
    assert parsed("has_advocate", "", "   ", None, "-99", "4") == [pd.NA, pd.NA, pd.NA, pd.NA, 4]


def test_numeric_frame_has_every_scaled_item_as_nullable_integers():
    frame = pd.DataFrame({"employee_id": ["E1"], "enps": ["8"], "comment": ["hi"]}, index=[7])
    numeric, problems = parse_answers(frame)
    assert list(numeric.columns) == list(SCALED_ITEM_CODES)
    assert set(numeric.dtypes) == {pd.Int64Dtype()}
    assert numeric.index.tolist() == [7]
    assert numeric.loc[7, "enps"] == 8
    assert numeric.drop(columns="enps").isna().all(axis=None)
    assert problems.empty and list(problems.columns) == list(PROBLEM_COLUMNS)


def test_non_text_columns_are_read_too():
    frame = pd.DataFrame({"enps": [3.0, None], "psych_safety": pd.array([5, None], dtype="Int64")})
    numeric, problems = parse_answers(frame)
    assert numeric["enps"].tolist() == [3, pd.NA]
    assert numeric["psych_safety"].tolist() == [5, pd.NA]
    assert problems.empty


def test_an_unknown_label_is_reported_with_its_reason():
    assert reasons("lon_isolated", "Sometimes-ish") == [
        "lon_isolated answer 'Sometimes-ish' is not on the UCLA-3 scale "
        "(Hardly ever, Some of the time, Often or 1–3)"
    ]
    assert reasons("career_alone", "Kind of") == [
        "career_alone answer 'Kind of' is not on the agreement scale (Strongly disagree, "
        "Disagree, Neither agree nor disagree, Agree, Strongly agree or 1–5)"
    ]
    assert reasons("enps", "maybe") == ["enps answer 'maybe' is not on the eNPS scale (0–10)"]


def test_out_of_range_and_fractional_numbers_are_reported():
    assert reasons("lon_companionship", "7", "0") == [
        "lon_companionship answer '7' is outside the UCLA-3 scale "
        "(Hardly ever, Some of the time, Often or 1–3)",
        "lon_companionship answer '0' is outside the UCLA-3 scale "
        "(Hardly ever, Some of the time, Often or 1–3)",
    ]
    assert reasons("eng_vigor", "3.5") == [
        f"eng_vigor answer '3.5' is not a whole number on the UWES-3 scale "
        f"({UWES_SCALE.describe()})"
    ]
    assert reasons("enps", "11", "-1") == [
        "enps answer '11' is outside the eNPS scale (0–10)",
        "enps answer '-1' is outside the eNPS scale (0–10)",
    ]


def test_problems_name_the_row_item_and_raw_value_and_leave_the_answer_missing():
    frame = pd.DataFrame(
        {
            "lon_isolated": ["Often", "Sometimes-ish", "7"],
            "enps": ["x", "9", "12"],
        },
        index=[101, 102, 103],
    )
    numeric, problems = parse_answers(frame)
    assert numeric["lon_isolated"].tolist() == [3, pd.NA, pd.NA]
    assert numeric["enps"].tolist() == [pd.NA, 9, pd.NA]
    assert problems[["row", "item", "raw"]].values.tolist() == [
        [101, "enps", "x"],
        [102, "lon_isolated", "Sometimes-ish"],
        [103, "lon_isolated", "7"],
        [103, "enps", "12"],
    ]


def test_the_packaged_item_map_maps_qualtrics_names():
    mapping = load_item_map()
    assert mapping["q1_3"] == "lon_isolated"
    assert mapping["q6"] == "enps"
    assert set(mapping.values()) == set(ITEM_CODES)


def test_item_map_renames_matching_columns_only():
    mapping = load_item_map()
    columns = ["employee_id", "q1_1", "q1_2", "Q1-3 ", "q6", "recordeddate"]
    assert apply_item_map(columns, mapping) == {
        "q1_1": "lon_companionship",
        "q1_2": "lon_left_out",
        "Q1-3 ": "lon_isolated",
        "q6": "enps",
    }


def test_header_normalisation():
    assert normalise_header("  Q2 - 1 ") == "q2_1"
    assert normalise_header("Employee ID") == "employee_id"


def test_item_map_refuses_two_columns_for_one_item():
    with pytest.raises(ValueError, match="q6 and enps would all become enps"):
        apply_item_map(["q6", "enps"], {"Q6": "enps"})


def test_a_custom_item_map_is_checked(tmp_path: Path):
    good = tmp_path / "good.csv"
    good.write_text("source_column,item_code\nLonely Q,lon_isolated\n\n", encoding="utf-8")
    assert load_item_map(good) == {"lonely_q": "lon_isolated"}

    unknown = tmp_path / "unknown.csv"
    unknown.write_text("source_column,item_code\nQ9,happiness\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown\.csv, line 2: 'happiness' is not an item code"):
        load_item_map(unknown)

    twice = tmp_path / "twice.csv"
    twice.write_text("source_column,item_code\nQ1,enps\nq1,comment\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3: column 'q1' is mapped twice"):
        load_item_map(twice)
