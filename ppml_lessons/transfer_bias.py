"""Lesson 01's bias-inheritance experiment: does an encoder that rarely saw a subgroup serve it worse after transfer?

Subgroup B is a fixed style change (inverted images). Two kinds of source
encoder differ only in how often they saw B during pretraining (1% or 50%,
see :mod:`ppml_lessons.pretrained`). Both are transferred to the *same*
target data, half of it in style B, and every target test image is scored
twice, once in each style, so the two subgroups hold exactly the same
garments and the gap measures style alone.
"""

from __future__ import annotations

import copy

import pandas as pd
import torch
from torch import nn

from ._validation import check_number, check_option, check_type
from .models import freeze
from .training import evaluate
from .transfer import extract_features, fine_tune, per_class_indices, style_mask, stylize, train_linear_probe

__all__ = ["mixed_style_split", "subgroup_accuracy", "summarize_gaps"]


def mixed_style_split(
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    n_per_class: int,
    fraction: float = 0.5,
    style: str = "inverted",
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Draw ``n_per_class`` images of each class and give a random ``fraction`` of them ``style``.

    Returns
    -------
    images, labels, in_style : tensors
        ``in_style`` marks the images of subgroup B.

    Examples
    --------
    >>> x, y, b = mixed_style_split(torch.rand(10, 1, 28, 28), torch.arange(10) % 5, n_per_class=2)
    >>> len(y), int(b.sum())
    (10, 5)
    """
    check_number("seed", seed, low=0, integer=True)
    idx = per_class_indices(labels, n_per_class, rng=seed)
    chosen, chosen_labels = images[idx].clone(), labels[idx]
    in_style = style_mask(len(idx), fraction=fraction, rng=seed + 1)
    chosen[in_style] = stylize(chosen[in_style], style=style)
    return chosen, chosen_labels, in_style


def subgroup_accuracy(
    encoder: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    *,
    method: str = "linear probe",
    style: str = "inverted",
    steps: int = 100,
    seed: int = 0,
) -> dict[str, float]:
    """Transfer ``encoder`` to ``train`` and return the accuracy on each subgroup of ``test``.

    Every test image is evaluated plain (subgroup A) and with ``style``
    (subgroup B). ``method`` is ``"linear probe"`` (frozen encoder) or
    ``"fine-tune"`` (the probe, then all weights).

    Returns
    -------
    dict
        ``{"plain": accuracy, style: accuracy, "gap": plain - style}``.

    Examples
    --------
    >>> from ppml_lessons.models import SmallCNN
    >>> x, y = torch.rand(10, 1, 28, 28), torch.arange(10) % 5
    >>> sorted(subgroup_accuracy(SmallCNN(5).features, (x, y), (x, y), steps=1))
    ['gap', 'inverted', 'plain']
    """
    check_type("encoder", encoder, nn.Module, "a torch.nn.Module (the pretrained encoder)")
    check_option("method", method, ["linear probe", "fine-tune"])
    check_number("steps", steps, low=1, integer=True)
    frozen = freeze(copy.deepcopy(encoder))
    train_images, train_labels = train
    test_images, test_labels = test
    styled = stylize(test_images, style=style)
    head = train_linear_probe(extract_features(frozen, train_images), train_labels, seed=seed)
    if method == "linear probe":
        scores = {
            "plain": evaluate(head, (extract_features(frozen, test_images), test_labels))["accuracy"],
            style: evaluate(head, (extract_features(frozen, styled), test_labels))["accuracy"],
        }
    else:
        model = fine_tune(frozen, head, train_images, train_labels, steps=steps, seed=seed)
        scores = {
            "plain": evaluate(model, (test_images, test_labels))["accuracy"],
            style: evaluate(model, (styled, test_labels))["accuracy"],
        }
    scores["gap"] = scores["plain"] - scores[style]
    return scores


def summarize_gaps(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of each subgroup's accuracy and the gap.

    ``results`` has columns ``encoder``, ``method``, ``seed``, ``plain``,
    ``inverted``, ``gap`` (one row per run).

    Examples
    --------
    >>> runs = pd.DataFrame({"encoder": ["a", "a"], "method": ["p", "p"], "seed": [0, 1],
    ...                      "plain": [0.9, 0.8], "inverted": [0.5, 0.6], "gap": [0.4, 0.2]})
    >>> summarize_gaps(runs).loc[("a", "p"), ("gap", "mean")].round(2)
    np.float64(0.3)
    """
    check_type("results", results, pd.DataFrame, "a DataFrame of runs")
    return results.groupby(["encoder", "method"])[["plain", "inverted", "gap"]].agg(["mean", "std"])
