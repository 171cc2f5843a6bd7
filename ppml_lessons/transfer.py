"""Transfer learning on Fashion-MNIST: a source task, a target task, and the three ways to learn the target.

Lesson 01 splits Fashion-MNIST's ten classes in two. The *source task* (the
first five classes: T-shirt/top, Trouser, Pullover, Dress, Coat) plays the
public data a model is pretrained on; the *target task* (Sandal, Shirt,
Sneaker, Bag, Ankle boot) is the new problem with few labels. Lesson 04 reuses
the pretrained encoder for DP training.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset
from torchvision.transforms import v2

from ._validation import check_bool, check_number, check_option, check_type
from .data import FASHION_MNIST_CLASSES, load_fashion_mnist
from .environment import get_device, make_rng
from .models import SmallCNN

__all__ = [
    "SOURCE_CLASSES",
    "TARGET_CLASSES",
    "STYLES",
    "task_data",
    "stylize",
    "style_mask",
    "per_class_indices",
    "AugmentedTensors",
    "validation_split",
    "extract_features",
    "SETTINGS",
]

#: Fashion-MNIST labels of the source task (pretraining) and of the target task.
SOURCE_CLASSES: tuple[int, ...] = (0, 1, 2, 3, 4)
TARGET_CLASSES: tuple[int, ...] = (5, 6, 7, 8, 9)
#: Style changes that define a subgroup of images (lesson 01's bias experiment).
STYLES: tuple[str, ...] = ("plain", "inverted", "low_contrast")

#: Lesson 01's experiment sizes and training budget. ``"default"`` keeps the lesson within about
#: three minutes on a 2-core CPU; ``"full"`` (up to all 6,000 labels per class, ten times the
#: steps) is what ``benchmarks/lesson01_full.py`` runs. ``budget`` is the early-stopping
#: budget that scratch training and fine-tuning share (``ppml_lessons.transfer_methods``);
#: ``val_max_per_class`` caps the validation part (20% of the labelled images of each class).
#: ``bias_fractions`` is the share of subgroup B in the target data of the bias experiment.
SETTINGS: dict[str, dict] = {
    "default": {"sizes": (5, 20, 100, 500), "seeds": (0, 1, 2), "test_per_class": 400,
                "budget": {"max_steps": 300, "eval_every": 10, "patience": 10, "batch_size": 64},
                "val_max_per_class": 100, "bias_per_class": 100, "bias_fractions": {"balanced": 0.5, "skewed": 0.05}},
    "full": {"sizes": (5, 20, 100, 500, 6000), "seeds": (0, 1, 2), "test_per_class": 1000,
             "budget": {"max_steps": 3000, "eval_every": 50, "patience": 10, "batch_size": 64},
             "val_max_per_class": 200, "bias_per_class": 500, "bias_fractions": {"balanced": 0.5, "skewed": 0.05}},
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


def validation_split(
    labels: torch.Tensor,
    *,
    fraction: float = 0.2,
    max_per_class: int | None = None,
    rng: np.random.Generator | int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Split indices of ``labels`` into a training part and a validation part, class by class.

    Each class gives ``round(fraction * size)`` of its examples to validation
    (at least one, at most ``max_per_class``) and keeps at least one for
    training. Lesson 01 gives every method the same split.

    Returns
    -------
    train_idx, val_idx : int64 tensors, sorted

    Examples
    --------
    >>> train_idx, val_idx = validation_split(torch.tensor([0] * 5 + [1] * 5), rng=0)
    >>> len(train_idx), len(val_idx)
    (8, 2)
    """
    check_type("labels", labels, torch.Tensor, "an int tensor of class labels")
    check_number("fraction", fraction, low=0, high=1, low_open=True, high_open=True)
    if max_per_class is not None:
        check_number("max_per_class", max_per_class, low=1, integer=True)
    generator = make_rng(rng)
    train_parts, val_parts = [], []
    for c in torch.unique(labels).tolist():
        members = generator.permutation(torch.nonzero(labels == c).flatten().numpy())
        if len(members) < 2:
            raise ValueError(f"labels must hold at least 2 examples of every class; got {len(members)} of class {c}")
        n_val = min(max(1, round(fraction * len(members))), len(members) - 1, max_per_class or len(members))
        val_parts.append(members[:n_val])
        train_parts.append(members[n_val:])
    return (torch.from_numpy(np.sort(np.concatenate(train_parts))), torch.from_numpy(np.sort(np.concatenate(val_parts))))


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

