"""Honest uncertainty for per-group metrics: a seeded bootstrap and Wilson intervals (lesson 07).

The bootstrap resamples people *within* each group (group sizes stay fixed, as
in the data). For the built-in metrics of :class:`~.metrics.GroupReport` a
resample only matters through its confusion counts, and resampling ``n`` rows
with replacement gives counts that follow a multinomial distribution with the
observed cell shares. So a replicate is one multinomial draw per group, which
is exactly the row bootstrap and takes microseconds.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_number, check_type
from ..environment import make_rng
from .counts import aggregate_difference, aggregate_ratio, metric_from_counts
from .metrics import GroupReport

__all__ = ["GroupIntervals", "bootstrap_intervals", "wilson_interval"]


@dataclass(frozen=True)
class GroupIntervals:
    """Percentile bootstrap intervals of a :class:`~.metrics.GroupReport`.

    Returned by :func:`bootstrap_intervals` (lesson 07).

    Attributes
    ----------
    level : float
        Confidence level, e.g. 0.95.
    lower, upper : pandas.DataFrame
        Interval ends, shaped like ``report.by_group``.
    undefined : pandas.DataFrame
        Share of replicates in which the metric was undefined (0/0) for the
        group; those replicates are left out of its interval, so a large
        share means the interval is not to be trusted.
    replicates : numpy.ndarray, shape (n_boot, groups, metrics)
        The bootstrap values of ``by_group``.
    overall_replicates : numpy.ndarray, shape (n_boot, metrics)
    estimates : pandas.DataFrame
        The report's ``by_group`` values themselves (what the intervals are around).
    """

    level: float
    lower: pd.DataFrame
    upper: pd.DataFrame
    undefined: pd.DataFrame
    replicates: np.ndarray
    overall_replicates: np.ndarray
    estimates: pd.DataFrame

    def _interval(self, values: np.ndarray) -> pd.DataFrame:
        tail = (1 - self.level) / 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN
            low, high = np.nanquantile(values, [tail, 1 - tail], axis=0)
        return pd.DataFrame({"lower": low, "upper": high}, index=self.lower.columns)

    def difference(self, method: str = "between_groups") -> pd.DataFrame:
        """Bootstrap interval of :meth:`GroupReport.difference`: columns ``lower``, ``upper``, one row per metric.

        The gap is unsigned (largest minus smallest), so its interval never
        goes below 0, and it is biased upwards when groups are small and close
        (the maximum of noisy values). To compare two groups, use
        :meth:`contrast`, which keeps the sign.
        """
        return self._interval(aggregate_difference(self.replicates, self.overall_replicates, method))

    def contrast(self, metric: str, first: object, second: object) -> tuple[float, float]:
        """Interval of the signed gap ``by_group[metric][first] - by_group[metric][second]``.

        Examples
        --------
        >>> report = GroupReport(metrics=["accuracy"], y_true=[1, 0] * 100, y_pred=[1, 0] * 50 + [1, 1] * 50,
        ...                      sensitive_features=["a"] * 100 + ["b"] * 100)
        >>> low, high = bootstrap_intervals(report, n_boot=500, rng=0).contrast("accuracy", "a", "b")
        >>> bool(0.35 < low < 0.5 < high < 0.65)
        True
        """
        columns, groups = list(self.lower.columns), list(self.lower.index)
        if metric not in columns:
            raise ValueError(f"metric must be one of the report's metrics {columns}; got {metric!r}")
        for name, group in (("first", first), ("second", second)):
            if group not in groups:
                raise ValueError(f"{name} must be one of the groups {groups}; got {group!r}")
        j = columns.index(metric)
        gaps = self.replicates[:, groups.index(first), j] - self.replicates[:, groups.index(second), j]
        tail = (1 - self.level) / 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = np.nanquantile(gaps, [tail, 1 - tail])
        return float(low), float(high)

    def pairwise(self, metric: str) -> pd.DataFrame:
        """Simultaneous intervals for every pairwise gap ``by_group[metric][a] - by_group[metric][b]``.

        The largest gap over many groups is a maximum of noisy numbers: its
        interval from :meth:`difference` is biased upwards and is driven by the
        smallest groups. Comparing pairs is honest, but with ``k`` groups there
        are ``k (k - 1) / 2`` pairs, and some 95% intervals would exclude 0 by
        chance alone. These intervals hold *together* with probability
        ``level``: the studentized maximum over pairs (a bootstrap max-t band,
        cf. Romano & Wolf 2005) widens each pair's interval
        ``gap ± c · se`` until ``level`` of the replicates fall inside all of
        them at once. A pair whose interval excludes 0 is a gap the data support.

        Returns
        -------
        pandas.DataFrame
            One row per pair (``first``, ``second``, with ``first``'s value the
            larger): ``gap``, ``lower``, ``upper``, ``se`` (bootstrap standard
            error), ``clear`` (the interval excludes 0). Pairs where a group's
            metric is undefined in the data, or in every replicate, are left out.
            The critical value ``c`` is in ``attrs["critical_value"]``.

        Examples
        --------
        >>> report = GroupReport(metrics=["accuracy"], y_true=[1] * 300, y_pred=[1] * 90 + [0] * 10 + [1] * 50
        ...                      + [0] * 50 + [1] * 48 + [0] * 52, sensitive_features=list("a" * 100 + "b" * 100
        ...                      + "c" * 100))
        >>> pairs = bootstrap_intervals(report, n_boot=2000, rng=0).pairwise("accuracy")
        >>> pairs[["first", "second", "clear"]].to_dict("list")
        {'first': ['a', 'a', 'b'], 'second': ['b', 'c', 'c'], 'clear': [True, True, False]}
        """
        columns, groups = list(self.lower.columns), list(self.lower.index)
        if metric not in columns:
            raise ValueError(f"metric must be one of the report's metrics {columns}; got {metric!r}")
        j = columns.index(metric)
        values, draws = self.estimates[metric].to_numpy(float), self.replicates[:, :, j]
        rows, deviations = [], []
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            for a in range(len(groups)):
                for b in range(a + 1, len(groups)):
                    first, second = (a, b) if values[a] >= values[b] else (b, a)
                    gap = values[first] - values[second]
                    gaps = draws[:, first] - draws[:, second]
                    se = np.nanstd(gaps, ddof=1)
                    if not np.isfinite(gap) or not np.isfinite(se) or se == 0:
                        continue
                    rows.append({"first": groups[first], "second": groups[second], "gap": gap, "se": se})
                    deviations.append(np.abs(gaps - gap) / se)
            if not rows:
                raise ValueError(f"metric {metric!r} has no pair of groups with a defined, varying gap")
            largest = np.nanmax(np.stack(deviations, axis=1), axis=1)  # per replicate, over pairs
            critical = float(np.nanquantile(largest, self.level))
        table = pd.DataFrame(rows)
        table["lower"] = table["gap"] - critical * table["se"]
        table["upper"] = table["gap"] + critical * table["se"]
        table["clear"] = table["lower"] > 0
        table = table[["first", "second", "gap", "lower", "upper", "se", "clear"]]
        table.attrs["critical_value"] = critical
        return table

    def ratio(self, method: str = "between_groups") -> pd.DataFrame:
        """Bootstrap interval of :meth:`GroupReport.ratio`: columns ``lower``, ``upper``, one row per metric."""
        return self._interval(aggregate_ratio(self.replicates, self.overall_replicates, method))


def bootstrap_intervals(
    report: GroupReport, *, n_boot: int = 1000, level: float = 0.95, rng: np.random.Generator | int | None = None
) -> GroupIntervals:
    """Percentile bootstrap intervals for every group and metric of ``report`` (lesson 07).

    People are resampled with replacement within each group, ``n_boot``
    times; each interval holds the middle ``level`` share of the replicate
    values. Only built-in metrics (names in :data:`~.metrics.METRICS`) are
    supported.

    Parameters
    ----------
    report : GroupReport
    n_boot : int, default 1000
        Number of bootstrap replicates, in [1, inf).
    level : float, default 0.95
        Confidence level, in (0, 1).
    rng : numpy.random.Generator, int or None
        Same seed, same intervals.

    Returns
    -------
    GroupIntervals

    Examples
    --------
    >>> report = GroupReport(metrics=["accuracy"], y_true=[1, 0] * 50, y_pred=[1, 1] * 50,
    ...                      sensitive_features=["a"] * 100)
    >>> ci = bootstrap_intervals(report, n_boot=500, rng=0)
    >>> bool(ci.lower.loc["a", "accuracy"] < 0.5 < ci.upper.loc["a", "accuracy"])
    True
    """
    check_type("report", report, GroupReport, "a GroupReport")
    n_boot = check_number("n_boot", n_boot, low=1, integer=True)
    level = check_number("level", level, low=0, high=1, low_open=True, high_open=True)
    specs = report.metric_specs
    custom = [name for name, spec in specs.items() if not isinstance(spec, str)]
    if custom:
        raise ValueError(
            f"report must use built-in metrics only for the bootstrap; got callable metric(s) {custom}. "
            "Build a GroupReport with metric names instead"
        )
    generator = make_rng(rng)
    counts = report.counts.to_numpy()
    sizes = counts.sum(axis=1)
    replicate_counts = np.stack(
        [generator.multinomial(n, row / n, size=n_boot) for n, row in zip(sizes, counts)], axis=1
    )  # (n_boot, groups, 4)
    metric_names = list(specs.values())
    with np.errstate(all="ignore"):
        replicates = np.stack([metric_from_counts(m, replicate_counts) for m in metric_names], axis=-1)
        overall = np.stack([metric_from_counts(m, replicate_counts.sum(axis=1)) for m in metric_names], axis=-1)
    tail = (1 - level) / 2
    index, columns = report.by_group.index, list(specs)
    undefined = np.isnan(replicates).mean(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a metric undefined in every replicate: NaN
        low, high = np.nanquantile(replicates, [tail, 1 - tail], axis=0)
    return GroupIntervals(
        level=level,
        lower=pd.DataFrame(low, index=index, columns=columns),
        upper=pd.DataFrame(high, index=index, columns=columns),
        undefined=pd.DataFrame(undefined, index=index, columns=columns),
        replicates=replicates,
        overall_replicates=overall,
        estimates=report.by_group[columns].astype(float),
    )


def wilson_interval(successes, trials, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion (Wilson, 1927), element-wise.

    Better than the normal approximation ``p ± 1.96 sqrt(p(1-p)/n)`` on small
    groups and near 0 or 1: it never leaves [0, 1] and keeps close to its
    nominal coverage (Brown, Cai & DasGupta, 2001). Used in lesson 07 for
    per-group accuracy and for the bins of reliability diagrams.

    Parameters
    ----------
    successes : int or array of int
        In [0, trials].
    trials : int or array of int
        In [1, inf).
    level : float, default 0.95

    Returns
    -------
    lower, upper : numpy.ndarray

    Examples
    --------
    >>> low, high = wilson_interval(40, 50)
    >>> round(float(low), 3), round(float(high), 3)
    (0.67, 0.888)
    """
    level = check_number("level", level, low=0, high=1, low_open=True, high_open=True)
    k, n = np.asarray(successes), np.asarray(trials)
    if k.dtype.kind not in "iu" or n.dtype.kind not in "iu":
        raise TypeError(f"successes and trials must be integers; got dtypes {k.dtype} and {n.dtype}")
    if np.any(n < 1):
        raise ValueError(f"trials must be integers in [1, inf); got minimum {n.min()}")
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("successes must be integers in [0, trials]; got a value outside that range")
    z = stats.norm.ppf((1 + level) / 2)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half
