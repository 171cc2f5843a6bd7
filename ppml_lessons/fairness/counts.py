"""The arithmetic under the group report: confusion counts, the built-in metrics, aggregations (lesson 07).

Every built-in metric of :class:`~.metrics.GroupReport` is a function of a
group's confusion counts ``(tn, fp, fn, tp)``. The functions here work on
arrays of counts of any leading shape, so the bootstrap in :mod:`.uncertainty`
computes thousands of replicates at once.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._validation import check_option

__all__ = ["METRICS", "confusion_counts", "metric_from_counts", "aggregate_difference", "aggregate_ratio"]

#: The built-in metrics: name -> what it measures. Each is a function of the confusion counts.
METRICS: dict[str, str] = {
    "count": "number of people in the group",
    "base_rate": "share with a positive true label, P(Y=1)",
    "selection_rate": "share predicted positive, P(Yhat=1)",
    "tpr": "true positive rate (recall), P(Yhat=1 | Y=1)",
    "fpr": "false positive rate, P(Yhat=1 | Y=0)",
    "fnr": "false negative rate, P(Yhat=0 | Y=1) = 1 - TPR",
    "tnr": "true negative rate, P(Yhat=0 | Y=0) = 1 - FPR",
    "precision": "positive predictive value (PPV), P(Y=1 | Yhat=1)",
    "accuracy": "share predicted correctly, P(Yhat=Y)",
}

def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Counts ``(tn, fp, fn, tp)`` of each group, shape ``(n_groups, 4)``, from validated 0/1 arrays.

    Used by :class:`~.metrics.GroupReport` and the bootstrap (lesson 07).

    Examples
    --------
    >>> confusion_counts(np.array([0, 1, 1]), np.array([0, 1, 0]), np.array([0, 0, 1]), 2).tolist()
    [[1, 0, 0, 1], [0, 0, 1, 0]]
    """
    cell = 2 * y_true + y_pred  # 0 = tn, 1 = fp, 2 = fn, 3 = tp
    return np.bincount(4 * codes + cell, minlength=4 * n_groups).reshape(n_groups, 4)


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def metric_from_counts(name: str, counts: np.ndarray) -> np.ndarray:
    """A built-in metric computed from confusion counts whose last axis is ``(tn, fp, fn, tp)``.

    Used by :class:`~.metrics.GroupReport` and the bootstrap (lesson 07).

    Works on any leading shape, e.g. ``(groups, 4)`` or ``(replicates, groups, 4)``
    in the bootstrap. Undefined values (0/0) are ``NaN``.

    Examples
    --------
    >>> metric_from_counts("tpr", np.array([[5, 1, 2, 6], [3, 0, 0, 0]])).tolist()
    [0.75, nan]
    """
    check_option("name", name, METRICS)
    tn, fp, fn, tp = (counts[..., i].astype(float) for i in range(4))
    n = tn + fp + fn + tp
    values = {
        "count": lambda: n,
        "base_rate": lambda: _divide(tp + fn, n),
        "selection_rate": lambda: _divide(tp + fp, n),
        "tpr": lambda: _divide(tp, tp + fn),
        "fpr": lambda: _divide(fp, fp + tn),
        "fnr": lambda: _divide(fn, fn + tp),
        "tnr": lambda: _divide(tn, tn + fp),
        "precision": lambda: _divide(tp, tp + fp),
        "accuracy": lambda: _divide(tp + tn, n),
    }
    return values[name]()


def _quiet(function, values: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column gives NaN, silently
        return function(values, axis=axis)


def aggregate_difference(by_group: np.ndarray, overall: np.ndarray, method: str) -> np.ndarray:
    """Largest gap per metric (see :meth:`GroupReport.difference`), skipping NaN.

    Used by :class:`~.metrics.GroupReport` and the bootstrap (lesson 07).

    ``by_group`` has shape ``(..., groups, metrics)`` and ``overall`` shape
    ``(..., metrics)``, so the bootstrap aggregates all its replicates at once.

    Examples
    --------
    >>> aggregate_difference(np.array([[0.2], [0.5]]), np.array([0.4]), "between_groups").round(2)
    array([0.3])
    """
    check_option("method", method, ["between_groups", "to_overall"])
    by_group, overall = np.asarray(by_group, float), np.asarray(overall, float)
    if method == "between_groups":
        return _quiet(np.nanmax, by_group, -2) - _quiet(np.nanmin, by_group, -2)
    return _quiet(np.nanmax, np.abs(by_group - overall[..., None, :]), -2)


def aggregate_ratio(by_group: np.ndarray, overall: np.ndarray, method: str) -> np.ndarray:
    """Smallest ratio per metric, always <= 1 (see :meth:`GroupReport.ratio`), skipping NaN.

    Used by :class:`~.metrics.GroupReport` and the bootstrap (lesson 07).

    Examples
    --------
    >>> aggregate_ratio(np.array([[0.2], [0.5]]), np.array([0.4]), "to_overall")
    array([0.5])
    """
    check_option("method", method, ["between_groups", "to_overall"])
    by_group, overall = np.asarray(by_group, float), np.asarray(overall, float)
    with np.errstate(all="ignore"):
        if method == "between_groups":
            return _quiet(np.nanmin, by_group, -2) / _quiet(np.nanmax, by_group, -2)
        ratios = by_group / overall[..., None, :]
        return _quiet(np.nanmin, np.where(ratios > 1, 1 / ratios, ratios), -2)
