"""k-anonymity and l-diversity: equivalence classes, their sizes, and the homogeneity attack.

An *equivalence class* is a set of records that share the same values of the
quasi-identifiers (the columns an attacker can know from elsewhere: age, sex,
zip code, ...). A table is *k-anonymous* if every class holds at least k
records (Samarati & Sweeney 1998; Sweeney 2002), and *distinct l-diverse* if
every class holds at least l different values of the sensitive column
(Machanavajjhala et al. 2007). Missing values count as a value of their own.
Used by lesson 02.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._validation import check_number
from ._checks import check_column, check_columns, check_frame

__all__ = [
    "class_ids",
    "class_sizes",
    "equivalence_classes",
    "smallest_k",
    "share_unique",
    "l_diversity",
    "smallest_l",
    "homogeneous_classes",
    "share_homogeneous",
]


def class_ids(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> np.ndarray:
    """Number each record's equivalence class: 0, 1, ... in sorted order of the class values.

    Parameters
    ----------
    frame : pandas.DataFrame
    quasi_identifiers : list of str
        Columns of ``frame``.

    Returns
    -------
    numpy.ndarray of int, one entry per row of ``frame``

    Examples
    --------
    >>> table = pd.DataFrame({"age": [30, 30, 40], "sex": ["F", "F", "M"]})
    >>> class_ids(table, ["age", "sex"]).tolist()
    [0, 0, 1]
    """
    check_frame("frame", frame, allow_empty=True)
    columns = check_columns("quasi_identifiers", quasi_identifiers, frame, "frame")
    if len(frame) == 0:
        return np.zeros(0, dtype=np.int64)
    return frame.groupby(columns, observed=True, dropna=False, sort=True).ngroup().to_numpy(dtype=np.int64)


def class_sizes(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.Series:
    """The size of each record's equivalence class (its own k), aligned with ``frame``'s index.

    Examples
    --------
    >>> table = pd.DataFrame({"age": [30, 30, 40], "sex": ["F", "F", "M"]})
    >>> class_sizes(table, ["age", "sex"]).tolist()
    [2, 2, 1]
    """
    ids = class_ids(frame, quasi_identifiers)
    return pd.Series(np.bincount(ids)[ids] if len(ids) else ids, index=frame.index, name="k")


def equivalence_classes(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.DataFrame:
    """One row per equivalence class: its quasi-identifier values and its size ``k``, largest first.

    Examples
    --------
    >>> table = pd.DataFrame({"age": [30, 30, 40], "sex": ["F", "F", "M"]})
    >>> equivalence_classes(table, ["age", "sex"]).to_dict("records")
    [{'age': 30, 'sex': 'F', 'k': 2}, {'age': 40, 'sex': 'M', 'k': 1}]
    """
    check_frame("frame", frame)
    columns = check_columns("quasi_identifiers", quasi_identifiers, frame, "frame")
    sizes = frame.groupby(columns, observed=True, dropna=False, sort=True).size().rename("k").reset_index()
    return sizes.sort_values("k", ascending=False, kind="stable").reset_index(drop=True)


def smallest_k(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> int:
    """The k for which ``frame`` is k-anonymous: the size of its smallest equivalence class.

    Examples
    --------
    >>> table = pd.DataFrame({"age": [30, 30, 40, 40, 40], "sex": ["F", "F", "M", "M", "M"]})
    >>> smallest_k(table, ["age", "sex"])
    2
    """
    check_frame("frame", frame)
    return int(class_sizes(frame, quasi_identifiers).min())


def share_unique(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> float:
    """The share of records that are alone in their equivalence class (unique on the quasi-identifiers).

    Examples
    --------
    >>> table = pd.DataFrame({"age": [30, 30, 40, 50], "sex": ["F", "F", "M", "M"]})
    >>> share_unique(table, ["age", "sex"])
    0.5
    """
    check_frame("frame", frame)
    return float((class_sizes(frame, quasi_identifiers) == 1).mean())


def _distinct_per_class(frame: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: str) -> pd.DataFrame:
    check_frame("frame", frame)
    columns = check_columns("quasi_identifiers", quasi_identifiers, frame, "frame")
    check_column("sensitive", sensitive, frame, "frame")
    if sensitive in columns:
        raise ValueError(f"sensitive must not be one of the quasi_identifiers {columns}; got {sensitive!r}")
    grouped = frame.groupby(columns, observed=True, dropna=False, sort=True)[sensitive]
    table = pd.DataFrame({"k": grouped.size(), "l": grouped.nunique(dropna=False)})
    return table.reset_index()


def l_diversity(frame: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: str) -> pd.DataFrame:
    """One row per equivalence class: its values, its size ``k`` and its distinct l-diversity ``l``.

    ``l`` is the number of different values of ``sensitive`` in the class.

    Examples
    --------
    >>> table = pd.DataFrame({"zip": ["130", "130", "148", "148"], "income": [0, 1, 0, 0]})
    >>> l_diversity(table, ["zip"], "income").to_dict("records")
    [{'zip': '130', 'k': 2, 'l': 2}, {'zip': '148', 'k': 2, 'l': 1}]
    """
    return _distinct_per_class(frame, quasi_identifiers, sensitive)


def smallest_l(frame: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: str) -> int:
    """The l for which ``frame`` is distinct l-diverse: the fewest sensitive values in any class.

    Examples
    --------
    >>> table = pd.DataFrame({"zip": ["130", "130", "148", "148"], "income": [0, 1, 0, 0]})
    >>> smallest_l(table, ["zip"], "income")
    1
    """
    return int(_distinct_per_class(frame, quasi_identifiers, sensitive)["l"].min())


def homogeneous_classes(
    frame: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: str, *, min_k: int = 2
) -> pd.DataFrame:
    """Classes of at least ``min_k`` records that all share one sensitive value: the homogeneity attack.

    Anyone who knows that a person is in such a class learns their sensitive
    value, however large k is (Machanavajjhala et al. 2007). Largest first.

    Parameters
    ----------
    frame : pandas.DataFrame
    quasi_identifiers : list of str
    sensitive : str
        The column the attacker wants to learn (e.g. the income label).
    min_k : int, default 2
        Ignore classes smaller than this (a class of one is a re-identification already).

    Returns
    -------
    pandas.DataFrame
        The quasi-identifier values, ``k`` and the shared value in a column named ``sensitive``.

    Examples
    --------
    >>> table = pd.DataFrame({"zip": ["130", "130", "148", "148"], "income": [0, 1, 0, 0]})
    >>> homogeneous_classes(table, ["zip"], "income").to_dict("records")
    [{'zip': '148', 'k': 2, 'income': 0}]
    """
    table = _distinct_per_class(frame, quasi_identifiers, sensitive)
    check_number("min_k", min_k, low=1, integer=True)
    columns = list(quasi_identifiers)
    first = frame.groupby(columns, observed=True, dropna=False, sort=True)[sensitive].first().reset_index(drop=True)
    table[sensitive] = first.to_numpy()
    chosen = table[(table["l"] == 1) & (table["k"] >= min_k)].drop(columns="l")
    return chosen.sort_values("k", ascending=False, kind="stable").reset_index(drop=True)


def share_homogeneous(frame: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: str) -> float:
    """The share of records whose class has a single sensitive value (their value is disclosed).

    Counts every record in a class with l = 1, including classes of one.

    Examples
    --------
    >>> table = pd.DataFrame({"zip": ["130", "130", "148", "148"], "income": [0, 1, 0, 0]})
    >>> share_homogeneous(table, ["zip"], "income")
    0.5
    """
    table = _distinct_per_class(frame, quasi_identifiers, sensitive)
    return float(table.loc[table["l"] == 1, "k"].sum() / table["k"].sum())
