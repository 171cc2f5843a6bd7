"""Exercises: the framework in :mod:`.core` and one module per lesson (``lesson00``, ...).

In a notebook::

    from ppml_lessons.exercises import ____
    from ppml_lessons.exercises.lesson00 import q1, q2
"""

from .core import CheckResult, Exercise, Incorrect, Placeholder, ____

__all__ = ["____", "CheckResult", "Exercise", "Incorrect", "Placeholder"]
