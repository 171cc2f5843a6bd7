"""How much a release lost: information loss of generalized columns, counting suppressed records.

The measure is the *loss metric* of Iyengar (2002), computed from the data: a
record whose value ``v`` was generalized to ``g`` loses
``(m(g) - 1) / (M - 1)``, where ``m(g)`` is the number of distinct original
values that the release merged into ``g`` and ``M`` the number of distinct
values the column has. An exact value loses 0, ``"*"`` loses 1, and a
suppressed record loses 1 in every column. Used by lesson 02.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._checks import check_columns, check_frame

__all__ = ["information_loss", "suppressed_share"]


def _column_loss(original: pd.Series, released: pd.Series) -> np.ndarray:
    """Loss per released record for one column (``released`` indexed like a subset of ``original``)."""
    distinct = original.astype(object).nunique(dropna=False)
    if distinct <= 1 or len(released) == 0:
        return np.zeros(len(released))
    pairs = pd.DataFrame({"value": original.loc[released.index].astype(object), "to": released.astype(object)})
    merged = pairs.groupby("to", dropna=False, sort=False)["value"].transform(lambda s: s.nunique(dropna=False))
    return (merged.to_numpy(dtype=float) - 1) / (distinct - 1)


def information_loss(original: pd.DataFrame, released: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Average loss per column, over all original records (suppressed ones lose 1).

    Parameters
    ----------
    original : pandas.DataFrame
        The table before generalization.
    released : pandas.DataFrame
        The release: generalized columns, and only the rows that were not
        suppressed, with their original index labels.
    columns : list of str
        The generalized columns (quasi-identifiers).

    Returns
    -------
    pandas.Series
        One loss in [0, 1] per column; ``.mean()`` gives one number for the release.

    Examples
    --------
    >>> original = pd.DataFrame({"age": [31, 32, 47, 48], "sex": ["F", "M", "F", "M"]})
    >>> released = pd.DataFrame({"age": ["30-39", "30-39", "40-49"], "sex": ["*", "*", "*"]}, index=[0, 1, 2])
    >>> information_loss(original, released, ["age", "sex"]).round(3).to_dict()
    {'age': 0.417, 'sex': 1.0}
    """
    check_frame("original", original)
    check_frame("released", released, allow_empty=True)
    chosen = check_columns("columns", columns, original, "original")
    check_columns("columns", chosen, released, "released")
    if not released.index.is_unique or not released.index.isin(original.index).all():
        raise ValueError(
            "released must keep the original index labels of the rows it holds; got labels not in original"
        )
    n_suppressed = len(original) - len(released)
    losses = {
        column: (_column_loss(original[column], released[column]).sum() + n_suppressed) / len(original)
        for column in chosen
    }
    return pd.Series(losses, name="information_loss")


def suppressed_share(original: pd.DataFrame, released: pd.DataFrame) -> float:
    """The share of the original records that the release left out.

    Examples
    --------
    >>> suppressed_share(pd.DataFrame({"a": range(4)}), pd.DataFrame({"a": [0, 1, 2]}))
    0.25
    """
    check_frame("original", original)
    check_frame("released", released, allow_empty=True)
    if len(released) > len(original):
        raise ValueError(f"released must not have more rows than original ({len(original)}); got {len(released)}")
    return 1 - len(released) / len(original)
