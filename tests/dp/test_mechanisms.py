"""Tests of ppml_lessons.dp.mechanisms.

Statistical tests are seeded. Their tolerances come from theory, derived in the
comments: moment tests allow 5 standard errors of the statistic (a two-sided
normal tail beyond 5 SE has probability 5.7e-7, so a correct mechanism fails
for fewer than one seed in a million, while a wrong scale, e.g. a factor of 2,
is off by hundreds of SE); DP-inequality tests use a Hoeffding bound with a
union bound over the sets tested (see ``dp_tolerance``).
"""

import itertools
import math

import numpy as np
import pytest

from ppml_lessons.dp.mechanisms import (
    clip,
    clipped_sum_sensitivity,
    gaussian_exact_delta,
    gaussian_mechanism,
    gaussian_sigma,
    laplace_mechanism,
    laplace_scale,
    private_mean,
    private_mean_error,
    private_sum,
    private_sum_error,
    randomized_response,
    randomized_response_estimate,
    randomized_response_variance,
)

from ._reference import diffprivlib

SEED = 20240603
Z = 5.0  # standard errors allowed in moment tests (see the module docstring)
FAILURE = 1e-6  # allowed probability that a correct mechanism fails one DP-inequality test


# ----- helpers ---------------------------------------------------------------------------
def variance_of_sample_variance(variance: float, excess_kurtosis: float, n: int) -> float:
    """Exact Var(s²) of the unbiased sample variance of n iid draws: σ⁴ (2/(n-1) + κ/n), κ the excess kurtosis."""
    return variance**2 * (2 / (n - 1) + excess_kurtosis / n)


def assert_moments(samples, *, mean, variance, excess_kurtosis):
    n = len(samples)
    mean_se = math.sqrt(variance / n)  # CLT for the sample mean
    var_se = math.sqrt(variance_of_sample_variance(variance, excess_kurtosis, n))  # CLT for s²
    assert abs(samples.mean() - mean) <= Z * mean_se, (samples.mean(), mean, mean_se)
    assert abs(samples.var(ddof=1) - variance) <= Z * var_se, (samples.var(ddof=1), variance, var_se)


def dp_tolerance(n: int, n_sets: int, epsilon: float) -> float:
    """Slack τ for the empirical DP inequality P̂(S) ≤ e^ε P̂'(S) + δ + τ, n draws per input.

    For one fixed set S, Hoeffding's inequality gives P(P̂(S) - P(S) > t) ≤ exp(-2 n t²),
    and the same for the lower tail and for P̂'. If every estimate is within t of its
    probability, then P̂(S) - e^ε P̂'(S) ≤ P(S) - e^ε P'(S) + t (1 + e^ε) ≤ δ + t (1 + e^ε).
    A union bound over 2 inputs × 2 tails × n_sets sets with exp(-2 n t²) = FAILURE / (4 n_sets)
    makes the test fail with probability at most FAILURE for a mechanism that is (ε, δ)-DP.
    """
    t = math.sqrt(math.log(4 * n_sets / FAILURE) / (2 * n))
    return (1 + math.exp(epsilon)) * t


def dp_violation(outputs, outputs_neighbour, edges, *, epsilon: float, delta: float = 0.0) -> tuple[float, int]:
    """max over sets S and both orders of P̂(S) - e^ε P̂'(S) - δ, and the number of sets.

    The sets are the half-lines (-inf, t] and (t, inf) and the intervals between
    consecutive cut points t in ``edges``, fixed before sampling.
    """
    edges = np.asarray(edges, dtype=float)

    def probabilities(samples):
        below = np.searchsorted(np.sort(samples), edges, side="right") / len(samples)
        return np.concatenate([below, 1 - below, np.diff(below)])

    p, q = probabilities(np.asarray(outputs)), probabilities(np.asarray(outputs_neighbour))
    worst = max(np.max(p - math.exp(epsilon) * q), np.max(q - math.exp(epsilon) * p))
    return float(worst - delta), 3 * len(edges) - 1


