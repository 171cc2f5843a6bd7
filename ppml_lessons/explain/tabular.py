"""Adult for tree models and explainers (lesson 09): ordinal inputs, the boosted model, attribution tables, timing.

Exact Shapley values need at most ten features, so lesson 09's tree model reads
the ten Adult columns in :data:`ADULT_TREE_FEATURES` as numbers (category codes
for the categorical ones). The logistic regression of lessons 07-08 keeps its
one-hot inputs; :func:`one_hot_groups` says which column each encoded input
came from, so that :func:`sum_by_group` can add its attributions back up. For a
linear model explained interventionally the sum is exactly the column's Shapley
value (the column played as one player): the log-odds are a sum of one term per
column, so the game splits into one game per column (linearity of Shapley values
in the game, not the additivity axiom). For models with interactions across
columns the sum is an approximation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier

from .._validation import check_number, check_type
from ..data.features import ADULT_CATEGORICAL, ADULT_TARGET
from ..environment import make_rng

__all__ = [
    "ADULT_TREE_FEATURES",
    "OrdinalSplit",
    "encode_adult_ordinal",
    "adult_gradient_boosting",
    "one_hot_groups",
    "sum_by_group",
    "mean_abs_importance",
    "attribution_gap",
    "time_per_explanation",
]

#: The ten Adult columns the lesson's tree model reads (no fnlwgt, education (= education_num), workclass, country).
ADULT_TREE_FEATURES: tuple[str, ...] = (
    "age", "education_num", "marital_status", "occupation", "relationship",
    "race", "sex", "capital_gain", "capital_loss", "hours_per_week",
)


@dataclass(frozen=True)
class OrdinalSplit:
    """Adult as numbers for tree models: categories become codes 0, 1, ... (-1 for unseen or missing).

    Returned by :func:`encode_adult_ordinal` (lesson 09). ``categories[c][k]``
    is the category that code ``k`` stands for in column ``c``.
    """

    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    categories: dict[str, list[str]]


def encode_adult_ordinal(
    train: pd.DataFrame, test: pd.DataFrame, *, columns: Sequence[str] = ADULT_TREE_FEATURES
) -> OrdinalSplit:
    """Encode Adult's ``columns`` as float arrays: numbers as they are, categories as codes from ``train``.

    Parameters
    ----------
    train, test : pandas.DataFrame
        From :func:`ppml_lessons.data.load_adult`.
    columns : sequence of str, default :data:`ADULT_TREE_FEATURES`
        E.g. without ``"sex"`` for lesson 09's audit.

    Returns
    -------
    OrdinalSplit

    Examples
    --------
    >>> from ppml_lessons.data import load_adult
    >>> split = encode_adult_ordinal(*load_adult())
    >>> split.x_train.shape, split.categories["sex"]
    ((32561, 10), ['Female', 'Male'])
    """
    check_type("columns", columns, (list, tuple), "a list or tuple of Adult column names")
    if len(columns) == 0:
        raise ValueError("columns must name at least one Adult feature column; got none")
    categories: dict[str, list[str]] = {}
    arrays = []
    for name, frame in (("train", train), ("test", test)):
        check_type(name, frame, pd.DataFrame, "a DataFrame from load_adult")
        missing = [c for c in [*columns, ADULT_TARGET] if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} must have the columns {list(columns)} and {ADULT_TARGET!r}; got no {missing}")
    for column in columns:
        if column in ADULT_CATEGORICAL:
            categories[column] = sorted(str(v) for v in train[column].dropna().unique())
    for frame in (train, test):
        encoded = [
            pd.Categorical(frame[c].astype("string"), categories=categories[c]).codes if c in categories
            else frame[c].to_numpy()
            for c in columns
        ]
        arrays.append(np.column_stack(encoded).astype(float))
    return OrdinalSplit(
        x_train=arrays[0], x_test=arrays[1], y_train=train[ADULT_TARGET].to_numpy(),
        y_test=test[ADULT_TARGET].to_numpy(), feature_names=list(columns), categories=categories,
    )


def adult_gradient_boosting(*, rng: np.random.Generator | int | None = None) -> GradientBoostingClassifier:
    """Lesson 09's tree model: 100 depth-3 boosted trees (scikit-learn), unfitted.

    Fitted on :func:`encode_adult_ordinal`'s training split it reaches about
    0.86 accuracy on the test split, a little above the logistic regression.

    Examples
    --------
    >>> adult_gradient_boosting(rng=0).max_depth
    3
    """
    seed = int(make_rng(rng).integers(2**31 - 1))
    return GradientBoostingClassifier(n_estimators=100, max_depth=3, learning_rate=0.1, random_state=seed)


def one_hot_groups(preprocessor: ColumnTransformer) -> list[str]:
    """For each output column of a fitted :func:`~ppml_lessons.data.features.adult_preprocessor`, its Adult column.

    Examples
    --------
    >>> from ppml_lessons.data import load_adult
    >>> from ppml_lessons.data.features import adult_preprocessor
    >>> groups = one_hot_groups(adult_preprocessor(drop=["sex"]).fit(load_adult()[0]))
    >>> len(groups), groups[0], groups.count("race")
    (106, 'age', 5)
    """
    check_type("preprocessor", preprocessor, ColumnTransformer, "a fitted adult_preprocessor()")
    if not hasattr(preprocessor, "transformers_"):
        raise ValueError("preprocessor must be fitted (call .fit(train) first); got an unfitted one")
    groups: list[str] = []
    for _, transformer, cols in preprocessor.transformers_:
        if transformer == "drop" or len(cols) == 0:
            continue
        if hasattr(transformer, "categories_"):
            for column, cats in zip(cols, transformer.categories_):
                groups += [column] * len(cats)
        else:
            groups += list(cols)
    return groups


def _values(values: Any, name: str = "values") -> np.ndarray:
    check_type(name, values, (np.ndarray, list, tuple), "a 2-D array of attributions (instances x features)")
    array = np.asarray(values, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d); got shape {array.shape}")
    return array


def sum_by_group(values: np.ndarray, groups: Sequence[str]) -> pd.DataFrame:
    """Add up the attributions of the encoded columns of each group (one-hot block), keeping first-seen order.

    Examples
    --------
    >>> sum_by_group(np.array([[1.0, 2.0, 3.0]]), ["age", "sex", "sex"]).to_dict("records")
    [{'age': 1.0, 'sex': 5.0}]
    """
    array = _values(values)
    if len(groups) != array.shape[1]:
        raise ValueError(f"groups must have one entry per column of values ({array.shape[1]}); got {len(groups)}")
    frame = pd.DataFrame(array, columns=pd.Index(list(groups)))
    return frame.T.groupby(level=0, sort=False).sum().T


def mean_abs_importance(values: np.ndarray, feature_names: Sequence[str]) -> pd.Series:
    """Global importance: the mean absolute attribution of each feature, largest first.

    Examples
    --------
    >>> mean_abs_importance(np.array([[1.0, -3.0], [-1.0, 1.0]]), ["a", "b"]).to_dict()
    {'b': 2.0, 'a': 1.0}
    """
    array = _values(values)
    if len(feature_names) != array.shape[1]:
        raise ValueError(f"feature_names must have one name per column ({array.shape[1]}); got {len(feature_names)}")
    return pd.Series(np.abs(array).mean(axis=0), index=list(feature_names)).sort_values(ascending=False)


def attribution_gap(values: np.ndarray, feature_names: Sequence[str], *, in_group: Any) -> pd.Series:
    """Mean attribution of each feature inside a group minus outside it (e.g. women minus men).

    By efficiency, these gaps add up to the gap in mean model output between the
    two groups, so they split a disparity among the features (lesson 09's audit).

    Examples
    --------
    >>> attribution_gap(np.array([[1.0, 0.0], [3.0, 1.0]]), ["a", "b"], in_group=[True, False]).to_dict()
    {'a': -2.0, 'b': -1.0}
    """
    array = _values(values)
    mask = np.asarray(in_group)
    if mask.dtype != bool or mask.shape != (len(array),):
        raise ValueError(f"in_group must be a boolean array with one entry per row ({len(array)}); got {mask!r}")
    if mask.all() or not mask.any():
        raise ValueError("in_group must hold both True and False rows; got only one of them")
    gap = array[mask].mean(axis=0) - array[~mask].mean(axis=0)
    return pd.Series(gap, index=list(feature_names))


def time_per_explanation(explain: Callable[[np.ndarray], Any], instances: np.ndarray, *, repeat: int = 1) -> float:
    """Seconds per explained instance: wall time of ``explain(instances)``, best of ``repeat``, divided by n.

    Lesson 09's cost table. Timings depend on the machine and its load.

    Examples
    --------
    >>> time_per_explanation(lambda x: x * 2, np.ones((4, 3))) < 1.0
    True
    """
    if not callable(explain):
        raise TypeError(f"explain must be a callable taking the instances; got {explain!r}")
    repeat = check_number("repeat", repeat, low=1, integer=True)
    n = len(instances)
    if n == 0:
        raise ValueError("instances must hold at least one instance; got 0")
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        explain(instances)
        best = min(best, time.perf_counter() - start)
    return float(best / n)
