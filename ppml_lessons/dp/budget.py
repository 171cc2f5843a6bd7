"""Composition of differentially private queries, and a privacy filter (lesson 03).

:func:`advanced_composition` bounds the total privacy loss of k queries;
:class:`PrivacyBudget` is a *privacy filter* (Rogers, Roth, Ullman & Vadhan,
2016): it adds up what each query spends (sequential composition) and refuses
one that would overspend a budget fixed in advance, before any noise is drawn. The noise
comes from :mod:`ppml_lessons.dp.mechanisms`, which is for teaching only
(floating-point noise leaks, Mironov 2012; use OpenDP's exact samplers, or Opacus
``secure_mode``, a heuristic mitigation rather than a proof).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_number, check_type
from ..environment import make_rng
from .mechanisms import _epsilon, _numbers, gaussian_mechanism, gaussian_sigma, laplace_mechanism, laplace_scale

__all__ = ["advanced_composition", "BudgetExceededError", "PrivacyBudget"]


def advanced_composition(epsilon: float, k: int, *, delta: float = 0.0, delta_slack: float) -> tuple[float, float]:
    """Total (ε', δ') of k mechanisms that are each (ε, δ)-DP, by the advanced composition theorem.

    ε' = ε √(2k ln(1/δ_slack)) + k ε (e^ε - 1) and δ' = k δ + δ_slack
    (Dwork, Rothblum & Vadhan, 2010; Dwork & Roth, 2014, Thm 3.20). It beats
    the sequential k ε when ε is small and k large. Tighter bounds exist
    (Kairouz, Oh & Viswanath, 2015; the RDP accountants of lesson 04).
    Used by lesson 03.

    Parameters
    ----------
    epsilon : float
        ε of each mechanism, in (0, inf).
    k : int
        Number of mechanisms (or queries), in [1, inf).
    delta : float, default 0.0
        δ of each mechanism, in [0, 1).
    delta_slack : float
        The extra δ the theorem trades for a smaller ε', in (0, 1).

    Returns
    -------
    (float, float)
        The total ε' and δ'.

    Examples
    --------
    >>> eps, dlt = advanced_composition(0.1, 100, delta_slack=1e-5)
    >>> round(eps, 3), dlt
    (5.85, 1e-05)
    """
    epsilon = _epsilon(epsilon)
    k = check_number("k", k, low=1, integer=True)
    delta = check_number("delta", delta, low=0, high=1, high_open=True)
    delta_slack = check_number("delta_slack", delta_slack, low=0, high=1, low_open=True, high_open=True)
    total = epsilon * math.sqrt(2 * k * math.log(1 / delta_slack)) + k * epsilon * math.expm1(epsilon)
    return total, k * delta + delta_slack


class BudgetExceededError(RuntimeError):
    """A query would spend more privacy than the :class:`PrivacyBudget` has left; nothing was spent."""


class PrivacyBudget:
    """A privacy filter: it adds up what each query spends and refuses one that would overspend a fixed budget.

    In the terms of Rogers, Roth, Ullman & Vadhan (2016, "Privacy Odometers and
    Filters: Pay-as-you-Go Composition", NeurIPS) this is a *filter*, not an
    *odometer*: the total budget is fixed before the first query, and the
    filter halts the interaction rather than reporting a running loss. With
    basic (sequential) composition a filter stays valid even when each ε_i is
    chosen adaptively from earlier answers, which is how an analyst works:
    answering queries that are (ε_i, δ_i)-DP costs (Σ ε_i, Σ δ_i) in total. A refused query raises
    :class:`BudgetExceededError` *before* any noise is drawn, and spends
    nothing. Sums are compared with a relative tolerance of 1e-9 so that ten
    queries of 0.1 fit into a budget of 1.0 despite rounding. Queries on
    disjoint groups of people (a histogram) cost their ε once, not once per
    group (parallel composition): spend it once. Used by lesson 03.

    Parameters
    ----------
    epsilon : float
        Total ε, in (0, inf).
    delta : float, default 0.0
        Total δ, in [0, 1).

    Examples
    --------
    >>> budget = PrivacyBudget(1.0)
    >>> answer = budget.laplace(120, sensitivity=1, epsilon=0.6, rng=0, label="count")
    >>> round(budget.remaining_epsilon, 2)
    0.4
    >>> budget.spend(0.5, label="too much")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ppml_lessons.dp.budget.BudgetExceededError: query 'too much' needs epsilon=0.5 but only 0.4 of the ... spent
    """

    TOLERANCE = 1e-9

    def __init__(self, epsilon: float, delta: float = 0.0) -> None:
        self.epsilon = _epsilon(epsilon)
        self.delta = check_number("delta", delta, low=0, high=1, high_open=True)
        self._spent: list[tuple[str, float, float]] = []

    @property
    def spent_epsilon(self) -> float:
        return math.fsum(e for _, e, _ in self._spent)

    @property
    def spent_delta(self) -> float:
        return math.fsum(d for _, _, d in self._spent)

    @property
    def remaining_epsilon(self) -> float:
        return max(0.0, self.epsilon - self.spent_epsilon)

    @property
    def remaining_delta(self) -> float:
        return max(0.0, self.delta - self.spent_delta)

    @property
    def ledger(self) -> pd.DataFrame:
        """One row per answered query: ``label``, ``epsilon``, ``delta``."""
        return pd.DataFrame(self._spent, columns=["label", "epsilon", "delta"])

    def can_spend(self, epsilon: float, delta: float = 0.0) -> bool:
        """Whether a query costing (ε, δ) still fits in the budget."""
        epsilon = _epsilon(epsilon)
        delta = check_number("delta", delta, low=0, high=1, high_open=True)
        return all(self._fits(epsilon, delta))

    def _fits(self, epsilon: float, delta: float) -> tuple[bool, bool]:
        slack = 1 + self.TOLERANCE  # a relative tolerance for rounding in the sums
        return self.spent_epsilon + epsilon <= self.epsilon * slack, self.spent_delta + delta <= self.delta * slack

    def spend(self, epsilon: float, delta: float = 0.0, *, label: str = "") -> None:
        """Record a query costing (ε, δ), or raise :class:`BudgetExceededError` if it does not fit."""
        check_type("label", label, str, "a string")
        if not self.can_spend(epsilon, delta):
            name = f"query {label!r}" if label else "this query"
            n = len(self._spent)
            spent = f"({self.spent_epsilon:.4g} spent on {n} quer{'y' if n == 1 else 'ies'})"
            if not self._fits(float(epsilon), float(delta))[0]:
                need = f"needs epsilon={float(epsilon):.4g} but only {self.remaining_epsilon:.4g} of the budget"
                need += f" epsilon={self.epsilon:.4g} is left {spent}"
            else:
                need = f"needs delta={float(delta):.3g} but only {self.remaining_delta:.3g} of the budget"
                need += f" delta={self.delta:.3g} is left"
            raise BudgetExceededError(f"{name} {need}; it was refused and nothing was spent")
        self._spent.append((label, float(epsilon), float(delta)))

    def laplace(
        self,
        value: Any,
        *,
        sensitivity: float,
        epsilon: float,
        rng: np.random.Generator | int | None = None,
        label: str = "",
    ) -> float | np.ndarray:
        """Spend ε, then answer with :func:`laplace_mechanism` (refused before any noise if it does not fit)."""
        laplace_scale(sensitivity=sensitivity, epsilon=epsilon)  # validate before spending
        _numbers("value", value)
        generator = make_rng(rng)
        self.spend(epsilon, 0.0, label=label)
        return laplace_mechanism(value, sensitivity=sensitivity, epsilon=epsilon, rng=generator)

    def gaussian(
        self,
        value: Any,
        *,
        sensitivity: float,
        epsilon: float,
        delta: float,
        calibration: str = "analytic",
        rng: np.random.Generator | int | None = None,
        label: str = "",
    ) -> float | np.ndarray:
        """Spend (ε, δ), then answer with :func:`gaussian_mechanism`."""
        gaussian_sigma(sensitivity=sensitivity, epsilon=epsilon, delta=delta, calibration=calibration)
        _numbers("value", value)
        generator = make_rng(rng)
        self.spend(epsilon, delta, label=label)
        return gaussian_mechanism(
            value, sensitivity=sensitivity, epsilon=epsilon, delta=delta, calibration=calibration, rng=generator
        )

    def __repr__(self) -> str:
        return (
            f"PrivacyBudget(epsilon={self.epsilon:g}, delta={self.delta:g}; spent epsilon={self.spent_epsilon:.4g}, "
            f"delta={self.spent_delta:.3g} on {len(self._spent)} queries)"
        )
