"""Calibration by group: reliability tables and expected calibration error (lesson 07).

A classifier's scores are *calibrated* when, among the people scored about
``s``, a share ``s`` is actually positive. Checking it group by group is one
of the fairness criteria (*calibration within groups*) that lesson 07 shows
cannot hold together with equal error rates when base rates differ.

The binning follows scikit-learn's ``calibration_curve`` exactly (the tests
check it), with each bin's observed rate given a Wilson interval.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_number, check_option
from ._arrays import binary_labels, group_codes, probabilities
from .uncertainty import wilson_interval

__all__ = ["calibration_table", "expected_calibration_error"]


def _bin_ids(scores: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    if strategy == "quantile":
        edges = np.percentile(scores, np.linspace(0, 1, n_bins + 1) * 100)
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.searchsorted(edges[1:-1], scores)  # as sklearn.calibration.calibration_curve


def calibration_table(
    y_true: Any,
    y_score: Any,
    *,
    sensitive_features: Any = None,
    n_bins: int = 10,
    strategy: str = "uniform",
    level: float = 0.95,
) -> pd.DataFrame:
    """Observed positive rate against mean score, per score bin and per group.

    Parameters
    ----------
    y_true : array-like of 0/1
    y_score : array-like of float in [0, 1]
        Predicted probability of the positive class.
    sensitive_features : array-like, Series or DataFrame, optional
        Groups, as in :class:`~.metrics.GroupReport`; ``None`` gives one group
        called ``"everyone"``.
    n_bins : int, default 10
        Number of bins, in [1, inf).
    strategy : {"uniform", "quantile"}, default "uniform"
        Equal-width bins on [0, 1], or bins holding equal numbers of people
        (computed within each group).
    level : float, default 0.95
        Level of the Wilson interval on each bin's observed rate.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty bin of each group: the group column(s),
        ``bin``, ``count``, ``mean_score``, ``observed_rate``, ``lower``,
        ``upper``. A calibrated model has ``observed_rate`` close to
        ``mean_score`` in every row.

    Examples
    --------
    >>> table = calibration_table([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)
    >>> table[["bin", "count", "mean_score", "observed_rate"]].round(3).to_dict("list")
    {'bin': [0, 1], 'count': [2, 2], 'mean_score': [0.15, 0.8], 'observed_rate': [0.0, 1.0]}
    """
    y_true = binary_labels("y_true", y_true)
    scores = probabilities("y_score", y_score, length=len(y_true))
    n_bins = check_number("n_bins", n_bins, low=1, integer=True)
    check_option("strategy", strategy, ["uniform", "quantile"])
    check_number("level", level, low=0, high=1, low_open=True, high_open=True)
    if sensitive_features is None:
        sensitive_features = pd.Series(np.full(len(y_true), "everyone"), name="group")
    codes, groups = group_codes(sensitive_features, length=len(y_true))
    names = list(groups.names) if groups.names[0] is not None else ["group"]
    rows = []
    for code, group in enumerate(groups):
        member = codes == code
        bins = _bin_ids(scores[member], n_bins, strategy)
        count = np.bincount(bins, minlength=n_bins)
        positives = np.bincount(bins, weights=y_true[member], minlength=n_bins)
        score_sum = np.bincount(bins, weights=scores[member], minlength=n_bins)
        key = group if isinstance(group, tuple) else (group,)
        for b in np.flatnonzero(count):
            rows.append((*key, int(b), int(count[b]), score_sum[b] / count[b], positives[b] / count[b], int(positives[b])))
    table = pd.DataFrame(rows, columns=[*names, "bin", "count", "mean_score", "observed_rate", "positives"])
    table["lower"], table["upper"] = wilson_interval(
        table.pop("positives").to_numpy(np.int64), table["count"].to_numpy(np.int64), level=level
    )
    for name in names:  # keep the groups' order and dtype (e.g. categories)
        table[name] = pd.Categorical(table[name], categories=list(groups.get_level_values(name).unique()))
    return table


def expected_calibration_error(
    y_true: Any, y_score: Any, *, sensitive_features: Any = None, n_bins: int = 10, strategy: str = "uniform"
) -> pd.Series:
    """Expected calibration error per group: the count-weighted mean of ``|observed_rate - mean_score|`` over bins.

    Examples
    --------
    >>> expected_calibration_error([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2).round(3).to_dict()
    {'everyone': 0.175}
    """
    table = calibration_table(y_true, y_score, sensitive_features=sensitive_features, n_bins=n_bins, strategy=strategy)
    names = list(table.columns[: table.columns.get_loc("bin")])
    gap = (table["observed_rate"] - table["mean_score"]).abs() * table["count"]
    grouped = pd.DataFrame({"gap": gap, "count": table["count"]}).groupby(
        [table[n] for n in names], observed=True, sort=True
    )
    sums = grouped.sum()
    return (sums["gap"] / sums["count"]).rename("ece")
