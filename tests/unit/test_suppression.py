"""Small-group suppression: primary cells under k, and complementary cells so nothing under k
can be worked out by subtraction."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.suppression import COMPLEMENTARY, SMALL, Suppression

FIVE = Suppression(5)


def test_a_cell_under_k_is_hidden_and_one_at_k_is_shown():
    assert FIVE.cell(4) == SMALL
    assert FIVE.cell(0) == SMALL
    assert FIVE.cell(5) is None
    assert FIVE.cell(None) == SMALL  # an unknown size is never shown


def test_k_must_be_positive():
    with pytest.raises(ValueError):
        Suppression(0)


def test_independent_cells_get_no_complementary_suppression():
    assert FIVE.cells([3, 40, 50]) == [SMALL, None, None]


def test_a_breakdown_with_one_small_cell_hides_the_next_smallest_too():
    assert FIVE.breakdown([40, 3, 12, 60]) == [None, SMALL, COMPLEMENTARY, None]


def test_a_breakdown_whose_small_cells_already_add_up_to_k_hides_no_more():
    assert FIVE.breakdown([3, 4, 50]) == [SMALL, SMALL, None]


def test_small_cells_adding_up_to_under_k_pull_in_another_cell():
    assert FIVE.breakdown([1, 2, 30, 20]) == [SMALL, SMALL, None, COMPLEMENTARY]


def test_a_breakdown_with_nothing_small_hides_nothing():
    assert FIVE.breakdown([5, 6, 100]) == [None, None, None]


def test_ties_hide_the_first_of_the_smallest():
    assert FIVE.breakdown([2, 9, 9]) == [SMALL, COMPLEMENTARY, None]


def test_a_breakdown_of_all_small_cells_hides_them_all():
    assert FIVE.breakdown([1, 2]) == [SMALL, SMALL]


def test_a_funnel_hides_a_stage_that_dropped_fewer_than_k_from_the_last_shown():
    # 100 → 97 would reveal that 3 pairings never met.
    assert FIVE.nested([100, 97, 90, 2]) == [None, COMPLEMENTARY, None, SMALL]


def test_a_funnel_stage_without_any_drop_is_shown():
    assert FIVE.nested([40, 40, 20]) == [None, None, None]


def test_a_funnel_compares_with_the_last_shown_stage_not_the_hidden_one():
    # 50 → (47 hidden) → 44: 50 − 44 = 6 may be shown.
    assert FIVE.nested([50, 47, 44]) == [None, COMPLEMENTARY, None]


@given(
    parts=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=8),
    k=st.integers(min_value=1, max_value=12),
)
def test_no_breakdown_lets_a_group_under_k_be_worked_out(parts, k):
    reasons = Suppression(k).breakdown(parts)
    hidden = [n for n, reason in zip(parts, reasons, strict=True) if reason]
    shown = [n for n, reason in zip(parts, reasons, strict=True) if not reason]
    assert all(n >= k for n in shown)
    # The reader knows the total, so the sum of the hidden cells; it is never under k
    # (unless everything is hidden, when the total itself is under k and hidden elsewhere).
    if hidden and shown:
        assert sum(hidden) >= k


@given(
    drops=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=6),
    k=st.integers(min_value=1, max_value=10),
)
def test_no_two_shown_funnel_stages_differ_by_fewer_than_k(drops, k):
    counts = list(itertools.accumulate(drops[::-1]))[::-1]  # non-increasing stages
    reasons = Suppression(k).nested(counts)
    shown = [c for c, reason in zip(counts, reasons, strict=True) if not reason]
    assert all(c >= k for c in shown)
    assert all(a - b == 0 or a - b >= k for a, b in itertools.combinations(shown, 2))


def test_a_share_hides_zero_and_full_and_says_which_side_is_small():
    from reports.suppression import FEW_WITH, FEW_WITHOUT

    assert FIVE.share(0, 28) == FEW_WITH  # "0% promoted" tells about all 28
    assert FIVE.share(28, 28) == FEW_WITHOUT  # 100% tells about all 28
    assert FIVE.share(61, 62) == FEW_WITHOUT  # 61 of 62 met: one did not
    assert FIVE.share(3, 62) == FEW_WITH
    assert FIVE.share(5, 62) is None
    assert FIVE.share(3, 4) == SMALL
    # Exits counted for a retention share: 0 exits is a retention of 100%, few did not stay.
    assert FIVE.share(0, 15, complement=True) == FEW_WITHOUT


def test_hidden_shares_read_which_side_is_small():
    from reports.figures import PERCENT, Figure
    from reports.suppression import FEW_WITH, FEW_WITHOUT

    assert Figure(None, PERCENT, hidden=FEW_WITHOUT, k=5).text == "hidden: fewer than 5 did not"
    assert Figure(None, PERCENT, hidden=FEW_WITH, k=5).text == "hidden: fewer than 5 did"
