"""The shared figures: image grids, bar charts with intervals, and curves with a spread band."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._validation import check_number, check_type

__all__ = ["PALETTE", "use_palette", "image_grid", "bar_chart", "mean_band"]

#: The course's colour-blind-safe palette: Okabe & Ito's eight colours (blue, orange, bluish green,
#: reddish purple, sky blue, vermillion, yellow, black), distinguishable with every common form of
#: colour-vision deficiency. Importing this module makes it matplotlib's default colour cycle.
PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def use_palette() -> None:
    """Make :data:`PALETTE` matplotlib's default colour cycle ("C0", "C1", ... and plain plots).

    Called when ``ppml_lessons.plotting`` is imported, so every lesson that imports the package's
    figures draws with it.

    Examples
    --------
    >>> use_palette()
    >>> plt.rcParams["axes.prop_cycle"].by_key()["color"][0]
    '#0072B2'
    """
    plt.rcParams["axes.prop_cycle"] = plt.cycler(color=list(PALETTE))


use_palette()


def image_grid(
    images: torch.Tensor | np.ndarray,
    *,
    titles: Sequence[str] | None = None,
    ncols: int = 10,
    size: float = 1.2,
    cmap: str = "gray_r",
) -> Figure:
    """Show a batch of grey images in a grid, optionally with a title under each.

    Parameters
    ----------
    images : tensor or array, shape (N, 28, 28) or (N, 1, 28, 28)
    titles : sequence of str, optional
        One per image.
    ncols : int, default 10
    size : float, default 1.2
        Inches per image.
    cmap : str, default "gray_r"

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = image_grid(torch.rand(4, 28, 28), titles=list("abcd"), ncols=2)
    >>> len(fig.axes)
    4
    """
    check_type("images", images, (torch.Tensor, np.ndarray), "a torch.Tensor or numpy array of images")
    check_number("ncols", ncols, low=1, integer=True)
    array = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3 or len(array) == 0:
        raise ValueError(f"images must have shape (N, H, W) or (N, 1, H, W) with N >= 1; got {images.shape}")
    if titles is not None and len(titles) != len(array):
        raise ValueError(f"titles must have one entry per image ({len(array)}); got {len(titles)}")
    ncols = min(ncols, len(array))
    nrows = int(np.ceil(len(array) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(array):
            ax.imshow(array[i], cmap=cmap)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    for ax in axes.flat[len(array) :]:
        fig.delaxes(ax)
    fig.tight_layout()
    return fig


def bar_chart(
    values: pd.Series,
    *,
    lower: pd.Series | None = None,
    upper: pd.Series | None = None,
    ax: Axes | None = None,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    reference: float | None = None,
) -> Axes:
    """Horizontal bars, one per index label, with optional interval whiskers and a reference line.

    Used for group sizes, base rates and per-group metrics with confidence
    intervals.

    Parameters
    ----------
    values : pandas.Series
        Bar lengths, indexed by group.
    lower, upper : pandas.Series, optional
        Interval ends with the same index as ``values``.
    ax : matplotlib Axes, optional
    title, xlabel, ylabel : str
        ``ylabel`` names what the bars are (e.g. "sex"), ``xlabel`` what their length measures.
    reference : float, optional
        Draws a dashed vertical line (e.g. the overall rate).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = bar_chart(pd.Series({"a": 0.3, "b": 0.1}), reference=0.2)
    >>> len(ax.patches)
    2
    """
    check_type("values", values, pd.Series, "a pandas Series indexed by group")
    if (lower is None) != (upper is None):
        raise ValueError("lower and upper must be given together; got only one of them")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 0.35 * len(values) + 1))
    positions = np.arange(len(values))
    xerr = None
    if lower is not None and upper is not None:
        check_type("lower", lower, pd.Series, "a pandas Series with the index of values")
        check_type("upper", upper, pd.Series, "a pandas Series with the index of values")
        if not (lower.index.equals(values.index) and upper.index.equals(values.index)):
            raise ValueError("lower and upper must have the same index as values; got a different index")
        xerr = np.vstack([values - lower, upper - values]).clip(min=0)
    ax.barh(positions, values.to_numpy(), xerr=xerr, color="C0", alpha=0.8, capsize=3)
    ax.set_yticks(positions, [str(i) for i in values.index])
    if not ax.yaxis_inverted():  # first bar on top; a y axis shared with another bar chart is inverted once
        ax.invert_yaxis()
    if reference is not None:
        ax.axvline(reference, color="k", linestyle="--", linewidth=1)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def mean_band(
    x: Sequence[float],
    runs: np.ndarray,
    *,
    label: str = "",
    ax: Axes | None = None,
    color: str | None = None,
) -> Axes:
    """Plot the mean over runs (e.g. seeds) as a line, with a band from the min to the max run.

    Parameters
    ----------
    x : sequence of float, length K
    runs : array, shape (R, K)
        One row per run.
    label : str
    ax : matplotlib Axes, optional
    color : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = mean_band([1, 2, 3], np.array([[0.1, 0.2, 0.3], [0.2, 0.3, 0.4]]), label="demo")
    >>> len(ax.lines)
    1
    """
    runs = np.asarray(runs, dtype=float)
    if runs.ndim != 2 or runs.shape[1] != len(x):
        raise ValueError(f"runs must have shape (runs, {len(x)}) to match x; got {runs.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    (line,) = ax.plot(x, runs.mean(axis=0), marker="o", label=label, color=color)
    ax.fill_between(x, runs.min(axis=0), runs.max(axis=0), alpha=0.2, color=line.get_color())
    if label:
        ax.legend()
    return ax
