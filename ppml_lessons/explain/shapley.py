"""Exact Shapley values by enumerating coalitions, with a background distribution (lesson 09).

The value of a coalition ``S`` of features for an instance ``x`` is the model's
average output when the features in ``S`` take ``x``'s values and the others
take the values of each background row in turn (the *interventional*
definition that shap's ``Exact`` explainer with an ``Independent`` masker and
``TreeExplainer(feature_perturbation="interventional")`` compute):

    v(S) = mean over background rows b of f(x_S, b_rest)

The Shapley value of feature ``i`` is its marginal contribution averaged over
every order in which features can join:

    phi_i = sum over S not containing i of |S|! (d - |S| - 1)! / d! * (v(S + i) - v(S))

Enumeration costs ``2**d`` coalitions times the background size, so it is
limited to :data:`MAX_EXACT_FEATURES` features.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import factorial

import numpy as np

from .._validation import check_number, check_type

__all__ = ["MAX_EXACT_FEATURES", "ShapleyValues", "exact_shapley_values", "coalition_weights"]

#: The most features :func:`exact_shapley_values` enumerates (2**10 = 1024 coalitions).
MAX_EXACT_FEATURES = 10


@dataclass(frozen=True)
class ShapleyValues:
    """Attributions of a batch of predictions, as :func:`exact_shapley_values` returns them (lesson 09).

    Attributes
    ----------
    values : ndarray, shape (n, d)
        One Shapley value per instance and feature.
    base_value : float
        ``E[f]``, the model's mean output over the background.
    predictions : ndarray, shape (n,)
        ``f(x)`` for each instance.
    feature_names : list of str
    """

    values: np.ndarray
    base_value: float
    predictions: np.ndarray
    feature_names: list[str]

    @property
    def efficiency_gap(self) -> float:
        """Largest ``|sum_i phi_i - (f(x) - E[f])|`` over the instances; 0 up to rounding (efficiency).

        Examples
        --------
        >>> result = exact_shapley_values(lambda z: z.sum(axis=1), np.ones((1, 3)), background=np.zeros((1, 3)))
        >>> result.efficiency_gap < 1e-12
        True
        """
        return float(np.max(np.abs(self.values.sum(axis=1) + self.base_value - self.predictions)))


def coalition_weights(n_features: int) -> np.ndarray:
    """Shapley weight ``s! (d - s - 1)! / d!`` of a coalition of size ``s`` (not holding the feature).

    Parameters
    ----------
    n_features : int
        ``d``, at least 1.

    Returns
    -------
    ndarray, shape (d,)
        Entry ``s`` is the weight of one coalition of size ``s``; the ``C(d-1, s)``
        coalitions of each size together weigh ``1/d``, so the weights of all
        coalitions sum to 1.

    Examples
    --------
    >>> coalition_weights(3).round(4).tolist()
    [0.3333, 0.1667, 0.3333]
    """
    d = check_number("n_features", n_features, low=1, integer=True)
    return np.array([factorial(s) * factorial(d - s - 1) / factorial(d) for s in range(d)])


def _as_matrix(name: str, value: object, width: int | None = None) -> np.ndarray:
    check_type(name, value, (np.ndarray, list, tuple), "a 2-D array of numbers (rows are instances)")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers; got {value!r}") from None
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n, d) with n >= 1 and d >= 1; got shape {array.shape}")
    if width is not None and array.shape[1] != width:
        raise ValueError(f"{name} must have {width} columns like x; got {array.shape[1]}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers; got NaN or inf")
    return array


def exact_shapley_values(
    model: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    *,
    background: np.ndarray,
    feature_names: Sequence[str] | None = None,
) -> ShapleyValues:
    """Exact interventional Shapley values of ``model`` at each row of ``x``, by enumerating coalitions.

    Lesson 09 computes these from scratch and checks them against shap.

    Parameters
    ----------
    model : callable
        Maps an array of shape (m, d) to m outputs (e.g. ``clf.decision_function``
        or ``lambda z: clf.predict_proba(z)[:, 1]``).
    x : array, shape (n, d) or (d,)
        The instances to explain.
    background : array, shape (b, d)
        Where the features outside a coalition take their values (each row in
        turn, then averaged). One row of zeros gives the "baseline" game.
    feature_names : sequence of str, optional
        Defaults to ``x0, x1, ...``.

    Returns
    -------
    ShapleyValues

    Raises
    ------
    ValueError
        If ``x`` has more than :data:`MAX_EXACT_FEATURES` features: the cost
        ``2**d * b`` model calls per instance grows too fast; use
        ``shap.TreeExplainer``, ``shap.LinearExplainer`` or a sampling explainer.

    Examples
    --------
    >>> f = lambda z: z[:, 0] + 2 * z[:, 1] + z[:, 0] * z[:, 2]
    >>> result = exact_shapley_values(f, [1.0, 1.0, 1.0], background=np.zeros((1, 3)))
    >>> result.values.round(3).tolist(), result.base_value, result.predictions.tolist()
    ([[1.5, 2.0, 0.5]], 0.0, [4.0])
    """
    if not callable(model):
        raise TypeError(f"model must be a callable mapping an (m, d) array to m outputs; got {model!r}")
    x = _as_matrix("x", x)
    d = x.shape[1]
    if d > MAX_EXACT_FEATURES:
        raise ValueError(
            f"x must have at most {MAX_EXACT_FEATURES} features for exact enumeration (2**d coalitions); "
            f"got {d}. Use shap.TreeExplainer, shap.LinearExplainer or shap.KernelExplainer instead"
        )
    background = _as_matrix("background", background, width=d)
    names = [f"x{i}" for i in range(d)] if feature_names is None else list(feature_names)
    if len(names) != d:
        raise ValueError(f"feature_names must have one name per feature ({d}); got {len(names)}")

    n_coalitions, b = 2**d, background.shape[0]
    # masks[k, i] is True when feature i belongs to coalition k (the bits of k)
    masks = ((np.arange(n_coalitions)[:, None] >> np.arange(d)) & 1).astype(bool)
    sizes = masks.sum(axis=1)
    weights = np.append(coalition_weights(d), 0.0)[sizes]  # weight of each coalition without feature i
    values = np.empty_like(x)
    predictions = np.empty(len(x))
    base_value = float(np.mean(_outputs(model, background)))
    for row, instance in enumerate(x):
        hybrid = np.where(masks[:, None, :], instance, background[None, :, :]).reshape(-1, d)
        v = _outputs(model, hybrid).reshape(n_coalitions, b).mean(axis=1)
        predictions[row] = v[-1]  # the full coalition is x itself
        for i in range(d):
            without = ~masks[:, i]
            values[row, i] = np.sum(weights[without] * (v[np.flatnonzero(without) | (1 << i)] - v[without]))
    return ShapleyValues(values=values, base_value=base_value, predictions=predictions, feature_names=names)


def _outputs(model: Callable[[np.ndarray], np.ndarray], z: np.ndarray) -> np.ndarray:
    out = np.asarray(model(z), dtype=float)
    if out.shape != (len(z),):
        raise ValueError(f"model must return one number per row, shape ({len(z)},); got shape {out.shape}")
    return out
