"""Argument checks shared by the anonymization modules (same message template as ``_validation``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from .._validation import check_type


def check_frame(name: str, value: Any, *, allow_empty: bool = False) -> pd.DataFrame:
    """Check that ``value`` is a DataFrame (with at least one row unless ``allow_empty``)."""
    check_type(name, value, pd.DataFrame, "a pandas DataFrame")
    if not allow_empty and len(value) == 0:
        raise ValueError(f"{name} must be a pandas DataFrame with at least one row; got an empty DataFrame")
    return value


def check_columns(name: str, value: Any, frame: pd.DataFrame, frame_name: str) -> list[str]:
    """Check that ``value`` is a non-empty list of distinct column names of ``frame``; return it as a list."""
    if isinstance(value, str) or not isinstance(value, (Sequence, pd.Index)):
        raise TypeError(
            f"{name} must be a list of column names of {frame_name}; got {value!r} of type {type(value).__name__}"
        )
    columns = list(value)
    if not columns or len(set(columns)) != len(columns):
        raise ValueError(f"{name} must be a non-empty list of distinct column names of {frame_name}; got {columns!r}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} must be column names of {frame_name} (it has {list(frame.columns)}); got {columns!r}, "
            f"missing {missing}"
        )
    return columns


def check_column(name: str, value: Any, frame: pd.DataFrame, frame_name: str) -> str:
    """Check that ``value`` is the name of one column of ``frame``."""
    check_type(name, value, str, f"the name of a column of {frame_name}")
    if value not in frame.columns:
        raise ValueError(f"{name} must be a column of {frame_name} (it has {list(frame.columns)}); got {value!r}")
    return value
