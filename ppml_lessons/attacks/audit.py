"""Privacy auditing in one training run (Steinke, Nasr & Jagielski, 2023), used by lesson 05.

The audit plants m *canaries* in the training set, each included independently
with probability 1/2 (a fair coin per canary, kept secret from the attacker).
After training, the attacker scores every canary, guesses "in" for the k+
highest scores and "out" for the k- lowest, abstains on the rest, and the
auditor counts the correct guesses. If training is ε-DP, each guess is right
with probability at most e^ε / (1 + e^ε), *whatever the other canaries did*,
so the number of correct guesses is stochastically dominated by a binomial
(their Theorem 3). An implausibly large count therefore proves, with
confidence 1 - α, that the algorithm is not ε-DP for any ε below
:func:`one_run_epsilon_lower_bound`; for (ε, δ)-DP the tail gains a δ term
(their Theorem 5.2, see :func:`approx_dp_tail`).

What it assumes: the coins are independent fair coins, unknown to the attacker
until the guesses are made; the number of guesses (k+, k-) is fixed before
looking; the training algorithm's randomness is what the ε claim is about.
What it proves is a lower bound: a weak attack proves little, and the bound
can never exceed :func:`one_run_epsilon_ceiling`, the ε that r guesses, all of
them right, would prove.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize, stats

from .._validation import check_number
from ..environment import make_rng

__all__ = [
    "draw_canaries",
    "one_run_guesses",
    "count_correct",
    "binomial_tail",
    "approx_dp_tail",
    "one_run_epsilon_lower_bound",
    "one_run_epsilon_ceiling",
]


def draw_canaries(labels: Any, *, n_canaries: int, n_classes: int = 10,
                  rng: np.random.Generator | int | None = None) -> dict[str, np.ndarray]:
    """Choose ``n_canaries`` examples, give each a wrong label, and flip a fair coin for each: in or out.

    Mislabelled examples are canaries a model can only fit by memorising
    them. Used by lesson 05 and ``benchmarks/membership_sweep.py``.

    Parameters
    ----------
    labels : array of int
        The true labels of the examples canaries are drawn from.
    n_canaries : int
        In [2, len(labels)].
    n_classes : int, default 10
    rng : numpy.random.Generator, int or None
        Same seed, same canaries and coins.

    Returns
    -------
    dict
        ``index`` (positions in ``labels``), ``label`` (a wrong class, uniform
        among the other ``n_classes - 1``) and ``included`` (the coins).

    Examples
    --------
    >>> canaries = draw_canaries(np.arange(20) % 10, n_canaries=6, rng=0)
    >>> bool(np.all(canaries["label"] != (canaries["index"] % 10))), len(canaries["included"])
    (True, 6)
    """
    truth = np.asarray(labels)
    n_canaries = check_number("n_canaries", n_canaries, low=2, high=len(truth), integer=True)
    n_classes = check_number("n_classes", n_classes, low=2, integer=True)
    generator = make_rng(rng)
    index = np.sort(generator.choice(len(truth), size=n_canaries, replace=False))
    wrong = (truth[index] + generator.integers(1, n_classes, size=n_canaries)) % n_classes
    included = generator.random(n_canaries) < 0.5
    return {"index": index, "label": wrong.astype(np.int64), "included": included}


def one_run_guesses(scores: Any, *, k_in: int, k_out: int) -> np.ndarray:
    """Guess +1 ("in") for the ``k_in`` highest scores, -1 ("out") for the ``k_out`` lowest, 0 (abstain) elsewhere.

    Ties are broken by position (a stable sort), never by the coins. Used by lesson 05.

    Examples
    --------
    >>> one_run_guesses([0.3, 2.0, -1.0, 0.5, 0.0], k_in=1, k_out=2).tolist()
    [0, 1, -1, 0, -1]
    """
    values = np.asarray(scores, dtype=float)
    if values.ndim != 1 or len(values) == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"scores must be a non-empty 1-D array of finite numbers; got shape {values.shape}")
    k_in = check_number("k_in", k_in, low=0, high=len(values), integer=True)
    k_out = check_number("k_out", k_out, low=0, high=len(values) - k_in, integer=True)
    order = np.argsort(-values, kind="stable")
    guesses = np.zeros(len(values), dtype=np.int64)
    guesses[order[:k_in]] = 1
    if k_out:
        guesses[order[len(values) - k_out:]] = -1
    return guesses


def count_correct(guesses: Any, included: Any) -> tuple[int, int]:
    """The number of guesses made (non-zero) and of correct ones, against the coins ``included``.

    Examples
    --------
    >>> count_correct([1, 0, -1, -1], [True, True, False, True])
    (3, 2)
    """
    g = np.asarray(guesses)
    truth = np.asarray(included, dtype=bool)
    if g.shape != truth.shape or g.ndim != 1 or not np.all(np.isin(g, (-1, 0, 1))):
        raise ValueError(f"guesses must be a 1-D array of -1, 0, 1 with one entry per coin ({truth.size}); "
                         f"got shape {g.shape}")
    made = g != 0
    return int(made.sum()), int((g[made] == np.where(truth[made], 1, -1)).sum())


def binomial_tail(correct: int, guesses: int, *, epsilon: float) -> float:
    """P[Binomial(r, p) >= v] with p = e^ε / (1 + e^ε): the p-value of v correct guesses out of r under ε-DP.

    Theorem 3 of Steinke, Nasr & Jagielski (2023): under ε-DP the number of
    correct guesses is stochastically dominated by Binomial(r, e^ε / (1 + e^ε)),
    the count of ε-randomized response. Used by lesson 05.

    Examples
    --------
    >>> round(binomial_tail(8, 10, epsilon=0.0), 4)  # 8 of 10 coin flips right
    0.0547
    """
    r, v = _counts(correct, guesses)
    epsilon = check_number("epsilon", epsilon, low=0, high=math.inf, high_open=True)
    return float(stats.binom.sf(v - 1, r, 1 / (1 + math.exp(-epsilon))))


def approx_dp_tail(correct: int, guesses: int, *, epsilon: float, delta: float, n_canaries: int) -> float:
    """The p-value of v correct guesses out of r under (ε, δ)-DP, with m canaries (at most 1).

    Theorem 5.2 of Steinke, Nasr & Jagielski (2023): with f(u) = P[Binomial(r, p) >= u]
    and p = e^ε / (1 + e^ε),

        P[W >= v] <= f(v) + 2·m·δ · max_{1 <= i <= v} (f(v - i) - f(v)) / i.

    The δ term grows with the number of canaries m (all of them, guessed on or
    not), so small δ matters: m·δ must stay well below the level α. With
    ``delta=0`` this is :func:`binomial_tail`. Used by lesson 05.

    Examples
    --------
    >>> pure = binomial_tail(80, 100, epsilon=1.0)
    >>> approx = approx_dp_tail(80, 100, epsilon=1.0, delta=1e-5, n_canaries=1000)
    >>> bool(approx > pure), round(approx_dp_tail(80, 100, epsilon=1.0, delta=0.0, n_canaries=1000) - pure, 12)
    (True, 0.0)
    """
    r, v = _counts(correct, guesses)
    epsilon = check_number("epsilon", epsilon, low=0, high=math.inf, high_open=True)
    delta = check_number("delta", delta, low=0, high=1)
    m = check_number("n_canaries", n_canaries, low=r, integer=True)
    p = 1 / (1 + math.exp(-epsilon))
    tail = float(stats.binom.sf(v - 1, r, p))
    if delta == 0 or v == 0:
        return min(tail, 1.0)
    # f(v - i) - f(v) = P[v - i <= Binomial < v], for i = 1..v
    window = np.cumsum(stats.binom.pmf(np.arange(v - 1, -1, -1), r, p))
    slope = float(np.max(window / np.arange(1, v + 1)))
    return min(tail + 2 * m * delta * slope, 1.0)


def one_run_epsilon_lower_bound(correct: int, guesses: int, *, delta: float = 0.0, n_canaries: int | None = None,
                                confidence: float = 0.95) -> float:
    """The ε that v correct guesses out of r prove at confidence 1 - α: the training is not (ε', δ)-DP for ε' below it.

    The largest ε whose p-value (:func:`approx_dp_tail`, or :func:`binomial_tail`
    for δ = 0) is still below α = 1 - ``confidence``, found by bisection (the
    p-value grows with ε). Valid when the canaries' coins were fair,
    independent and secret, and r was fixed before looking at them. To report
    the best of several (k+, k-) choices or several models, divide α by their
    number (Bonferroni). Returns 0.0 when the guesses prove nothing. Used by
    lesson 05.

    Parameters
    ----------
    correct, guesses : int
        v and r, with 0 <= v <= r.
    delta : float, default 0.0
        In [0, 1]; needs ``n_canaries`` when positive.
    n_canaries : int, optional
        m, the number of canaries, in [r, inf).
    confidence : float, default 0.95
        1 - α, in (0, 1).

    Examples
    --------
    >>> round(one_run_epsilon_lower_bound(90, 100), 3)
    1.631
    >>> round(one_run_epsilon_lower_bound(90, 100, delta=1e-5, n_canaries=1000), 3)
    1.626
    """
    r, v = _counts(correct, guesses)
    delta = check_number("delta", delta, low=0, high=1)
    confidence = check_number("confidence", confidence, low=0, high=1, low_open=True, high_open=True)
    if delta > 0 and n_canaries is None:
        raise ValueError(f"n_canaries must be given when delta > 0; got delta={delta} and n_canaries=None")
    m = r if n_canaries is None else check_number("n_canaries", n_canaries, low=r, integer=True)
    alpha = 1 - confidence

    def excess(epsilon: float) -> float:
        return approx_dp_tail(v, r, epsilon=epsilon, delta=delta, n_canaries=m) - alpha

    if r == 0 or excess(0.0) >= 0:
        return 0.0
    high = 1.0
    while excess(high) < 0:
        high *= 2
        if high > 1e3:
            return math.inf
    return float(optimize.brentq(excess, 0.0, high, xtol=1e-10))


def one_run_epsilon_ceiling(guesses: int, *, delta: float = 0.0, n_canaries: int | None = None,
                            confidence: float = 0.95) -> float:
    """The largest ε that r guesses can ever prove: the lower bound when all r are right.

    With pure DP it is log(p / (1 - p)) with p = α^(1/r). An audit whose
    ceiling is below the ε it checks cannot fail, whatever the model does.
    Used by lesson 05.

    Examples
    --------
    >>> round(one_run_epsilon_ceiling(100), 3), round(math.log(0.05 ** 0.01 / (1 - 0.05 ** 0.01)), 3)
    (3.493, 3.493)
    """
    return one_run_epsilon_lower_bound(guesses, guesses, delta=delta, n_canaries=n_canaries, confidence=confidence)


def _counts(correct: Any, guesses: Any) -> tuple[int, int]:
    r = check_number("guesses", guesses, low=0, integer=True)
    v = check_number("correct", correct, low=0, high=r, integer=True)
    return r, v
