"""Seeding, device choice and the environment check that lesson 00 runs."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import random

import numpy as np
import pandas as pd
import torch

from ._validation import check_number, check_option

__all__ = ["seed_everything", "get_device", "environment_report", "make_rng"]

#: Libraries whose versions the environment check reports.
REPORTED_PACKAGES = [
    "numpy",
    "pandas",
    "matplotlib",
    "scikit-learn",
    "torch",
    "torchvision",
    "opacus",
    "shap",
    "lime",
    "fairlearn",
]


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python's ``random``, NumPy's global state and torch (CPU and CUDA) in one call.

    Lessons call this once in their setup cell. The package itself never uses
    global random state; it takes an ``rng`` or ``torch.Generator`` argument.
    Returns a fresh ``numpy.random.Generator`` seeded with ``seed`` for the
    notebook's own use.

    Parameters
    ----------
    seed : int
        In [0, 2**32 - 1].

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> rng = seed_everything(0)
    >>> float(torch.rand(1)) == float(torch.rand(1, generator=torch.Generator().manual_seed(0)))
    True
    """
    seed = check_number("seed", seed, low=0, high=2**32 - 1, integer=True)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return np.random.default_rng(seed)


def make_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Turn the package's ``rng`` argument into a ``numpy.random.Generator``.

    An ``int`` seeds a new generator, a ``Generator`` is used as is and
    ``None`` gives an unseeded one (results then differ from run to run).

    Examples
    --------
    >>> int(make_rng(3).integers(10)) == int(make_rng(3).integers(10))
    True
    """
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        check_number("rng", int(rng), low=0, integer=True)
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator, an int in [0, inf) or None; got {rng!r} of type {type(rng).__name__}"
    )


def get_device(prefer: str = "auto") -> torch.device:
    """Choose where torch computes: the CPU by default, a CUDA GPU when there is one.

    Parameters
    ----------
    prefer : {"auto", "cpu", "cuda"}
        ``"auto"`` picks CUDA if available, else the CPU. ``"cuda"`` raises if
        no GPU is present. The environment variable ``PPML_DEVICE`` overrides
        ``"auto"`` (e.g. ``PPML_DEVICE=cpu`` on a machine with a GPU).

    Returns
    -------
    torch.device

    Examples
    --------
    >>> get_device("cpu")
    device(type='cpu')
    """
    check_option("prefer", prefer, ["auto", "cpu", "cuda"])
    if prefer == "auto":
        prefer = os.environ.get("PPML_DEVICE", "auto")
        check_option("PPML_DEVICE", prefer, ["auto", "cpu", "cuda"])
    if prefer == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("prefer='cuda' but torch sees no CUDA GPU; use prefer='auto' or 'cpu'")
    if prefer == "auto":
        prefer = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(prefer)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def environment_report() -> pd.DataFrame:
    """One row per item: Python and library versions, CPU cores, GPU, torch threads.

    Used by lesson 00's environment check.

    Examples
    --------
    >>> report = environment_report()
    >>> "torch" in set(report["item"])
    True
    """
    rows = [("python", platform.python_version()), ("platform", platform.platform(terse=True))]
    rows += [(name, _version(name)) for name in REPORTED_PACKAGES]
    rows.append(("CPU cores", str(os.cpu_count())))
    rows.append(("torch threads", str(torch.get_num_threads())))
    if torch.cuda.is_available():
        rows.append(("GPU", torch.cuda.get_device_name(0)))
    else:
        rows.append(("GPU", "none (the course runs on the CPU)"))
    rows.append(("device used", str(get_device())))
    return pd.DataFrame(rows, columns=["item", "value"])