# ----- validation --------------------------------------------------------------------------
@pytest.mark.parametrize("epsilon", [0, -1.0, math.inf, math.nan])
def test_epsilon_must_be_positive_and_finite(epsilon):
    for call in [
        lambda: laplace_mechanism(1.0, sensitivity=1, epsilon=epsilon),
        lambda: gaussian_mechanism(1.0, sensitivity=1, epsilon=epsilon, delta=1e-5),
        lambda: randomized_response([0, 1], epsilon=epsilon),
        lambda: randomized_response_estimate([0, 1], epsilon=epsilon),
        lambda: private_sum([1.0], lower=0, upper=1, epsilon=epsilon),
        lambda: private_mean([1.0], lower=0, upper=1, epsilon=epsilon),
    ]:
        with pytest.raises(ValueError, match=r"epsilon must be a float in \(0, inf\)"):
            call()


def test_epsilon_message_names_the_value():
    with pytest.raises(ValueError, match=r"epsilon must be a float in \(0, inf\); got -1.0"):
        laplace_scale(sensitivity=1, epsilon=-1.0)


@pytest.mark.parametrize("delta", [0, 1, 1.5, -0.1])
def test_gaussian_delta_must_be_in_the_open_unit_interval(delta):
    with pytest.raises(ValueError, match=r"delta must be a float in \(0, 1\)"):
        gaussian_mechanism(1.0, sensitivity=1, epsilon=0.5, delta=delta)


@pytest.mark.parametrize("sensitivity", [0, -1.0, math.inf])
def test_sensitivity_must_be_positive(sensitivity):
    with pytest.raises(ValueError, match="sensitivity must be a float in"):
        laplace_mechanism(1.0, sensitivity=sensitivity, epsilon=1)
    with pytest.raises(ValueError, match="sensitivity must be a float in"):
        gaussian_sigma(sensitivity=sensitivity, epsilon=1, delta=1e-5)


@pytest.mark.parametrize("value", ["12", None, [1.0, "a"], {"a": 1}, ["x", "y"]])
def test_non_numeric_input_is_a_type_error_naming_the_argument(value):
    with pytest.raises(TypeError, match="value must be a real number or an array of real numbers"):
        laplace_mechanism(value, sensitivity=1, epsilon=1)
    with pytest.raises(TypeError, match="value must be"):
        gaussian_mechanism(value, sensitivity=1, epsilon=1, delta=1e-5)
    with pytest.raises(TypeError, match="values must be"):
        private_sum(value, lower=0, upper=1, epsilon=1)
    with pytest.raises(TypeError, match="bits must be"):
        randomized_response(value, epsilon=1)
    with pytest.raises(TypeError, match="epsilon must be a float"):
        laplace_mechanism(1.0, sensitivity=1, epsilon="1")


def test_nan_values_are_refused():
    with pytest.raises(ValueError, match="value must hold finite real numbers"):
        laplace_mechanism([1.0, math.nan], sensitivity=1, epsilon=1)


@pytest.mark.parametrize(("lower", "upper"), [(5, 1), (2, 2), (0, -0.5)])
def test_clipping_bounds_in_the_wrong_order(lower, upper):
    for call in [
        lambda: clip([1.0], lower=lower, upper=upper),
        lambda: clipped_sum_sensitivity(lower=lower, upper=upper),
        lambda: private_sum([1.0], lower=lower, upper=upper, epsilon=1),
        lambda: private_mean([1.0], lower=lower, upper=upper, epsilon=1),
    ]:
        with pytest.raises(ValueError, match=rf"upper must be a float in \({float(lower)!r}, inf\).*got {upper!r}"):
            call()
    with pytest.raises(TypeError, match="lower must be a float"):
        clip([1.0], lower="0", upper=1)


def test_other_arguments_are_validated():
    with pytest.raises(ValueError, match="bits must hold only 0 and 1"):
        randomized_response([0, 2], epsilon=1)
    with pytest.raises(ValueError, match="reports must be a non-empty array of 0s and 1s"):
        randomized_response_estimate([], epsilon=1)
    with pytest.raises(ValueError, match="axis must be an integer in"):
        randomized_response_estimate([[0, 1]], epsilon=1, axis=2)
    with pytest.raises(ValueError, match="n must be an integer in"):
        randomized_response_variance(0, epsilon=1)
    with pytest.raises(ValueError, match="population_share must be a float in"):
        randomized_response_variance(10, epsilon=1, population_share=1.5)
    with pytest.raises(ValueError, match="calibration must be one of"):
        gaussian_sigma(sensitivity=1, epsilon=0.5, delta=1e-5, calibration="exact")
    with pytest.raises(ValueError, match=r"epsilon must be a float in \(0, 1\) for calibration='classic'"):
        gaussian_sigma(sensitivity=1, epsilon=1.0, delta=1e-5, calibration="classic")
    with pytest.raises(ValueError, match="sigma must be a float"):
        gaussian_exact_delta(0, sensitivity=1, epsilon=1)
    with pytest.raises(TypeError, match="rng must be"):
        laplace_mechanism(1.0, sensitivity=1, epsilon=1, rng="seed")


