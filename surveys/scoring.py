"""Scoring rules for the survey instruments: the single place they are defined."""

from __future__ import annotations

import operator
from functools import reduce

import pandas as pd

from surveys.instruments import SCALED_ITEM_CODES, UCLA3, UCLA3_SCALE, UWES3, item_codes_of

LONELINESS_ITEMS = item_codes_of(UCLA3)
ENGAGEMENT_ITEMS = item_codes_of(UWES3)
DEFAULT_LONELY_THRESHOLD = 6
# Agree / Strongly agree on the 1–5 agreement scale; neither (3); disagree / strongly
# disagree (1–2): the survey platforms' favourable / neutral / unfavourable bands.
FAVOURABLE_MIN = 4
NEUTRAL = 3
UNFAVOURABLE_MAX = 2
# The agreement items reported in three bands: `<item>_fav`, `<item>_neutral`, `<item>_unfav`.
BANDED_ITEMS = ("has_advocate", "psych_safety")
ENPS_PROMOTER_MIN = 9
ENPS_DETRACTOR_MAX = 6


def score_responses(
    numeric: pd.DataFrame, lonely_threshold: int = DEFAULT_LONELY_THRESHOLD
) -> pd.DataFrame:
    """One row of scores per response, same index as `numeric` (as made by `parse_answers`).

    A multi-item score is NA unless every one of its items was answered; the flags that
    depend on an answer are NA where it is missing.
    """
    _check_threshold(lonely_threshold)
    answers = _all_items(numeric)
    loneliness_complete = _all_answered(answers, LONELINESS_ITEMS)
    engagement_complete = _all_answered(answers, ENGAGEMENT_ITEMS)
    loneliness = _total(answers, LONELINESS_ITEMS)
    engagement = _total(answers, ENGAGEMENT_ITEMS) / len(ENGAGEMENT_ITEMS)
    return pd.DataFrame(
        {
            "loneliness": loneliness,
            "lonely": loneliness >= lonely_threshold,
            "engagement": engagement,
            "career_lonely": answers["career_alone"] >= FAVOURABLE_MIN,
            "has_advocate_fav": answers["has_advocate"] >= FAVOURABLE_MIN,
            "psych_safety_fav": answers["psych_safety"] >= FAVOURABLE_MIN,
            "enps": answers["enps"],
            **_bands(answers),
            "loneliness_complete": loneliness_complete,
            "engagement_complete": engagement_complete,
        },
        index=numeric.index,
    )


def _bands(answers: pd.DataFrame) -> dict[str, pd.Series]:
    """The neutral and unfavourable flags of each banded item (NA where unanswered)."""
    flags = {}
    for item in BANDED_ITEMS:
        flags[f"{item}_neutral"] = answers[item] == NEUTRAL
        flags[f"{item}_unfav"] = answers[item] <= UNFAVOURABLE_MAX
    return flags


def count_incomplete(numeric: pd.DataFrame) -> dict[str, int]:
    """Responses that answered some but not all items of a multi-item score, per score."""
    answers = _all_items(numeric)
    return {
        "loneliness": _count_partial(answers, LONELINESS_ITEMS),
        "engagement": _count_partial(answers, ENGAGEMENT_ITEMS),
    }


def enps_score(answers: pd.Series) -> float:
    """% promoters (9–10) − % detractors (0–6) among those who answered, in points; NaN if none."""
    answered = answers.dropna()
    if answered.empty:
        return float("nan")
    promoters = (answered >= ENPS_PROMOTER_MIN).sum()
    detractors = (answered <= ENPS_DETRACTOR_MAX).sum()
    return float(100 * (promoters - detractors) / len(answered))


def _all_items(numeric: pd.DataFrame) -> pd.DataFrame:
    # An item the frame lacks counts as unanswered rather than as an error.
    return numeric.reindex(columns=list(SCALED_ITEM_CODES)).astype("Int64")


def _total(answers: pd.DataFrame, items: tuple[str, ...]) -> pd.Series:
    """The items' sum, NA unless every one was answered. Added column by column: a row-wise
    `sum(axis=1)` on nullable integers took ten times as long."""
    return reduce(operator.add, (answers[item] for item in items))


def _all_answered(answers: pd.DataFrame, items: tuple[str, ...]) -> pd.Series:
    return answers[list(items)].notna().all(axis=1)


def _count_partial(answers: pd.DataFrame, items: tuple[str, ...]) -> int:
    answered = answers[list(items)].notna()
    return int((answered.any(axis=1) & ~answered.all(axis=1)).sum())


def _check_threshold(lonely_threshold: int) -> None:
    low, high = len(LONELINESS_ITEMS) * UCLA3_SCALE.low, len(LONELINESS_ITEMS) * UCLA3_SCALE.high
    if not low <= lonely_threshold <= high:
        raise ValueError(
            f"the lonely threshold must be within {low}–{high}, not {lonely_threshold}"
        )
