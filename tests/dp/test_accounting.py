"""Tests of ppml_lessons.dp.accounting.

The RDP accountant is cross-checked two ways: against Opacus's ``RDPAccountant``
(same orders, same conversion: ε must agree to 1e-6 relative over a grid of
settings), and, for the RDP curve itself, against a direct numerical integral of
the definition A_α = E_{z ~ N(0, σ²)} [((1 - q) + q e^{(2z - 1)/(2σ²)})^α]
(Mironov, Talwar & Zhang, 2019, Section 3.3), which shares no code with either.
"""

import itertools
import math
import warnings

import numpy as np
import pytest
from scipy import integrate

from ppml_lessons.dp.accounting import (
    DEFAULT_ORDERS,
    RDPAccountant,
    epsilon,
    noise_multiplier_for_epsilon,
    rdp_to_epsilon,
    subsampled_gaussian_rdp,
)

opacus_accountants = pytest.importorskip("opacus.accountants")

Q_GRID = [1e-4, 0.004, 2048 / 60_000, 0.1, 0.5, 1.0]
SIGMA_GRID = [0.4, 0.8, 1.1, 2.15, 6.0]
STEPS_GRID = [1, 50, 1172, 100_000]
DELTA_GRID = [1e-5, 1e-9]


def opacus_epsilon(history, delta):
    accountant = opacus_accountants.RDPAccountant()
    accountant.history = list(history)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "optimal order is the largest alpha" at extreme settings
        return accountant.get_epsilon(delta)


def test_epsilon_matches_opacus_rdp_accountant_over_a_grid():
    analysis = pytest.importorskip("opacus.accountants.analysis.rdp")
    alphas = opacus_accountants.RDPAccountant.DEFAULT_ALPHAS
    worst = 0.0
    for q, sigma in itertools.product(Q_GRID, SIGMA_GRID):
        # what RDPAccountant.get_epsilon computes, with the per-step RDP curve computed once per (q, σ)
        rdp_one_step = analysis.compute_rdp(q=q, noise_multiplier=sigma, steps=1, orders=alphas)
        for steps, delta in itertools.product(STEPS_GRID, DELTA_GRID):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                theirs, _ = analysis.get_privacy_spent(orders=alphas, rdp=rdp_one_step * steps, delta=delta)
            ours = epsilon(noise_multiplier=sigma, sample_rate=q, steps=steps, delta=delta)
            assert ours == pytest.approx(float(theirs), rel=1e-6), (q, sigma, steps, delta)
            worst = max(worst, abs(ours - theirs) / theirs)
    assert worst < 1e-6
    # and through the accountant class itself, for one setting
    assert epsilon(noise_multiplier=2.15, sample_rate=Q_GRID[2], steps=1172, delta=1e-5) == pytest.approx(
        opacus_epsilon([(2.15, Q_GRID[2], 1172)], 1e-5), rel=1e-6
    )


