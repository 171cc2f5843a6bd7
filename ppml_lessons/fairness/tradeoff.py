"""Accuracy against disparity for several mitigation methods on one test split (lesson 08).

:func:`tradeoff_table` measures every method's decisions with the lesson-07
metrics (accuracy, demographic parity difference, equalized odds difference);
:func:`plot_tradeoff` draws the two trade-off panels from it. A gap can close
because one group gains or because another loses ("levelling down"), so
:func:`who_pays_table` shows each group's selection rate, TPR and FPR under
every method, next to the baseline's, and :func:`gap_changes` reads off, for one
rate, which group moved when a gap between two groups narrowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .._validation import check_number, check_type
from .metrics import GroupReport, accuracy, demographic_parity_difference, equalized_odds_difference

__all__ = ["tradeoff_table", "who_pays_table", "gap_changes", "plot_tradeoff"]

#: The rates :func:`who_pays_table` shows by default.
WHO_PAYS_METRICS: tuple[str, ...] = ("selection_rate", "tpr", "fpr")


def tradeoff_table(y_true: Any, decisions: Mapping[str, Any], *, sensitive_features: Any) -> pd.DataFrame:
    """One row per method: ``accuracy``, ``dpd`` and ``eod`` of its 0/1 decisions on the same rows.

    Parameters
    ----------
    y_true : array-like of 0/1, shape (n,)
    decisions : mapping
        Method name -> its decisions on the same ``n`` rows.
    sensitive_features : array-like, Series or DataFrame, shape (n,)

    Examples
    --------
    >>> tradeoff_table([1, 0, 1, 0], {"all yes": [1, 1, 1, 1], "a only": [1, 1, 0, 0]},
    ...                sensitive_features=list("aabb")).to_dict("index")
    {'all yes': {'accuracy': 0.5, 'dpd': 0.0, 'eod': 0.0}, 'a only': {'accuracy': 0.5, 'dpd': 1.0, 'eod': 1.0}}
    """
    check_type("decisions", decisions, Mapping, "a mapping from method name to 0/1 decisions")
    if not decisions:
        raise ValueError("decisions must name at least one method; got an empty mapping")
    rows = {
        name: {
            "accuracy": accuracy(y_true, y_pred),
            "dpd": demographic_parity_difference(y_true, y_pred, sensitive_features=sensitive_features),
            "eod": equalized_odds_difference(y_true, y_pred, sensitive_features=sensitive_features),
        }
        for name, y_pred in decisions.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")


def who_pays_table(
    y_true: Any, decisions: Mapping[str, Any], *, sensitive_features: Any, metrics: Any = WHO_PAYS_METRICS
) -> pd.DataFrame:
    """Each group's rates under every method: one row per method, one column per (metric, group).

    Lesson 08 reads it next to :func:`tradeoff_table`: a smaller gap says
    nothing about *who* moved. When the better-off group's TPR falls to meet
    the other's, the gap closes by levelling down.

    Parameters
    ----------
    y_true : array-like of 0/1, shape (n,)
    decisions : mapping
        Method name -> its 0/1 decisions on the same ``n`` rows.
    sensitive_features : array-like, Series or DataFrame, shape (n,)
    metrics : list of str, default ("selection_rate", "tpr", "fpr")
        Built-in metric names of :class:`~.metrics.GroupReport`.

    Returns
    -------
    pandas.DataFrame
        Index ``method``; columns a MultiIndex (metric, group).

    Examples
    --------
    >>> table = who_pays_table([1, 0, 1, 0], {"all yes": [1, 1, 1, 1], "a only": [1, 1, 0, 0]},
    ...                        sensitive_features=list("aabb"), metrics=["tpr"])
    >>> table.to_dict("index")
    {'all yes': {('tpr', 'a'): 1.0, ('tpr', 'b'): 1.0}, 'a only': {('tpr', 'a'): 1.0, ('tpr', 'b'): 0.0}}
    """
    check_type("decisions", decisions, Mapping, "a mapping from method name to 0/1 decisions")
    if not decisions:
        raise ValueError("decisions must name at least one method; got an empty mapping")
    rows = {}
    for name, y_pred in decisions.items():
        by_group = GroupReport(
            metrics=list(metrics), y_true=y_true, y_pred=y_pred, sensitive_features=sensitive_features
        ).by_group
        rows[name] = by_group.T.stack()  # (metric, group) -> value
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["metric", by_group.index.name or "group"])
    return table


def gap_changes(who_pays: pd.DataFrame, *, reference: str, metric: str = "tpr", margin: float = 0.01) -> pd.DataFrame:
    """How each method moved a two-group gap in one rate, against a reference method: who gained, who lost.

    The *better-off* group is the one with the higher rate under ``reference``.
    A method **levels down** when it narrows the gap (by more than ``margin``)
    mostly by lowering the better-off group's rate: the better-off group loses
    more than the worse-off group gains. Lesson 08 reads it after
    :func:`who_pays_table`.

    Parameters
    ----------
    who_pays : pandas.DataFrame
        As returned by :func:`who_pays_table`, with exactly two groups.
    reference : str
        The row to compare with (e.g. ``"baseline"``).
    metric : str, default "tpr"
        A metric of ``who_pays``'s first column level.
    margin : float in [0, 1), default 0.01
        How much the gap must shrink to count as narrowed.

    Returns
    -------
    pandas.DataFrame
        Index: the methods other than ``reference``. Columns ``gap`` (better-off
        minus worse-off, signed), ``gap_reference``, ``better_off_change``,
        ``worse_off_change``, ``narrowed`` and ``levelled_down`` (bools).

    Examples
    --------
    >>> who = who_pays_table([1, 1, 1, 1, 0, 0], {"base": [1, 1, 0, 1, 0, 0], "down": [1, 0, 0, 1, 0, 0]},
    ...                      sensitive_features=list("aabbab"), metrics=["tpr"])
    >>> row = gap_changes(who, reference="base").loc["down"]
    >>> float(row["gap"]), float(row["better_off_change"]), bool(row["levelled_down"])
    (0.0, -0.5, True)
    """
    check_type("who_pays", who_pays, pd.DataFrame, "a DataFrame from who_pays_table")
    if reference not in who_pays.index:
        raise ValueError(f"reference must be a row of who_pays ({list(who_pays.index)}); got {reference!r}")
    metrics = list(dict.fromkeys(who_pays.columns.get_level_values(0)))
    if metric not in metrics:
        raise ValueError(f"metric must be one of who_pays's metrics {metrics}; got {metric!r}")
    margin = check_number("margin", margin, low=0, high=1, high_open=True)
    rates = who_pays[metric]
    if rates.shape[1] != 2:
        raise ValueError(f"who_pays must hold exactly two groups; got {rates.shape[1]}: {list(rates.columns)}")
    better, worse = rates.loc[reference].sort_values(ascending=False).index
    gap = rates[better] - rates[worse]
    lost = rates.loc[reference, better] - rates[better]
    gained = rates[worse] - rates.loc[reference, worse]
    narrowed = gap.abs() < abs(gap[reference]) - margin
    table = pd.DataFrame({
        "gap": gap, "gap_reference": gap[reference], "better_off_change": -lost, "worse_off_change": gained,
        "narrowed": narrowed, "levelled_down": narrowed & (lost > gained),
    }).drop(index=reference)
    table.attrs.update(better_off=better, worse_off=worse, metric=metric)
    return table


def plot_tradeoff(
    table: pd.DataFrame, *, paths: Mapping[str, pd.DataFrame] | None = None, axes: Any = None
) -> np.ndarray:
    """Two panels, accuracy against DPD and against EOD: one labelled point per method, optional paths as lines.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`tradeoff_table`.
    paths : mapping, optional
        Name -> a table with the same columns whose rows form a path (e.g. a sweep of λ), drawn as a line.
    axes : two matplotlib Axes, optional

    Returns
    -------
    numpy.ndarray of two Axes

    Examples
    --------
    >>> table = pd.DataFrame({"accuracy": [0.85, 0.83], "dpd": [0.18, 0.01], "eod": [0.09, 0.3]},
    ...                      index=pd.Index(["baseline", "fair"], name="method"))
    >>> [ax.get_xlabel() for ax in plot_tradeoff(table)]
    ['demographic parity difference', 'equalized odds difference']
    >>> plt.close("all")
    """
    check_type("table", table, pd.DataFrame, "a DataFrame from tradeoff_table")
    missing = {"accuracy", "dpd", "eod"} - set(table.columns)
    if missing:
        raise ValueError(f"table must have columns accuracy, dpd and eod; got no {sorted(missing)}")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    axes = np.asarray(axes).ravel()
    colors = plt.get_cmap("tab20")(np.linspace(0, 1, 20))
    for ax, column, label in zip(axes, ("dpd", "eod"), ("demographic parity difference", "equalized odds difference")):
        for (name, path), color in zip((paths or {}).items(), ("0.6", "0.3")):
            ax.plot(path[column], path["accuracy"], "-o", color=color, markersize=3, lw=1, label=name, zorder=1)
        for i, (name, row) in enumerate(table.iterrows()):
            ax.scatter(
                row[column], row["accuracy"], s=60, color=colors[i % 20], edgecolor="black", zorder=2, label=name
            )
        ax.set_xlabel(label)
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("accuracy (test split)")
    axes[-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8, frameon=False)
    return axes
