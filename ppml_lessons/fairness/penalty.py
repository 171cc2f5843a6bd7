"""In-processing (lesson 08): train a torch classifier on cross-entropy plus λ times a fairness penalty.

The penalty is a *soft* version of a lesson-07 disparity, computed on the
model's probabilities in every mini-batch, so that it has a gradient:

- ``"demographic_parity"``: the largest gap between groups in the mean
  predicted probability of a "yes" (a soft demographic parity difference);
- ``"equalized_odds"``: the same gap among the true positives and among the
  true negatives, whichever is larger (a soft equalized odds difference).

λ = 0 is ordinary training; a larger λ trades accuracy for a smaller gap.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .._validation import check_bool, check_number, check_option, check_type
from ..environment import get_device

__all__ = ["PENALTIES", "fairness_penalty", "fit_with_fairness_penalty"]

PENALTIES = ("demographic_parity", "equalized_odds")


def _gap(p: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    means = [p[groups == g].mean() for g in torch.unique(groups)]
    if len(means) < 2:
        return p.sum() * 0.0  # one group in this batch: no gap to close (keeps the graph)
    stacked = torch.stack(means)
    return stacked.max() - stacked.min()


def fairness_penalty(
    p_positive: torch.Tensor, groups: torch.Tensor, y: torch.Tensor | None = None, *, kind: str = "demographic_parity"
) -> torch.Tensor:
    """Soft disparity of predicted probabilities: a differentiable stand-in for DPD or EOD (lesson 08).

    Parameters
    ----------
    p_positive : torch.Tensor, shape (n,)
        Predicted probability of label 1.
    groups : torch.Tensor of int, shape (n,)
        Group code of every row.
    y : torch.Tensor of int, shape (n,), optional
        True labels; required for ``"equalized_odds"``.
    kind : {"demographic_parity", "equalized_odds"}

    Examples
    --------
    >>> p = torch.tensor([0.9, 0.7, 0.2, 0.4])
    >>> round(float(fairness_penalty(p, torch.tensor([0, 0, 1, 1]))), 3)
    0.5
    >>> groups, y = torch.tensor([0, 0, 1, 1]), torch.tensor([1, 0, 1, 0])
    >>> round(float(fairness_penalty(p, groups, y, kind="equalized_odds")), 3)
    0.7
    """
    check_type("p_positive", p_positive, torch.Tensor, "a torch.Tensor of probabilities")
    check_type("groups", groups, torch.Tensor, "a torch.Tensor of group codes")
    check_option("kind", kind, PENALTIES)
    if p_positive.ndim != 1 or groups.shape != p_positive.shape:
        shape = tuple(p_positive.shape)
        raise ValueError(f"groups must have the shape of p_positive {shape}; got {tuple(groups.shape)}")
    if kind == "demographic_parity":
        return _gap(p_positive, groups)
    if y is None:
        raise ValueError("y must be given for kind='equalized_odds' (the true labels); got None")
    check_type("y", y, torch.Tensor, "a torch.Tensor of labels")
    if y.shape != p_positive.shape:
        raise ValueError(f"y must have the shape of p_positive {tuple(p_positive.shape)}; got {tuple(y.shape)}")
    gaps = [_gap(p_positive[y == label], groups[y == label]) for label in (0, 1) if bool((y == label).any())]
    return torch.stack(gaps).max()


def fit_with_fairness_penalty(
    model: nn.Module,
    x: Any,
    y: Any,
    *,
    groups: Any,
    lam: float,
    kind: str = "demographic_parity",
    epochs: int = 10,
    batch_size: int = 512,
    lr: float = 1e-2,
    seed: int = 0,
    device: torch.device | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Train ``model`` (two logits per row) on cross-entropy + ``lam`` × :func:`fairness_penalty` (lesson 08).

    Adam, mini-batches shuffled by a ``torch.Generator`` seeded with ``seed``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``x`` to logits of shape ``(batch, 2)``; trained in place.
    x : array-like or torch.Tensor, shape (n, d)
    y : array-like of 0/1, shape (n,)
    groups : array-like of int, shape (n,)
        Group code of every row (e.g. ``(adult["sex"] == "Female").astype(int)``).
    lam : float in [0, inf)
        Weight of the penalty; 0 is plain training.
    kind : {"demographic_parity", "equalized_odds"}
    epochs, batch_size, lr, seed : training settings
    device : torch.device, optional
    progress : bool, default False
        Show a ``tqdm.auto`` bar over epochs.

    Returns
    -------
    pandas.DataFrame
        One row per epoch: ``epoch``, ``loss`` (cross-entropy) and ``penalty``, averaged over batches.

    Examples
    --------
    >>> gen = torch.Generator().manual_seed(0)
    >>> x = torch.randn(200, 3, generator=gen)
    >>> g = (x[:, 1] > 0).long()
    >>> y = (x[:, 0] + x[:, 1] > 0).long()
    >>> history = fit_with_fairness_penalty(nn.Linear(3, 2), x, y, groups=g, lam=1.0, epochs=2)
    >>> list(history.columns)
    ['epoch', 'loss', 'penalty']
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_number("lam", lam, low=0)
    check_option("kind", kind, PENALTIES)
    check_number("epochs", epochs, low=1, integer=True)
    check_number("batch_size", batch_size, low=2, integer=True)
    check_number("lr", lr, low=0, low_open=True)
    check_number("seed", seed, low=0, integer=True)
    check_bool("progress", progress)
    inputs = torch.as_tensor(np.asarray(x, dtype=np.float32)) if not isinstance(x, torch.Tensor) else x.float()
    labels = torch.as_tensor(np.asarray(y), dtype=torch.long)
    codes = torch.as_tensor(np.asarray(groups), dtype=torch.long)
    if inputs.ndim != 2:
        raise ValueError(f"x must be a 2-D array (rows, features); got shape {tuple(inputs.shape)}")
    for name, values in (("y", labels), ("groups", codes)):
        if values.shape != (len(inputs),):
            raise ValueError(
                f"{name} must have one value per row of x ({len(inputs)}); got shape {tuple(values.shape)}"
            )
    if not bool(((labels == 0) | (labels == 1)).all()):
        raise ValueError("y must hold binary labels 0/1; got other values")
    device = device or get_device()
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for epoch in tqdm(range(1, epochs + 1), desc=f"λ={lam:g}", unit="epoch", disable=not progress, leave=False):
        model.train()
        order = torch.randperm(len(inputs), generator=generator)
        totals = [0.0, 0.0]
        batches = 0
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            xb, yb, gb = inputs[index].to(device), labels[index].to(device), codes[index].to(device)
            logits = model(xb)
            loss = nn.functional.cross_entropy(logits, yb)
            penalty = fairness_penalty(logits.softmax(dim=1)[:, 1], gb, yb, kind=kind)
            optimizer.zero_grad(set_to_none=True)
            (loss + lam * penalty).backward()
            optimizer.step()
            totals[0] += loss.item()
            totals[1] += penalty.item()
            batches += 1
        rows.append({"epoch": epoch, "loss": totals[0] / batches, "penalty": totals[1] / batches})
    model.eval()
    return pd.DataFrame(rows)
