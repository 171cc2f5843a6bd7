"""Transfer learning on Fashion-MNIST: a source task, a target task, and the three ways to learn the target.

Lesson 01 splits Fashion-MNIST's ten classes in two. The *source task* (the
first five classes: T-shirt/top, Trouser, Pullover, Dress, Coat) plays the
public data a model is pretrained on; the *target task* (Sandal, Shirt,
Sneaker, Bag, Ankle boot) is the new problem with few labels. Lesson 04 reuses
the pretrained encoder for DP training.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import Dataset
from torchvision.transforms import v2
from tqdm.auto import tqdm

from ._validation import check_bool, check_number, check_option, check_type
from .data import FASHION_MNIST_CLASSES, load_fashion_mnist
from .environment import get_device, make_rng
from .models import SmallCNN, freeze, unfreeze
from .training import evaluate, fit

__all__ = [
    "SOURCE_CLASSES",
    "TARGET_CLASSES",
    "STYLES",
    "task_data",
    "stylize",
    "style_mask",
    "per_class_indices",
    "AugmentedTensors",
    "extract_features",
    "train_scratch",
    "train_linear_probe",
    "fine_tune",
    "learning_curve",
    "SETTINGS",
]

#: Fashion-MNIST labels of the source task (pretraining) and of the target task.
SOURCE_CLASSES: tuple[int, ...] = (0, 1, 2, 3, 4)
TARGET_CLASSES: tuple[int, ...] = (5, 6, 7, 8, 9)
#: Style changes that define a subgroup of images (lesson 01's bias experiment).
STYLES: tuple[str, ...] = ("plain", "inverted", "low_contrast")

#: Lesson 01's experiment sizes. ``"default"`` keeps the lesson within about three
#: minutes on a 2-core CPU; ``"full"`` (all 6,000 labels per class, five seeds,
#: more steps) is what ``benchmarks/lesson01_full.py`` runs.
SETTINGS: dict[str, dict] = {
    "default": {"sizes": (5, 20, 100, 500), "seeds": (0, 1, 2), "max_steps": 400, "finetune_steps": 100,
                "test_per_class": 400, "bias_per_class": 100},
    "full": {"sizes": (5, 20, 100, 500, 6000), "seeds": (0, 1, 2, 3, 4), "max_steps": 2000, "finetune_steps": 300,
             "test_per_class": 1000, "bias_per_class": 500},
}


def task_data(task: str, *, train: bool = True) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Images of one task, labels renumbered 0-4, and the class names.

    Parameters
    ----------
    task : {"source", "target"}
    train : bool, default True
        Training split (30,000 images) or test split (5,000).

    Returns
    -------
    images : float tensor (N, 1, 28, 28) in [0, 1]
    labels : int64 tensor (N,), values 0-4
    names : list of str
        ``names[k]`` is the class of label ``k``.

    Examples
    --------
    >>> x, y, names = task_data("target", train=False)
    >>> len(x), names[0], int(y.max())
    (5000, 'Sandal', 4)
    """
    check_option("task", task, ["source", "target"])
    check_bool("train", train)
    classes = SOURCE_CLASSES if task == "source" else TARGET_CLASSES
    dataset = load_fashion_mnist(train=train)
    keep = torch.isin(dataset.targets, torch.tensor(classes))
    images = dataset.data[keep].unsqueeze(1).float().div_(255.0)  # select before converting: less memory
    remap = torch.full((10,), -1, dtype=torch.long)
    remap[list(classes)] = torch.arange(len(classes))
    return images, remap[dataset.targets[keep]], [FASHION_MNIST_CLASSES[c] for c in classes]


def stylize(images: torch.Tensor, *, style: str) -> torch.Tensor:
    """Apply a fixed style change with torchvision: ``"inverted"`` (1 - x) or ``"low_contrast"`` (30%).

    ``"plain"`` returns the images unchanged. Images are float tensors in [0, 1].

    Examples
    --------
    >>> float(stylize(torch.zeros(1, 1, 2, 2), style="inverted").mean())
    1.0
    """
    check_type("images", images, torch.Tensor, "a float tensor of images in [0, 1]")
    check_option("style", style, STYLES)
    if style == "inverted":
        return v2.functional.invert(images)
    if style == "low_contrast":
        return v2.functional.adjust_contrast(images, contrast_factor=0.3)
    return images.clone()


def style_mask(n: int, *, fraction: float, rng: np.random.Generator | int | None = None) -> torch.Tensor:
    """A boolean mask of length ``n`` with exactly ``round(fraction * n)`` True entries, at random places.

    Examples
    --------
    >>> int(style_mask(200, fraction=0.01, rng=0).sum())
    2
    """
    check_number("n", n, low=0, integer=True)
    check_number("fraction", fraction, low=0, high=1)
    chosen = make_rng(rng).permutation(n)[: round(fraction * n)]
    mask = torch.zeros(n, dtype=torch.bool)
    mask[torch.from_numpy(chosen)] = True
    return mask