def test_accountant_with_mixed_history_matches_opacus():
    ours = RDPAccountant()
    history = [(1.0, 0.01, 300), (2.0, 0.05, 100), (0.7, 0.001, 5000)]
    for sigma, q, steps in history:
        for _ in range(steps // 100):
            ours.step(noise_multiplier=sigma, sample_rate=q, steps=100)
    assert ours.history == history and ours.steps == 5400
    for delta in [1e-5, 1e-7]:
        assert ours.get_epsilon(delta) == pytest.approx(opacus_epsilon(history, delta), rel=1e-6)


def _log_a_by_quadrature(q, sigma, alpha):
    """log A_α by numerically integrating its definition (an independent check of the series)."""

    def integrand(z):
        log_ratio = np.logaddexp(math.log1p(-q), math.log(q) + (2 * z - 1) / (2 * sigma**2))
        return math.exp(-(z**2) / (2 * sigma**2) + alpha * log_ratio) / (sigma * math.sqrt(2 * math.pi))

    # a smooth integrand with its mass between about -10σ and α + 10σ: integrate piece by piece, σ wide each
    edges = [-math.inf, *np.arange(-10 * sigma, alpha + 10 * sigma, sigma), math.inf]
    total = sum(integrate.quad(integrand, a, b, epsabs=0, epsrel=1e-13, limit=200)[0] for a, b in zip(edges, edges[1:]))
    return math.log(total)


@pytest.mark.parametrize(
    ("q", "sigma", "alpha"),
    [(0.01, 1.0, 1.5), (0.01, 1.0, 8.0), (0.05, 2.0, 3.7), (0.2, 0.8, 2.3), (0.034, 2.15, 12.0), (0.5, 5.0, 6.6)],
)
def test_rdp_curve_matches_numerical_integral_of_its_definition(q, sigma, alpha):
    rdp = subsampled_gaussian_rdp(noise_multiplier=sigma, sample_rate=q, orders=[alpha])[0]
    # quad's relative error 1e-12 on A_α ≥ 1 gives an absolute error ~1e-12 on log A_α
    assert rdp == pytest.approx(_log_a_by_quadrature(q, sigma, alpha) / (alpha - 1), rel=1e-8, abs=1e-11)


def test_full_batch_is_the_gaussian_mechanism():
    orders = [1.5, 2, 10, 63]
    rdp = subsampled_gaussian_rdp(noise_multiplier=3.0, sample_rate=1.0, orders=orders)
    np.testing.assert_allclose(rdp, np.array(orders) / (2 * 9.0), rtol=1e-15)


def test_conversion_is_balle_et_al_theorem_21():
    orders, rdp, delta = [2.0, 5.0, 9.5], [0.1, 0.4, 1.2], 1e-6
    candidates = [r + math.log((a - 1) / a) - (math.log(delta) + math.log(a)) / (a - 1) for a, r in zip(orders, rdp)]
    eps, alpha = rdp_to_epsilon(rdp, orders=orders, delta=delta)
    assert eps == pytest.approx(min(candidates), rel=1e-15) and alpha == orders[int(np.argmin(candidates))]
    # never worse than Mironov's (2017) original conversion RDP + ln(1/δ)/(α - 1)
    assert eps <= min(r + math.log(1 / delta) / (a - 1) for a, r in zip(orders, rdp))


def test_epsilon_is_monotone_in_each_setting():
    base = {"noise_multiplier": 1.0, "sample_rate": 0.01, "steps": 1000, "delta": 1e-5}
    eps = epsilon(**base)
    assert epsilon(**{**base, "steps": 2000}) > eps
    assert epsilon(**{**base, "sample_rate": 0.02}) > eps
    assert epsilon(**{**base, "noise_multiplier": 1.2}) < eps
    assert epsilon(**{**base, "delta": 1e-7}) > eps


def test_edge_cases():
    assert epsilon(noise_multiplier=1.0, sample_rate=0.1, steps=0, delta=1e-5) == 0.0
    assert epsilon(noise_multiplier=0.0, sample_rate=0.1, steps=10, delta=1e-5) == math.inf
    assert RDPAccountant().get_epsilon(1e-5) == 0.0


@pytest.mark.parametrize(("target", "q", "steps"), [(3.0, 2048 / 60_000, 1172), (0.5, 0.01, 3000), (8.0, 0.1, 50),
                                                     (1.0, 1.0, 1), (50.0, 0.004, 10)])
def test_noise_multiplier_for_epsilon_is_the_smallest_that_meets_the_target(target, q, steps):
    rtol = 1e-4
    sigma = noise_multiplier_for_epsilon(epsilon=target, sample_rate=q, steps=steps, delta=1e-5, rtol=rtol)
    assert epsilon(noise_multiplier=sigma, sample_rate=q, steps=steps, delta=1e-5) <= target
    assert epsilon(noise_multiplier=sigma / (1 + rtol), sample_rate=q, steps=steps, delta=1e-5) > target
    # Opacus's search stops anywhere within 0.01 below the target, so its σ is never smaller than ours
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "optimal order is the largest alpha" during its search
        opacus_sigma = opacus_accountants.utils.get_noise_multiplier(
            target_epsilon=target, target_delta=1e-5, sample_rate=q, steps=steps, accountant="rdp"
        )
    assert sigma <= opacus_sigma * (1 + 1e-12)


def test_noise_multiplier_for_an_unreachable_target():
    with pytest.raises(ValueError, match="epsilon must be reachable"):
        noise_multiplier_for_epsilon(epsilon=1e-6, sample_rate=1.0, steps=10**6, delta=1e-5)


def test_default_orders_are_opacus_alphas():
    assert list(DEFAULT_ORDERS) == pytest.approx(opacus_accountants.RDPAccountant.DEFAULT_ALPHAS)


def test_accountant_keeps_separate_entries_for_changed_settings():
    accountant = RDPAccountant(orders=[2, 4, 8])
    accountant.step(noise_multiplier=1.0, sample_rate=0.1)
    accountant.step(noise_multiplier=1.0, sample_rate=0.2)
    accountant.step(noise_multiplier=1.0, sample_rate=0.2)
    assert accountant.history == [(1.0, 0.1, 1), (1.0, 0.2, 2)]
    eps, alpha = accountant.get_privacy_spent(1e-5)
    assert alpha in (2, 4, 8) and eps > 0 and "steps=3" in repr(accountant)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"noise_multiplier": -0.1}, ValueError, "noise_multiplier"),
        ({"noise_multiplier": "1"}, TypeError, "noise_multiplier"),
        ({"sample_rate": 0.0}, ValueError, "sample_rate"),
        ({"sample_rate": 1.5}, ValueError, "sample_rate"),
        ({"steps": -1}, ValueError, "steps"),
        ({"steps": 2.5}, TypeError, "steps"),
        ({"delta": 0.0}, ValueError, "delta"),
        ({"delta": 1.0}, ValueError, "delta"),
        ({"orders": [1.0, 2.0]}, ValueError, "orders"),
        ({"orders": []}, ValueError, "orders"),
        ({"orders": 2.0}, TypeError, "orders"),
    ],
)
def test_epsilon_validates(kwargs, error, name):
    base = {"noise_multiplier": 1.0, "sample_rate": 0.01, "steps": 10, "delta": 1e-5}
    with pytest.raises(error, match=name):
        epsilon(**{**base, **kwargs})


