"""The membership-inference experiment of lesson 05, shared by the notebook and ``benchmarks/membership_sweep.py``.

A target model (the tanh CNN of lesson 04, :class:`~ppml_lessons.dp.models.DPCNN`)
trains on a small subset of Fashion-MNIST, so that without privacy it overfits
visibly. The attacker scores a balanced set of candidates, the target's
members and as many non-members, using shadow models trained on a pool of images
disjoint from both (the offline setting of Carlini et al., 2022).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .._validation import check_bool, check_number, check_type
from ..dp.models import DPCNN
from ..dp.trainer import train_dp_sgd
from ..environment import get_device, make_rng
from ..training import fit
from .membership import logit_confidence, model_logits, per_example_loss, roc_auc, roc_curve, tpr_at_fpr

__all__ = [
    "SETUP", "RECIPES", "FPR_GRID", "membership_split", "train_target", "confidences_and_losses", "attack_summary",
]

#: The lesson's setting: one seed for the split, members per model (as many non-members), shadow models.
SETUP: dict[str, int] = {"seed": 0, "n_members": 2000, "n_shadows": 4}

#: How the targets and shadow models train: ``"nonprivate"`` with Adam (keyword arguments of
#: :func:`ppml_lessons.training.fit`), ``"dp"`` with DP-SGD (of :func:`ppml_lessons.dp.trainer.train_dp_sgd`,
#: plus a ``target_epsilon`` per model).
RECIPES: dict[str, dict] = {
    "nonprivate": {"epochs": 30, "batch_size": 64, "lr": 2e-3},
    "dp": {"epochs": 20, "batch_size": 500, "max_grad_norm": 0.1, "lr": 4.0, "momentum": 0.9, "delta": 1e-5},
}

#: The false-positive rates at which :func:`attack_summary` reports the TPR.
FPR_GRID: tuple[float, ...] = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


def membership_split(n_total: int, *, n_members: int, rng: np.random.Generator | int | None = None
                     ) -> dict[str, np.ndarray]:
    """Split ``range(n_total)`` into the target's members, as many non-members, and the shadow pool.

    Members and non-members together are the candidates the attack scores; the
    pool (everything else) is where the shadow models' training sets come from.
    Used by lesson 05.

    Examples
    --------
    >>> split = membership_split(10, n_members=3, rng=0)
    >>> [len(split[k]) for k in ("members", "non_members", "pool")]
    [3, 3, 4]
    """
    n_total = check_number("n_total", n_total, low=2, integer=True)
    n_members = check_number("n_members", n_members, low=1, high=n_total // 2, integer=True)
    order = make_rng(rng).permutation(n_total)
    return {"members": np.sort(order[:n_members]), "non_members": np.sort(order[n_members:2 * n_members]),
            "pool": np.sort(order[2 * n_members:])}


def train_target(
    inputs: torch.Tensor,
    labels: torch.Tensor,
    *,
    epsilon: float | None = None,
    epochs: int | None = None,
    seed: int = 0,
    noise_seed: int | None = None,
    device: torch.device | None = None,
    progress: bool = False,
) -> nn.Module:
    """Train a fresh :class:`~ppml_lessons.dp.models.DPCNN` with one of :data:`RECIPES`.

    ``epsilon=None`` trains without privacy (Adam); a number trains with
    DP-SGD at that ε (δ = 1e-5), choosing the noise multiplier for it;
    ``epsilon=math.inf`` runs the same DP-SGD recipe (sampling, clipping) with
    σ = 0, a non-private baseline that differs from the private models by the
    noise alone. The
    initial weights come from ``seed`` without touching the global random state.
    Used by lesson 05 for targets and shadow models alike.

    Parameters
    ----------
    inputs, labels : torch.Tensor
        The training set (images in [0, 1] and class indices).
    epsilon : float, optional
        In (0, inf]; inf means the DP-SGD recipe without noise.
    epochs : int, optional
        In [1, inf); defaults to the recipe's.
    seed : int, default 0
        In [0, inf): the initial weights and the batches.
    noise_seed : int, optional
        DP-SGD's noise: from the operating system's entropy by default; an int
        makes it reproducible (tests only, see :func:`~ppml_lessons.dp.trainer.train_dp_sgd`).
    device : torch.device, optional
    progress : bool, default False

    Examples
    --------
    >>> x, y = torch.rand(64, 1, 28, 28), torch.arange(64) % 10
    >>> model = train_target(x, y, epochs=1, seed=0, device=torch.device("cpu"))
    >>> type(model).__name__
    'DPCNN'
    """
    check_type("inputs", inputs, torch.Tensor, "a torch.Tensor")
    check_type("labels", labels, torch.Tensor, "a torch.Tensor")
    if epsilon is not None:
        check_number("epsilon", epsilon, low=0, low_open=True, high=math.inf)
    if epochs is not None:
        check_number("epochs", epochs, low=1, integer=True)
    seed = check_number("seed", seed, low=0, integer=True)
    check_bool("progress", progress)
    device = device or get_device()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DPCNN()
    if epsilon is None:
        recipe = {**RECIPES["nonprivate"], **({"epochs": epochs} if epochs is not None else {})}
        fit(model, (inputs, labels), seed=seed, device=device, progress=progress, **recipe)
    else:
        recipe = {**RECIPES["dp"], **({"epochs": epochs} if epochs is not None else {})}
        # per-sample gradients 128 examples at a time: the same result, without the ~400 MB a whole batch takes
        noise = {"noise_multiplier": 0.0} if math.isinf(epsilon) else {"target_epsilon": epsilon}
        train_dp_sgd(model, (inputs, labels), **noise, seed=seed, noise_seed=noise_seed, device=device, progress=progress,
                     max_physical_batch_size=128, **recipe)
    return model.eval()


def confidences_and_losses(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, *,
                           device: torch.device | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Query ``model``: the logit-scaled confidence φ and the loss of each example. Used by lesson 05.

    Examples
    --------
    >>> phi, loss = confidences_and_losses(nn.Linear(3, 2), torch.zeros(4, 3), torch.zeros(4, dtype=torch.long))
    >>> phi.shape, loss.shape
    ((4,), (4,))
    """
    check_type("labels", labels, torch.Tensor, "a torch.Tensor")
    logits = model_logits(model, inputs, device=device)
    return logit_confidence(logits, labels), per_example_loss(logits, labels)


def attack_summary(scores: np.ndarray, is_member: np.ndarray) -> dict[str, float]:
    """AUC, the TPR at every FPR of :data:`FPR_GRID` and the FPR actually realised there, as one flat dict.

    ``tpr_at_f`` is the best ROC point whose FPR does not exceed f
    (:func:`~ppml_lessons.attacks.membership.tpr_at_fpr`); ``fpr_at_f`` is
    the smallest FPR at which that TPR is reached, which can lie below f (the
    ROC curve moves in steps of 1 / non-members). Compare a point with the DP
    bound at its realised FPR. Used by lesson 05.

    Examples
    --------
    >>> summary = attack_summary(np.arange(4000.0), np.arange(4000) >= 2000)
    >>> summary["auc"], summary["tpr_at_0.001"], summary["fpr_at_0.001"]
    (1.0, 1.0, 0.0)
    """
    row = {"auc": roc_auc(scores, is_member)}
    fpr, tpr, _ = roc_curve(scores, is_member)
    for target in FPR_GRID:
        best = tpr_at_fpr(scores, is_member, fpr=target)
        row[f"tpr_at_{target:g}"] = best
        row[f"fpr_at_{target:g}"] = float(fpr[(tpr == best) & (fpr <= target + 1e-12)].min())
    return row

