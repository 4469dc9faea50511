"""The vectorised Cox fit against statsmodels' PHReg (Efron ties) and at its edges."""

import numpy as np
import pytest
from statsmodels.duration.hazard_regression import PHReg

from stats import cox
from stats.cox import RELATIVE_TOLERANCE, fit_cox


def simulated(n: int, columns: int, tick: float, seed: int) -> tuple[np.ndarray, ...]:
    """Exponential times rounded to `tick` (coarser ticks, more ties), 30% censored."""
    rng = np.random.default_rng(seed)
    design = rng.normal(size=(n, columns))
    design[:, 0] = rng.integers(0, 2, n)
    times = rng.exponential(np.exp(-design @ np.linspace(0.5, -0.3, columns)))
    duration = np.ceil(times * 100 / tick)
    event = (rng.random(n) < 0.7).astype(float)
    return duration, event, design


@pytest.mark.parametrize(
    ("n", "columns", "tick", "seed"),
    [(60, 1, 1, 0), (400, 3, 1, 1), (400, 3, 25, 2), (3000, 8, 5, 3), (200, 2, 200, 4)],
)
def test_fit_matches_phreg_with_efron_ties(n, columns, tick, seed):
    duration, event, design = simulated(n, columns, tick, seed)
    reference = PHReg(duration, design, status=event, ties="efron").fit()
    fit = fit_cox(duration, event, design)
    assert fit.converged
    np.testing.assert_allclose(fit.params, reference.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fit.covariance, reference.cov_params(), rtol=1e-6, atol=1e-12)


def test_heavy_ties_differ_from_breslow():
    """With most events tied, Efron and Breslow disagree: the fit must be Efron's."""
    duration, event, design = simulated(300, 2, 400, 5)
    breslow = PHReg(duration, design, status=event, ties="breslow").fit().params
    fit = fit_cox(duration, event, design)
    assert abs(fit.params[0] - breslow[0]) > 1e-3


def test_separated_data_is_flagged_as_not_converged():
    """Every treated person leaves before anyone untreated: the hazard ratio runs off."""
    duration = np.arange(1.0, 41.0)
    treated = (duration <= 20).astype(float)
    fit = fit_cox(duration, np.ones(40), treated[:, None])
    assert not fit.converged


def test_a_constant_column_makes_the_information_singular():
    duration, event, design = simulated(100, 2, 1, 6)
    design[:, 1] = 3.0
    assert fit_cox(duration, event, design) is None


def test_entry_times_match_phreg_left_truncation():
    """Counting-process rows (entry, duration]: PHReg counts a row at risk at its entry time,
    R and fit_cox just after it, so entries here fall between the (whole-day) event times."""
    duration, event, design = simulated(500, 2, 1, 6)
    entry = np.floor(np.random.default_rng(7).random(duration.size) * duration * 0.8) + 0.5
    reference = PHReg(duration, design, status=event, entry=entry, ties="efron").fit()
    fit = fit_cox(duration, event, design, entry=entry)
    assert fit.converged
    np.testing.assert_allclose(fit.params, reference.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fit.covariance, reference.cov_params(), rtol=1e-6, atol=1e-12)
    # Entries do something: the fit without them differs.
    assert np.abs(fit_cox(duration, event, design).params - fit.params).max() > 1e-3


def test_a_follow_up_split_in_pieces_fits_as_the_whole():
    """One row's (0, T] as (−inf, c] and (c, T] with the same weight, the event on the last
    piece, gives the same weighted fit: the pieces' risk sets add up to the row's."""
    duration, event, design = simulated(400, 2, 5, 8)
    weights = np.random.default_rng(9).uniform(0.5, 2.0, duration.size)
    cut = np.floor(duration / 2)
    split = cut > 0
    pieces = (
        np.r_[np.where(split, cut, duration), duration[split]],
        np.r_[np.where(split, 0.0, event), event[split]],
        np.r_[design, design[split]],
    )
    entry = np.r_[np.full(duration.size, -np.inf), cut[split]]
    whole = fit_cox(duration, event, design, weights=weights)
    pieced = fit_cox(*pieces, weights=np.r_[weights, weights[split]], entry=entry)
    np.testing.assert_allclose(pieced.params, whole.params, rtol=1e-10)
    np.testing.assert_allclose(pieced.covariance, whole.covariance, rtol=1e-8)


def test_a_fall_of_the_likelihood_within_the_tolerance_does_not_stop_the_fit_short(monkeypatch):
    """Whether the likelihood at a Newton step comes out a rounding error below the last one
    depends on the order of its sums: it must not decide where the fit stops. Here every
    second evaluation is lowered by half the tolerance, far more than rounding would: the
    third Newton step (which gains 1e-9) then looks like a fall."""
    duration, event, design = simulated(400, 3, 1, 1)
    exact = fit_cox(duration, event, design)
    derivatives, calls = cox._derivatives, []

    def every_second_lowered(structure, params):
        loglik, gradient, information = derivatives(structure, params)
        calls.append(params)
        lowered = (len(calls) % 2 == 0) * RELATIVE_TOLERANCE / 2 * max(abs(loglik), 1.0)
        return loglik - lowered, gradient, information

    monkeypatch.setattr(cox, "_derivatives", every_second_lowered)
    fit = fit_cox(duration, event, design)
    assert fit.converged
    np.testing.assert_allclose(fit.params, exact.params, rtol=1e-9)