# ----- shapes and seeds ----------------------------------------------------------------------
def test_scalars_stay_scalars_and_arrays_keep_their_shape():
    assert isinstance(laplace_mechanism(3, sensitivity=1, epsilon=1, rng=0), float)
    assert isinstance(gaussian_mechanism(3, sensitivity=1, epsilon=1, delta=1e-5, rng=0), float)
    assert laplace_mechanism(np.zeros((2, 3)), sensitivity=1, epsilon=1, rng=0).shape == (2, 3)
    assert gaussian_mechanism([1, 2, 3], sensitivity=1, epsilon=1, delta=1e-5, rng=0).shape == (3,)
    assert randomized_response(np.ones((4, 5), dtype=bool), epsilon=1, rng=0).shape == (4, 5)


@pytest.mark.parametrize(
    "mechanism",
    [
        lambda rng: laplace_mechanism(np.zeros(5), sensitivity=1, epsilon=1, rng=rng),
        lambda rng: gaussian_mechanism(np.zeros(5), sensitivity=1, epsilon=1, delta=1e-5, rng=rng),
        lambda rng: randomized_response(np.ones(50), epsilon=1, rng=rng),
        lambda rng: np.array([private_sum([1.0, 5.0], lower=0, upper=3, epsilon=1, rng=rng)]),
        lambda rng: np.array([private_mean([1.0, 5.0], lower=0, upper=3, epsilon=1, rng=rng)]),
    ],
)
def test_same_seed_same_output(mechanism):
    assert np.array_equal(mechanism(7), mechanism(7))
    assert np.array_equal(mechanism(np.random.default_rng(7)), mechanism(7))
    assert not np.array_equal(mechanism(7), mechanism(8))


# ----- randomized response -----------------------------------------------------------------
def test_randomized_response_tells_the_truth_with_probability_e_eps_over_1_plus_e_eps():
    n, epsilon = 200_000, 1.0
    p = math.exp(epsilon) / (1 + math.exp(epsilon))
    ones = randomized_response(np.ones(n, dtype=int), epsilon=epsilon, rng=SEED)
    zeros = randomized_response(np.zeros(n, dtype=int), epsilon=epsilon, rng=SEED + 1)
    se = math.sqrt(p * (1 - p) / n)  # binomial standard error of a share
    assert abs(ones.mean() - p) <= Z * se
    assert abs(zeros.mean() - (1 - p)) <= Z * se


def _binomial_excess_kurtosis(n: int, probability_variance: float) -> float:
    # a sum of n independent Bernoullis that all have variance v has cumulants κ2 = n v, κ4 = n v (1 - 6v)
    return (1 - 6 * probability_variance) / (n * probability_variance)


def test_randomized_response_estimate_is_unbiased_with_the_stated_variance_for_fixed_people():
    surveys, n, epsilon, share = 4000, 500, 1.0, 0.3
    bits = np.zeros((surveys, n), dtype=int)
    bits[:, : int(share * n)] = 1  # the same 150 people with a 1 in every survey
    reports = randomized_response(bits, epsilon=epsilon, rng=SEED)
    estimates = randomized_response_estimate(reports, epsilon=epsilon, axis=1)
    variance = randomized_response_variance(n, epsilon=epsilon)
    assert variance == pytest.approx(math.exp(epsilon) / (n * math.expm1(epsilon) ** 2), rel=1e-12)
    # every report has variance p(1 - p), and each estimate is an affine map of their sum
    p = math.exp(epsilon) / (1 + math.exp(epsilon))
    assert_moments(estimates, mean=share, variance=variance, excess_kurtosis=_binomial_excess_kurtosis(n, p * (1 - p)))


