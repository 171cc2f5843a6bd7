"""Post-processing for equalized odds (Hardt, Price & Srebro 2016), written from scratch (lesson 08).

Given a fitted model's scores, :class:`EqualizedOddsPostprocessor` picks for
every group a (randomized) threshold rule so that all groups share the same
true positive rate *and* the same false positive rate, at the most accurate
such point:

1. each group's ROC curve (one point per threshold) is replaced by its upper
   convex hull: any point on a hull segment is reached by flipping a biased
   coin between the two thresholds at its ends;
2. a point (FPR, TPR) is reachable by every group when it lies under every
   hull; accuracy grows with TPR, so the best shared point lies on the lower
   envelope ``min_g hull_g(FPR)`` and the search is one-dimensional;
3. a group whose hull lies above that point is pulled down to it by mixing its
   rule with a coin that says "yes" with probability FPR (the diagonal).

The rule needs the **sensitive attribute at decision time**: two people with
the same score but different groups can get different decisions. The test
suite cross-checks it against fairlearn's ``ThresholdOptimizer``.

:func:`group_rates` and :func:`expected_disparities` measure a randomized rule
by its *expected* rates (the probability of a "yes", averaged), which do not
depend on the coin flips.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import roc_curve

from .._validation import check_number
from ..environment import make_rng
from ._arrays import binary_labels, group_codes, probabilities

__all__ = ["EqualizedOddsPostprocessor", "ScoreColumn", "group_rates", "expected_disparities"]


def _scores(name: str, values: Any, length: int | None = None) -> np.ndarray:
    array = np.asarray(values.detach().cpu().numpy() if hasattr(values, "detach") else values, dtype=np.float64)
    if array.ndim != 1 or len(array) == 0 or (length is not None and len(array) != length):
        expected = f"{length} values" if length is not None else "at least one value"
        raise ValueError(f"{name} must be a 1-D array of scores with {expected}; got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must hold finite scores; got {int((~np.isfinite(array)).sum())} NaN or inf value(s)")
    return array


def _upper_hull(fpr: np.ndarray, tpr: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, ...]:
    """Upper convex hull of ROC points sorted by FPR (then TPR); returns its vertices and their thresholds."""
    order = np.lexsort((tpr, fpr))
    hull: list[int] = []
    for i in order:
        while len(hull) >= 2:
            o, a = hull[-2], hull[-1]
            cross = (fpr[a] - fpr[o]) * (tpr[i] - tpr[o]) - (tpr[a] - tpr[o]) * (fpr[i] - fpr[o])
            if cross < 0:  # a right turn keeps the middle vertex on the upper hull
                break
            hull.pop()
        hull.append(i)
    index = np.array(hull)
    return fpr[index], tpr[index], thresholds[index]


class EqualizedOddsPostprocessor:
    """Group-specific randomized thresholds that equalize TPR and FPR (Hardt et al. 2016), used in lesson 08.

    Parameters
    ----------
    grid_size : int, default 1000
        The shared FPR is searched on ``grid_size + 1`` evenly spaced values
        plus every hull vertex of every group.

    Attributes
    ----------
    operating_point_ : tuple of float
        The shared (FPR, TPR) on the data it was fitted on.
    hulls_ : dict
        Group -> its ROC hull as a DataFrame (``fpr``, ``tpr``, ``threshold``), for plots.
    rules_ : pandas.DataFrame
        Per group: the two thresholds mixed (``threshold_low``, ``threshold_high``),
        the probability of using the lower one (``p_low``), the probability of
        following the thresholds at all (``q``; otherwise the answer is "yes"
        with probability ``fpr``), and the group's hull TPR at that FPR.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> group = np.repeat(["a", "b"], 500)
    >>> y = rng.binomial(1, 0.4, 1000)
    >>> score = y * np.where(group == "a", 1.5, 0.5) + rng.normal(size=1000)
    >>> post = EqualizedOddsPostprocessor().fit(score, y, sensitive_features=group)
    >>> rates = group_rates(y, post.predict_proba(score, sensitive_features=group), sensitive_features=group)
    >>> bool(np.ptp(rates["tpr"]) < 1e-9 and np.ptp(rates["fpr"]) < 1e-9)
    True
    """

    def __init__(self, *, grid_size: int = 1000) -> None:
        self.grid_size = check_number("grid_size", grid_size, low=1, integer=True)

    def fit(self, y_score: Any, y_true: Any, *, sensitive_features: Any) -> EqualizedOddsPostprocessor:
        """Find the shared operating point and every group's rule from scores and true labels."""
        labels = binary_labels("y_true", y_true)
        scores = _scores("y_score", y_score, len(labels))
        codes, groups = group_codes(sensitive_features, length=len(labels))
        hulls = []
        for g, group in enumerate(groups):
            member = codes == g
            if labels[member].min() == labels[member].max():
                raise ValueError(
                    f"y_true must hold both labels in every group; "
                    f"got only label {labels[member][0]} in group {group!r}"
                )
            fpr, tpr, thresholds = roc_curve(labels[member], scores[member], drop_intermediate=False)
            thresholds = thresholds.copy()
            thresholds[-1] = -np.inf  # the (1, 1) corner says "yes" to everyone, new data included
            hulls.append(_upper_hull(fpr, tpr, thresholds))
        candidates = np.unique(np.concatenate([np.linspace(0, 1, self.grid_size + 1), *[h[0] for h in hulls]]))
        envelope = np.min([self._hull_tpr(h, candidates) for h in hulls], axis=0)
        base_rate = labels.mean()
        accuracy = base_rate * envelope + (1 - base_rate) * (1 - candidates)
        best = int(np.argmax(accuracy))
        x, y = float(candidates[best]), float(envelope[best])
        rows = []
        for group, hull in zip(groups, hulls):
            rows.append({"group": group, **self._rule(hull, x, y)})
        self.groups_ = groups
        self.hulls_ = {
            group: pd.DataFrame(dict(zip(["fpr", "tpr", "threshold"], hull))) for group, hull in zip(groups, hulls)
        }
        self.operating_point_ = (x, y)
        self.rules_ = pd.DataFrame(rows).set_index("group")
        return self

    @staticmethod
    def _hull_tpr(hull: tuple[np.ndarray, ...], x: np.ndarray) -> np.ndarray:
        hx, hy, _ = hull
        index = np.searchsorted(hx, x, side="right") - 1  # the last vertex at or left of x (the highest one if tied)
        right = np.minimum(index + 1, len(hx) - 1)
        width = hx[right] - hx[index]
        weight = np.divide(x - hx[index], width, out=np.zeros_like(x, dtype=float), where=width > 0)
        return hy[index] + weight * (hy[right] - hy[index])

    @staticmethod
    def _rule(hull: tuple[np.ndarray, ...], x: float, y: float) -> dict[str, float]:
        hx, hy, ht = hull
        index = int(np.searchsorted(hx, x, side="right") - 1)
        if hx[index] == x or index == len(hx) - 1:
            low = high = index
            weight = 0.0
        else:
            low, high = index + 1, index  # the right vertex has the lower threshold
            weight = (x - hx[index]) / (hx[index + 1] - hx[index])
        hull_tpr = float(hy[index] + weight * (hy[low] - hy[index])) if low != high else float(hy[index])
        q = 1.0 if hull_tpr <= x else (y - x) / (hull_tpr - x)
        return {
            "threshold_low": float(ht[low]),
            "threshold_high": float(ht[high]),
            "p_low": float(weight),
            "q": float(min(max(q, 0.0), 1.0)),
            "fpr": x,
            "hull_tpr": hull_tpr,
        }

    def _check_fitted(self) -> None:
        if not hasattr(self, "rules_"):
            raise RuntimeError("this EqualizedOddsPostprocessor is not fitted yet; call fit(y_score, y_true, ...)")

    def predict_proba(self, y_score: Any, *, sensitive_features: Any) -> np.ndarray:
        """The probability that each row gets a "yes" (label 1) under its group's randomized rule."""
        self._check_fitted()
        scores = _scores("y_score", y_score)
        codes, groups = group_codes(sensitive_features, length=len(scores), length_of="y_score")
        unknown = [g for g in groups if g not in self.rules_.index]
        if unknown:
            seen = list(self.rules_.index)
            raise ValueError(f"sensitive_features must hold groups seen in fit ({seen}); got {unknown}")
        rules = self.rules_.loc[list(groups)].to_numpy()[codes]
        t_low, t_high, p_low, q, fpr = (rules[:, i].astype(float) for i in range(5))
        follow = p_low * (scores >= t_low) + (1 - p_low) * (scores >= t_high)
        return q * follow + (1 - q) * fpr

    def predict(
        self, y_score: Any, *, sensitive_features: Any, rng: np.random.Generator | int | None = None
    ) -> np.ndarray:
        """Decisions 0/1: each row says "yes" with its :meth:`predict_proba` probability (seeded coin flips)."""
        proba = self.predict_proba(y_score, sensitive_features=sensitive_features)
        return (make_rng(rng).random(len(proba)) < proba).astype(np.int64)


