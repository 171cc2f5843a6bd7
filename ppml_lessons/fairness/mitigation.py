"""Pre-processing mitigation (lesson 08): Kamiran–Calders reweighing, random oversampling and SMOTE by cell.

All three act on the *training data* only, before any model is fitted:

- :func:`reweighing_weights` gives every row the weight
  ``P(group) P(label) / P(group, label)`` (Kamiran & Calders 2012), so that in
  the weighted data the label is exactly independent of the group;
- :func:`parity_cell_targets` says how many rows each (group, label) cell needs
  so that every group has the overall base rate, *adding* rows only;
- :func:`oversample_indices` reaches such targets by drawing extra copies of
  existing rows at random (the original rows are all kept, once, first);
- :func:`smote_cells` reaches them with synthetic rows instead, interpolated
  between neighbours of the same cell by imbalanced-learn's ``SMOTE`` (numeric
  features) or ``SMOTENC`` (a DataFrame with categorical columns: a synthetic
  row takes an existing category, never a fraction of one).

:func:`smote_cells` lives in :mod:`.smote`; the other two families of lesson 08 live in
:mod:`.penalty` (a fairness
penalty in the training loss) and :mod:`.postprocessing` (group-specific
randomized thresholds for equalized odds); they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_number
from ..environment import make_rng
from ._arrays import cells_table
from .penalty import fairness_penalty, fit_with_fairness_penalty
from .postprocessing import EqualizedOddsPostprocessor, ScoreColumn, expected_disparities, group_rates
from .smote import smote_cells

__all__ = [
    "reweighing_weights",
    "parity_cell_targets",
    "oversample_indices",
    "smote_cells",
    "fairness_penalty",
    "fit_with_fairness_penalty",
    "EqualizedOddsPostprocessor",
    "ScoreColumn",
    "group_rates",
    "expected_disparities",
]


def reweighing_weights(y: Any, *, sensitive_features: Any) -> np.ndarray:
    """Kamiran–Calders weights: ``w(g, y) = P(g) P(y) / P(g, y)`` for every row (lesson 08).

    A row of a cell that is rarer than independence predicts (women with a
    high income) gets a weight above 1, a row of a cell that is too common a
    weight below 1. In the weighted data every cell's total weight is
    ``n_g n_y / n``, so the label is exactly independent of the group, and the
    weights sum to ``n``.

    Parameters
    ----------
    y : array-like of 0/1, shape (n,)
        Training labels.
    sensitive_features : array-like, Series or DataFrame, shape (n,)
        The group of every row (several columns: intersectional groups).

    Returns
    -------
    numpy.ndarray of float, shape (n,)
        Pass it as ``sample_weight`` to the model's ``fit``.

    Raises
    ------
    ValueError
        If a (group, label) cell has no row (no weight can fix that).

    Examples
    --------
    >>> reweighing_weights([1, 0, 0, 0, 1, 1, 0, 1], sensitive_features=list("aaaabbbb")).round(3).tolist()
    [2.0, 0.667, 0.667, 0.667, 0.667, 0.667, 2.0, 0.667]
    """
    labels, codes, _, table = cells_table(y, sensitive_features)
    n = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n  # n_g n_y / n: the count under independence
    return (expected / table)[codes, labels]


def parity_cell_targets(y: Any, *, sensitive_features: Any, base_rate: float | None = None) -> pd.DataFrame:
    """Cell sizes that give every group the same base rate by *adding* rows only (lesson 08).

    A group whose positive rate is below ``base_rate`` gets extra positives,
    ``a = (p n_g - n_g1) / (1 - p)`` rounded to the nearest integer; a group
    above it gets extra negatives, ``b = n_g1 / p - n_g``. No cell shrinks, so
    no original row is lost.

    Parameters
    ----------
    y : array-like of 0/1, shape (n,)
    sensitive_features : array-like, Series or DataFrame, shape (n,)
    base_rate : float in (0, 1), optional
        The positive rate every group should reach; the overall rate of ``y`` by default.

    Returns
    -------
    pandas.DataFrame
        One row per (group, label) cell: ``group``, ``label``, ``count`` (now),
        ``target`` (after oversampling) and ``added``.

    Examples
    --------
    >>> targets = parity_cell_targets([1, 0, 0, 0, 1, 1, 0, 1], sensitive_features=list("aaaabbbb"))
    >>> targets["target"].tolist(), targets["added"].tolist()
    ([3, 3, 3, 3], [0, 2, 2, 0])
    """
    labels, _, groups, table = cells_table(y, sensitive_features)
    p = table[:, 1].sum() / table.sum() if base_rate is None else check_number(
        "base_rate", base_rate, low=0, high=1, low_open=True, high_open=True
    )
    target = table.copy()
    for g, (n0, n1) in enumerate(table):
        n_g = n0 + n1
        if n1 / n_g < p:
            target[g, 1] = n1 + max(0, round((p * n_g - n1) / (1 - p)))
        else:
            target[g, 0] = n0 + max(0, round(n1 / p - n_g))
    rows = [
        {"group": groups[g], "label": label, "count": int(table[g, label]), "target": int(target[g, label])}
        for g in range(len(groups))
        for label in (0, 1)
    ]
    frame = pd.DataFrame(rows)
    frame["added"] = frame["target"] - frame["count"]
    return frame


def oversample_indices(
    cells: Any, targets: Mapping[Hashable, int], *, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """Row indices that bring each cell up to its target size by drawing extra copies at random (lesson 08).

    Every original row appears once, in order, first; the extra copies follow,
    drawn with replacement from the rows of their own cell. Cells not in
    ``targets`` are left alone. Works for any cell key: a (group, label) pair
    on Adult, a class on Fashion-MNIST.

    Parameters
    ----------
    cells : array-like, shape (n,)
        The cell of every row (any hashable values; tuples for pairs are fine).
    targets : mapping
        Cell -> size after oversampling; at least the cell's current size.
    rng : numpy.random.Generator, int or None
        Source of randomness (see :func:`ppml_lessons.environment.make_rng`).

    Returns
    -------
    numpy.ndarray of int
        ``np.arange(n)`` followed by the indices of the added copies.

    Examples
    --------
    >>> oversample_indices(["a", "a", "b"], {"b": 3}, rng=0).tolist()
    [0, 1, 2, 2, 2]
    """
    if isinstance(cells, (str, bytes, Mapping)) or not hasattr(cells, "__len__"):
        raise TypeError(f"cells must be a 1-D sequence of cell keys (list, array, Series); got {type(cells).__name__}")
    keys = cells.tolist() if hasattr(cells, "tolist") else list(cells)
    if len(keys) == 0:
        raise ValueError("cells must hold at least one value; got an empty sequence")
    if not isinstance(targets, Mapping):
        raise TypeError(f"targets must be a mapping from cell to target size; got {type(targets).__name__}")
    members: dict[Hashable, list[int]] = {}
    for index, key in enumerate(keys):
        members.setdefault(key, []).append(index)
    generator = make_rng(rng)
    extra = []
    for cell, target in targets.items():
        if cell not in members:
            raise ValueError(f"targets must name cells that occur in cells; got {cell!r}, which has no row")
        check_number(f"targets[{cell!r}]", target, low=len(members[cell]), integer=True)
        extra.append(generator.choice(members[cell], size=int(target) - len(members[cell]), replace=True))
    return np.concatenate([np.arange(len(cells)), *extra]).astype(np.int64)