def test_randomized_response_variance_for_people_sampled_from_a_population():
    surveys, n, epsilon, share = 4000, 500, 0.5, 0.3
    rng = np.random.default_rng(SEED)
    bits = (rng.random((surveys, n)) < share).astype(int)  # a fresh random sample in each survey
    reports = randomized_response(bits, epsilon=epsilon, rng=rng)
    estimates = randomized_response_estimate(reports, epsilon=epsilon, axis=1)
    variance = randomized_response_variance(n, epsilon=epsilon, population_share=share)
    p = math.exp(epsilon) / (1 + math.exp(epsilon))
    report_share = (1 - p) + share * (2 * p - 1)  # each report is then an iid Bernoulli(λ)
    kurtosis = _binomial_excess_kurtosis(n, report_share * (1 - report_share))
    assert_moments(estimates, mean=share, variance=variance, excess_kurtosis=kurtosis)
    # Warner's decomposition: sampling variance plus the price of privacy
    assert variance == pytest.approx(share * (1 - share) / n + randomized_response_variance(n, epsilon=epsilon))


def test_randomized_response_satisfies_the_dp_inequality():
    n, epsilon = 1_000_000, 1.0
    reports_one = randomized_response(np.ones(n, dtype=int), epsilon=epsilon, rng=SEED)
    reports_zero = randomized_response(np.zeros(n, dtype=int), epsilon=epsilon, rng=SEED + 1)
    violation, n_sets = dp_violation(reports_one, reports_zero, [0.5], epsilon=epsilon)  # sets {0} and {1}
    assert violation <= dp_tolerance(n, n_sets, epsilon)
    # and it is tight: at epsilon / 2 the same reports violate the inequality by far more than the tolerance
    violation, _ = dp_violation(reports_one, reports_zero, [0.5], epsilon=epsilon / 2)
    assert violation > dp_tolerance(n, n_sets, epsilon / 2)


# ----- Laplace ---------------------------------------------------------------------------------
def test_laplace_scale():
    assert laplace_scale(sensitivity=3, epsilon=0.5) == 6.0


@pytest.mark.parametrize(("sensitivity", "epsilon"), [(1.0, 0.5), (100.0, 2.0), (0.25, 0.1)])
def test_laplace_noise_has_mean_zero_and_the_variance_diffprivlib_states(sensitivity, epsilon):
    n, value = 400_000, 10.0
    samples = laplace_mechanism(np.full(n, value), sensitivity=sensitivity, epsilon=epsilon, rng=SEED)
    reference = diffprivlib("mechanisms").Laplace(epsilon=epsilon, sensitivity=sensitivity)
    variance = reference.variance(value)  # 2 b² with b = sensitivity / epsilon
    assert variance == pytest.approx(2 * laplace_scale(sensitivity=sensitivity, epsilon=epsilon) ** 2)
    assert_moments(samples, mean=value, variance=variance, excess_kurtosis=3.0)  # Laplace: excess kurtosis 3


def test_laplace_mechanism_satisfies_the_dp_inequality_and_half_the_noise_does_not():
    n, epsilon = 1_000_000, 1.0
    edges = np.linspace(-6, 7, 27)  # in units of the scale b = 1; x = 0 and its neighbour x' = 1
    outputs = laplace_mechanism(np.zeros(n), sensitivity=1, epsilon=epsilon, rng=SEED)
    neighbour = laplace_mechanism(np.ones(n), sensitivity=1, epsilon=epsilon, rng=SEED + 1)
    violation, n_sets = dp_violation(outputs, neighbour, edges, epsilon=epsilon)
    tolerance = dp_tolerance(n, n_sets, epsilon)
    assert violation <= tolerance
    # the test has power: noise calibrated for 2ε breaks ε-DP, e.g. on S = (1, inf) by
    # P(M(1) > 1) - e^ε P(M(0) > 1) = 0.5 - e · 0.5 e^{-2} = 0.32, far above the tolerance (about 0.012)
    too_little = [
        laplace_mechanism(np.full(n, x), sensitivity=1, epsilon=2 * epsilon, rng=SEED + 2 + x) for x in (0, 1)
    ]
    violation, _ = dp_violation(*too_little, edges, epsilon=epsilon)
    assert violation > tolerance


