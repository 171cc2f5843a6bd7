"""Lesson 09's figures: pixel attributions over images, and LIME's weights across seeds."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import plotting as _plotting  # noqa: F401 - importing it applies the course palette
from .._validation import check_type

__all__ = ["attribution_overlay", "lime_stability_plot"]


def attribution_overlay(
    images: np.ndarray, attributions: np.ndarray, *, titles: Sequence[str] | None = None, size: float = 1.8
) -> Figure:
    """Each image in grey (top row) and its attribution map over it (bottom row, red = towards the class).

    The colour scale is symmetric and shared by all maps, so strengths compare
    across images; it ends at the 99th percentile of ``|attributions|`` so that a
    few extreme pixels do not wash out the rest (stronger pixels saturate).

    Parameters
    ----------
    images, attributions : arrays of shape (N, H, W) or (N, 1, H, W)
    titles : sequence of str, optional
    size : float, default 1.8
        Inches per panel.

    Examples
    --------
    >>> fig = attribution_overlay(np.random.rand(2, 28, 28), np.random.randn(2, 28, 28), titles=["a", "b"])
    >>> len(fig.axes)
    5
    """
    check_type("images", images, np.ndarray, "a numpy array (N, H, W)")
    check_type("attributions", attributions, np.ndarray, "a numpy array (N, H, W)")
    imgs = images[:, 0] if images.ndim == 4 else images
    maps = attributions[:, 0] if attributions.ndim == 4 else attributions
    if imgs.ndim != 3 or maps.shape != imgs.shape:
        raise ValueError(f"attributions must have the shape of images {imgs.shape}; got {maps.shape}")
    if titles is not None and len(titles) != len(imgs):
        raise ValueError(f"titles must have one entry per image ({len(imgs)}); got {len(titles)}")
    n = len(imgs)
    fig, axes = plt.subplots(2, n, figsize=(size * n + 0.8, size * 2.1), squeeze=False)
    limit = float(np.percentile(np.abs(maps), 99)) or float(np.abs(maps).max()) or 1.0
    shown = None
    for k in range(n):
        axes[0, k].imshow(imgs[k], cmap="gray_r")
        axes[1, k].imshow(imgs[k], cmap="gray_r", alpha=0.25)
        shown = axes[1, k].imshow(maps[k], cmap="bwr", vmin=-limit, vmax=limit, alpha=0.85)
        if titles is not None:
            axes[0, k].set_title(titles[k], fontsize=9)
        for ax in axes[:, k]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.colorbar(shown, ax=axes[1, :].tolist(), shrink=0.8, label="attribution")
    return fig


def lime_stability_plot(runs: pd.DataFrame, *, features: Sequence[str] | None = None) -> Figure:
    """LIME weight of each feature, one dot per seed, one panel per ``num_samples`` (from ``lime_tabular_runs``).

    Examples
    --------
    >>> runs = pd.DataFrame({"num_samples": [10, 10], "seed": [0, 1], "feature": ["a", "a"],
    ...                      "weight": [0.1, 0.2], "rank": [1, 1]})
    >>> len(lime_stability_plot(runs).axes)
    1
    """
    check_type("runs", runs, pd.DataFrame, "a DataFrame from lime_tabular_runs")
    if features is None:
        features = list(runs.groupby("feature")["weight"].apply(lambda w: w.abs().mean()).sort_values().index)
    sizes = sorted(runs["num_samples"].unique())
    fig, axes = plt.subplots(1, len(sizes), figsize=(3.4 * len(sizes), 0.35 * len(features) + 1.2),
                             sharex=True, sharey=True, squeeze=False)
    position = {f: i for i, f in enumerate(features)}
    for ax, n in zip(axes[0], sizes):
        frame = runs[(runs["num_samples"] == n) & runs["feature"].isin(position)]
        jitter = (frame["seed"].to_numpy() % 10 - 4.5) * 0.03
        ax.scatter(frame["weight"], frame["feature"].map(position) + jitter, s=12, alpha=0.7)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(f"num_samples = {n}")
        ax.set_xlabel("LIME weight")
        ax.set_yticks(range(len(features)), list(features))
    axes[0, 0].set_ylabel("feature")
    fig.tight_layout()
    return fig
