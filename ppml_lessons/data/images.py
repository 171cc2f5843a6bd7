"""Fashion-MNIST as a torchvision dataset, read from the checksum-verified files in ``data/``."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import torch
from PIL import Image
from torchvision.datasets import VisionDataset

from .._validation import check_bool, check_type
from .files import data_dir, data_path

__all__ = ["FASHION_MNIST_CLASSES", "FashionMNIST", "load_fashion_mnist"]

#: Class names in label order (Xiao, Rasul & Vollgraf, 2017).
FASHION_MNIST_CLASSES: list[str] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


def _read_idx(name: str, *, magic: int, ndim: int) -> np.ndarray:
    """Read a gzip-compressed IDX file (the MNIST format) into a uint8 array."""
    raw = gzip.decompress(data_path(name).read_bytes())
    header = np.frombuffer(raw, dtype=">i4", count=1 + ndim)
    if header[0] != magic:  # pragma: no cover - guarded by the checksum
        raise ValueError(f"{name} is not an IDX file with magic number {magic}")
    shape = tuple(int(n) for n in header[1:])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 * (1 + ndim)).reshape(shape)


@lru_cache(maxsize=2)
def _arrays(train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    split = "train" if train else "t10k"
    images = _read_idx(f"fashion-mnist/{split}-images-idx3-ubyte.gz", magic=2051, ndim=3)
    labels = _read_idx(f"fashion-mnist/{split}-labels-idx1-ubyte.gz", magic=2049, ndim=1)
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


class FashionMNIST(VisionDataset):
    """Fashion-MNIST read from ``data/fashion-mnist`` without any download.

    It behaves like ``torchvision.datasets.FashionMNIST``: ``dataset[i]``
    returns ``(image, label)`` with ``image`` a PIL image passed through
    ``transform``, and it has the same attributes ``data`` (uint8 tensor
    ``(N, 28, 28)``), ``targets`` (int64 tensor ``(N,)``) and ``classes``.
    Use :meth:`tensors` for the whole split as one float tensor, which is much
    faster than iterating image by image on a small CPU.

    Build it with :func:`load_fashion_mnist`.
    """

    classes = FASHION_MNIST_CLASSES

    def __init__(
        self,
        *,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
    ) -> None:
        check_bool("train", train)
        super().__init__(str(data_dir() / "fashion-mnist"), transform=transform, target_transform=target_transform)
        self.train = train
        self.data, self.targets = _arrays(train)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = Image.fromarray(self.data[index].numpy(), mode="L")
        target = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All images as a float tensor ``(N, 1, 28, 28)`` in [0, 1], and the labels.

        ``transform`` is not applied: this is the fast path for small models.

        Examples
        --------
        >>> x, y = load_fashion_mnist(train=False).tensors()
        >>> tuple(x.shape), x.dtype, float(x.max())
        ((10000, 1, 28, 28), torch.float32, 1.0)
        """
        return self.data.unsqueeze(1).float().div_(255.0), self.targets.clone()  # in place: one float copy, not two

    def extra_repr(self) -> str:
        return f"Split: {'train' if self.train else 'test'}"


def load_fashion_mnist(
    *,
    train: bool = True,
    transform: Callable[[Any], Any] | None = None,
    target_transform: Callable[[int], Any] | None = None,
) -> FashionMNIST:
    """Load the Fashion-MNIST training (60,000 images) or test (10,000) split.

    The gzip IDX files in ``data/fashion-mnist`` are checksum-verified and
    decoded once per process. Used by lessons 00, 01, 04, 05, 06, 08 and 09.

    Parameters
    ----------
    train : bool, default True
        The training split if True, the test split otherwise.
    transform : callable, optional
        A torchvision transform applied to each PIL image, e.g.
        ``torchvision.transforms.ToTensor()``.
    target_transform : callable, optional
        Applied to each integer label.

    Returns
    -------
    FashionMNIST
        A ``torchvision.datasets.VisionDataset``.

    Examples
    --------
    >>> from torchvision.transforms import ToTensor
    >>> train = load_fashion_mnist(transform=ToTensor())
    >>> len(train), tuple(train[0][0].shape), train.classes[train[0][1]]
    (60000, (1, 28, 28), 'Ankle boot')
    """
    if transform is not None:
        check_type("transform", transform, Callable, "a callable (a torchvision transform) or None")
    if target_transform is not None:
        check_type("target_transform", target_transform, Callable, "a callable or None")
    return FashionMNIST(train=train, transform=transform, target_transform=target_transform)
