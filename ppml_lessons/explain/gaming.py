"""Fooling explainers (lesson 09): a classifier that behaves one way on real data and another off it.

Slack et al. (2020) showed that LIME and Kernel SHAP can be gamed because
they query the model on perturbed inputs that look unlike real data (a feature
taken from one person, the rest from another). A *scaffold* trains a detector
that tells real rows from such perturbations, then answers real rows with a
biased model and perturbed rows with an innocuous one. Explanations built from
perturbations then mostly see the innocuous model.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from .._validation import check_type
from ..environment import make_rng

__all__ = ["interventional_perturbations", "ScaffoldedClassifier", "fit_scaffold"]

Scorer = Callable[[np.ndarray], np.ndarray]


def interventional_perturbations(
    x: np.ndarray, *, background: np.ndarray, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """Rows like those SHAP and LIME query: each keeps a random subset of ``x``'s features, the rest from a background row.

    Each row draws its own keep-probability uniformly in [0, 1], so coalitions
    of every size appear, as in Shapley sampling.

    Examples
    --------
    >>> z = interventional_perturbations(np.ones((4, 3)), background=np.zeros((2, 3)), rng=0)
    >>> z.shape, set(np.unique(z)) <= {0.0, 1.0}
    ((4, 3), True)
    """
    check_type("x", x, np.ndarray, "a 2-D numpy array")
    check_type("background", background, np.ndarray, "a 2-D numpy array")
    if x.ndim != 2 or background.ndim != 2 or x.shape[1] != background.shape[1] or len(background) == 0:
        raise ValueError(f"background must have shape (b, {x.shape[-1]}) with b >= 1 like x; got {background.shape}")
    generator = make_rng(rng)
    keep = generator.random(x.shape) < generator.random((len(x), 1))
    donors = background[generator.integers(len(background), size=len(x))]
    return np.where(keep, x, donors)


class ScaffoldedClassifier:
    """Answers with ``biased`` where ``detector`` sees real data, with ``innocuous`` elsewhere (lesson 09).

    Parameters
    ----------
    biased, innocuous : callable
        Map an (m, d) array to m probabilities of class 1.
    detector : fitted scikit-learn classifier
        Class 1 means "looks like real data".
    """

    def __init__(self, biased: Scorer, innocuous: Scorer, detector: RandomForestClassifier) -> None:
        if not (callable(biased) and callable(innocuous)):
            raise TypeError("biased and innocuous must be callables returning probabilities of class 1")
        self.biased, self.innocuous, self.detector = biased, innocuous, detector

    def looks_real(self, z: np.ndarray) -> np.ndarray:
        """Boolean array: where the detector believes ``z`` is real data."""
        return self.detector.predict(z) == 1

    def predict_positive(self, z: np.ndarray) -> np.ndarray:
        """Probability of class 1 for each row of ``z``."""
        z = np.asarray(z, dtype=float)
        return np.where(self.looks_real(z), self.biased(z), self.innocuous(z)).astype(float)

    def predict_proba(self, z: np.ndarray) -> np.ndarray:
        """(m, 2) class probabilities, for explainers such as LIME."""
        p = self.predict_positive(z)
        return np.column_stack([1 - p, p])


def fit_scaffold(
    biased: Scorer,
    innocuous: Scorer,
    x_real: np.ndarray,
    *,
    background: np.ndarray,
    rng: np.random.Generator | int | None = None,
) -> ScaffoldedClassifier:
    """Train the real-vs-perturbed detector on ``x_real`` and its perturbations, and build the scaffold.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.integers(0, 2, size=(400, 1)).astype(float)
    >>> x = np.hstack([a, a, rng.normal(size=(400, 1))])  # the first two columns always agree on real data
    >>> scaffold = fit_scaffold(lambda z: z[:, 0], lambda z: np.full(len(z), 0.5), x, background=x, rng=0)
    >>> bool(scaffold.looks_real(x).mean() > 0.9)
    True
    """
    check_type("x_real", x_real, np.ndarray, "a 2-D numpy array of real rows")
    generator = make_rng(rng)
    perturbed = interventional_perturbations(x_real, background=background, rng=generator)
    # a perturbation that kept every feature (or copied identical values) is a real row: label it so
    real_again = np.all(perturbed == x_real, axis=1)
    features = np.vstack([x_real, perturbed[~real_again]])
    labels = np.r_[np.ones(len(x_real)), np.zeros(int((~real_again).sum()))]
    detector = RandomForestClassifier(
        n_estimators=50, min_samples_leaf=5, random_state=int(generator.integers(2**31 - 1))
    ).fit(features, labels)
    return ScaffoldedClassifier(biased, innocuous, detector)
