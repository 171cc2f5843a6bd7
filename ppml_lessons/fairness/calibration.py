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
from ..environment import make_rng
from ._arrays import binary_labels, group_codes, probabilities
from .uncertainty import wilson_interval

__all__ = ["calibration_table", "expected_calibration_error", "ece_from_table", "calibrated_ece_baseline"]


def _bin_ids(scores: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    if strategy == "quantile":
        edges = np.percentile(scores, np.linspace(0, 1, n_bins + 1) * 100)
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.searchsorted(edges[1:-1], scores)  # as sklearn.calibration.calibration_curve


def _cells(scores: np.ndarray, sensitive_features: Any, n_bins: int, strategy: str) -> tuple[np.ndarray, pd.Index]:
    """Cell number ``group * n_bins + bin`` of every row (bins computed within each group), and the groups."""
    if sensitive_features is None:
        sensitive_features = pd.Series(np.full(len(scores), "everyone"), name="group")
    codes, groups = group_codes(sensitive_features, length=len(scores))
    cells = np.empty(len(scores), dtype=np.int64)
    for code in range(len(groups)):
        member = codes == code
        cells[member] = code * n_bins + _bin_ids(scores[member], n_bins, strategy)
    return cells, groups


def _checked(y_score: Any, length: int, n_bins: int, strategy: str) -> tuple[np.ndarray, int]:
    scores = probabilities("y_score", y_score, length=length)
    n_bins = check_number("n_bins", n_bins, low=1, integer=True)
    check_option("strategy", strategy, ["uniform", "quantile"])
    return scores, n_bins


def _ece(positives: np.ndarray, cells: np.ndarray, scores: np.ndarray, n_groups: int, n_bins: int) -> np.ndarray:
    """ECE of each group; ``positives`` has shape (..., n) so many label draws are done at once."""
    size = n_groups * n_bins
    count = np.bincount(cells, minlength=size)
    score_sum = np.bincount(cells, weights=scores, minlength=size)
    flat = positives.reshape(-1, positives.shape[-1])
    positive_sum = np.stack([np.bincount(cells, weights=row, minlength=size) for row in flat])
    gap = np.abs(positive_sum - score_sum)  # = count * |observed_rate - mean_score|
    per_group = gap.reshape(len(flat), n_groups, n_bins).sum(axis=-1) / count.reshape(n_groups, n_bins).sum(axis=-1)
    return per_group.reshape(*positives.shape[:-1], n_groups)


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

    Lesson 07 draws reliability diagrams from it.

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
    scores, n_bins = _checked(y_score, len(y_true), n_bins, strategy)
    check_number("level", level, low=0, high=1, low_open=True, high_open=True)
    cells, groups = _cells(scores, sensitive_features, n_bins, strategy)
    size = len(groups) * n_bins
    count = np.bincount(cells, minlength=size)
    positives = np.bincount(cells, weights=y_true, minlength=size).round().astype(np.int64)
    score_sum = np.bincount(cells, weights=scores, minlength=size)
    used = np.flatnonzero(count)
    names = [n if n is not None else "group" for n in groups.names]
    keys = [g if isinstance(g, tuple) else (g,) for g in groups[used // n_bins]]
    table = pd.DataFrame(keys, columns=names)
    for name in names:  # keep the groups' order (e.g. the categories' order)
        table[name] = pd.Categorical(table[name], categories=list(groups.get_level_values(name).unique()))
    table["bin"] = used % n_bins
    table["count"] = count[used]
    table["mean_score"] = score_sum[used] / count[used]
    table["observed_rate"] = positives[used] / count[used]
    table["lower"], table["upper"] = wilson_interval(positives[used], count[used], level=level)
    return table


def expected_calibration_error(
    y_true: Any, y_score: Any, *, sensitive_features: Any = None, n_bins: int = 10, strategy: str = "uniform"
) -> pd.Series:
    """Expected calibration error per group: the count-weighted mean of ``|observed_rate - mean_score|`` over bins.

    Lesson 07 compares it with :func:`calibrated_ece_baseline`.

    Examples
    --------
    >>> expected_calibration_error([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2).round(3).to_dict()
    {'everyone': 0.175}
    """
    y_true = binary_labels("y_true", y_true)
    scores, n_bins = _checked(y_score, len(y_true), n_bins, strategy)
    cells, groups = _cells(scores, sensitive_features, n_bins, strategy)
    return pd.Series(_ece(y_true.astype(float), cells, scores, len(groups), n_bins), index=groups, name="ece")


def ece_from_table(table: pd.DataFrame) -> pd.Series:
    """Expected calibration error per group, computed from a :func:`calibration_table` itself.

    Lesson 07 draws a reliability diagram from a table and reads the ECE off
    the same table, so the number and the picture use the same bins by
    construction. It equals :func:`expected_calibration_error` with the
    table's ``n_bins`` and ``strategy``.

    Examples
    --------
    >>> ece_from_table(calibration_table([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)).round(3).to_dict()
    {'everyone': 0.175}
    """
    if not isinstance(table, pd.DataFrame) or not {"bin", "count", "mean_score", "observed_rate"} <= set(table.columns):
        raise TypeError("table must be a DataFrame from calibration_table (columns bin, count, mean_score, ...)")
    names = list(table.columns[: table.columns.get_loc("bin")])
    gap = (table["observed_rate"] - table["mean_score"]).abs() * table["count"]
    grouped = table.assign(gap=gap).groupby(names, observed=True, sort=False)[["gap", "count"]].sum()
    return (grouped["gap"] / grouped["count"]).rename("ece")


def calibrated_ece_baseline(
    y_score: Any,
    *,
    sensitive_features: Any = None,
    n_bins: int = 10,
    strategy: str = "uniform",
    n_draws: int = 200,
    level: float = 0.95,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """The ECE a *perfectly calibrated* model with these scores would show by chance alone.

    Labels are drawn as ``Bernoulli(score)``, ``n_draws`` times, and the ECE
    of each draw computed as in :func:`expected_calibration_error`. A small
    group's ECE is large even for perfect scores (about ``1/sqrt(n)``), so
    lesson 07 reads each group's ECE against this baseline.

    Returns
    -------
    pandas.DataFrame
        Per group: ``mean`` and the ``level`` quantile (``upper``) of the chance ECE.

    Examples
    --------
    >>> baseline = calibrated_ece_baseline(np.linspace(0.05, 0.95, 400), n_draws=50, rng=0)
    >>> bool(0 < baseline.loc["everyone", "mean"] < baseline.loc["everyone", "upper"] < 0.1)
    True
    """
    scores, n_bins = _checked(y_score, None, n_bins, strategy)
    check_number("n_draws", n_draws, low=1, integer=True)
    check_number("level", level, low=0, high=1, low_open=True, high_open=True)
    cells, groups = _cells(scores, sensitive_features, n_bins, strategy)
    draws = (make_rng(rng).random((n_draws, len(scores))) < scores).astype(float)
    ece = _ece(draws, cells, scores, len(groups), n_bins)
    return pd.DataFrame({"mean": ece.mean(axis=0), "upper": np.quantile(ece, level, axis=0)}, index=groups)
