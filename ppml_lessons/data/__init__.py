"""Checksum-verified loaders for the course's datasets (all read from ``data/``, never the network)."""

from .files import FILES, DataFileError, checksum_report, data_dir, data_path
from .images import FASHION_MNIST_CLASSES, FashionMNIST, load_fashion_mnist
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