# ----- Gaussian --------------------------------------------------------------------------------
def test_classic_sigma_is_the_textbook_formula():
    for epsilon, delta, sensitivity in itertools.product([0.01, 0.3, 0.99], [1e-8, 1e-5, 0.1], [0.5, 2.0]):
        expected = sensitivity * math.sqrt(2 * math.log(1.25 / delta)) / epsilon
        assert gaussian_sigma(sensitivity=sensitivity, epsilon=epsilon, delta=delta, calibration="classic") == (
            pytest.approx(expected, rel=1e-12)
        )
        # the exact (analytic) calibration never needs more noise than the classic sufficient condition
        assert gaussian_sigma(sensitivity=sensitivity, epsilon=epsilon, delta=delta) <= expected


# diffprivlib evaluates Φ(x) as (1 + erf(x/√2)) / 2, whose absolute rounding error (~1e-16) is
# amplified by e^ε and compared with δ; for δ below ~1e-9 or ε above ~5 its answer drifts from
# the exact one (checked with mpmath below). The grid stays where its arithmetic is reliable.
GRID = list(
    itertools.product(
        [0.01, 0.05, 0.1, 0.3, 0.5, 0.9, 1.0, 2.0, 5.0],
        [1e-8, 1e-6, 1e-5, 1e-3, 1e-2, 0.1, 0.5],
        [0.1, 1.0, 3.0, 100.0],
    )
)


def test_analytic_sigma_agrees_with_diffprivlib_to_1e_6():
    gaussian_analytic = diffprivlib("mechanisms").GaussianAnalytic
    for epsilon, delta, sensitivity in GRID:
        ours = gaussian_sigma(sensitivity=sensitivity, epsilon=epsilon, delta=delta)
        theirs = gaussian_analytic(epsilon=epsilon, delta=delta, sensitivity=sensitivity)._scale
        assert ours == pytest.approx(theirs, rel=1e-6), (epsilon, delta, sensitivity)


