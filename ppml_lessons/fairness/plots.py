"""The figures of lesson 07: per-group metric bars with intervals, and reliability diagrams."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._validation import check_number, check_type
from ..plotting import bar_chart
from .metrics import GroupReport
from .uncertainty import GroupIntervals

__all__ = ["group_label", "group_metric_bars", "reliability_diagram"]

#: Axis labels of the built-in metrics.
LABELS = {
    "count": "people",
    "base_rate": "base rate P(Y=1)",
    "selection_rate": "selection rate P(Ŷ=1)",
    "tpr": "true positive rate",
    "fpr": "false positive rate",
    "fnr": "false negative rate",
    "tnr": "true negative rate",
    "precision": "precision (PPV)",
    "accuracy": "accuracy",
}

#: What each metric's bar length measures, for the x axis of :func:`group_metric_bars`.
AXIS_LABELS = {
    "count": "people in the group",
    "base_rate": "share of the group with Y=1",
    "selection_rate": "share of the group selected",
    "tpr": "share of the group's positives selected",
    "fpr": "share of the group's negatives selected",
    "fnr": "share of the group's positives not selected",
    "tnr": "share of the group's negatives not selected",
    "precision": "share of those selected who are positive",
    "accuracy": "share of the group decided correctly",
}


def group_label(group: Any) -> str:
    """A group's label for a figure: intersections joined with " & ".

    Used by the figures and tables of lesson 07.

    Examples
    --------
    >>> group_label(("Female", "Black"))
    'Female & Black'
    """
    return " & ".join(str(g) for g in group) if isinstance(group, tuple) else str(group)


def group_metric_bars(
    report: GroupReport,
    *,
    metrics: Sequence[str] | None = None,
    intervals: GroupIntervals | None = None,
    ncols: int = 3,
    title: str = "",
) -> Figure:
    """One panel per metric, one bar per group, with interval whiskers and the overall value dashed.

    Used in lesson 07 for the per-group report of a model.

    Parameters
    ----------
    report : GroupReport
    metrics : sequence of str, optional
        Columns of ``report.by_group`` to draw; all of them by default.
    intervals : GroupIntervals, optional
        From :func:`~.uncertainty.bootstrap_intervals` on the same report.
    ncols : int, default 3
        Panels per row.
    title : str

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> report = GroupReport(metrics=["tpr", "fpr"], y_true=[1, 0, 1, 0], y_pred=[1, 0, 0, 1],
    ...                      sensitive_features=["a", "a", "b", "b"])
    >>> len(group_metric_bars(report).axes)
    2
    """
    check_type("report", report, GroupReport, "a GroupReport")
    check_number("ncols", ncols, low=1, integer=True)
    by_group = report.by_group
    metrics = list(by_group.columns) if metrics is None else list(metrics)
    unknown = [m for m in metrics if m not in by_group.columns]
    if unknown or not metrics:
        raise ValueError(f"metrics must be columns of report.by_group {list(by_group.columns)}; got {metrics}")
    if intervals is not None:
        check_type("intervals", intervals, GroupIntervals, "GroupIntervals from bootstrap_intervals")
        if not intervals.lower.index.equals(by_group.index):
            raise ValueError("intervals must come from the same report (same groups); got different groups")
    labels = [group_label(g) for g in by_group.index]
    ncols = min(ncols, len(metrics))
    nrows = int(np.ceil(len(metrics) / ncols))
    height = 0.3 * len(labels) + 1.2
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols + 1.2, height * nrows), squeeze=False, sharey=True)
    for ax, metric in zip(axes.flat, metrics):
        spec = report.metric_specs[metric]
        is_rate = spec != "count"
        values = pd.Series(by_group[metric].to_numpy(), index=labels)
        lower = upper = None
        if intervals is not None and is_rate:
            lower = pd.Series(intervals.lower[metric].to_numpy(), index=labels)
            upper = pd.Series(intervals.upper[metric].to_numpy(), index=labels)
        bar_chart(values, lower=lower, upper=upper, ax=ax, reference=float(report.overall[metric]) if is_rate else None,
                  xlabel=AXIS_LABELS.get(spec, metric) if isinstance(spec, str) else metric)
        ax.set_title(LABELS.get(spec, metric) if isinstance(spec, str) else metric, fontsize=10)
        if is_rate:
            ax.set_xlim(left=0)
        else:
            ax.set_xscale("log")
            ax.set_title(f"{ax.get_title()} (log scale)", fontsize=10)
    for ax in axes.flat[len(metrics) :]:
        ax.set_visible(False)
    grouping = " & ".join(str(n) for n in by_group.index.names if n is not None) or "group"
    for ax in axes[:, 0]:
        ax.set_ylabel(grouping)
    parts = [title, "Dashed line: everyone."]
    if intervals is not None:
        parts.append(f"Whiskers: {intervals.level:.0%} bootstrap intervals.")
    fig.suptitle(" ".join(p for p in parts if p), fontsize=10)
    fig.tight_layout()
    return fig


def reliability_diagram(table: pd.DataFrame, *, ax: Axes | None = None, title: str = "") -> Axes:
    """Observed positive rate against mean score, one line per group, with interval whiskers.

    Draws the output of :func:`~.calibration.calibration_table`. Points on the
    diagonal mean calibrated scores; marker area grows with the bin's count.

    Examples
    --------
    >>> from ppml_lessons.fairness.calibration import calibration_table
    >>> ax = reliability_diagram(calibration_table([0, 1, 0, 1], [0.2, 0.6, 0.3, 0.9], n_bins=2))
    >>> len(ax.lines) >= 2
    True
    """
    check_type("table", table, pd.DataFrame, "a DataFrame from calibration_table")
    needed = ["bin", "count", "mean_score", "observed_rate", "lower", "upper"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"table must have the columns of calibration_table {needed}; got no {missing}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    names = list(table.columns[: table.columns.get_loc("bin")])
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="calibrated")
    for key, part in table.groupby(names, observed=True, sort=False):
        label = group_label(key if len(names) > 1 else key[0] if isinstance(key, tuple) else key)
        yerr = np.vstack([part["observed_rate"] - part["lower"], part["upper"] - part["observed_rate"]])
        line = ax.errorbar(part["mean_score"], part["observed_rate"], yerr=yerr, marker="o", markersize=3,
                           linewidth=1.2, capsize=2, label=label)
        ax.scatter(part["mean_score"], part["observed_rate"], s=np.sqrt(part["count"]) * 2, alpha=0.4,
                   color=line.lines[0].get_color())
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="mean predicted probability", ylabel="observed share positive")
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title)
    return ax
