"""Argument checks with one message template for the whole package.

Every public function validates its arguments with these helpers, so a learner
always reads the same kind of message: the argument's name, what is allowed and
what was received, e.g. ``epsilon must be a float in (0, inf); got -1.0``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

__all__ = ["check_number", "check_option", "check_type", "check_bool"]


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    left = "(" if (low is None or low_open) else "["
    right = ")" if (high is None or high_open) else "]"
    lo = "-inf" if low is None else repr(low)
    hi = "inf" if high is None else repr(high)
    return f"{left}{lo}, {hi}{right}"


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> float | int:
    """Check that ``value`` is a real number (or an int) inside an interval.

    Parameters
    ----------
    name : str
        Name of the argument, used in the message.
    value : object
        What the caller passed.
    low, high : float or None
        Interval ends; ``None`` means unbounded.
    low_open, high_open : bool
        Whether each end is excluded.
    integer : bool
        Require an integer (``bool`` is never accepted as a number).

    Returns
    -------
    int or float
        ``value`` converted to a Python ``int`` or ``float``.

    Raises
    ------
    TypeError
        If ``value`` is not a number of the right kind.
    ValueError
        If ``value`` is NaN or outside the interval.

    Examples
    --------
    >>> check_number("epsilon", 0.5, low=0, low_open=True)
    0.5
    """
    kind = "an integer" if integer else "a float"
    where = _interval(low, high, low_open, high_open)
    ok_type = isinstance(value, numbers.Integral) if integer else isinstance(value, numbers.Real)
    if isinstance(value, bool) or not ok_type:
        raise TypeError(f"{name} must be {kind} in {where}; got {value!r} of type {type(value).__name__}")
    converted = int(value) if integer else float(value)
    if not integer and math.isnan(converted):
        raise ValueError(f"{name} must be {kind} in {where}; got nan")
    too_low = low is not None and (converted <= low if low_open else converted < low)
    too_high = high is not None and (converted >= high if high_open else converted > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {kind} in {where}; got {value!r}")
    return converted


def check_option(name: str, value: Any, options: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``options``.

    Examples
    --------
    >>> check_option("device", "cpu", ["auto", "cpu", "cuda"])
    'cpu'
    """
    options = list(options)
    if value not in options:
        allowed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def check_type(name: str, value: Any, types: type | tuple[type, ...], description: str) -> Any:
    """Check ``isinstance(value, types)``; ``description`` says what is allowed in words.

    Examples
    --------
    >>> check_type("name", "adult", str, "a string")
    'adult'
    """
    if not isinstance(value, types):
        raise TypeError(f"{name} must be {description}; got {value!r} of type {type(value).__name__}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Check that ``value`` is a bool (``True`` or ``False``).

    Examples
    --------
    >>> check_bool("train", True)
    True
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool (True or False); got {value!r} of type {type(value).__name__}")
    return value
