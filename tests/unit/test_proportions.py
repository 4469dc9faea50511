"""Wilson intervals and Holm adjustment against published and hand-computed values."""

import numpy as np
import pytest
from scipy import stats

from stats.proportions import holm_adjust, mean_interval, wilson_interval


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
        # Edge cases: the interval stays inside [0, 1] and is not degenerate.
        (0, 10, 0.0000, 0.2775),
        (10, 10, 0.7225, 1.0000),
    ],
)
def test_wilson_matches_published_values(successes: int, n: int, low: float, high: float):
    ci_low, ci_high = wilson_interval(successes, n)
    assert isinstance(ci_low, float) and isinstance(ci_high, float)
    assert ci_low == pytest.approx(low, abs=5e-5)
    assert ci_high == pytest.approx(high, abs=5e-5)


def test_wilson_matches_the_closed_form():
    successes, n, z = 7, 40, 1.959963984540054
    p = successes / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert wilson_interval(successes, n) == pytest.approx((centre - half, centre + half))


def test_wilson_is_vectorised_and_nan_for_empty_groups():
    low, high = wilson_interval(np.array([81, 15, 0]), np.array([263, 148, 0]))
    np.testing.assert_allclose(low, [0.2553, 0.0624, np.nan], atol=5e-5)
    np.testing.assert_allclose(high, [0.3662, 0.1605, np.nan], atol=5e-5)


def test_wilson_of_zero_people_is_nan():
    low, high = wilson_interval(0, 0)
    assert np.isnan(low) and np.isnan(high)


def test_wilson_narrows_with_alpha():
    assert wilson_interval(30, 100, alpha=0.10)[0] > wilson_interval(30, 100)[0]


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_holm_hand_computed():
    # Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → max so far 0.06.
    adjusted = holm_adjust([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_keeps_nan_out_of_the_count():
    adjusted = holm_adjust([0.01, np.nan, 0.04, 0.6])
    # Three tests: 0.01·3 = 0.03, 0.04·2 = 0.08, 0.6·1 = 0.6.
    np.testing.assert_allclose(adjusted, [0.03, np.nan, 0.08, 0.6])
    assert holm_adjust([0.7, 0.9])[1] == pytest.approx(1.0)


def test_holm_of_nothing_is_empty():
    assert holm_adjust([]).shape == (0,)
    assert np.isnan(holm_adjust([np.nan])).all()


def test_holm_agrees_with_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.random.default_rng(3).uniform(0, 0.2, 40) ** 2
    np.testing.assert_allclose(holm_adjust(p), multipletests(p, method="holm")[1], rtol=1e-12)


def test_mean_interval_is_students_t_from_sums():
    values = np.array([3.0, 5.0, 7.0, 4.0, 6.0, 9.0])
    mean, low, high = mean_interval(values.sum(), (values**2).sum(), len(values))
    expected = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert mean == pytest.approx(values.mean())
    assert (low, high) == pytest.approx(expected)
    assert np.isnan(mean_interval(4.0, 16.0, 1)[1]) and np.isnan(mean_interval(0, 0, 0)[0])
