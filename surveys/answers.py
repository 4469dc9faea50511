"""Turn survey answers given as text (numbers or labels) into integers on each item's scale."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveys.instruments import ITEMS_BY_CODE, SCALED_ITEM_CODES, Item, Scale

PROBLEM_COLUMNS = ("row", "item", "raw", "reason")

# Qualtrics can export "seen but unanswered" as -99: it means no answer, not a bad one.
UNANSWERED_CODE = -99

# A number, optionally followed by its anchor label: "3", "3.0", "10 - Extremely likely".
_LEADING_NUMBER = re.compile(
    r"(?P<number>[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+))(?:(?:\s*[-–—:=)]\s*|\s+)\S.*)?"
)


@dataclass(frozen=True)
class ParsedAnswer:
    value: int | None
    problem: str | None = None


NO_ANSWER = ParsedAnswer(None)


def parse_answers(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Answers as integers, one nullable Int64 column per scaled item, and the answers that failed.

    Every scaled item gets a column, all NA where the frame does not have it; other columns
    (respondent, comment, ...) are ignored. The problems frame has one row per bad answer:
    `row` (the frame's index label), `item`, `raw` and a `reason` a person can read.
    """
    unasked = pd.Series(pd.NA, index=frame.index, dtype="str")
    numeric = {}
    problems = []
    for code in SCALED_ITEM_CODES:
        column = frame[code] if code in frame.columns else unasked
        numeric[code], item_problems = _parse_column(column, ITEMS_BY_CODE[code])
        problems.append(item_problems)
    return pd.DataFrame(numeric, index=frame.index), _sorted_problems(problems, frame.index)


def parse_answer(raw: object, item: Item) -> ParsedAnswer:
    """One answer read on the item's scale: a number, an anchor label or a label."""
    if item.scale is None:
        raise ValueError(f"{item.code} is free text and has no scale")
    text = " ".join(str(raw).split())
    if not text:
        return NO_ANSWER
    number = _LEADING_NUMBER.fullmatch(text)
    if number:
        return _parse_number(number["number"], text, item.code, item.scale)
    label_value = item.scale.value_of_label(text)
    if label_value is None:
        return ParsedAnswer(None, _reason(item.code, text, "is not on", item.scale))
    return ParsedAnswer(label_value)


def _parse_number(number: str, text: str, code: str, scale: Scale) -> ParsedAnswer:
    value = float(number.replace(",", "."))
    if value == UNANSWERED_CODE:
        return NO_ANSWER
    if not value.is_integer():
        return ParsedAnswer(None, _reason(code, text, "is not a whole number on", scale))
    if not scale.low <= value <= scale.high:
        return ParsedAnswer(None, _reason(code, text, "is outside", scale))
    return ParsedAnswer(int(value))


def _reason(code: str, text: str, verdict: str, scale: Scale) -> str:
    return f"{code} answer '{text}' {verdict} the {scale.name} scale ({scale.describe()})"


def _parse_column(column: pd.Series, item: Item) -> tuple[pd.arrays.IntegerArray, pd.DataFrame]:
    # Parse each distinct answer once, then spread the results over the rows by their codes.
    # Empty cells get code -1, which picks the NO_ANSWER appended at the end of `parsed`.
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    parsed = [parse_answer(raw, item) for raw in uniques] + [NO_ANSWER]
    values = np.array([0 if answer.value is None else answer.value for answer in parsed])
    missing = np.array([answer.value is None for answer in parsed])
    answers = pd.arrays.IntegerArray(values[codes].astype("int64"), missing[codes])
    return answers, _problems(codes, uniques, parsed, item)


def _problems(
    codes: np.ndarray, uniques: pd.Index, parsed: list[ParsedAnswer], item: Item
) -> pd.DataFrame:
    reasons = np.array([answer.problem for answer in parsed], dtype=object)
    raws = np.array([str(raw) for raw in uniques] + [""], dtype=object)
    positions = np.flatnonzero(pd.notna(reasons)[codes])
    return pd.DataFrame(
        {
            "position": positions,
            "item": item.code,
            "raw": raws[codes[positions]],
            "reason": reasons[codes[positions]],
        }
    )


def _sorted_problems(problems: list[pd.DataFrame], index: pd.Index) -> pd.DataFrame:
    """All items' problems in row order; within a row, in questionnaire order (stable sort)."""
    combined = pd.concat(problems, ignore_index=True).sort_values(
        "position", kind="stable", ignore_index=True
    )
    rows = index[combined["position"].to_numpy()]
    described = combined[["item", "raw", "reason"]].astype("str")
    return described.assign(row=rows)[list(PROBLEM_COLUMNS)]
