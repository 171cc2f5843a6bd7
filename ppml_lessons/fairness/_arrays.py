"""Array checks shared by the fairness modules (lessons 07 and 08).

Every message follows the package's template (see :mod:`ppml_lessons._validation`):
the argument's name, what is allowed, what was received.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["as_1d", "binary_labels", "probabilities", "group_codes", "cells_table"]


def _preview(values: np.ndarray, limit: int = 6) -> str:
    shown = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in values[:limit])
    return f"[{shown}{', ...' if len(values) > limit else ''}]"


def as_1d(name: str, values: Any, *, length: int | None = None, length_of: str = "y_true") -> np.ndarray:
    """Convert an array-like (list, NumPy array, pandas Series, torch tensor) to a 1-D NumPy array.

    Raises ``ValueError`` naming ``name`` if it is not one-dimensional, is empty,
    or (when ``length`` is given) does not have ``length`` entries like ``length_of``.

    Examples
    --------
    >>> as_1d("y_pred", [1, 0, 1], length=3)
    array([1, 0, 1])
    """
    if isinstance(values, (str, bytes, dict)) or values is None:
        raise TypeError(f"{name} must be a 1-D array-like (list, array, Series); got {type(values).__name__}")
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    array = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got an array of shape {array.shape}")
    if len(array) == 0:
        raise ValueError(f"{name} must hold at least one value; got an empty array")
    if length is not None and len(array) != length:
        raise ValueError(f"{name} must have the same length as {length_of} ({length}); got {len(array)}")
    return array


def _nan_mask(array: np.ndarray) -> np.ndarray:
    return np.asarray(pd.isna(array), dtype=bool)


def binary_labels(name: str, values: Any, *, length: int | None = None, length_of: str = "y_true") -> np.ndarray:
    """Check that ``values`` holds binary labels (0/1 or False/True) without NaN; return them as ``int64``.

    Examples
    --------
    >>> binary_labels("y_true", [True, False, True])
    array([1, 0, 1])
    """
    array = as_1d(name, values, length=length, length_of=length_of)
    missing = _nan_mask(array)
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"{name} must hold binary labels 0/1 without NaN; got {int(missing.sum())} NaN value(s), "
            f"the first at position {first}"
        )
    if array.dtype == bool:
        return array.astype(np.int64)
    try:
        unique = np.unique(array)
    except TypeError:  # mixed types that cannot be sorted
        unique = np.asarray(pd.unique(array), dtype=object)
    if not set(unique.tolist()) <= {0, 1}:
        raise ValueError(
            f"{name} must hold binary labels 0/1 (or False/True); got values {_preview(unique)}. "
            "Threshold scores first, e.g. (scores >= 0.5).astype(int)"
        )
    return array.astype(np.int64)


#: Rounding slack of :func:`probabilities`: a score this far outside [0, 1] is rounding error, and is clipped.
PROBABILITY_SLACK = 16 * np.finfo(np.float64).eps  # 16 ulps of 1.0, about 3.6e-15


def probabilities(name: str, values: Any, *, length: int | None = None, length_of: str = "y_true") -> np.ndarray:
    """Check that ``values`` holds probabilities in [0, 1] without NaN; return them as ``float64``.

    Floating-point arithmetic can push a probability a few ulps past its
    bounds (a weighted mixture of 1.0s that sums to 1.0000000000000022):
    values within :data:`PROBABILITY_SLACK` of [0, 1] are clipped to it, and
    anything further out is an error.

    Examples
    --------
    >>> probabilities("y_score", [0.2, 0.9])
    array([0.2, 0.9])
    >>> probabilities("y_score", [1.0000000000000022, -1e-17])
    array([1., 0.])
    """
    array = as_1d(name, values, length=length, length_of=length_of)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers in [0, 1]; got values of dtype {array.dtype}")
    array = array.astype(np.float64)
    missing = np.isnan(array)
    if missing.any():
        raise ValueError(
            f"{name} must hold probabilities in [0, 1] without NaN; got {int(missing.sum())} NaN value(s), "
            f"the first at position {int(np.flatnonzero(missing)[0])}"
        )
    if array.min() < -PROBABILITY_SLACK or array.max() > 1 + PROBABILITY_SLACK:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1]; got values from {array.min()!r} to {array.max()!r}"
        )
    return np.clip(array, 0.0, 1.0)


def group_codes(
    sensitive_features: Any, *, length: int, length_of: str = "y_true", name: str = "sensitive_features"
) -> tuple[np.ndarray, pd.Index]:
    """Number the groups defined by one or several sensitive features.

    A ``DataFrame`` with several columns defines intersectional groups (every
    combination that occurs in the data). Groups are sorted (categories in
    their declared order). A category with no row at all is an *empty group*
    and raises ``ValueError``, as does a missing value.

    Returns
    -------
    codes : numpy.ndarray of int, shape (length,)
        The group number of every row, in ``0 .. len(groups) - 1``.
    groups : pandas.Index or pandas.MultiIndex
        The group labels, named after the feature(s).

    Examples
    --------
    >>> codes, groups = group_codes(pd.Series(["b", "a", "b"], name="g"), length=3)
    >>> codes.tolist(), list(groups)
    ([1, 0, 1], ['a', 'b'])
    """
    if isinstance(sensitive_features, pd.Categorical):
        sensitive_features = pd.Series(sensitive_features, name="group")
    if isinstance(sensitive_features, pd.DataFrame):
        frame = sensitive_features.reset_index(drop=True)
        if frame.shape[1] == 0:
            raise ValueError(f"{name} must have at least one column; got a DataFrame with none")
        if len(frame) != length:
            raise ValueError(f"{name} must have the same length as {length_of} ({length}); got {len(frame)}")
    elif isinstance(sensitive_features, pd.Series):
        series = sensitive_features.reset_index(drop=True)
        frame = series.to_frame(name=series.name if series.name is not None else "group")
        as_1d(name, series, length=length, length_of=length_of)
    else:
        frame = pd.DataFrame({"group": as_1d(name, sensitive_features, length=length, length_of=length_of)})
    columns = list(frame.columns)
    for column in columns:
        values = frame[column]
        missing = values.isna()
        if missing.any():
            raise ValueError(
                f"{name} must not contain missing values; got {int(missing.sum())} NaN value(s) in {column!r}, "
                f"the first at position {int(np.flatnonzero(missing.to_numpy())[0])}"
            )
        if isinstance(values.dtype, pd.CategoricalDtype):
            counts = values.value_counts(sort=False)
            empty = counts.index[counts.to_numpy() == 0].tolist()
            if empty:
                raise ValueError(
                    f"{name} must give every group at least one row; got 0 rows for {empty} in {column!r}. "
                    "A metric on an empty group is undefined: if leaving the group out is intended, "
                    "call .cat.remove_unused_categories() first"
                )
    grouped = frame.groupby(columns, observed=True, sort=True)
    codes = grouped.ngroup().to_numpy()
    groups = grouped.size().index
    return codes, groups


def cells_table(y: Any, sensitive_features: Any) -> tuple[np.ndarray, np.ndarray, pd.Index, np.ndarray]:
    """Labels, group codes, group labels and the (groups x 2) table of cell counts; every cell must be non-empty.

    Used by the pre-processing methods of lesson 08.
    """
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
