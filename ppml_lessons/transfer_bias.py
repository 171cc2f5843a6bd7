"""Lesson 01's bias-inheritance experiment: does an encoder that rarely saw a subgroup serve it worse after transfer?

Subgroup B is a fixed style change (inverted images). Two kinds of source
encoder differ only in how often they saw B during pretraining (1% or 50%,
see :mod:`ppml_lessons.pretrained`). Both are transferred to the *same*
target data, in which B is either common (half the images: *balanced* target
data) or rare too (*skewed* target data), with the converged linear probe and
with early-stopped fine-tuning (:mod:`ppml_lessons.transfer_methods`). Every
target test image is scored twice, once in each style, so the two subgroups
hold exactly the same garments and the gap measures style alone.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from scipy import stats
from torch import nn
from tqdm.auto import tqdm

from ._validation import check_bool, check_number, check_option, check_type
from .models import freeze
from .training import evaluate
from .transfer import extract_features, per_class_indices, style_mask, stylize, validation_split
from .transfer_methods import fine_tune, train_linear_probe

__all__ = ["mixed_style_split", "subgroup_accuracy", "bias_experiment", "encoder_differences", "t_interval"]


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
    methods: Sequence[str] = ("linear probe", "fine-tune"),
    style: str = "inverted",
    seed: int = 0,
    max_steps: int = 300,
    eval_every: int = 10,
    patience: int = 10,
    batch_size: int = 64,
) -> pd.DataFrame:
    """Transfer ``encoder`` to ``train`` and return the accuracy on each subgroup of ``test``, for each method.

    ``train`` is split by :func:`~ppml_lessons.transfer.validation_split`
    (20% of each class, seeded by ``seed``) into a training and a validation
    part. ``"linear probe"`` is the converged probe on the frozen encoder;
    ``"fine-tune"`` starts from it and trains every weight with early
    stopping (budget ``max_steps``, ``eval_every``, ``patience``,
    ``batch_size``). Every test image is evaluated plain (subgroup A) and with
    ``style`` (subgroup B).

    Returns
    -------
    pandas.DataFrame
        One row per method: ``method``, ``plain``, ``style``, ``gap`` (plain
        minus ``style``).

    Examples
    --------
    >>> from ppml_lessons.models import SmallCNN
    >>> x, y = torch.rand(20, 1, 28, 28), torch.arange(20) % 5
    >>> list(subgroup_accuracy(SmallCNN(5).features, (x, y), (x, y), methods=["linear probe"]).columns)
    ['method', 'plain', 'inverted', 'gap']
    """
    check_type("encoder", encoder, nn.Module, "a torch.nn.Module (the pretrained encoder)")
    for method in methods:
        check_option("methods[i]", method, ["linear probe", "fine-tune"])
    check_number("seed", seed, low=0, integer=True)
    frozen = freeze(copy.deepcopy(encoder))
    train_images, train_labels = train
    test_images, test_labels = test
    styled = stylize(test_images, style=style)
    fit_idx, val_idx = validation_split(train_labels, rng=seed)
    part = (train_images[fit_idx], train_labels[fit_idx])
    validation = (train_images[val_idx], train_labels[val_idx])
    features = extract_features(frozen, train_images)
    head, _ = train_linear_probe(features[fit_idx], train_labels[fit_idx], num_classes=int(train_labels.max()) + 1,
                                 validation=(features[val_idx], train_labels[val_idx]))
    rows = []
    for method in methods:
        if method == "linear probe":
            model, plain_inputs, styled_inputs = head, extract_features(frozen, test_images), extract_features(frozen, styled)
        else:
            model, _ = fine_tune(frozen, head, part, validation, max_steps=max_steps, eval_every=eval_every,
                                 patience=patience, batch_size=batch_size, seed=seed)
            plain_inputs, styled_inputs = test_images, styled
        plain = evaluate(model, (plain_inputs, test_labels))["accuracy"]
        in_style = evaluate(model, (styled_inputs, test_labels))["accuracy"]
        rows.append({"method": method, "plain": plain, style: in_style, "gap": plain - in_style})
    return pd.DataFrame(rows)


def bias_experiment(
    encoders: Mapping[tuple[str, int], nn.Module],
    images: torch.Tensor,
    labels: torch.Tensor,
    test: tuple[torch.Tensor, torch.Tensor],
    *,
    target_fractions: Mapping[str, float],
    n_per_class: int,
    methods: Sequence[str] = ("linear probe", "fine-tune"),
    style: str = "inverted",
    progress: bool = True,
    **budget: int,
) -> pd.DataFrame:
    """Run :func:`subgroup_accuracy` for every encoder and every kind of target data.

    ``encoders`` maps ``(kind, seed)`` (e.g. ``("skewed", 0)``) to an
    encoder. For each seed, one draw of ``n_per_class`` target images per
    class (seeded by the seed) is styled with each fraction of
    ``target_fractions`` (e.g. ``{"balanced": 0.5, "skewed": 0.05}``), and
    every encoder of that seed is transferred to the same images, so that
    encoders of one seed are compared on identical data. ``budget`` is passed
    on to :func:`subgroup_accuracy`.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``encoder``, ``seed``, ``target data``, ``method``,
        ``plain``, ``style``, ``gap``.

    Examples
    --------
    >>> from ppml_lessons.models import SmallCNN
    >>> x, y = torch.rand(40, 1, 28, 28), torch.arange(40) % 5
    >>> runs = bias_experiment({("a", 0): SmallCNN(5).features}, x, y, (x, y), target_fractions={"even": 0.5},
    ...                        n_per_class=4, methods=["linear probe"], progress=False)
    >>> runs[["encoder", "seed", "target data", "method"]].values.tolist()
    [['a', 0, 'even', 'linear probe']]
    """
    check_type("encoders", encoders, Mapping, "a dict {(kind, seed): encoder}")
    check_type("target_fractions", target_fractions, Mapping, "a dict {name: fraction of the target data in style}")
    check_bool("progress", progress)
    runs = []
    jobs = [(key, name) for key in encoders for name in target_fractions]
    for (kind, seed), name in tqdm(jobs, desc="bias experiment", disable=not progress, leave=False):
        x, y, _ = mixed_style_split(images, labels, n_per_class=n_per_class, fraction=target_fractions[name],
                                    style=style, seed=seed)
        scores = subgroup_accuracy(encoders[(kind, seed)], (x, y), test, methods=methods, style=style, seed=seed, **budget)
        for row in scores.to_dict("records"):
            runs.append({"encoder": kind, "seed": seed, "target data": name, **row})
    return pd.DataFrame(runs)


def t_interval(values: Sequence[float], *, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of the mean of a few independent values (e.g. seeds).

    Examples
    --------
    >>> [round(v, 3) for v in t_interval([1.0, 2.0, 3.0])]
    [2.0, -0.484, 4.484]
    """
    check_number("level", level, low=0, high=1, low_open=True, high_open=True)
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"values must hold at least 2 numbers; got {values.size}")
    mean = float(values.mean())
    half = float(stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    return mean, mean - half, mean + half


def encoder_differences(runs: pd.DataFrame, *, column: str = "inverted", level: float = 0.95) -> pd.DataFrame:
    """Balanced minus skewed encoder, seed by seed, on ``column``: per-seed values, mean and t-interval.

    ``runs`` is the output of :func:`bias_experiment` with encoder kinds
    ``"balanced"`` and ``"skewed"``. Encoders of the same seed were given the
    same target images, so their difference is paired.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``target data`` and ``method``; a column per seed, then
        ``mean``, ``low``, ``high``.

    Examples
    --------
    >>> runs = pd.DataFrame({"encoder": ["balanced", "skewed"] * 2, "seed": [0, 0, 1, 1],
    ...                      "target data": ["t"] * 4, "method": ["p"] * 4, "inverted": [0.9, 0.8, 0.9, 0.7]})
    >>> encoder_differences(runs).loc[("t", "p"), "mean"].round(2)
    np.float64(0.15)
    """
    check_type("runs", runs, pd.DataFrame, "a DataFrame of runs from bias_experiment")
    wide = runs.pivot_table(index=["target data", "method", "seed"], columns="encoder", values=column)
    paired = (wide["balanced"] - wide["skewed"]).unstack("seed")
    summary = pd.DataFrame([t_interval(row.dropna().to_numpy(), level=level) for _, row in paired.iterrows()],
                           index=paired.index, columns=["mean", "low", "high"])
    return pd.concat([paired, summary], axis=1)