def test_other_functions_validate():
    with pytest.raises(ValueError, match=r"sample_rate must be a float in \(0, 1\]; got 2"):
        subsampled_gaussian_rdp(noise_multiplier=1.0, sample_rate=2)
    with pytest.raises(ValueError, match="rdp must hold one value per order"):
        rdp_to_epsilon([1.0], orders=[2, 3], delta=1e-5)
    with pytest.raises(ValueError, match="rdp must hold values"):
        rdp_to_epsilon([-1.0], orders=[2], delta=1e-5)
    with pytest.raises(ValueError, match="epsilon"):
        noise_multiplier_for_epsilon(epsilon=0, sample_rate=0.1, steps=10, delta=1e-5)
    with pytest.raises(ValueError, match="steps"):
        noise_multiplier_for_epsilon(epsilon=1, sample_rate=0.1, steps=0, delta=1e-5)
    with pytest.raises(ValueError, match="rtol"):
        noise_multiplier_for_epsilon(epsilon=1, sample_rate=0.1, steps=10, delta=1e-5, rtol=0.5)
    accountant = RDPAccountant()
    with pytest.raises(ValueError, match="noise_multiplier"):
        accountant.step(noise_multiplier=-1, sample_rate=0.1)
    with pytest.raises(ValueError, match="steps"):
        accountant.step(noise_multiplier=1, sample_rate=0.1, steps=0)
    with pytest.raises(ValueError, match="delta"):
        accountant.get_epsilon(2.0)
