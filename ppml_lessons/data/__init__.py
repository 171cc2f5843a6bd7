"""Checksum-verified loaders for the course's datasets (all read from ``data/``, never the network).

The image loader imports torch and torchvision; it is imported only when first
used, so a lesson that needs only the tables (02, 03, 07, 08) stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from .files import FILES, DataFileError, checksum_report, data_dir, data_path
from .tabular import ADULT_COLUMNS, load_adult, load_compas, load_german

__all__ = [
    "ADULT_COLUMNS",
    "FASHION_MNIST_CLASSES",
    "FILES",
    "DataFileError",
    "FashionMNIST",
    "checksum_report",
    "data_dir",
    "data_path",
    "load_adult",
    "load_compas",
    "load_fashion_mnist",
    "load_german",
]

_LAZY = {"FASHION_MNIST_CLASSES", "FashionMNIST", "load_fashion_mnist"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(".images", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