def group_rates(y_true: Any, p_positive: Any, *, sensitive_features: Any) -> pd.DataFrame:
    """Expected selection rate, TPR and FPR per group of a randomized classifier (lesson 08).

    With 0/1 decisions these are the usual rates (as in
    :class:`ppml_lessons.fairness.metrics.GroupReport`); with probabilities of
    a "yes" they are what the rates average to over the coin flips.

    Examples
    --------
    >>> group_rates([1, 0, 1, 0], [0.5, 0.5, 1.0, 0.0], sensitive_features=list("aabb")).to_dict("index")
    {'a': {'selection_rate': 0.5, 'tpr': 0.5, 'fpr': 0.5}, 'b': {'selection_rate': 0.5, 'tpr': 1.0, 'fpr': 0.0}}
    """
    labels = binary_labels("y_true", y_true)
    proba = probabilities("p_positive", p_positive, length=len(labels))
    codes, groups = group_codes(sensitive_features, length=len(labels))
    frame = pd.DataFrame({"g": codes, "y": labels, "p": proba})
    rows = {}
    for g, group in enumerate(groups):
        part = frame[frame["g"] == g]
        rows[group] = {
            "selection_rate": part["p"].mean(),
            "tpr": part.loc[part["y"] == 1, "p"].mean(),
            "fpr": part.loc[part["y"] == 0, "p"].mean(),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = groups
    return out


def expected_disparities(y_true: Any, p_positive: Any, *, sensitive_features: Any) -> dict[str, float]:
    """Demographic parity and equalized odds differences of the expected rates (see :func:`group_rates`).

    Examples
    --------
    >>> expected_disparities([1, 0, 1, 0], [0.5, 0.5, 1.0, 0.0], sensitive_features=list("aabb"))
    {'dpd': 0.0, 'eod': 0.5}
    """
    rates = group_rates(y_true, p_positive, sensitive_features=sensitive_features)
    spread = rates.max() - rates.min()
    return {"dpd": float(spread["selection_rate"]), "eod": float(max(spread["tpr"], spread["fpr"]))}


class ScoreColumn(ClassifierMixin, BaseEstimator):
    """A stand-in "model" whose prediction is its input's first column: it hands precomputed scores to fairlearn.

    Lesson 08 fits fairlearn's ``ThresholdOptimizer(estimator=ScoreColumn(), prefit=True,
    predict_method="predict")`` on ``scores[:, None]``, so that the library and
    :class:`EqualizedOddsPostprocessor` post-process exactly the same scores.

    Examples
    --------
    >>> ScoreColumn().fit(None, None).predict(np.array([[0.2], [0.9]])).tolist()
    [0.2, 0.9]
    """

    def fit(self, x: Any, y: Any) -> ScoreColumn:
        """Nothing to learn; marks the stand-in as fitted."""
        self.fitted_ = True
        return self

    def predict(self, x: Any) -> np.ndarray:
        """The first column of ``x``."""
        return np.asarray(x, dtype=np.float64)[:, 0]
