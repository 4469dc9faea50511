"""E-values against VanderWeele & Ding (2017)."""

import numpy as np
import pytest

from stats.evalue import (
    e_value,
    e_values,
    hazard_ratio_as_risk_ratio,
    risk_difference_as_risk_ratio,
    standardised_difference_as_risk_ratio,
)


def test_paper_example_breastfeeding():
    # The paper's worked example: RR 3.9 (95% CI 1.8 to 8.7) → E-values 7.26 and 3.0.
    point, bound = e_values(3.9, 1.8, 8.7)
    assert point == pytest.approx(7.26, abs=0.005)
    assert bound == pytest.approx(3.0, abs=0.005)


def test_protective_estimates_use_the_inverse_and_the_upper_bound():
    point, bound = e_values(1 / 3.9, 1 / 8.7, 1 / 1.8)
    assert point == pytest.approx(7.26, abs=0.005)
    assert bound == pytest.approx(3.0, abs=0.005)


def test_interval_including_one_gives_one_and_missing_gives_nan():
    assert e_values(1.3, 0.9, 1.8)[1] == 1.0
    assert e_value(1.0) == 1.0
    assert all(np.isnan(e_values(np.nan, np.nan, np.nan)))
    assert np.isnan(e_value(0.0))


def test_conversions():
    # Common-outcome hazard ratio conversion of the paper's Table 2.
    assert hazard_ratio_as_risk_ratio(2.0, common=True) == pytest.approx(
        (1 - 0.5 ** np.sqrt(2)) / (1 - 0.5 ** np.sqrt(0.5))
    )
    assert hazard_ratio_as_risk_ratio(2.0) == 2.0
    # d = 0.5 → RR = exp(0.455).
    assert standardised_difference_as_risk_ratio(5.0, 10.0) == pytest.approx(np.exp(0.455))
    # Treated risk 0.10, untreated would have been 0.15 → RR 2/3.
    assert risk_difference_as_risk_ratio(-0.05, 0.10) == pytest.approx(2 / 3)
    assert np.isnan(risk_difference_as_risk_ratio(0.2, 0.1))