def per_class_indices(
    labels: torch.Tensor, n_per_class: int, *, rng: np.random.Generator | int | None = None
) -> torch.Tensor:
    """Indices of ``n_per_class`` random examples of every class (sorted).

    Examples
    --------
    >>> idx = per_class_indices(torch.tensor([0, 0, 1, 1, 1]), 2, rng=0)
    >>> torch.tensor([0, 0, 1, 1, 1])[idx].tolist()
    [0, 0, 1, 1]
    """
    check_type("labels", labels, torch.Tensor, "an int tensor of class labels")
    check_number("n_per_class", n_per_class, low=1, integer=True)
    generator = make_rng(rng)
    picked = []
    for c in torch.unique(labels).tolist():
        members = torch.nonzero(labels == c).flatten().numpy()
        if len(members) < n_per_class:
            raise ValueError(
                f"n_per_class must be an integer in [1, {len(members)}] (the size of class {c}); got {n_per_class}"
            )
        picked.append(generator.choice(members, size=n_per_class, replace=False))
    return torch.from_numpy(np.sort(np.concatenate(picked)))


class AugmentedTensors(Dataset):
    """Images and labels held in tensors, with a torchvision transform applied to each image as it is read.

    Used to augment small training sets (random flips and shifts) without
    copying them.

    Examples
    --------
    >>> data = AugmentedTensors(torch.zeros(3, 1, 28, 28), torch.zeros(3, dtype=torch.long))
    >>> len(data), tuple(data[0][0].shape)
    (3, (1, 28, 28))
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform: v2.Transform | None = None) -> None:
        check_type("images", images, torch.Tensor, "a tensor of images")
        check_type("labels", labels, torch.Tensor, "a tensor of labels")
        if len(images) != len(labels):
            raise ValueError(f"images and labels must have equal length; got {len(images)} and {len(labels)}")
        self.images, self.labels = images, labels
        self.transform = transform or v2.Compose(
            [v2.RandomHorizontalFlip(), v2.RandomAffine(degrees=0, translate=(0.1, 0.1))]
        )

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.transform(self.images[index]), self.labels[index]


@torch.no_grad()
def extract_features(
    encoder: nn.Module, images: torch.Tensor, *, batch_size: int = 1000, device: torch.device | None = None
) -> torch.Tensor:
    """Run a (frozen) encoder over images and return its feature vectors, on the CPU.

    Examples
    --------
    >>> extract_features(SmallCNN().features, torch.zeros(3, 1, 28, 28)).shape
    torch.Size([3, 288])
    """
    check_type("encoder", encoder, nn.Module, "a torch.nn.Module")
    check_type("images", images, torch.Tensor, "a tensor of images")
    check_number("batch_size", batch_size, low=1, integer=True)
    device = device or get_device()
    was_training = encoder.training
    encoder.eval().to(device)
    features = torch.cat([encoder(chunk.to(device)).cpu() for chunk in images.split(batch_size)])
    encoder.train(was_training)
    return features


def _epochs_for(steps: int, n: int, batch_size: int) -> int:
    return max(1, math.ceil(steps * min(batch_size, n) / n))


def train_scratch(
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    num_classes: int = 5,
    steps: int = 200,
    batch_size: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
    augment: bool = False,
) -> SmallCNN:
    """Train a :class:`SmallCNN` from random weights for about ``steps`` optimizer steps.

    ``augment=True`` reads the images through :class:`AugmentedTensors`
    (random flips and shifts).

    Examples
    --------
    >>> x, y = torch.rand(20, 1, 28, 28), torch.arange(20) % 5
    >>> train_scratch(x, y, steps=2, batch_size=10).head.out_features
    5
    """
    check_number("steps", steps, low=1, integer=True)
    check_number("batch_size", batch_size, low=1, integer=True)
    check_number("seed", seed, low=0, integer=True)
    check_bool("augment", augment)
    torch.manual_seed(seed)
    model = SmallCNN(num_classes)
    data = AugmentedTensors(images, labels) if augment else (images, labels)
    epochs = _epochs_for(steps, len(labels), batch_size)
    fit(model, data, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=False)
    return model


def train_linear_probe(
    features: torch.Tensor,
    labels: torch.Tensor,
    *,
    num_classes: int = 5,
    steps: int = 300,
    batch_size: int = 64,
    lr: float = 1e-2,
    seed: int = 0,
) -> nn.Linear:
    """Train a linear head on fixed (precomputed) encoder features: the *linear probe*.

    Examples
    --------
    >>> head = train_linear_probe(torch.randn(30, 8), torch.arange(30) % 5, steps=5)
    >>> head.weight.shape
    torch.Size([5, 8])
    """
    check_type("features", features, torch.Tensor, "a 2-D tensor of features")
    if features.ndim != 2:
        raise ValueError(f"features must be a 2-D tensor (examples, features); got shape {tuple(features.shape)}")
    check_number("steps", steps, low=1, integer=True)
    check_number("batch_size", batch_size, low=1, integer=True)
    check_number("seed", seed, low=0, integer=True)
    torch.manual_seed(seed)
    head = nn.Linear(features.shape[1], num_classes)
    epochs = _epochs_for(steps, len(labels), batch_size)
    fit(head, (features, labels), epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=False)
    return head


def fine_tune(
    encoder: nn.Module,
    head: nn.Linear,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    steps: int = 100,
    batch_size: int = 32,
    lr: float = 1e-4,
    seed: int = 0,
    augment: bool = False,
) -> SmallCNN:
    """Fine-tune everything: copy ``encoder`` and a trained ``head``, then train all weights with a small ``lr``.

    Starting from a head already trained by :func:`train_linear_probe` keeps the
    first steps from sending large random gradients into the pretrained encoder.

    Examples
    --------
    >>> model = fine_tune(SmallCNN(5).features, nn.Linear(288, 5), torch.rand(10, 1, 28, 28),
    ...                   torch.arange(10) % 5, steps=1)
    >>> all(p.requires_grad for p in model.parameters())
    True
    """
    check_type("encoder", encoder, nn.Module, "a torch.nn.Module (the pretrained encoder)")
    check_type("head", head, nn.Linear, "a torch.nn.Linear (the trained head)")
    check_number("steps", steps, low=1, integer=True)
    check_number("batch_size", batch_size, low=1, integer=True)
    check_number("seed", seed, low=0, integer=True)
    check_bool("augment", augment)
    model = SmallCNN(head.out_features)
    model.features = unfreeze(copy.deepcopy(encoder))
    model.head = copy.deepcopy(head)
    unfreeze(model)
    data = AugmentedTensors(images, labels) if augment else (images, labels)
    torch.manual_seed(seed)
    epochs = _epochs_for(steps, len(labels), batch_size)
    fit(model, data, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=False)
    return model


def learning_curve(
    encoder: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    *,
    sizes: Sequence[int],
    seeds: Sequence[int],
    methods: Sequence[str] = ("scratch", "linear probe", "fine-tune"),
    max_steps: int = 400,
    finetune_steps: int = 100,
    progress: bool = True,
) -> pd.DataFrame:
    """Target accuracy against labelled images per class, for each method and seed.

    For each seed and size, the same random labelled subset is given to every
    method: ``"scratch"`` (a new CNN trained for 10 epochs, at least 100 and at
    most ``max_steps`` steps), ``"linear probe"`` (a linear head on the frozen
    encoder) and ``"fine-tune"`` (that probe, then all weights for
    ``finetune_steps`` steps). The encoder is never changed. Used for lesson
    01's main figure.

    Returns
    -------
    pandas.DataFrame
        Columns ``method``, ``per_class``, ``seed``, ``accuracy``.

    Examples
    --------
    >>> x, y = torch.rand(20, 1, 28, 28), torch.arange(20) % 5
    >>> curve = learning_curve(SmallCNN(5).features, (x, y), (x, y), sizes=[2], seeds=[0],
    ...                        methods=["linear probe"], progress=False)
    >>> list(curve.columns)
    ['method', 'per_class', 'seed', 'accuracy']
    """
    check_type("encoder", encoder, nn.Module, "a torch.nn.Module (the pretrained encoder)")
    for method in methods:
        check_option("methods[i]", method, ["scratch", "linear probe", "fine-tune"])
    for size in sizes:
        check_number("sizes[i]", size, low=1, integer=True)
    for seed in seeds:
        check_number("seeds[i]", seed, low=0, integer=True)
    check_number("max_steps", max_steps, low=100, integer=True)
    check_number("finetune_steps", finetune_steps, low=1, integer=True)
    frozen = freeze(copy.deepcopy(encoder))
    train_images, train_labels = train
    test_images, test_labels = test
    train_features = extract_features(frozen, train_images)
    test_features = extract_features(frozen, test_images)
    rows = []
    runs = [(seed, size) for seed in seeds for size in sizes]
    for seed, size in tqdm(runs, desc="learning curve", disable=not progress, leave=False):
        idx = per_class_indices(train_labels, size, rng=seed)
        x, y = train_images[idx], train_labels[idx]
        head = None
        for method in methods:
            if method == "scratch":
                steps = min(max_steps, max(100, math.ceil(10 * len(y) / 32)))
                model = train_scratch(x, y, steps=steps, seed=seed)
                accuracy = evaluate(model, (test_images, test_labels))["accuracy"]
            else:
                if head is None:
                    head = train_linear_probe(train_features[idx], y, seed=seed)
                if method == "linear probe":
                    accuracy = evaluate(head, (test_features, test_labels))["accuracy"]
                else:
                    model = fine_tune(frozen, head, x, y, steps=finetune_steps, seed=seed)
                    accuracy = evaluate(model, (test_images, test_labels))["accuracy"]
            rows.append({"method": method, "per_class": size, "seed": seed, "accuracy": accuracy})
    return pd.DataFrame(rows)