@pytest.mark.parametrize(("epsilon", "delta"), [(0.01, 1e-12), (0.5, 1e-5), (10.0, 1e-12), (20.0, 1e-9), (5.0, 1e-15)])
def test_analytic_sigma_is_the_smallest_that_satisfies_the_exact_condition(epsilon, delta):
    """Checked in 50-digit arithmetic (mpmath), independently of scipy's normal CDF."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50

    def exact_delta(sigma):  # Balle & Wang (2018), Theorem 8, with sensitivity 1
        a, b = 1 / (2 * mpmath.mpf(sigma)), mpmath.mpf(epsilon) * mpmath.mpf(sigma)
        return mpmath.ncdf(a - b) - mpmath.e ** mpmath.mpf(epsilon) * mpmath.ncdf(-a - b)

    sigma = gaussian_sigma(sensitivity=1, epsilon=epsilon, delta=delta)
    assert exact_delta(sigma) <= delta * (1 + 1e-9)  # DP holds
    assert exact_delta(sigma * (1 - 1e-9)) > delta  # and no smaller σ would do (bisection stops at 1e-12)
    assert float(exact_delta(sigma)) == pytest.approx(gaussian_exact_delta(sigma, sensitivity=1, epsilon=epsilon))


def test_classic_calibration_would_break_its_promise_above_epsilon_1():
    # why calibration="classic" refuses epsilon >= 1: at ε = 10 the formula gives less noise than needed
    epsilon, delta = 10.0, 1e-5
    classic_formula = math.sqrt(2 * math.log(1.25 / delta)) / epsilon
    assert gaussian_exact_delta(classic_formula, sensitivity=1, epsilon=epsilon) > delta


def test_exact_delta_decreases_with_sigma():
    deltas = [gaussian_exact_delta(s, sensitivity=1, epsilon=0.5) for s in np.geomspace(0.1, 50, 40)]
    assert all(later < earlier for earlier, later in zip(deltas, deltas[1:]) if earlier > 0)


@pytest.mark.parametrize(("epsilon", "delta", "calibration"), [(0.5, 1e-5, "classic"), (2.0, 1e-6, "analytic")])
def test_gaussian_noise_has_mean_zero_and_the_variance_diffprivlib_states(epsilon, delta, calibration):
    n, value, sensitivity = 400_000, -3.0, 2.0
    samples = gaussian_mechanism(
        np.full(n, value), sensitivity=sensitivity, epsilon=epsilon, delta=delta, calibration=calibration, rng=SEED
    )
    sigma = gaussian_sigma(sensitivity=sensitivity, epsilon=epsilon, delta=delta, calibration=calibration)
    mechanisms = diffprivlib("mechanisms")
    reference = {"classic": mechanisms.Gaussian, "analytic": mechanisms.GaussianAnalytic}[calibration]
    variance = reference(epsilon=epsilon, delta=delta, sensitivity=sensitivity).variance(value)
    assert variance == pytest.approx(sigma**2, rel=2e-6)  # σ agrees to 1e-6, so σ² to 2e-6
    assert_moments(samples, mean=value, variance=variance, excess_kurtosis=0.0)


def test_gaussian_mechanism_satisfies_the_approximate_dp_inequality_and_a_third_of_the_noise_does_not():
    n, epsilon, delta = 1_000_000, 1.0, 1e-5
    sigma = gaussian_sigma(sensitivity=1, epsilon=epsilon, delta=delta)
    edges = np.linspace(-4 * sigma, 4 * sigma + 1, 41)
    outputs = gaussian_mechanism(np.zeros(n), sensitivity=1, epsilon=epsilon, delta=delta, rng=SEED)
    neighbour = gaussian_mechanism(np.ones(n), sensitivity=1, epsilon=epsilon, delta=delta, rng=SEED + 1)
    violation, n_sets = dp_violation(outputs, neighbour, edges, epsilon=epsilon, delta=delta)
    tolerance = dp_tolerance(n, n_sets, epsilon)
    assert violation <= tolerance
    # power: with σ/3 the true violation is gaussian_exact_delta(σ/3) - δ ≈ 0.064, attained on a half-line
    worst_case = gaussian_exact_delta(sigma / 3, sensitivity=1, epsilon=epsilon) - delta
    assert worst_case > 3 * tolerance
    rng = np.random.default_rng(SEED + 2)
    too_little = [x + rng.normal(0, sigma / 3, n) for x in (0.0, 1.0)]
    violation, _ = dp_violation(*too_little, edges, epsilon=epsilon, delta=delta)
    assert violation > tolerance


# ----- clipping, sums and means ---------------------------------------------------------------
def test_clip_and_sum_sensitivity():
    assert np.array_equal(clip([-5, 3, 250], lower=0, upper=100), [0.0, 3.0, 100.0])
    assert clipped_sum_sensitivity(lower=0, upper=100) == 100
    assert clipped_sum_sensitivity(lower=-7, upper=2) == 7
    assert clipped_sum_sensitivity(lower=1, upper=5) == 5


def test_private_sum_is_unbiased_for_the_clipped_sum():
    values, draws, epsilon = [20.0, 35.0, 120.0, -4.0], 20_000, 0.5
    rng = np.random.default_rng(SEED)
    sums = np.array([private_sum(values, lower=0, upper=100, epsilon=epsilon, rng=rng) for _ in range(draws)])
    variance = 2 * (100 / epsilon) ** 2  # Laplace scale b = max(|lower|, |upper|) / ε
    assert_moments(sums, mean=20 + 35 + 100 + 0, variance=variance, excess_kurtosis=3.0)


def _neighbouring_outputs(mechanism, dataset, neighbour, draws):
    rng = np.random.default_rng(SEED)
    first = np.array([mechanism(dataset, rng) for _ in range(draws)])
    second = np.array([mechanism(neighbour, rng) for _ in range(draws)])
    return first, second


def test_private_sum_satisfies_the_dp_inequality_when_one_person_is_added():
    draws, epsilon = 20_000, 1.0
    dataset = [20.0, 35.0, 50.0, 80.0, 60.0]
    neighbour = dataset + [1_000.0]  # an outlier: clipping limits its influence to upper = 100

    def noisy_sum(data, rng):
        return private_sum(data, lower=0, upper=100, epsilon=epsilon, rng=rng)

    outputs = _neighbouring_outputs(noisy_sum, dataset, neighbour, draws)
    violation, n_sets = dp_violation(*outputs, np.linspace(-300, 600, 31), epsilon=epsilon)
    assert violation <= dp_tolerance(draws, n_sets, epsilon)


def test_private_mean_satisfies_the_dp_inequality_and_three_times_the_epsilon_does_not():
    """A neighbouring pair on which private_mean's privacy loss is tight, so that the test has power.

    D = [0, 0] and D' = D + [100] (the upper bound). With total budget ε' the sum gets Laplace noise of
    scale b = 2 * 100 / ε', and the output is clipped to 0 exactly when the noisy sum is <= 0, whatever
    the noisy count: P_D(out = 0) = 1/2 and P_D'(out = 0) = P(η <= -100) = e^{-ε'/2} / 2. On that set
    the loss is ε'/2, half the budget, as the sum's half of it allows. So a mechanism calibrated for
    ε' = 3ε violates ε-DP by exactly (1 - e^{ε - 3ε/2}) / 2 = 0.197 at ε = 1, which is far above the
    Hoeffding tolerance (about 0.1 with 15,000 draws); the old pair ([20, 35, 50, 80, 60] plus an outlier)
    let even 4ε pass. (ε' = 2ε is exactly at the bound on this set: no finite sample can see it here.)
    """
    epsilon, lower, upper = 1.0, 0.0, 100.0
    dataset, neighbour = [0.0, 0.0], [0.0, 0.0, 100.0]
    edges = np.concatenate([np.linspace(lower, upper, 21)[:-1], [upper - 1e-9]])  # (-inf, 0] and (100 - 1e-9, inf)
    draws = 30_000

    def mean_at(total_epsilon):
        return lambda data, rng: private_mean(data, lower=lower, upper=upper, epsilon=total_epsilon, rng=rng)

    outputs = _neighbouring_outputs(mean_at(epsilon), dataset, neighbour, draws)
    # the analytic masses at 0 hold, a check that the pair behaves as derived above
    assert abs(np.mean(outputs[0] <= lower) - 0.5) <= Z * math.sqrt(0.25 / draws)
    p_zero = math.exp(-epsilon / 2) / 2
    assert abs(np.mean(outputs[1] <= lower) - p_zero) <= Z * math.sqrt(p_zero * (1 - p_zero) / draws)
    violation, n_sets = dp_violation(*outputs, edges, epsilon=epsilon)
    assert violation <= dp_tolerance(draws, n_sets, epsilon)

    broken_draws = 15_000
    expected_violation = (1 - math.exp(epsilon - 3 * epsilon / 2)) / 2
    tolerance = dp_tolerance(broken_draws, n_sets, epsilon)
    assert expected_violation > 2 * tolerance
    too_little = _neighbouring_outputs(mean_at(3 * epsilon), dataset, neighbour, broken_draws)
    violation, _ = dp_violation(*too_little, edges, epsilon=epsilon)
    assert violation > tolerance


def test_private_mean_is_close_to_the_clipped_mean_with_its_first_order_variance():
    rng = np.random.default_rng(SEED)
    values = rng.uniform(0, 150, 5_000)
    lower, upper, epsilon, draws = 0.0, 100.0, 0.5, 4_000
    clipped_mean = np.clip(values, lower, upper).mean()
    means = np.array(
        [private_mean(values, lower=lower, upper=upper, epsilon=epsilon, rng=rng) for _ in range(draws)]
    )
    # delta method for (S + η_s) / (n + η_c) with η_s ~ Laplace(2 upper / ε), η_c ~ Laplace(2 / ε)
    n = len(values)
    variance = (2 * (2 * upper / epsilon) ** 2 + clipped_mean**2 * 2 * (2 / epsilon) ** 2) / n**2
    # the ratio's bias is O(Var(η_c) / n²) ~ 1e-6 here, far below the 5-SE mean tolerance (~0.01).
    # The noise is a sum of two Laplace terms with variances v1, v2, whose excess kurtosis
    # 3 (v1² + v2²) / (v1 + v2)² is at most 3: using 3 only widens the tolerance.
    assert_moments(means, mean=clipped_mean, variance=variance, excess_kurtosis=3.0)
    bias, std = private_mean_error(values, lower=lower, upper=upper, epsilon=epsilon)
    assert bias == pytest.approx(clipped_mean - values.mean()) and bias < 0
    assert std == pytest.approx(math.sqrt(variance), rel=1e-12)


def test_private_sum_error():
    values = np.array([20.0, 35.0, 120.0, -4.0])
    bias, std = private_sum_error(values, lower=0, upper=100, epsilon=0.5)
    assert bias == pytest.approx(-20.0 + 4.0)  # 120 is clipped to 100 and -4 to 0
    assert std == pytest.approx(math.sqrt(2) * 100 / 0.5)
    with pytest.raises(ValueError, match="upper"):
        private_sum_error(values, lower=1, upper=0, epsilon=1)
