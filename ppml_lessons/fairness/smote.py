"""SMOTE and SMOTENC by (group, label) cell (lesson 08), re-exported by :mod:`.mitigation`.

:func:`smote_cells` reaches the cell sizes of
:func:`~.mitigation.parity_cell_targets` with synthetic rows, group by group,
keeping every original row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn import config_context

from .._validation import check_number
from ..environment import make_rng
from ._arrays import cells_table

__all__ = ["smote_cells"]


#: scikit-learn's chunk size (MB) for the neighbour search: its default (1 GB) alone would exceed a
#: learner's 2 GB budget.
_WORKING_MEMORY_MB = 128
_MISSING = "(missing)"  # stands for NaN in a categorical column while SMOTENC runs


def _mixed_frame(x: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str], pd.Series, pd.Series]:
    """``x`` ready for SMOTENC: numeric columns standardized, NaN categories made explicit; and how to undo it."""
    categorical = [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c]) or x[c].dtype == bool]
    numeric = [c for c in x.columns if c not in categorical]
    if not numeric:
        raise ValueError(
            "x must have at least one numeric column for SMOTENC; got only categorical columns "
            f"{categorical}. SMOTENC is not designed for purely categorical data"
        )
    frame = x.reset_index(drop=True).copy()
    mean, std = frame[numeric].mean(), frame[numeric].std().replace(0, 1.0)
    frame[numeric] = (frame[numeric] - mean) / std  # distances in units of each column's spread
    for column in categorical:
        values = frame[column].astype(object)
        frame[column] = values.where(values.notna(), _MISSING).astype(str).astype("category")
    return frame, numeric, categorical, mean, std


def _restore(synthetic: pd.DataFrame, x: pd.DataFrame, numeric: list[str], categorical: list[str],
             mean: pd.Series, std: pd.Series) -> pd.DataFrame:
    """Undo :func:`_mixed_frame` on synthetic rows: original units, NaN and dtypes back."""
    out = synthetic.reset_index(drop=True).copy()
    out[numeric] = out[numeric] * std + mean
    for column in categorical:
        values = out[column].astype(object)
        values = values.where(values != _MISSING, np.nan)
        if isinstance(x[column].dtype, pd.CategoricalDtype):
            by_name = {str(c): c for c in x[column].cat.categories}
            out[column] = pd.Categorical(values.map(by_name), categories=x[column].cat.categories)
        else:
            by_name = {str(v): v for v in pd.unique(x[column].dropna())}
            out[column] = values.map(by_name).astype(x[column].dtype)
    for column in numeric:
        if pd.api.types.is_float_dtype(x[column]):
            out[column] = out[column].astype(x[column].dtype)
    return out[list(x.columns)]


def smote_cells(
    x: Any,
    y: Any,
    *,
    sensitive_features: Any,
    targets: pd.DataFrame,
    k_neighbors: int = 5,
    rng: np.random.Generator | int | None = None,
) -> tuple[Any, np.ndarray, np.ndarray]:
    """Reach per-(group, label) targets with SMOTE group by group, keeping the original rows (lesson 08).

    Within each group, the label that needs rows gets synthetic ones, each
    between a real row of that cell and one of its ``k_neighbors`` nearest
    neighbours in the same cell:

    - ``x`` a numeric array: imbalanced-learn's ``SMOTE`` interpolates every
      column. On one-hot columns that gives fractional categories (a row that
      is 0.3 "Married"), one of SMOTE's known failures on tabular data;
    - ``x`` a DataFrame with categorical (or string) columns: ``SMOTENC``
      (Chawla et al. 2002, section 6.1) interpolates the numeric columns and
      gives each categorical column the most frequent category among the
      neighbours, so synthetic rows hold real categories. Numeric columns are
      standardized for the neighbour search and returned in their own units;
      a missing category (NaN) is treated as a category of its own; integer
      columns come back as floats.

    Parameters
    ----------
    x : array-like of shape (n, d), or pandas.DataFrame
        Numeric features, or raw mixed columns (e.g. Adult's feature columns).
    y : array-like of 0/1, shape (n,)
    sensitive_features : array-like or Series, shape (n,)
        One group per row.
    targets : pandas.DataFrame
        As returned by :func:`parity_cell_targets` (columns ``group``, ``label``, ``target``).
    k_neighbors : int, default 5
    rng : numpy.random.Generator, int or None

    Returns
    -------
    x_new, y_new, groups_new
        The original rows first (unchanged, in order), then the synthetic
        ones; ``x_new`` is a DataFrame (index 0..n_new-1) when ``x`` is one.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x, g = rng.normal(size=(40, 2)), np.repeat(["a", "b"], 20)
    >>> y = np.r_[np.ones(5), np.zeros(15), np.ones(10), np.zeros(10)].astype(int)
    >>> from ppml_lessons.fairness.mitigation import parity_cell_targets
    >>> targets = parity_cell_targets(y, sensitive_features=g)
    >>> x_new, y_new, g_new = smote_cells(x, y, sensitive_features=g, targets=targets, k_neighbors=3, rng=0)
    >>> bool((x_new[:40] == x).all()), pd.crosstab(g_new, y_new).to_numpy().tolist()
    (True, [[15, 9], [17, 10]])
    >>> mixed = pd.DataFrame({"age": x[:, 0], "job": rng.choice(["a", "b", "c"], 40)})
    >>> x_new, _, _ = smote_cells(mixed, y, sensitive_features=g, targets=targets, k_neighbors=3, rng=0)
    >>> len(x_new), sorted(x_new["job"].unique())
    (51, ['a', 'b', 'c'])
    """
    from imblearn.over_sampling import SMOTE, SMOTENC

    labels, codes, groups, table = cells_table(y, sensitive_features)
    check_number("k_neighbors", k_neighbors, low=1, integer=True)
    if not isinstance(targets, pd.DataFrame) or not {"group", "label", "target"} <= set(targets.columns):
        raise TypeError("targets must be a DataFrame with columns group, label, target (see parity_cell_targets)")
    mixed = isinstance(x, pd.DataFrame) and any(
        not pd.api.types.is_numeric_dtype(x[c]) or x[c].dtype == bool for c in x.columns
    )
    if mixed:
        if len(x) != len(labels):
            raise ValueError(f"x must have one row per label ({len(labels)}); got {len(x)} rows")
        features, numeric, categorical, mean, std = _mixed_frame(x)
    else:
        features = np.asarray(x, dtype=np.float64)
        if features.ndim != 2 or len(features) != len(labels):
            raise ValueError(f"x must be a 2-D array with one row per label ({len(labels)}); got shape {features.shape}")
    generator = make_rng(rng)
    new_x, new_y, new_g = [], [labels], [np.asarray(groups)[codes]]
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
        seed = int(generator.integers(2**31 - 1))
        if mixed:
            sampler = SMOTENC(categorical_features=categorical, sampling_strategy={label: wanted[label]},
                              k_neighbors=k_neighbors, random_state=seed)
            with config_context(working_memory=_WORKING_MEMORY_MB):
                x_res, y_res = sampler.fit_resample(features[member], labels[member])
        else:
            sampler = SMOTE(sampling_strategy={label: wanted[label]}, k_neighbors=k_neighbors, random_state=seed)
            with config_context(working_memory=_WORKING_MEMORY_MB):
                x_res, y_res = sampler.fit_resample(features[member], labels[member])
        added = slice(int(member.sum()), None)  # imbalanced-learn appends the synthetic rows after the originals
        new_x.append(x_res.iloc[added] if mixed else x_res[added])
        new_y.append(np.asarray(y_res[added], dtype=np.int64))
        new_g.append(np.full(len(y_res[added]), group, dtype=object))
    if mixed:
        synthetic = [_restore(part, x, numeric, categorical, mean, std) for part in new_x]
        x_out = pd.concat([x.reset_index(drop=True), *synthetic], ignore_index=True)
    else:
        x_out = np.concatenate([features, *new_x])
    return x_out, np.concatenate(new_y), np.concatenate(new_g)
