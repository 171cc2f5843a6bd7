"""Independent implementations the dp tests cross-check against (test-only dependencies)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

import pytest


def diffprivlib(submodule: str) -> types.ModuleType:
    """Import ``diffprivlib.<submodule>`` (e.g. "mechanisms", "accountant"), or skip if it is not installed.

    diffprivlib 0.6.6's package ``__init__`` imports its scikit-learn models, which fail
    with scikit-learn >= 1.8 (``sklearn.tree._tree.DOUBLE`` is gone). Its mechanisms and
    accountant do not need scikit-learn, so when the package import fails we load them
    under a bare ``diffprivlib`` package module that skips that ``__init__``.
    """
    if "diffprivlib" in sys.modules:  # imported already, possibly as the bare package below
        return importlib.import_module(f"diffprivlib.{submodule}")
    spec = importlib.util.find_spec("diffprivlib")
    if spec is None:
        pytest.skip("diffprivlib is not installed (pip install -e '.[test]')")
    try:
        importlib.import_module("diffprivlib")
    except ImportError:
        for name in [m for m in sys.modules if m == "diffprivlib" or m.startswith("diffprivlib.")]:
            del sys.modules[name]
        bare = types.ModuleType("diffprivlib")
        bare.__path__ = list(spec.submodule_search_locations)
        sys.modules["diffprivlib"] = bare
    return importlib.import_module(f"diffprivlib.{submodule}")
