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
