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
  between neighbours of the same cell by imbalanced-learn's ``SMOTE``.

The other two families of lesson 08 live in :mod:`.penalty` (a fairness
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
from ._arrays import as_1d, binary_labels, group_codes
from .penalty import fairness_penalty, fit_with_fairness_penalty
from .postprocessing import EqualizedOddsPostprocessor, ScoreColumn, expected_disparities, group_rates

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


def _cells(y: Any, sensitive_features: Any) -> tuple[np.ndarray, np.ndarray, pd.Index, np.ndarray]:
    """Labels, group codes, group labels and the (groups x 2) table of cell counts; every cell must be non-empty."""
    labels = binary_labels("y", y)
    codes, groups = group_codes(sensitive_features, length=len(labels), length_of="y")
    table = np.zeros((len(groups), 2), dtype=np.int64)
    np.add.at(table, (codes, labels), 1)
    empty = [(groups[g], label) for g, label in zip(*np.nonzero(table == 0))]
    if empty:
        raise ValueError(
            f"sensitive_features and y must give every (group, label) cell at least one row; got empty cells {empty}. "
            "No weight or resampling can make the label independent of the group then"
        )
    return labels, codes, groups, table


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
    labels, codes, _, table = _cells(y, sensitive_features)
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
    labels, _, groups, table = _cells(y, sensitive_features)
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


def smote_cells(
    x: Any,
    y: Any,
    *,
    sensitive_features: Any,
    targets: pd.DataFrame,
    k_neighbors: int = 5,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reach per-(group, label) targets with SMOTE group by group, keeping the original rows (lesson 08).

    Within each group, imbalanced-learn's ``SMOTE`` adds synthetic rows to the
    label that needs them, each on the segment between a real row of that cell
    and one of its ``k_neighbors`` nearest neighbours in the same cell. SMOTE
    needs numeric features: pass encoded ones (e.g. from
    :func:`ppml_lessons.data.features.encode_adult`); interpolated one-hot
    columns become fractional, one of SMOTE's known limits on tabular data.

    Parameters
    ----------
    x : array-like, shape (n, d)
        Numeric features.
    y : array-like of 0/1, shape (n,)
    sensitive_features : array-like or Series, shape (n,)
        One group per row.
    targets : pandas.DataFrame
        As returned by :func:`parity_cell_targets` (columns ``group``, ``label``, ``target``).
    k_neighbors : int, default 5
    rng : numpy.random.Generator, int or None

    Returns
    -------
    x_new, y_new, groups_new : numpy.ndarray
        The original rows first (unchanged, in order), then the synthetic ones.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x, g = rng.normal(size=(40, 2)), np.repeat(["a", "b"], 20)
    >>> y = np.r_[np.ones(5), np.zeros(15), np.ones(10), np.zeros(10)].astype(int)
    >>> targets = parity_cell_targets(y, sensitive_features=g)
    >>> x_new, y_new, g_new = smote_cells(x, y, sensitive_features=g, targets=targets, k_neighbors=3, rng=0)
    >>> bool((x_new[:40] == x).all()), pd.crosstab(g_new, y_new).to_numpy().tolist()
    (True, [[15, 9], [17, 10]])
    """
    from imblearn.over_sampling import SMOTE

    labels, codes, groups, table = _cells(y, sensitive_features)
    features = np.asarray(x, dtype=np.float64)
    if features.ndim != 2 or len(features) != len(labels):
        raise ValueError(f"x must be a 2-D array with one row per label ({len(labels)}); got shape {features.shape}")
    check_number("k_neighbors", k_neighbors, low=1, integer=True)
    if not isinstance(targets, pd.DataFrame) or not {"group", "label", "target"} <= set(targets.columns):
        raise TypeError("targets must be a DataFrame with columns group, label, target (see parity_cell_targets)")
    generator = make_rng(rng)
    new_x, new_y, new_g = [features], [labels], [np.asarray(groups)[codes]]
    for g, group in enumerate(groups):
        rows = targets[targets["group"] == group].set_index("label")["target"]
        wanted = {label: int(rows.get(label, table[g, label])) for label in (0, 1)}
        for label in (0, 1):
            if wanted[label] < table[g, label]:
                raise ValueError(
                    f"targets must not be below the current cell size; got {wanted[label]} for {(group, label)}"
                )
        grow = [label for label in (0, 1) if wanted[label] > table[g, label]]
        if not grow:
            continue
        label = grow[0]
        if table[g, label] <= k_neighbors:
            raise ValueError(
                f"k_neighbors must be smaller than the cell size; got {k_neighbors} for cell {(group, label)} "
                f"with {table[g, label]} rows"
            )
        member = codes == g
        smote = SMOTE(
            sampling_strategy={label: wanted[label]},
            k_neighbors=k_neighbors,
            random_state=int(generator.integers(2**31 - 1)),
        )
        x_res, y_res = smote.fit_resample(features[member], labels[member])
        added = slice(int(member.sum()), None)  # imbalanced-learn appends the synthetic rows after the originals
        new_x.append(x_res[added])
        new_y.append(np.asarray(y_res[added], dtype=np.int64))
        new_g.append(np.full(len(y_res[added]), group, dtype=object))
    return np.concatenate(new_x), np.concatenate(new_y), np.concatenate(new_g)
