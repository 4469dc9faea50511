"""stats.patterns.distinct_rows: the distinct rows of a model frame, and where each row is."""

import numpy as np

from stats.patterns import _DIRECTION_SEED, distinct_rows


def test_each_row_maps_to_a_distinct_row_equal_to_it():
    rng = np.random.default_rng(1)
    patterns = np.column_stack([rng.integers(0, 2, (40, 5)), rng.integers(1, 8, 40) / 2])
    matrix = patterns[rng.integers(0, 40, 5_000)]
    first, inverse = distinct_rows(matrix)
    assert np.array_equal(matrix[first][inverse], matrix)
    assert first.size == len(np.unique(matrix, axis=0))


def test_two_different_rows_with_the_same_projection_stay_apart():
    """(d1, 0) and (0, d0) both project on the direction (d0, d1) to d0·d1 exactly."""
    d0, d1 = np.random.default_rng(_DIRECTION_SEED).random(2) + 0.5
    matrix = np.array([[d1, 0.0], [0.0, d0], [d1, 0.0]])
    assert (matrix @ [d0, d1])[0] == (matrix @ [d0, d1])[1]
    first, inverse = distinct_rows(matrix)
    assert first.size == 2
    assert np.array_equal(matrix[first][inverse], matrix)


def test_a_single_column_and_no_rows():
    first, inverse = distinct_rows(np.array([3.0, 1.0, 3.0]))
    assert first.size == 2 and inverse[0] == inverse[2] != inverse[1]
    first, inverse = distinct_rows(np.empty((0, 3)))
    assert first.size == 0 and inverse.size == 0
