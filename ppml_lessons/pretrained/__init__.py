"""The course's pretrained Fashion-MNIST encoders: how they are made, and how to load them.

The checkpoints in this folder are produced by ``tools/pretrain_encoders.py``
with fixed seeds, and ``encoders.json`` records, for each, its settings, its
SHA-256 and the source-task accuracy it reached. They are plain state dicts
loaded with ``torch.load(..., weights_only=True)``, so loading one cannot run
code. Lesson 01 uses them, lesson 04 reuses ``"source"``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from .._validation import check_number, check_option
from ..environment import make_rng
from ..models import SmallCNN
from ..training import evaluate, fit
from ..transfer import STYLES, stylize, style_mask, task_data

__all__ = ["FOLDER", "registry", "load_encoder", "pretrain_encoder"]

FOLDER = Path(__file__).resolve().parent


def registry() -> dict[str, dict]:
    """The recorded settings and results of every shipped encoder (from ``encoders.json``).

    Examples
    --------
    >>> sorted(registry()["source"])[:3]
    ['epochs', 'file', 'seed']
    """
    return json.loads((FOLDER / "encoders.json").read_text())


def pretrain_encoder(
    *,
    style: str = "inverted",
    style_fraction: float = 0.0,
    epochs: int = 3,
    seed: int = 0,
    batch_size: int = 128,
    lr: float = 1e-3,
    progress: bool = True,
) -> tuple[SmallCNN, dict[str, float]]:
    """Pretrain a :class:`SmallCNN` on the source task (the first five Fashion-MNIST classes).

    A random ``style_fraction`` of the training images get ``style`` (e.g.
    inverted): this is how lesson 01 builds encoders that see a subgroup
    rarely (1%) or often (50%).

    Returns
    -------
    model : SmallCNN
        Five-class source model; ``model.features`` is the encoder.
    accuracy : dict
        Source test accuracy on plain images and on images with ``style``.

    Examples
    --------
    >>> model, accuracy = pretrain_encoder(epochs=1, progress=False)  # doctest: +SKIP
    """
    check_option("style", style, STYLES)
    check_number("style_fraction", style_fraction, low=0, high=1)
    check_number("epochs", epochs, low=1, integer=True)
    check_number("seed", seed, low=0, integer=True)
    images, labels, _ = task_data("source", train=True)
    mask = style_mask(len(labels), fraction=style_fraction, rng=make_rng(seed))
    images = images.clone()
    images[mask] = stylize(images[mask], style=style)
    torch.manual_seed(seed)
    model = SmallCNN(5)
    fit(model, (images, labels), epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=progress)
    test_images, test_labels, _ = task_data("source", train=False)
    accuracy = {
        "plain": evaluate(model, (test_images, test_labels))["accuracy"],
        style: evaluate(model, (stylize(test_images, style=style), test_labels))["accuracy"],
    }
    return model, accuracy


def load_encoder(name: str = "source") -> SmallCNN:
    """Load a shipped pretrained model (five-class source head included) after checking its SHA-256.

    Parameters
    ----------
    name : str, default "source"
        A key of :func:`registry`: ``"source"``, or ``"skewed-<seed>"`` /
        ``"balanced-<seed>"`` for lesson 01's bias experiment.

    Returns
    -------
    SmallCNN
        ``model.features`` is the encoder, ``model.head`` the source head.

    Examples
    --------
    >>> model = load_encoder("source")
    >>> model.feature_dim
    288
    """
    entries = registry()
    check_option("name", name, entries)
    entry = entries[name]
    path = FOLDER / entry["file"]
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    if digest != entry["sha256"]:
        raise RuntimeError(
            f"checkpoint {path.name} is missing or altered (SHA-256 {digest}, recorded {entry['sha256']}); "
            "restore it with git or regenerate it with tools/pretrain_encoders.py"
        )
    model = SmallCNN(5)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()
