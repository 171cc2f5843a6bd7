"""Membership inference: was this example in the model's training set? (lesson 05)

An attack gives every candidate example a *score*; a higher score means "more
likely a member". Everything else follows from the scores and the truth:

- the metrics, :func:`roc_curve`, :func:`roc_auc` and :func:`tpr_at_fpr`. Carlini et al.
  (2022) argue for the true-positive rate at a *low* false-positive rate: an attack
  that confidently identifies a few members is a privacy breach even when its AUC is
  near 0.5;
- the scores: :func:`per_example_loss` for the loss-threshold attack of Yeom et al.
  (2018), :func:`logit_confidence` (log(p / (1 - p)) of the true class, computed
  from the logits without rounding to 1) for the likelihood-ratio attack (LiRA) of
  Carlini et al. (2022) in its offline form, :func:`lira_offline`;
- the bound that (ε, δ)-differential privacy puts on *every* attack,
  :func:`dp_tpr_bound`, and the ε an attack's measured (FPR, TPR) proves at least,
  :func:`epsilon_lower_bound` (the idea of DP auditing, Jagielski et al. 2020,
  Nasr et al. 2021).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from scipy import stats
from torch import nn

from .._validation import check_number, check_type
from ..environment import make_rng
from ..training import predict_logits

__all__ = [
    "roc_curve",
    "roc_auc",
    "tpr_at_fpr",
    "per_example_loss",
    "logit_confidence",
    "model_logits",
    "loss_threshold_attack",
    "lira_offline",
    "shadow_splits",
    "dp_tpr_bound",
    "epsilon_lower_bound",
]


# ----- argument checks ---------------------------------------------------------------------------
def _vector(name: str, values: Any, *, finite: bool = True) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    if isinstance(values, (str, bytes)) or np.ndim(values) != 1:
        raise TypeError(f"{name} must be a 1-D array of numbers; got {type(values).__name__} "
                        f"with {np.ndim(values)} dimensions")
    array = np.asarray(values)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must be a 1-D array of numbers; got an array of dtype {array.dtype}")
    array = array.astype(float)
    if len(array) == 0:
        raise ValueError(f"{name} must hold at least one value; got an empty array")
    if finite and not np.all(np.isfinite(array)):
        bad = array[~np.isfinite(array)][0]
        raise ValueError(f"{name} must hold finite numbers in (-inf, inf); got {bad}")
    return array


def _membership(is_member: Any, size: int) -> np.ndarray:
    if isinstance(is_member, torch.Tensor):
        is_member = is_member.detach().cpu().numpy()
    if isinstance(is_member, (str, bytes)) or np.ndim(is_member) != 1:
        raise TypeError(f"is_member must be a 1-D array of bools (or 0/1); got {type(is_member).__name__} "
                        f"with {np.ndim(is_member)} dimensions")
    array = np.asarray(is_member)
    if array.dtype != bool:
        if not np.issubdtype(array.dtype, np.number) or not np.all(np.isin(array, (0, 1))):
            raise ValueError(f"is_member must hold only True/False or 0/1; got values {np.unique(array)[:5]}")
        array = array.astype(bool)
    if len(array) != size:
        raise ValueError(f"is_member must have one entry per score ({size}); got {len(array)}")
    if array.all() or not array.any():
        raise ValueError(f"is_member must contain both members and non-members; got {int(array.sum())} members "
                         f"out of {len(array)}")
    return array


def _labels(labels: Any, n: int, num_classes: int) -> np.ndarray:
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    array = np.asarray(labels)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"labels must be a 1-D array of integer class indices; got {type(labels).__name__} "
                        f"of dtype {array.dtype} with {array.ndim} dimensions")
    if len(array) != n:
        raise ValueError(f"labels must have one entry per row of logits ({n}); got {len(array)}")
    if len(array) and (array.min() < 0 or array.max() >= num_classes):
        bad = array[(array < 0) | (array >= num_classes)][0]
        raise ValueError(f"labels must be integers in [0, {num_classes - 1}]; got {bad}")
    return array.astype(np.int64)


def _logits(logits: Any) -> np.ndarray:
    if isinstance(logits, torch.Tensor):
        logits = logits.detach().cpu().double().numpy()
    array = np.asarray(logits)
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.number) or array.dtype == bool:
        raise TypeError(f"logits must be a 2-D array (examples, classes) of numbers; got {type(logits).__name__} "
                        f"with {array.ndim} dimensions")
    if array.shape[1] < 2:
        raise ValueError(f"logits must have at least 2 classes (columns); got {array.shape[1]}")
    if not np.all(np.isfinite(array)):
        raise ValueError("logits must hold finite numbers in (-inf, inf); got inf or nan")
    return array.astype(float)


# ----- metrics -----------------------------------------------------------------------------------
def roc_curve(scores: Any, is_member: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve of a membership attack: FPR and TPR at every distinct score threshold.

    The attack says "member" when ``score >= threshold``. The curve starts at
    (0, 0) (threshold +inf) and ends at (1, 1). Equal scores share one point,
    as in :func:`sklearn.metrics.roc_curve` with ``drop_intermediate=False``.
    Used by lesson 05.

    Parameters
    ----------
    scores : array of shape (n,)
        Higher means "more likely a member".
    is_member : array of bool (or 0/1) of shape (n,)
        The truth; must contain both members and non-members.

    Returns
    -------
    fpr, tpr, thresholds : arrays
        ``fpr`` and ``tpr`` never decrease; ``thresholds`` decrease, the first is ``inf``.

    Examples
    --------
    >>> fpr, tpr, thresholds = roc_curve([0.9, 0.8, 0.3, 0.1], [True, False, True, False])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    scores = _vector("scores", scores)
    members = _membership(is_member, len(scores))
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_members = scores[order], members[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(sorted_scores)), len(scores) - 1]
    true_positives = np.cumsum(sorted_members)[last_of_tie]
    false_positives = (last_of_tie + 1) - true_positives
    tpr = np.r_[0.0, true_positives / members.sum()]
    fpr = np.r_[0.0, false_positives / (~members).sum()]
    thresholds = np.r_[np.inf, sorted_scores[last_of_tie]]
    return fpr, tpr, thresholds


def roc_auc(scores: Any, is_member: Any) -> float:
    """Area under the ROC curve: the probability that a random member outscores a random non-member.

    Ties count one half (the Mann-Whitney statistic), which equals the
    trapezoidal area under :func:`roc_curve`. 0.5 is guessing, 1 is perfect.
    Used by lesson 05.

    Examples
    --------
    >>> roc_auc([0.9, 0.8, 0.3, 0.1], [True, False, True, False])
    0.75
    """
    scores = _vector("scores", scores)
    members = _membership(is_member, len(scores))
    ranks = stats.rankdata(scores)  # average ranks for ties
    n_in, n_out = members.sum(), (~members).sum()
    return float((ranks[members].sum() - n_in * (n_in + 1) / 2) / (n_in * n_out))


def tpr_at_fpr(scores: Any, is_member: Any, fpr: float = 0.01) -> float:
    """The highest TPR among the ROC points whose FPR is at most ``fpr``.

    This is how Carlini et al. (2022) report an attack: TPR at 0.1% or 1% FPR.
    With m non-members the smallest non-zero FPR is 1 / m, so TPR at 0.1% FPR
    needs at least 1,000 non-members to mean anything. Used by lesson 05.

    Parameters
    ----------
    scores : array of shape (n,)
    is_member : array of bool of shape (n,)
    fpr : float, default 0.01
        The false-positive rate allowed, in [0, 1].

    Examples
    --------
    >>> scores = [0.95, 0.9, 0.8, 0.7, 0.6, 0.5]
    >>> tpr_at_fpr(scores, [True, True, False, True, False, False], fpr=0.0)
    0.6666666666666666
    >>> tpr_at_fpr(scores, [True, True, False, True, False, False], fpr=0.4)
    1.0
    """
    fpr = check_number("fpr", fpr, low=0, high=1)
    fprs, tprs, _ = roc_curve(scores, is_member)
    return float(tprs[fprs <= fpr + 1e-12].max())


# ----- scores ------------------------------------------------------------------------------------
def per_example_loss(logits: Any, labels: Any) -> np.ndarray:
    """Cross-entropy loss of each example, -log p(true class), from the logits (stable log-softmax).

    The loss-threshold attack (Yeom et al., 2018) scores an example by minus
    its loss: training examples tend to have a lower loss. Used by lesson 05.

    Parameters
    ----------
    logits : array or tensor of shape (n, classes)
    labels : array or tensor of n integer class indices

    Examples
    --------
    >>> per_example_loss([[0.0, 0.0], [2.0, 0.0]], [0, 0]).round(4).tolist()
    [0.6931, 0.1269]
    """
    z = _logits(logits)
    y = _labels(labels, len(z), z.shape[1])
    log_norm = np.logaddexp.reduce(z, axis=1)
    return log_norm - z[np.arange(len(z)), y]


def logit_confidence(logits: Any, labels: Any) -> np.ndarray:
    """The logit-scaled confidence φ = log(p / (1 - p)) of the true class, computed stably.

    With p the softmax probability of the true class, φ = z_y - log Σ_{j≠y} exp(z_j),
    so it never rounds p to 1 (where log(1 - p) would be -inf): for a
    confident model φ can be 40 where p is 1 in floating point. Carlini et al.
    (2022) use φ because it is close to Gaussian across training runs, which
    LiRA assumes. Used by lesson 05.

    Examples
    --------
    >>> logit_confidence([[0.0, 0.0], [50.0, 0.0]], [0, 0]).tolist()
    [0.0, 50.0]
    """
    z = _logits(logits)
    y = _labels(labels, len(z), z.shape[1])
    rows = np.arange(len(z))
    others = z.copy()
    others[rows, y] = -np.inf
    return z[rows, y] - np.logaddexp.reduce(others, axis=1)


def model_logits(model: nn.Module, inputs: torch.Tensor, *, batch_size: int = 1024,
                 device: torch.device | None = None) -> np.ndarray:
    """The logits of ``model`` on ``inputs``, in evaluation mode, as a float64 NumPy array.

    An attacker with black-box access queries the model; these are its answers.
    Used by lesson 05.

    Examples
    --------
    >>> model_logits(nn.Linear(3, 2), torch.zeros(5, 3)).shape
    (5, 2)
    """
    return predict_logits(model, inputs, batch_size=batch_size, device=device).double().numpy()


# ----- attacks -----------------------------------------------------------------------------------
def loss_threshold_attack(losses: Any, *, threshold: float) -> np.ndarray:
    """Yeom et al.'s (2018) attack: guess "member" when the loss is at most ``threshold``.

    Yeom et al. take the model's average training loss as the threshold. To
    draw a ROC curve instead, use ``-losses`` as the scores (every threshold at
    once). Used by lesson 05.

    Parameters
    ----------
    losses : array of shape (n,)
        Per-example losses, e.g. from :func:`per_example_loss`.
    threshold : float
        In (-inf, inf).

    Returns
    -------
    numpy.ndarray of bool
        The membership guesses.

    Examples
    --------
    >>> loss_threshold_attack([0.01, 2.3, 0.4], threshold=0.5).tolist()
    [True, False, True]
    """
    losses = _vector("losses", losses)
    threshold = check_number("threshold", threshold)
    return losses <= threshold


def lira_offline(
    target_confidence: Any,
    shadow_confidences: Any,
    *,
    global_variance: bool = False,
    min_std: float = 1e-3,
) -> np.ndarray:
    """Offline LiRA (Carlini et al., 2022): how far above its non-member distribution each confidence sits.

    Shadow models trained *without* the candidate examples (OUT models) give,
    for each example, a sample of the logit-scaled confidence φ it gets from a
    model that did not train on it. Fit a Gaussian N(μ_i, σ_i²) to each
    example's sample; the target model's φ_i is then tested one-sidedly:
    members tend to get a *higher* confidence. The score is
    ``-log P(φ >= φ_i)`` under the Gaussian, so a higher score means "more
    likely a member" (monotone in the likelihood ratio for a one-sided test).

    Parameters
    ----------
    target_confidence : array of shape (n,)
        φ of the target model on the n candidates (:func:`logit_confidence`).
    shadow_confidences : array of shape (shadows, n)
        φ of each OUT shadow model on the same candidates; at least 2 shadows.
    global_variance : bool, default False
        Use one variance, pooled over all examples, instead of one per example.
        Carlini et al. recommend it when there are few shadow models.
    min_std : float, default 1e-3
        Floor on the standard deviations, in (0, inf), so an example whose
        shadows agree exactly does not get an infinite score.

    Returns
    -------
    numpy.ndarray of shape (n,)
        The attack scores.

    Examples
    --------
    >>> shadows = [[0.0, 2.0], [1.0, 4.0], [2.0, 3.0]]  # 3 shadow models, 2 examples
    >>> lira_offline([3.0, 3.0], shadows).round(3).tolist()  # the first example is unusually confident
    [3.783, 0.693]
    """
    phi = _vector("target_confidence", target_confidence)
    if isinstance(shadow_confidences, torch.Tensor):
        shadow_confidences = shadow_confidences.detach().cpu().numpy()
    shadows = np.asarray(shadow_confidences)
    if shadows.ndim != 2 or not np.issubdtype(shadows.dtype, np.number) or shadows.dtype == bool:
        raise TypeError(f"shadow_confidences must be a 2-D array (shadows, examples) of numbers; got "
                        f"{type(shadow_confidences).__name__} with {shadows.ndim} dimensions")
    shadows = shadows.astype(float)
    if shadows.shape[1] != len(phi):
        raise ValueError(f"shadow_confidences must have one column per target confidence ({len(phi)}); "
                         f"got {shadows.shape[1]}")
    if shadows.shape[0] < 2:
        raise ValueError(f"shadow_confidences must come from at least 2 shadow models (rows); got {shadows.shape[0]}")
    if not np.all(np.isfinite(shadows)):
        raise ValueError("shadow_confidences must hold finite numbers in (-inf, inf); got inf or nan")
    if not isinstance(global_variance, bool):
        raise TypeError(f"global_variance must be a bool (True or False); got {global_variance!r}")
    min_std = check_number("min_std", min_std, low=0, low_open=True)
    mean = shadows.mean(axis=0)
    if global_variance:
        std = np.full_like(mean, math.sqrt(shadows.var(axis=0, ddof=1).mean()))
    else:
        std = shadows.std(axis=0, ddof=1)
    z = (phi - mean) / np.maximum(std, min_std)
    return -stats.norm.logsf(z)


def shadow_splits(pool_size: int, *, n_shadows: int, n_train: int, rng: np.random.Generator | int | None = None
                  ) -> list[np.ndarray]:
    """Draw the training sets of shadow models: ``n_shadows`` random subsets of ``range(pool_size)``.

    The pool must be disjoint from the target's training set and from the
    candidates the attack scores, so that every shadow model is an OUT model
    for every candidate (the offline setting). Subsets of different shadows
    may overlap. Used by lesson 05 and ``benchmarks/membership_sweep.py``.

    Parameters
    ----------
    pool_size : int
        In [1, inf).
    n_shadows : int
        In [1, inf).
    n_train : int
        Examples per shadow model, in [1, pool_size].
    rng : numpy.random.Generator, int or None
        Same seed, same subsets.

    Examples
    --------
    >>> splits = shadow_splits(10, n_shadows=3, n_train=4, rng=0)
    >>> len(splits), [len(s) for s in splits], bool(all(len(set(s)) == 4 for s in splits))
    (3, [4, 4, 4], True)
    """
    pool_size = check_number("pool_size", pool_size, low=1, integer=True)
    n_shadows = check_number("n_shadows", n_shadows, low=1, integer=True)
    n_train = check_number("n_train", n_train, low=1, high=pool_size, integer=True)
    generator = make_rng(rng)
    return [np.sort(generator.choice(pool_size, size=n_train, replace=False)) for _ in range(n_shadows)]


# ----- what differential privacy promises --------------------------------------------------------
def dp_tpr_bound(fpr: Any, *, epsilon: float, delta: float = 0.0, symmetric: bool = True) -> np.ndarray:
    """The largest TPR any membership attack can reach at a given FPR against an (ε, δ)-DP training algorithm.

    (ε, δ)-DP means P[guess member | in] <= e^ε P[guess member | out] + δ, i.e.
    TPR <= e^ε·FPR + δ. Applying the same to the opposite guess gives
    1 - FPR <= e^ε (1 - TPR) + δ, i.e. TPR <= 1 - e^-ε (1 - δ - FPR)
    (Kairouz, Oh & Viswanath, 2015). With ``symmetric=True`` the bound is the
    smaller of the two (and at most 1). It holds for every attack, however
    clever, but for its *true* rates: a TPR and FPR measured on finitely many
    examples are estimates, and a measured point can land above the bound by
    chance (:func:`epsilon_lower_bound` accounts for that). Compare a point with
    the bound at the FPR it actually realised, which can be below the nominal
    one. Used by lesson 05.

    Parameters
    ----------
    fpr : float or array
        False-positive rates in [0, 1].
    epsilon : float
        In [0, inf).
    delta : float, default 0.0
        In [0, 1].
    symmetric : bool, default True

    Examples
    --------
    >>> dp_tpr_bound([0.001, 0.01, 0.5], epsilon=1.0, delta=1e-5).round(5).tolist()
    [0.00273, 0.02719, 0.81606]
    >>> dp_tpr_bound(0.5, epsilon=1.0, delta=1e-5, symmetric=False).round(5).tolist()
    1.0
    """
    epsilon = check_number("epsilon", epsilon, low=0, high=math.inf, high_open=True)
    delta = check_number("delta", delta, low=0, high=1)
    if not isinstance(symmetric, bool):
        raise TypeError(f"symmetric must be a bool (True or False); got {symmetric!r}")
    rates = np.asarray(fpr, dtype=float) if not isinstance(fpr, (str, bytes)) else None
    if rates is None or np.any(np.isnan(rates)) or np.any((rates < 0) | (rates > 1)):
        raise ValueError(f"fpr must be a number or an array of numbers in [0, 1]; got {fpr!r}")
    bound = math.exp(epsilon) * rates + delta
    if symmetric:
        bound = np.minimum(bound, 1 - math.exp(-epsilon) * (1 - delta - rates))
    return np.minimum(bound, 1.0)


def epsilon_lower_bound(
    tpr: float,
    fpr: float,
    *,
    delta: float = 0.0,
    n_members: int | None = None,
    n_nonmembers: int | None = None,
    confidence: float = 0.95,
) -> float:
    """The ε that one measured (FPR, TPR) point proves at least: an empirical privacy audit.

    Solving TPR <= e^ε·FPR + δ and 1 - FPR <= e^ε (1 - TPR) + δ for ε gives
    ε >= max(log((TPR - δ) / FPR), log((1 - δ - FPR) / (1 - TPR))). With
    ``n_members`` and ``n_nonmembers`` the rates are first replaced by the ends
    of one-sided Clopper-Pearson intervals (TPR by its lower end, FPR by its
    upper end, each at level ``confidence``), as in Jagielski et al. (2020) and
    Nasr et al. (2021), so that sampling noise alone is unlikely to produce a
    bound above the true ε (both ends hold together with probability at least
    2·confidence - 1). Picking the best of many points makes it optimistic. It is
    a *lower* bound on the leakage; the ε of the training algorithm is an
    *upper* bound. Returns 0.0 when the point proves nothing. Used by lesson 05.

    Parameters
    ----------
    tpr, fpr : float
        In [0, 1].
    delta : float, default 0.0
        In [0, 1).
    n_members, n_nonmembers : int, optional
        How many members and non-members the rates were measured on, in [1, inf).
        Give both or neither.
    confidence : float, default 0.95
        In (0, 1).

    Examples
    --------
    >>> round(epsilon_lower_bound(0.5, 0.01), 3)  # log(0.5 / 0.01)
    3.912
    >>> round(epsilon_lower_bound(0.5, 0.01, n_members=1000, n_nonmembers=1000), 3)
    3.333
    """
    tpr = check_number("tpr", tpr, low=0, high=1)
    fpr = check_number("fpr", fpr, low=0, high=1)
    delta = check_number("delta", delta, low=0, high=1, high_open=True)
    confidence = check_number("confidence", confidence, low=0, high=1, low_open=True, high_open=True)
    if (n_members is None) != (n_nonmembers is None):
        raise ValueError(f"give both n_members and n_nonmembers or neither; got n_members={n_members!r} "
                         f"and n_nonmembers={n_nonmembers!r}")
    if n_members is not None:
        n_in = check_number("n_members", n_members, low=1, integer=True)
        n_out = check_number("n_nonmembers", n_nonmembers, low=1, integer=True)
        alpha = 1 - confidence
        hits, false_alarms = round(tpr * n_in), round(fpr * n_out)
        tpr = 0.0 if hits == 0 else float(stats.beta.ppf(alpha, hits, n_in - hits + 1))
        fpr = 1.0 if false_alarms == n_out else float(stats.beta.ppf(1 - alpha, false_alarms + 1, n_out - false_alarms))
    bounds = [0.0]
    if tpr - delta > 0:
        bounds.append(math.inf if fpr == 0 else math.log((tpr - delta) / fpr))
    if 1 - delta - fpr > 0:
        bounds.append(math.inf if tpr == 1 else math.log((1 - delta - fpr) / (1 - tpr)))
    return float(max(bounds))
