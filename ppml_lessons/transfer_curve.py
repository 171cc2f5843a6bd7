"""Lesson 01's main experiment: target accuracy against the number of labels, for the three methods."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from ._validation import check_bool, check_number, check_option, check_type
from .models import SmallCNN, freeze
from .training import evaluate
from .transfer import extract_features, per_class_indices, validation_split
from .transfer_methods import METHODS, _check_pair, fine_tune, train_linear_probe, train_scratch

__all__ = ["learning_curve"]


def learning_curve(
    encoder: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    *,
    sizes: Sequence[int],
    seeds: Sequence[int],
    methods: Sequence[str] = METHODS,
    max_steps: int = 300,
    eval_every: int = 10,
    patience: int = 10,
    batch_size: int = 64,
    val_max_per_class: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Target accuracy against labelled images per class, for each method and seed.

    For each seed and size, ``size`` labelled images per class are drawn, and
    split by :func:`validation_split` (20% of each class, at most
    ``val_max_per_class``) into the same training and validation parts for
    every method: ``"scratch"`` (:func:`train_scratch`, lr 1e-3),
    ``"linear probe"`` (:func:`train_linear_probe` on the frozen encoder) and
    ``"fine-tune"`` (:func:`fine_tune` from that probe, lr 1e-4). Scratch and
    fine-tuning share the budget ``max_steps``, ``eval_every``, ``patience``,
    ``batch_size``. The encoder is never changed. Used for lesson 01's main
    figure and ``benchmarks/lesson01_full.py``.

    Returns
    -------
    pandas.DataFrame
        Columns ``method``, ``per_class``, ``seed``, ``accuracy`` (on
        ``test``), ``steps`` and ``best_step`` (optimizer steps run and kept;
        0 for the probe), ``C`` (the probe's choice; NaN otherwise).

    Examples
    --------
    >>> x, y = torch.rand(20, 1, 28, 28), torch.arange(20) % 5
    >>> curve = learning_curve(SmallCNN(5).features, (x, y), (x, y), sizes=[2], seeds=[0],
    ...                        methods=["linear probe"], progress=False)
    >>> list(curve.columns)
    ['method', 'per_class', 'seed', 'accuracy', 'steps', 'best_step', 'C']
    """
    check_type("encoder", encoder, nn.Module, "a torch.nn.Module (the pretrained encoder)")
    for method in methods:
        check_option("methods[i]", method, METHODS)
    for size in sizes:
        check_number("sizes[i]", size, low=2, integer=True)
    for seed in seeds:
        check_number("seeds[i]", seed, low=0, integer=True)
    check_bool("progress", progress)
    budget = {"max_steps": max_steps, "eval_every": eval_every, "patience": patience, "batch_size": batch_size}
    frozen = freeze(copy.deepcopy(encoder))
    train_images, train_labels = _check_pair("train", train)
    test_images, test_labels = _check_pair("test", test)
    train_features = extract_features(frozen, train_images)
    test_features = extract_features(frozen, test_images)
    rows = []
    runs = [(seed, size) for seed in seeds for size in sizes]
    for seed, size in tqdm(runs, desc="learning curve", disable=not progress, leave=False):
        chosen = per_class_indices(train_labels, size, rng=seed)
        fit_part, val_part = validation_split(train_labels[chosen], max_per_class=val_max_per_class, rng=seed)
        fit_idx, val_idx = chosen[fit_part], chosen[val_part]
        images = (train_images[fit_idx], train_labels[fit_idx])
        validation = (train_images[val_idx], train_labels[val_idx])
        head = None
        for method in methods:
            record: dict = {"steps": 0, "best_step": 0, "C": math.nan}
            if method == "scratch":
                model, trained = train_scratch(images, validation, seed=seed, **budget)
                record.update(steps=trained["steps"], best_step=trained["best_step"])
                accuracy = evaluate(model, (test_images, test_labels))["accuracy"]
            else:
                if head is None:
                    head, probe = train_linear_probe(train_features[fit_idx], train_labels[fit_idx],
                                                     validation=(train_features[val_idx], train_labels[val_idx]))
                if method == "linear probe":
                    record["C"] = probe["C"]
                    accuracy = evaluate(head, (test_features, test_labels))["accuracy"]
                else:
                    model, trained = fine_tune(frozen, head, images, validation, seed=seed, **budget)
                    record.update(steps=trained["steps"], best_step=trained["best_step"])
                    accuracy = evaluate(model, (test_images, test_labels))["accuracy"]
            rows.append({"method": method, "per_class": size, "seed": seed, "accuracy": accuracy, **record})
    return pd.DataFrame(rows)
