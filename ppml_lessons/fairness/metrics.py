"""Per-group metrics of a binary classifier, and the named fairness metrics (lesson 07).

:class:`GroupReport` is modelled on fairlearn's ``MetricFrame``: a
keyword-only constructor, the results as properties (:attr:`~GroupReport.overall`,
:attr:`~GroupReport.by_group`) and the aggregations as methods
(:meth:`~GroupReport.difference`, :meth:`~GroupReport.ratio`). The named
fairness metrics (:func:`demographic_parity_difference`, ...) are thin
wrappers over it, and the tests check every one against fairlearn and
scikit-learn.

The built-in metrics (:data:`~.counts.METRICS`) are all functions of each
group's confusion counts (true/false positives/negatives), computed in
:mod:`.counts`; that is what makes the bootstrap in :mod:`.uncertainty` fast.
A metric whose denominator is zero in a group (the TPR of a group without
positives) is undefined: it is ``NaN`` there, with a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Union

import numpy as np
import pandas as pd

from .._validation import check_number, check_option
from ._arrays import binary_labels, group_codes
from .counts import METRICS, aggregate_difference, aggregate_ratio, confusion_counts, metric_from_counts

__all__ = [
    "METRICS",
    "DEFAULT_METRICS",
    "GroupReport",
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision",
    "accuracy",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "disparate_impact",
    "four_fifths_rule",
    "equalized_odds_difference",
    "equal_opportunity_difference",
]

#: What GroupReport computes when no ``metrics`` are given.
DEFAULT_METRICS: tuple[str, ...] = ("count", "base_rate", "selection_rate", "tpr", "fpr", "precision", "accuracy")

MetricSpec = Union[str, Callable[[np.ndarray, np.ndarray], float]]


def _parse_metrics(metrics: Any) -> dict[str, MetricSpec]:
    allowed = "a metric name (" + ", ".join(repr(m) for m in METRICS) + "), a callable, or a list or dict of them"
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    if isinstance(metrics, Mapping):
        items = list(metrics.items())
    elif isinstance(metrics, Sequence) and not isinstance(metrics, str):
        items = [(m if isinstance(m, str) else getattr(m, "__name__", f"metric_{i}"), m) for i, m in enumerate(metrics)]
    else:
        raise TypeError(f"metrics must be {allowed}; got {metrics!r} of type {type(metrics).__name__}")
    if not items:
        raise ValueError(f"metrics must be {allowed}; got an empty collection")
    parsed: dict[str, MetricSpec] = {}
    for key, spec in items:
        if not (isinstance(spec, str) and spec in METRICS) and not callable(spec):
            raise ValueError(f"metrics must be {allowed}; got {spec!r}")
        if not isinstance(key, str) or key in parsed:
            raise ValueError(f"metrics must have distinct string names; got {key!r} twice or as a non-string")
        parsed[key] = spec
    return parsed


class GroupReport:
    """Metrics of a binary classifier overall and for each group, like fairlearn's ``MetricFrame``.

    Used throughout lesson 07 (and by lesson 08 to compare mitigations).

    Parameters
    ----------
    metrics : str, callable, list or dict, default all of ``DEFAULT_METRICS``
        Built-in metric names (see :data:`METRICS`) or callables
        ``f(y_true, y_pred) -> float``; a dict gives the column names.
    y_true, y_pred : array-like of 0/1, same length
        True labels and the classifier's decisions.
    sensitive_features : array-like, Series or DataFrame, same length
        The group of each person; a DataFrame with several columns gives
        intersectional groups (each combination that occurs). Inputs are
        matched by position, not by pandas index. A declared category with no
        row (an empty group) raises ``ValueError``, as do missing values.

    Examples
    --------
    >>> report = GroupReport(metrics=["count", "selection_rate"], y_true=[1, 0, 1, 0],
    ...                      y_pred=[1, 1, 0, 0], sensitive_features=["a", "a", "b", "b"])
    >>> report.by_group.to_dict()
    {'count': {'a': 2, 'b': 2}, 'selection_rate': {'a': 1.0, 'b': 0.0}}
    >>> float(report.difference()["selection_rate"])
    1.0
    """

    def __init__(
        self,
        *,
        metrics: Any = DEFAULT_METRICS,
        y_true: Any,
        y_pred: Any,
        sensitive_features: Any,
    ) -> None:
        self._metrics = _parse_metrics(metrics)
        self._y_true = binary_labels("y_true", y_true)
        self._y_pred = binary_labels("y_pred", y_pred, length=len(self._y_true))
        self._codes, self._groups = group_codes(sensitive_features, length=len(self._y_true))
        self._counts = confusion_counts(self._y_true, self._y_pred, self._codes, len(self._groups))
        overall, by_group = {}, {}
        for name, spec in self._metrics.items():
            if isinstance(spec, str):
                overall[name] = float(metric_from_counts(spec, self._counts.sum(axis=0)))
                by_group[name] = metric_from_counts(spec, self._counts)
            else:
                overall[name] = float(spec(self._y_true, self._y_pred))
                members = [self._codes == g for g in range(len(self._groups))]
                by_group[name] = np.array([float(spec(self._y_true[m], self._y_pred[m])) for m in members])
        self._overall = pd.Series(overall, dtype=float)
        self._by_group = pd.DataFrame(by_group, index=self._groups, dtype=float)
        counted = [name for name, spec in self._metrics.items() if spec == "count"]
        self._by_group[counted] = self._by_group[counted].astype(np.int64)
        for name in self._by_group.columns[self._by_group.isna().any()]:
            undefined = [_label(g) for g in self._by_group.index[self._by_group[name].isna()]]
            warnings.warn(
                f"{name} is undefined (0/0) for group(s) {undefined}: its denominator is empty there; "
                "by_group holds NaN, and difference() and ratio() skip it",
                RuntimeWarning,
                stacklevel=2,
            )

    # ----- results ---------------------------------------------------------------
    @property
    def overall(self) -> pd.Series:
        """Each metric on everyone, indexed by metric name."""
        return self._overall.copy()

    @property
    def by_group(self) -> pd.DataFrame:
        """One row per group, one column per metric."""
        return self._by_group.copy()

    @property
    def counts(self) -> pd.DataFrame:
        """The confusion counts of each group: columns ``tn``, ``fp``, ``fn``, ``tp``."""
        return pd.DataFrame(self._counts, index=self._groups, columns=["tn", "fp", "fn", "tp"])

    @property
    def metric_specs(self) -> dict[str, MetricSpec]:
        """Column name -> built-in metric name or callable, as given."""
        return dict(self._metrics)

    # ----- aggregations ----------------------------------------------------------
    def group_min(self) -> pd.Series:
        """The smallest value of each metric over the groups."""
        return self._by_group.min()

    def group_max(self) -> pd.Series:
        """The largest value of each metric over the groups."""
        return self._by_group.max()

    def difference(self, method: str = "between_groups") -> pd.Series:
        """The largest gap of each metric.

        ``"between_groups"``: largest minus smallest group value.
        ``"to_overall"``: largest absolute gap between a group and everyone.

        Examples
        --------
        >>> report = GroupReport(metrics="accuracy", y_true=[1, 0, 1, 0], y_pred=[1, 0, 0, 0],
        ...                      sensitive_features=["a", "a", "b", "b"])
        >>> report.difference("to_overall").round(2).to_dict()
        {'accuracy': 0.25}
        """
        values = aggregate_difference(self._by_group.to_numpy(float), self._overall.to_numpy(), method)
        return pd.Series(values, index=self._by_group.columns)

    def ratio(self, method: str = "between_groups") -> pd.Series:
        """The smallest ratio of each metric, always <= 1.

        ``"between_groups"``: smallest over largest group value.
        ``"to_overall"``: smallest of ``group/overall`` or ``overall/group``.
        """
        values = aggregate_ratio(self._by_group.to_numpy(float), self._overall.to_numpy(), method)
        return pd.Series(values, index=self._by_group.columns)

    def __repr__(self) -> str:
        return f"<GroupReport: {len(self._groups)} groups x metrics {list(self._metrics)}>"


def _label(group: Any) -> str:
    return " & ".join(str(g) for g in group) if isinstance(group, tuple) else str(group)


# ----- the named metrics: thin wrappers over GroupReport ---------------------------------
def _overall(name: str, y_true: Any, y_pred: Any) -> float:
    y_true = binary_labels("y_true", y_true)
    y_pred = binary_labels("y_pred", y_pred, length=len(y_true))
    counts = confusion_counts(y_true, y_pred, np.zeros(len(y_true), dtype=np.int64), 1)[0]
    return float(metric_from_counts(name, counts))


def selection_rate(y_true: Any, y_pred: Any) -> float:
    """Share of people the classifier selects (predicts positive). ``y_true`` is only checked.

    Lesson 07; cross-checked against fairlearn and scikit-learn in the tests.

    Examples
    --------
    >>> selection_rate([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    """
    return _overall("selection_rate", y_true, y_pred)


def true_positive_rate(y_true: Any, y_pred: Any) -> float:
    """TPR (recall): share of the actual positives predicted positive; NaN without positives.

    Lesson 07; cross-checked against fairlearn and scikit-learn in the tests.

    Examples
    --------
    >>> true_positive_rate([1, 1, 0, 0], [1, 0, 1, 0])
    0.5
    """
    return _overall("tpr", y_true, y_pred)


def false_positive_rate(y_true: Any, y_pred: Any) -> float:
    """FPR: share of the actual negatives predicted positive; NaN without negatives.

    Lesson 07; cross-checked against fairlearn and scikit-learn in the tests.

    Examples
    --------
    >>> false_positive_rate([1, 0, 0, 0], [1, 1, 0, 0])
    0.3333333333333333
    """
    return _overall("fpr", y_true, y_pred)


def false_negative_rate(y_true: Any, y_pred: Any) -> float:
    """FNR = 1 - TPR: share of the actual positives predicted negative.

    Lesson 07; cross-checked against fairlearn and scikit-learn in the tests.

    Examples
    --------
    >>> false_negative_rate([1, 1, 0, 0], [1, 0, 1, 0])
    0.5
    """
    return _overall("fnr", y_true, y_pred)


def precision(y_true: Any, y_pred: Any) -> float:
    """Precision (positive predictive value): share of the selected who are actual positives.

    Lesson 07; cross-checked against fairlearn and scikit-learn in the tests.

    Examples
    --------
    >>> precision([1, 0, 0, 0], [1, 1, 0, 0])
    0.5
    """
    return _overall("precision", y_true, y_pred)


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Share of correct predictions.

    Lesson 07; cross-checked against fairlearn and scikit-learn in the tests.

    Examples
    --------
    >>> accuracy([1, 0, 0, 0], [1, 1, 0, 0])
    0.75
    """
    return _overall("accuracy", y_true, y_pred)


def _report(metrics: Any, y_true: Any, y_pred: Any, sensitive_features: Any) -> GroupReport:
    return GroupReport(metrics=metrics, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive_features)


def demographic_parity_difference(
    y_true: Any, y_pred: Any, *, sensitive_features: Any, method: str = "between_groups"
) -> float:
    """Largest gap in selection rate between groups (0 means demographic parity).

    Lesson 07; cross-checked against fairlearn and scikit-learn in the tests.

    Examples
    --------
    >>> demographic_parity_difference([0, 0, 0, 0], [1, 1, 1, 0], sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    check_option("method", method, ["between_groups", "to_overall"])
    return float(_report("selection_rate", y_true, y_pred, sensitive_features).difference(method).iloc[0])


def demographic_parity_ratio(
    y_true: Any, y_pred: Any, *, sensitive_features: Any, method: str = "between_groups"
) -> float:
    """Smallest selection rate over the largest (1 means demographic parity).

    Lesson 07; cross-checked against fairlearn and scikit-learn in the tests.

    Examples
    --------
    >>> demographic_parity_ratio([0, 0, 0, 0], [1, 1, 1, 0], sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    check_option("method", method, ["between_groups", "to_overall"])
    return float(_report("selection_rate", y_true, y_pred, sensitive_features).ratio(method).iloc[0])


def disparate_impact(y_true: Any, y_pred: Any, *, sensitive_features: Any, reference: Any = None) -> pd.Series:
    """Each group's selection rate divided by the reference group's.

    Lesson 07; cross-checked against fairlearn and scikit-learn in the tests.

    The reference defaults to the group with the highest selection rate, as in
    the four-fifths rule; the smallest value is then the demographic parity ratio.

    Examples
    --------
    >>> disparate_impact([0] * 4, [1, 1, 1, 0], sensitive_features=["a", "a", "b", "b"]).to_dict()
    {'a': 1.0, 'b': 0.5}
    """
    rates = _report("selection_rate", y_true, y_pred, sensitive_features).by_group["selection_rate"]
    if reference is None:
        reference = rates.idxmax()
    elif reference not in rates.index:
        groups = ", ".join(repr(g) for g in rates.index)
        raise ValueError(f"reference must be one of the groups {groups} or None; got {reference!r}")
    if not rates[reference] > 0:
        raise ValueError(f"reference must be a group with a selection rate above 0; got {reference!r} with rate 0")
    return (rates / rates[reference]).rename("impact_ratio")


def four_fifths_rule(y_true: Any, y_pred: Any, *, sensitive_features: Any, threshold: float = 0.8) -> pd.DataFrame:
    """The four-fifths rule of the US EEOC's Uniform Guidelines (1978), group by group.

    A group whose selection rate is below ``threshold`` (4/5) times the rate
    of the most-selected group is flagged as evidence of adverse impact. The
    rule is a rule of thumb for hiring, not a statistical test: on a small
    group the ratio is very noisy (lesson 07, section on small groups).

    Returns
    -------
    pandas.DataFrame
        Columns ``selection_rate``, ``impact_ratio`` and ``passes``.

    Examples
    --------
    >>> four_fifths_rule([0] * 4, [1, 1, 1, 0], sensitive_features=["a", "a", "b", "b"])["passes"].to_dict()
    {'a': True, 'b': False}
    """
    check_number("threshold", threshold, low=0, high=1, low_open=True)
    rates = _report("selection_rate", y_true, y_pred, sensitive_features).by_group["selection_rate"]
    ratios = disparate_impact(y_true, y_pred, sensitive_features=sensitive_features)
    return pd.DataFrame({"selection_rate": rates, "impact_ratio": ratios, "passes": ratios >= threshold})


def equalized_odds_difference(
    y_true: Any, y_pred: Any, *, sensitive_features: Any, method: str = "between_groups", agg: str = "worst_case"
) -> float:
    """The larger (``agg="worst_case"``) or the mean of the TPR and FPR differences between groups.

    Lesson 07; cross-checked against fairlearn and scikit-learn in the tests.

    Equalized odds (Hardt, Price & Srebro, 2016) asks for equal TPR and equal FPR in every group.

    Examples
    --------
    >>> equalized_odds_difference([1, 0, 1, 0], [1, 0, 1, 1], sensitive_features=["a", "a", "b", "b"])
    1.0
    """
    check_option("method", method, ["between_groups", "to_overall"])
    check_option("agg", agg, ["worst_case", "mean"])
    gaps = _report(["tpr", "fpr"], y_true, y_pred, sensitive_features).difference(method)
    return float(gaps.max() if agg == "worst_case" else gaps.mean())


def equal_opportunity_difference(
    y_true: Any, y_pred: Any, *, sensitive_features: Any, method: str = "between_groups"
) -> float:
    """Largest gap in TPR between groups: equal opportunity is equalized odds for the positives only.

    Lesson 07; cross-checked against fairlearn and scikit-learn in the tests.

    Examples
    --------
    >>> equal_opportunity_difference([1, 1, 1, 1], [1, 1, 1, 0], sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    check_option("method", method, ["between_groups", "to_overall"])
    return float(_report("tpr", y_true, y_pred, sensitive_features).difference(method).iloc[0])
