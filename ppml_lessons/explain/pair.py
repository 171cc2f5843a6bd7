"""Interventional and conditional Shapley values of two correlated features (lesson 09).

SHAP's usual explainers fill a missing feature with values drawn independently
of the present ones (*interventional*, or marginal): with ``relationship =
Husband`` present, sex is still drawn from everyone, so the model is asked about
"female husbands" that never occur. The *conditional* alternative draws the
missing feature from the rows that share the present one's value; it stays on
the data, but credit then flows to features the model never reads (Janzing et
al., 2020; Chen et al., 2020, "True to the model or true to the data?").

:func:`pair_shapley_values` makes the difference visible on a two-player game:
the two features of ``pair`` are the players, every other feature keeps the
instance's value, and

- ``v({})``   = mean over data rows b of f(x with both players from b),
- ``v({i})``  = mean of f(x with j from b) over all rows b (interventional)
  or over the rows with ``b_i == x_i`` (conditional),
- ``v({i, j}) = f(x)``.

Each player's Shapley value is the mean of its two marginal contributions.
Conditioning by equality needs discrete features (category codes).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import check_bool, check_type

__all__ = ["pair_shapley_values"]


def pair_shapley_values(
    model: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    *,
    pair: tuple[int, int],
    data: np.ndarray,
    conditional: bool,
) -> np.ndarray:
    """Shapley values of the two features ``pair`` for each row of ``x``, the other features held at x.

    Parameters
    ----------
    model : callable
        Maps an (m, d) array to m outputs (e.g. log-odds).
    x : array, shape (n, d) or (d,)
        The instances.
    pair : (int, int)
        Column indices of the two players; both discrete (compared by equality).
    data : array, shape (m, d)
        Rows the missing player is drawn from (e.g. the training split).
    conditional : bool
        Draw the missing player from the rows that match the present one (conditional) or from all rows
        (interventional).

    Returns
    -------
    ndarray, shape (n, 2)
        ``phi[:, 0]`` for ``pair[0]``, ``phi[:, 1]`` for ``pair[1]``; each row sums to f(x) - v({}).

    Examples
    --------
    >>> data = np.array([[0.0, 0.0], [1.0, 1.0]])  # the second feature copies the first
    >>> f = lambda z: z[:, 0]  # the model reads only the first
    >>> pair_shapley_values(f, np.array([1.0, 1.0]), pair=(0, 1), data=data, conditional=False).tolist()
    [[0.5, 0.0]]
    >>> pair_shapley_values(f, np.array([1.0, 1.0]), pair=(0, 1), data=data, conditional=True).tolist()
    [[0.25, 0.25]]
    """
    if not callable(model):
        raise TypeError(f"model must be a callable mapping an (m, d) array to m outputs; got {model!r}")
    check_type("data", data, np.ndarray, "a 2-D numpy array of rows to draw missing features from")
    check_bool("conditional", conditional)
    instances = np.atleast_2d(np.asarray(x, dtype=float))
    if data.ndim != 2 or len(data) == 0 or instances.shape[1] != data.shape[1]:
        raise ValueError(f"data must have shape (m, {instances.shape[1]}) with m >= 1 like x; got {data.shape}")
    d = data.shape[1]
    if (not isinstance(pair, tuple) or len(pair) != 2 or pair[0] == pair[1]
            or not all(isinstance(k, int) and 0 <= k < d for k in pair)):
        raise ValueError(f"pair must be two different column indices in [0, {d - 1}]; got {pair!r}")
    i, j = pair

    def mean_output(instance: np.ndarray, rows: np.ndarray, missing: list[int]) -> float:
        z = np.repeat(instance[None, :], len(rows), axis=0)
        z[:, missing] = rows[:, missing]
        return float(np.mean(model(z)))

    def rows_for(instance: np.ndarray, present: int) -> np.ndarray:
        if not conditional:
            return data
        rows = data[data[:, present] == instance[present]]
        if len(rows) == 0:
            raise ValueError(f"data must hold a row whose column {present} equals the instance's value "
                             f"{float(instance[present])!r} to condition on it; got none")
        return rows

    out = np.empty((len(instances), 2))
    for n, instance in enumerate(instances):
        empty = mean_output(instance, data, [i, j])
        only_i = mean_output(instance, rows_for(instance, i), [j])
        only_j = mean_output(instance, rows_for(instance, j), [i])
        full = float(np.ravel(model(instance[None, :]))[0])
        out[n] = [(only_i - empty + full - only_j) / 2, (only_j - empty + full - only_i) / 2]
    return out
