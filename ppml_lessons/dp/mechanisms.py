"""Differential-privacy mechanisms from first principles (lesson 03).

Randomized response (local DP), the Laplace mechanism (pure ε-DP), the Gaussian
mechanism ((ε, δ)-DP, with the classic and the analytic calibration of Balle & Wang,
2018), and clipping for sums and means. Composition and the privacy-budget
filter are in :mod:`ppml_lessons.dp.budget`.

Neighbouring datasets differ by adding or removing one person (the course's
convention), so a count has sensitivity 1 and a sum of values clipped to
``[lower, upper]`` has sensitivity ``max(|lower|, |upper|)``.

Warnings
--------
For teaching only. The noise is drawn with NumPy's floating-point samplers, and
floating-point Laplace or Gaussian noise leaks: the set of outputs it can produce
depends on the true answer, which can reveal it exactly (Mironov, 2012, "On
significance of the least significant bits for differential privacy", CCS).
To release real data use OpenDP (exact discrete samplers), or Opacus with
``secure_mode=True`` for DP-SGD, which is a heuristic mitigation of the known
floating-point attacks (Holohan & Braghin, 2021), not a proof. Timing is a
side channel of its own: samplers whose running time depends on the noise
drawn leak it (Jin, McMurtry, Rubinstein & Ohrimenko, 2022, IEEE S&P).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from scipy.special import log_ndtr, ndtr

from .._validation import check_number, check_option
from ..environment import make_rng

__all__ = [
    "randomized_response",
    "randomized_response_estimate",
    "randomized_response_variance",
    "laplace_scale",
    "laplace_mechanism",
    "gaussian_sigma",
    "gaussian_exact_delta",
    "gaussian_mechanism",
    "clip",
    "clipped_sum_sensitivity",
    "private_sum",
    "private_mean",
    "private_sum_error",
    "private_mean_error",
]

_POSITIVE = {"low": 0, "low_open": True, "high": math.inf, "high_open": True}


def _epsilon(epsilon: Any, name: str = "epsilon") -> float:
    return check_number(name, epsilon, low=0, low_open=True, high=math.inf, high_open=True)


def _numbers(name: str, value: Any) -> float | np.ndarray:
    """A real number (returned as float) or an array of finite real numbers (as a float array)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        array = np.asarray(float(value))
    else:
        array = np.asarray(value)
        if array.dtype.kind == "O" and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in array.flat
        ):
            array = array.astype(float)
        if array.dtype.kind not in "biuf" or isinstance(value, (str, bytes)):
            kind = type(value).__name__
            raise TypeError(f"{name} must be a real number or an array of real numbers; got {value!r} of type {kind}")
    array = array.astype(float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite real numbers; got {value!r} (NaN or infinite values)")
    return float(array) if array.ndim == 0 else array


# ----- randomized response -------------------------------------------------------------
def _truth_probability(epsilon: float) -> float:
    return 1.0 / (1.0 + math.exp(-epsilon))  # e^ε / (1 + e^ε), without overflow


def randomized_response(bits: Any, *, epsilon: float, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Each person reports their bit truthfully with probability e^ε / (1 + e^ε), else its opposite.

    Warner's (1965) randomized response: ε-DP for each person, with no trusted
    curator (local DP). Used by lesson 03.

    Parameters
    ----------
    bits : array-like of 0/1 or bool
        The true answers, any shape.
    epsilon : float
        In (0, inf). ``epsilon = ln 3`` is the "flip a coin" protocol (truth with probability 3/4).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    numpy.ndarray of int
        The reports, same shape as ``bits``.

    Examples
    --------
    >>> randomized_response([1, 1, 0, 0, 1], epsilon=1.0, rng=0)
    array([1, 1, 0, 0, 0])
    """
    epsilon = _epsilon(epsilon)
    array = _numbers("bits", bits)
    array = np.atleast_1d(array) if isinstance(array, float) else array
    if not np.all((array == 0) | (array == 1)):
        raise ValueError(f"bits must hold only 0 and 1 (or False and True); got values {np.unique(array)[:5]}")
    truthful = make_rng(rng).random(array.shape) < _truth_probability(epsilon)
    return np.where(truthful, array, 1 - array).astype(int)


def randomized_response_estimate(reports: Any, *, epsilon: float, axis: int | None = None) -> float | np.ndarray:
    """De-biased estimate of the true share of 1s from randomized-response reports.

    With p = e^ε / (1 + e^ε), a report is 1 with probability
    λ = (1 - p) + π (2p - 1), where π is the true share; so
    π̂ = (mean(reports) - (1 - p)) / (2p - 1) is unbiased. It can fall outside
    [0, 1]; clipping it would be post-processing (free of privacy cost) but biased.
    Used by lesson 03.

    Parameters
    ----------
    reports : array-like of 0/1
    epsilon : float
        The ε the reports were made with, in (0, inf).
    axis : int or None, default None
        Estimate along this axis (e.g. one estimate per row of repeated surveys); None pools all reports.

    Returns
    -------
    float, or numpy.ndarray when ``axis`` is given

    Examples
    --------
    >>> round(randomized_response_estimate([1, 0, 0, 0], epsilon=math.log(3)), 3)
    0.0
    """
    epsilon = _epsilon(epsilon)
    array = np.atleast_1d(_numbers("reports", reports))
    if array.size == 0 or not np.all((array == 0) | (array == 1)):
        raise ValueError("reports must be a non-empty array of 0s and 1s")
    if axis is not None:
        check_number("axis", axis, low=-array.ndim, high=array.ndim - 1, integer=True)
    p = _truth_probability(epsilon)
    estimate = (array.mean(axis=axis) - (1 - p)) / (2 * p - 1)
    return float(estimate) if axis is None else estimate


def randomized_response_variance(n: int, *, epsilon: float, population_share: float | None = None) -> float:
    """Variance of :func:`randomized_response_estimate` from n people's reports.

    With p = e^ε / (1 + e^ε):

    - ``population_share=None``: the n people are fixed (everyone in a
      dataset answers) and π̂ estimates their own share of 1s. Only the coin
      flips are random: Var(π̂) = p(1 - p) / (n (2p - 1)²) = e^ε / (n (e^ε - 1)²),
      whatever the true share. This is the price of privacy.
    - ``population_share=π``: the n people are sampled at random from a
      population whose share is π, and π̂ estimates π. Sampling adds
      π(1 - π)/n: Var(π̂) = λ(1 - λ) / (n (2p - 1)²) with λ = (1 - p) + π(2p - 1).

    Used by lesson 03.

    Parameters
    ----------
    n : int
        Number of reports, in [1, inf).
    epsilon : float
        In (0, inf).
    population_share : float in [0, 1] or None, default None

    Returns
    -------
    float

    Examples
    --------
    >>> round(randomized_response_variance(100, epsilon=math.log(3)), 4)
    0.0075
    >>> round(randomized_response_variance(100, epsilon=math.log(3), population_share=0.5), 4)
    0.01
    """
    n = check_number("n", n, low=1, integer=True)
    epsilon = _epsilon(epsilon)
    p = _truth_probability(epsilon)
    if population_share is None:
        return p * (1 - p) / (n * (2 * p - 1) ** 2)
    share = check_number("population_share", population_share, low=0, high=1)
    report_share = (1 - p) + share * (2 * p - 1)
    return report_share * (1 - report_share) / (n * (2 * p - 1) ** 2)


# ----- Laplace ---------------------------------------------------------------------------
def laplace_scale(*, sensitivity: float, epsilon: float) -> float:
    """Scale b = sensitivity / ε of the Laplace noise that makes a query ε-DP (its std is √2·b).

    Used by lesson 03.

    Parameters
    ----------
    sensitivity : float
        L1 sensitivity of the query, in (0, inf).
    epsilon : float
        In (0, inf).

    Returns
    -------
    float

    Examples
    --------
    >>> laplace_scale(sensitivity=1, epsilon=0.5)
    2.0
    """
    sensitivity = check_number("sensitivity", sensitivity, **_POSITIVE)
    return sensitivity / _epsilon(epsilon)


def laplace_mechanism(
    value: Any, *, sensitivity: float, epsilon: float, rng: np.random.Generator | int | None = None
) -> float | np.ndarray:
    """Release ``value`` + Laplace(0, sensitivity / ε) noise: ε-DP when ``sensitivity`` bounds the L1 change.

    ``sensitivity`` is the most the query's answer (all its coordinates
    together, in L1 norm) can change when one person is added or removed.
    For teaching only: floating-point noise leaks (Mironov, 2012); use OpenDP
    for real releases. Used by lesson 03.

    Parameters
    ----------
    value : float or array-like of float
        The exact answer: one number, or a vector (e.g. a histogram).
    sensitivity : float
        L1 sensitivity, in (0, inf).
    epsilon : float
        In (0, inf).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``value``.

    Examples
    --------
    >>> round(laplace_mechanism(100, sensitivity=1, epsilon=1.0, rng=0), 3)
    100.32
    """
    scale = laplace_scale(sensitivity=sensitivity, epsilon=epsilon)
    array = _numbers("value", value)
    noisy = array + make_rng(rng).laplace(0.0, scale, size=np.shape(array))
    return float(noisy) if np.ndim(noisy) == 0 else noisy


# ----- Gaussian --------------------------------------------------------------------------
def gaussian_exact_delta(sigma: float, *, sensitivity: float, epsilon: float) -> float:
    """The smallest δ for which Gaussian noise of std ``sigma`` gives (ε, δ)-DP (Balle & Wang, 2018, Thm 8).

    δ(σ) = Φ(Δ/(2σ) - εσ/Δ) - e^ε Φ(-Δ/(2σ) - εσ/Δ), with Δ the L2
    sensitivity and Φ the standard normal CDF. It decreases as σ grows. Used by
    lesson 03 to test a calibration.

    Parameters
    ----------
    sigma : float
        Standard deviation of the noise, in (0, inf).
    sensitivity : float
        L2 sensitivity of the query, in (0, inf).
    epsilon : float
        In (0, inf).

    Returns
    -------
    float
        δ in [0, 1].

    Examples
    --------
    >>> sigma = gaussian_sigma(sensitivity=1, epsilon=0.5, delta=1e-5)
    >>> round(gaussian_exact_delta(sigma, sensitivity=1, epsilon=0.5), 10)
    1e-05
    >>> gaussian_exact_delta(sigma / 2, sensitivity=1, epsilon=0.5) > 1e-5
    True
    """
    sigma = check_number("sigma", sigma, **_POSITIVE)
    sensitivity = check_number("sensitivity", sensitivity, **_POSITIVE)
    epsilon = _epsilon(epsilon)
    a, b = sensitivity / (2 * sigma), epsilon * sigma / sensitivity
    # e^ε Φ(-a - b) in log space, so that a large ε neither overflows nor loses the tiny Φ
    return max(0.0, float(ndtr(a - b) - math.exp(epsilon + float(log_ndtr(-a - b)))))


def gaussian_sigma(*, sensitivity: float, epsilon: float, delta: float, calibration: str = "analytic") -> float:
    """Standard deviation of Gaussian noise that makes a query with L2 sensitivity Δ (ε, δ)-DP.

    - ``"classic"``: σ = Δ √(2 ln(1.25/δ)) / ε (Dwork & Roth, 2014, Thm A.1);
      proven only for ε < 1, so larger ε is refused.
    - ``"analytic"`` (default): the smallest σ that satisfies the exact
      condition :func:`gaussian_exact_delta` ≤ δ (Balle & Wang, 2018), found by
      bisection to a relative precision of 1e-12. Never larger than the classic
      σ, valid for every ε > 0.

    Used by lesson 03.

    Parameters
    ----------
    sensitivity : float
        L2 sensitivity Δ, in (0, inf).
    epsilon : float
        In (0, inf); in (0, 1) for the classic calibration.
    delta : float
        In (0, 1).
    calibration : {"analytic", "classic"}, default "analytic"

    Returns
    -------
    float

    Examples
    --------
    >>> round(gaussian_sigma(sensitivity=1, epsilon=0.5, delta=1e-5, calibration="classic"), 4)
    9.6896
    >>> round(gaussian_sigma(sensitivity=1, epsilon=0.5, delta=1e-5), 4)
    7.0318
    """
    sensitivity = check_number("sensitivity", sensitivity, **_POSITIVE)
    epsilon = _epsilon(epsilon)
    delta = check_number("delta", delta, low=0, high=1, low_open=True, high_open=True)
    check_option("calibration", calibration, ["analytic", "classic"])
    if calibration == "classic":
        if epsilon >= 1:
            raise ValueError(
                f"epsilon must be a float in (0, 1) for calibration='classic' (its proof needs epsilon < 1); "
                f"got {epsilon!r}. Use calibration='analytic'."
            )
        return sensitivity * math.sqrt(2 * math.log(1.25 / delta)) / epsilon

    def too_small(scale: float) -> bool:  # σ = scale·Δ; the condition depends on σ/Δ only
        return gaussian_exact_delta(scale, sensitivity=1.0, epsilon=epsilon) > delta

    low = high = 1.0 / epsilon
    while too_small(high):
        high *= 2
    while not too_small(low):
        low /= 2
    while high / low - 1 > 1e-12:  # bisection on log σ: δ(σ) is monotone
        middle = math.sqrt(low * high)
        low, high = (middle, high) if too_small(middle) else (low, middle)
    return sensitivity * high


def gaussian_mechanism(
    value: Any,
    *,
    sensitivity: float,
    epsilon: float,
    delta: float,
    calibration: str = "analytic",
    rng: np.random.Generator | int | None = None,
) -> float | np.ndarray:
    """Release ``value`` + N(0, σ²) noise with σ from :func:`gaussian_sigma`: (ε, δ)-DP.

    ``sensitivity`` is the L2 sensitivity, which for a vector query can be
    much smaller than the L1 one the Laplace mechanism needs. For teaching
    only: floating-point noise leaks (Mironov, 2012); use OpenDP, or Opacus
    with ``secure_mode=True`` (a heuristic mitigation, not a proof). Used by lesson 03.

    Parameters
    ----------
    value : float or array-like of float
        The exact answer: one number or a vector.
    sensitivity : float
        L2 sensitivity, in (0, inf).
    epsilon : float
        In (0, inf).
    delta : float
        In (0, 1).
    calibration : {"analytic", "classic"}, default "analytic"
    rng : numpy.random.Generator, int or None

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``value``.

    Examples
    --------
    >>> round(gaussian_mechanism(100, sensitivity=1, epsilon=0.5, delta=1e-5, rng=0), 3)
    100.884
    """
    sigma = gaussian_sigma(sensitivity=sensitivity, epsilon=epsilon, delta=delta, calibration=calibration)
    array = _numbers("value", value)
    noisy = array + make_rng(rng).normal(0.0, sigma, size=np.shape(array))
    return float(noisy) if np.ndim(noisy) == 0 else noisy


# ----- clipping: sums and means ------------------------------------------------------------
def _bounds(lower: Any, upper: Any) -> tuple[float, float]:
    lower = check_number("lower", lower)
    upper = check_number("upper", upper)
    if not upper > lower:
        raise ValueError(f"upper must be a float in ({lower!r}, inf), i.e. above lower={lower!r}; got {upper!r}")
    if not (math.isfinite(lower) and math.isfinite(upper)):
        raise ValueError(f"lower and upper must be finite; got lower={lower!r}, upper={upper!r}")
    return lower, upper


def clip(values: Any, *, lower: float, upper: float) -> np.ndarray:
    """Clip every value into [lower, upper], which bounds one person's influence on a sum.

    Used by lesson 03.

    Examples
    --------
    >>> clip([-5, 3, 250], lower=0, upper=100)
    array([  0.,   3., 100.])
    """
    lower, upper = _bounds(lower, upper)
    return np.clip(np.atleast_1d(_numbers("values", values)), lower, upper)


def clipped_sum_sensitivity(*, lower: float, upper: float) -> float:
    """Sensitivity of a sum of values clipped to [lower, upper]: max(|lower|, |upper|).

    Adding or removing one person changes the sum by their clipped value,
    which is at most this far from 0. Used by lesson 03.

    Examples
    --------
    >>> clipped_sum_sensitivity(lower=-2, upper=1)
    2.0
    """
    lower, upper = _bounds(lower, upper)
    return max(abs(lower), abs(upper))


def private_sum(
    values: Any, *, lower: float, upper: float, epsilon: float, rng: np.random.Generator | int | None = None
) -> float:
    """ε-DP sum: clip each value into [lower, upper], sum, add Laplace noise of scale max(|lower|, |upper|)/ε.

    Clipping biases the sum whenever values fall outside the bounds; choose
    them from domain knowledge, not from the data (that would leak). Used by lesson 03.

    Parameters
    ----------
    values : array-like of float
        One value per person.
    lower, upper : float
        Clipping bounds, finite, with lower < upper.
    epsilon : float
        In (0, inf).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    float

    Examples
    --------
    >>> round(private_sum([20, 35, 120], lower=0, upper=100, epsilon=1.0, rng=0), 2)
    187.01
    """
    clipped = clip(values, lower=lower, upper=upper)
    sensitivity = clipped_sum_sensitivity(lower=lower, upper=upper)
    return laplace_mechanism(float(clipped.sum()), sensitivity=sensitivity, epsilon=epsilon, rng=rng)


def private_mean(
    values: Any, *, lower: float, upper: float, epsilon: float, rng: np.random.Generator | int | None = None
) -> float:
    """ε-DP mean: a noisy clipped sum over a noisy count, each with ε/2 (sequential composition).

    The ratio is clipped back into [lower, upper] and the count floored at 1:
    post-processing, which costs no privacy. To first order its variance is
    (2 b_s² + m² 2 b_c²) / n² with b_s = 2 max(|lower|, |upper|)/ε, b_c = 2/ε,
    m the clipped mean and n the count. Used by lesson 03.

    Parameters
    ----------
    values : array-like of float
        One value per person.
    lower, upper : float
        Clipping bounds, finite, with lower < upper.
    epsilon : float
        Total ε of the mean, in (0, inf).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    float

    Examples
    --------
    >>> round(private_mean(np.full(1000, 40.0), lower=0, upper=100, epsilon=1.0, rng=0), 2)
    40.11
    """
    epsilon = _epsilon(epsilon)
    generator = make_rng(rng)
    clipped = clip(values, lower=lower, upper=upper)
    noisy_sum = private_sum(clipped, lower=lower, upper=upper, epsilon=epsilon / 2, rng=generator)
    noisy_count = laplace_mechanism(float(clipped.size), sensitivity=1, epsilon=epsilon / 2, rng=generator)
    return float(np.clip(noisy_sum / max(noisy_count, 1.0), lower, upper))


def private_sum_error(values: Any, *, lower: float, upper: float, epsilon: float) -> tuple[float, float]:
    """Bias and noise standard deviation of :func:`private_sum`, with respect to the exact (unclipped) sum.

    The bias is what clipping removes, sum(clip(values)) - sum(values); the
    noise is Laplace with std √2 max(|lower|, |upper|) / ε. The root-mean-square
    error is √(bias² + std²). Used by lesson 03 for the theory curves.

    Examples
    --------
    >>> private_sum_error([20, 35, 120], lower=0, upper=100, epsilon=1.0)
    (-20.0, 141.4213562373095)
    """
    array = np.atleast_1d(_numbers("values", values))
    bias = float(clip(array, lower=lower, upper=upper).sum() - array.sum())
    scale = laplace_scale(sensitivity=clipped_sum_sensitivity(lower=lower, upper=upper), epsilon=epsilon)
    return bias, math.sqrt(2) * scale


def private_mean_error(values: Any, *, lower: float, upper: float, epsilon: float) -> tuple[float, float]:
    """Bias and (first-order) noise standard deviation of :func:`private_mean`, w.r.t. the exact mean.

    The bias is mean(clip(values)) - mean(values). For the noise, the delta
    method on (S + η_s) / (n + η_c), with η_s ~ Laplace(2 max(|lower|, |upper|)/ε)
    and η_c ~ Laplace(2/ε), gives a variance of (Var η_s + m² Var η_c) / n²,
    m the clipped mean; it ignores terms of order 1/(ε n)² relative to it, and
    the final clip into [lower, upper]. Used by lesson 03 for the theory curves.

    Examples
    --------
    >>> bias, std = private_mean_error(np.full(1000, 40.0), lower=0, upper=100, epsilon=1.0)
    >>> bias, round(std, 4)
    (0.0, 0.3046)
    """
    epsilon = _epsilon(epsilon)
    array = np.atleast_1d(_numbers("values", values))
    clipped = clip(array, lower=lower, upper=upper)
    sum_scale = laplace_scale(sensitivity=clipped_sum_sensitivity(lower=lower, upper=upper), epsilon=epsilon / 2)
    count_scale = laplace_scale(sensitivity=1, epsilon=epsilon / 2)
    variance = (2 * sum_scale**2 + clipped.mean() ** 2 * 2 * count_scale**2) / array.size**2
    return float(clipped.mean() - array.mean()), math.sqrt(variance)
