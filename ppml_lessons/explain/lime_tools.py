"""LIME for lesson 09: the same instance explained across seeds and sample sizes, and a CNN wrapper for images."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from lime.lime_tabular import LimeTabularExplainer

from .._validation import check_number, check_type

__all__ = ["default_kernel_width", "lime_tabular_runs", "lime_stability_summary", "image_classifier_fn"]


def default_kernel_width(n_features: int) -> float:
    """LIME's default kernel width for tabular data, ``0.75 * sqrt(n_features)`` (lesson 09).

    Examples
    --------
    >>> round(default_kernel_width(10), 3)
    2.372
    """
    n_features = check_number("n_features", n_features, low=1, integer=True)
    return 0.75 * float(np.sqrt(n_features))


def lime_tabular_runs(
    predict_proba: Callable[[np.ndarray], np.ndarray],
    instance: np.ndarray,
    *,
    training_data: np.ndarray,
    feature_names: Sequence[str],
    categorical_features: Sequence[int] = (),
    seeds: Sequence[int] = tuple(range(10)),
    num_samples: Sequence[int] = (500, 2000, 5000),
    kernel_width: float | None = None,
) -> pd.DataFrame:
    """Explain one instance with LIME once per seed and per sample size; one row per run and feature.

    Lesson 09 plots how the weights and the top features move. Each run builds a
    ``LimeTabularExplainer(random_state=seed)`` (default quartile discretizer) and
    asks for every feature's weight for class 1.

    Parameters
    ----------
    predict_proba : callable
        Maps an (m, d) array to (m, 2) class probabilities.
    instance : array, shape (d,)
    training_data : array, shape (n, d)
        LIME's statistics for sampling (a few thousand rows are enough).
    feature_names : sequence of str
    categorical_features : sequence of int, default ()
        Indices of the columns holding category codes.
    seeds : sequence of int, default 0..9
    num_samples : sequence of int, default (500, 2000, 5000)
    kernel_width : float, optional
        Width of LIME's exponential kernel, which weights each perturbed sample by its distance to the
        instance; ``None`` keeps LIME's default ``0.75 * sqrt(d)`` (see :func:`default_kernel_width`).

    Returns
    -------
    pandas.DataFrame
        Columns ``num_samples``, ``seed``, ``feature``, ``weight``, ``rank``
        (1 = largest absolute weight in that run).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> data = rng.normal(size=(200, 3))
    >>> proba = lambda z: np.column_stack([1 - (z[:, 0] > 0), z[:, 0] > 0]).astype(float)
    >>> runs = lime_tabular_runs(proba, data[0], training_data=data, feature_names=list("abc"),
    ...                          seeds=[0, 1], num_samples=[200])
    >>> runs.shape, set(runs.loc[runs["rank"] == 1, "feature"])
    ((6, 5), {'a'})
    """
    if not callable(predict_proba):
        raise TypeError(f"predict_proba must be a callable returning class probabilities; got {predict_proba!r}")
    check_type("training_data", training_data, np.ndarray, "a 2-D numpy array")
    instance = np.asarray(instance, dtype=float)
    if training_data.ndim != 2 or instance.shape != (training_data.shape[1],):
        raise ValueError(
            f"instance must have shape (d,) and training_data (n, d); got {instance.shape} and {training_data.shape}"
        )
    if len(feature_names) != instance.size:
        raise ValueError(f"feature_names must have one name per feature ({instance.size}); got {len(feature_names)}")
    if len(seeds) == 0 or len(num_samples) == 0:
        raise ValueError("seeds and num_samples must each hold at least one value; got an empty sequence")
    for n in num_samples:
        check_number("num_samples[i]", n, low=10, integer=True)
    if kernel_width is not None:
        kernel_width = check_number("kernel_width", kernel_width, low=0, low_open=True)
    rows: list[dict[str, Any]] = []
    for seed in seeds:
        check_number("seeds[i]", seed, low=0, integer=True)
        explainer = LimeTabularExplainer(
            training_data, feature_names=list(feature_names), categorical_features=list(categorical_features),
            class_names=["0", "1"], random_state=int(seed), mode="classification", kernel_width=kernel_width,
        )
        for n in num_samples:
            explanation = explainer.explain_instance(
                instance, predict_proba, labels=(1,), num_features=instance.size, num_samples=int(n)
            )
            weights = dict(explanation.as_map()[1])
            order = sorted(weights, key=lambda j: -abs(weights[j]))
            for rank, j in enumerate(order, start=1):
                rows.append({"num_samples": int(n), "seed": int(seed), "feature": feature_names[j],
                             "weight": float(weights[j]), "rank": rank})
    return pd.DataFrame(rows)


def lime_stability_summary(runs: pd.DataFrame, *, top_k: int = 3) -> pd.DataFrame:
    """Per sample size: how often a run's top-``top_k`` set equals the most common one, and the weights' spread.

    Parameters
    ----------
    runs : DataFrame from :func:`lime_tabular_runs`
    top_k : int, default 3

    Returns
    -------
    pandas.DataFrame
        Index ``num_samples``; columns ``top_k_agreement`` (share of seeds that
        give the modal top-k set), ``distinct_top_k`` (how many different sets),
        ``mean_weight_sd`` (standard deviation of a feature's weight across seeds,
        averaged over features) and ``top1_changes`` (1 if the first feature
        differs between seeds).

    Examples
    --------
    >>> runs = pd.DataFrame({"num_samples": [10] * 4, "seed": [0, 0, 1, 1], "feature": list("abab"),
    ...                      "weight": [0.5, 0.1, 0.3, 0.4], "rank": [1, 2, 2, 1]})
    >>> lime_stability_summary(runs, top_k=1).to_dict("records")[0]["top_k_agreement"]
    0.5
    """
    check_type("runs", runs, pd.DataFrame, "a DataFrame from lime_tabular_runs")
    needed = {"num_samples", "seed", "feature", "weight", "rank"}
    if not needed <= set(runs.columns):
        raise ValueError(f"runs must have the columns {sorted(needed)}; got {list(runs.columns)}")
    top_k = check_number("top_k", top_k, low=1, integer=True)
    out = {}
    for n, frame in runs.groupby("num_samples"):
        tops = frame[frame["rank"] <= top_k].groupby("seed")["feature"].agg(frozenset)
        counts = tops.value_counts()
        firsts = frame[frame["rank"] == 1]["feature"]
        out[n] = {
            "top_k_agreement": float(counts.iloc[0] / len(tops)),
            "distinct_top_k": int(len(counts)),
            "mean_weight_sd": float(frame.groupby("feature")["weight"].std(ddof=1).mean()),
            "top1_changes": int(firsts.nunique() > 1),
        }
    result = pd.DataFrame.from_dict(out, orient="index")
    result.index.name = "num_samples"
    return result


def image_classifier_fn(model: torch.nn.Module, *, device: torch.device | str = "cpu",
                        batch_size: int = 256) -> Callable[[np.ndarray], np.ndarray]:
    """Wrap a grey-image classifier for ``lime_image``: (N, H, W, 3) arrays in [0, 1] to (N, classes) probabilities.

    LIME turns grey images into RGB; the wrapper averages the channels back
    and runs the model in evaluation mode without gradients (lesson 09).

    Examples
    --------
    >>> from ppml_lessons.models import SmallCNN
    >>> fn = image_classifier_fn(SmallCNN(5))
    >>> fn(np.zeros((3, 28, 28, 3))).shape
    (3, 5)
    """
    check_type("model", model, torch.nn.Module, "a torch.nn.Module")
    batch_size = check_number("batch_size", batch_size, low=1, integer=True)

    def classify(images: np.ndarray) -> np.ndarray:
        grey = torch.as_tensor(np.asarray(images, dtype=np.float32).mean(axis=-1))[:, None]
        model.eval()
        with torch.no_grad():
            parts = [torch.softmax(model(chunk.to(device)), dim=1).cpu() for chunk in grey.split(batch_size)]
        return torch.cat(parts).numpy()

    return classify
