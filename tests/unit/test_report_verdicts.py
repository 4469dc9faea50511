"""Verdicts come from the adjusted estimate; raw comparisons are labelled and explained from
their numbers."""

import pandas as pd

from reports.suppression import Suppression
from reports.verdicts import (
    BY_CODE,
    HARMS,
    HELPS,
    NO_DATA,
    UNCLEAR,
    raw_comparison,
    read_finding,
    size_sentence,
)

KEYS = {"program_id": "P1", "relationship_type": "sponsor"}


def effects(outcome: str, naive: tuple, adjusted: tuple, n: int = 270) -> pd.DataFrame:
    rows = []
    for method, (estimate, low, high) in (("naive", naive), ("adjusted", adjusted)):
        rows.append(
            KEYS
            | {
                "outcome": outcome,
                "method": method,
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "p_value": 0.01,
                "n_treated": n,
                "n_control": 4000,
                "note": None,
            }
        )
    return pd.DataFrame(rows)


def finding(outcome: str, naive: tuple, adjusted: tuple, n: int = 270):
    return read_finding(
        effects(outcome, naive, adjusted, n), KEYS, BY_CODE[outcome], Suppression(5)
    )


def test_the_verdict_is_read_from_the_adjusted_interval_and_its_favourable_side():
    assert finding("retention_12m_diff", (4, 1, 7), (-1.2, -4, 1.6)).verdict is UNCLEAR
    assert finding("retention_12m_diff", (4, 1, 7), (2.6, 1.1, 4.1)).verdict is HELPS
    assert finding("loneliness_did", (0, -1, 1), (-0.8, -1.0, -0.6)).verdict is HELPS
    assert finding("loneliness_did", (0, -1, 1), (0.8, 0.6, 1.0)).verdict is HARMS
    assert finding("promotion_hr", (1, 0.9, 1.1), (0.5, 0.3, 0.8)).verdict is HARMS
    assert finding("promotion_hr", (1, 0.9, 1.1), (None, None, None)).verdict is NO_DATA


def test_a_small_group_gives_not_enough_data():
    assert finding("promotion_hr", (2, 1.5, 2.5), (2, 1.5, 2.5), n=3).verdict is NO_DATA


def test_a_flip_of_direction_is_called_a_flip_and_the_raw_figure_is_labelled():
    text = str(raw_comparison(finding("retention_12m_diff", (4.1, 0.9, 7.2), (-1.2, -4, 1.6))))
    assert "raw comparison" in text and "flips" in text and 'data-value="4.1"' in text


def test_smaller_larger_and_both_unclear_are_told_apart():
    smaller = str(raw_comparison(finding("retention_12m_diff", (4.3, 1.9, 6.6), (2.6, 1.1, 4.1))))
    larger = str(raw_comparison(finding("retention_12m_diff", (1.0, 0.2, 1.8), (2.6, 1.1, 4.1))))
    unclear = str(raw_comparison(finding("retention_12m_diff", (1.0, -1, 3), (0.5, -1.8, 2.8))))
    assert "is larger than the adjusted" in smaller
    assert "is smaller than the adjusted" in larger
    assert "both include no effect" in unclear


def test_retention_is_told_as_leavers_avoided_with_its_interval_and_n():
    text = str(
        size_sentence(finding("retention_12m_diff", (0, -1, 1), (2.6, 1.1, 4.1), 573), "mentees")
    )
    assert "About" in text and "fewer</" not in text
    assert (
        ">15</span> fewer" in text
        and ">6</span> fewer to" in text
        and ">573</span> mentees" in text
    )
    assert 'data-column="abs(n_treated * estimate / 100)"' in text
