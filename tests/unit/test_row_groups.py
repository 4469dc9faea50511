"""stats.estimate.row_groups: rows alike in every column, and where each row is."""

import numpy as np

from stats.estimate import row_groups


def test_each_row_maps_to_a_first_row_equal_to_it():
    rng = np.random.default_rng(1)
    patterns = np.column_stack([rng.integers(0, 2, (40, 5)), rng.integers(1, 8, 40) / 2])
    matrix = patterns[rng.integers(0, 40, 5_000)]
    codes, first = row_groups(list(matrix.T))
    assert np.array_equal(matrix[first][codes], matrix)
    assert first.size == len(np.unique(matrix, axis=0))
    assert (first[codes] <= np.arange(len(matrix))).all()  # each code's first row


def test_no_rows():
    codes, first = row_groups(list(np.empty((0, 3)).T))
    assert codes.size == 0 and first.size == 0


def test_groups_are_numbered_by_first_row_whatever_the_columns_hold():
    rng = np.random.default_rng(2)
    n = 2_000
    dummy = rng.integers(0, 2, n).astype(float)
    with_gap = dummy.copy()
    with_gap[::97] = np.nan  # a missing value among 0s and 1s: its own group
    columns = [
        dummy,
        rng.integers(0, 2, n).astype(bool),
        np.zeros(n),
        rng.integers(0, 4, n),
        with_gap,
        rng.choice(np.array(["a", "b"], dtype=object), n),
    ]
    codes, first = row_groups(columns)

    expected: dict[tuple, int] = {}
    for row in range(n):
        key = tuple(repr(column[row]) for column in columns)
        expected.setdefault(key, len(expected))
    keys = [tuple(repr(column[row]) for column in columns) for row in range(n)]
    assert codes.tolist() == [expected[key] for key in keys]
    assert first.tolist() == [keys.index(key) for key in expected]
