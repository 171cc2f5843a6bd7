"""Generalization hierarchies and suppression: what a data owner does before releasing a table.

A :class:`Hierarchy` is a ladder of ever coarser versions of one column:
level 0 is the value itself, each next level merges values (ages into bands,
countries into regions) and the top level replaces everything by ``"*"``
(Samarati & Sweeney 1998). :func:`generalize` applies one level per column
(global recoding: every record gets the same level), and
:func:`suppress_small_classes` removes the records that are still too rare.
Used by lesson 02.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import check_number, check_type
from ._checks import check_columns, check_frame
from .kanon import class_sizes

__all__ = ["SUPPRESSED", "Hierarchy", "interval_hierarchy", "mapping_hierarchy", "generalize", "suppress_small_classes"]

#: The value of the top level of every hierarchy: the attribute is withheld.
SUPPRESSED = "*"

Step = Callable[[pd.Series], pd.Series]


@dataclass(frozen=True)
class Hierarchy:
    """A generalization ladder for one column.

    Parameters
    ----------
    steps : tuple of callables
        ``steps[i]`` maps the original values (a Series) to their level
        ``i + 1`` values, keeping the index. Level 0 is the original value and
        level ``len(steps) + 1`` is :data:`SUPPRESSED`.
    description : str
        One line for people, e.g. ``"age: exact, 5-, 10-, 20-year bands, *"``.

    Examples
    --------
    >>> decades = Hierarchy(steps=(lambda s: (s // 10 * 10).astype(str) + "s",), description="age: exact, decade, *")
    >>> ages = pd.Series([34, 38, 51])
    >>> decades.height
    2
    >>> decades.apply(ages, 1).tolist(), decades.apply(ages, 2).tolist()
    (['30s', '30s', '50s'], ['*', '*', '*'])
    """

    steps: tuple[Step, ...]
    description: str = ""

    @property
    def height(self) -> int:
        """The top level (everything suppressed); levels run from 0 to ``height``."""
        return len(self.steps) + 1

    def apply(self, values: pd.Series, level: int) -> pd.Series:
        """Generalize ``values`` to ``level`` (0 = unchanged, ``height`` = all ``"*"``)."""
        check_type("values", values, pd.Series, "a pandas Series")
        check_number("level", level, low=0, high=self.height, integer=True)
        if level == 0:
            return values.copy()
        if level == self.height:
            return pd.Series(SUPPRESSED, index=values.index, name=values.name, dtype=object)
        out = self.steps[level - 1](values)
        return pd.Series(out, index=values.index, name=values.name).astype(object)


def interval_hierarchy(widths: Sequence[int], *, unit: str = "") -> Hierarchy:
    """Integers into bands of growing width, e.g. ages into 5-, 10- and 20-year bands.

    Bands start at multiples of their width (``30-34``, ``30-39``, ``20-39``),
    so each width must be a multiple of the one before: then every band sits
    inside one band of the next level, as a hierarchy requires.

    Parameters
    ----------
    widths : sequence of int
        Band widths, each >= 2 and a multiple of the previous one.
    unit : str, default ""
        Used in the description only (e.g. ``"age"``).

    Examples
    --------
    >>> ages = interval_hierarchy([5, 10, 20], unit="age")
    >>> ages.height
    4
    >>> ages.apply(pd.Series([17, 34, 38]), 1).tolist()
    ['15-19', '30-34', '35-39']
    >>> ages.apply(pd.Series([17, 34, 38]), 3).tolist()
    ['0-19', '20-39', '20-39']
    """
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or len(widths) == 0:
        raise TypeError(f"widths must be a non-empty sequence of integers in [2, inf); got {widths!r}")
    checked = [check_number("widths", w, low=2, integer=True) for w in widths]
    for previous, width in zip(checked, checked[1:]):
        if width % previous:
            raise ValueError(f"widths must each be a multiple of the previous one, so bands nest; got {checked}")

    def band(width: int) -> Step:
        def step(values: pd.Series) -> pd.Series:
            numbers = pd.to_numeric(values, errors="raise")
            low = (numbers // width * width).astype("Int64")
            labels = low.astype(str) + "-" + (low + width - 1).astype(str)
            return labels.where(numbers.notna(), None)

        return step

    name = f"{unit}: " if unit else ""
    description = f"{name}exact, " + ", ".join(f"{w}-wide bands" for w in checked) + ", *"
    return Hierarchy(steps=tuple(band(w) for w in checked), description=description)


def mapping_hierarchy(*mappings: Mapping[object, object], description: str = "") -> Hierarchy:
    """A hierarchy from lookup tables: the first maps values to level 1, each next one maps the level before.

    Missing values (NaN) stay missing until the top level. A value that a
    table does not know raises a ``ValueError`` naming it, so a new category
    cannot slip through ungeneralized.

    Parameters
    ----------
    *mappings : dict
        Zero or more lookup tables. With none, the hierarchy has two levels:
        the value, and ``"*"``.
    description : str

    Examples
    --------
    >>> to_region = {"Mexico": "Latin America", "Cuba": "Latin America", "India": "Asia"}
    >>> to_world = {"Latin America": "Americas", "Asia": "Asia"}
    >>> countries = mapping_hierarchy(to_region, to_world)
    >>> countries.apply(pd.Series(["Cuba", "India"]), 1).tolist()
    ['Latin America', 'Asia']
    >>> countries.apply(pd.Series(["Cuba", "India"]), 2).tolist()
    ['Americas', 'Asia']
    """
    for position, table in enumerate(mappings):
        check_type(f"mappings[{position}]", table, Mapping, "a dict from values to generalized values")

    def chain(depth: int) -> Step:
        def step(values: pd.Series) -> pd.Series:
            out = values.astype(object)
            for position, table in enumerate(mappings[:depth]):
                present = out.notna()
                unknown = sorted({str(v) for v in out[present] if v not in table})
                if unknown:
                    raise ValueError(
                        f"mappings[{position}] must map every value of the column; got values it lacks: {unknown}"
                    )
                out = out.map(lambda v, t=table: t[v] if not pd.isna(v) else v)
            return out

        return step

    return Hierarchy(steps=tuple(chain(d) for d in range(1, len(mappings) + 1)), description=description)


def generalize(
    frame: pd.DataFrame, hierarchies: Mapping[str, Hierarchy], levels: Mapping[str, int]
) -> pd.DataFrame:
    """Return a copy of ``frame`` with each column in ``levels`` generalized to its level.

    Columns not named in ``levels`` are kept as they are; the index is kept,
    so released rows can still be matched to the original ones by the data
    owner (never by the attacker).

    Parameters
    ----------
    frame : pandas.DataFrame
    hierarchies : dict of str to Hierarchy
        One hierarchy per column that may be generalized.
    levels : dict of str to int
        Column -> level, each in ``[0, hierarchies[column].height]``.

    Examples
    --------
    >>> table = pd.DataFrame({"age": [34, 38, 51], "sex": ["F", "M", "F"]})
    >>> hierarchies = {"age": interval_hierarchy([10]), "sex": mapping_hierarchy()}
    >>> generalize(table, hierarchies, {"age": 1, "sex": 1}).to_dict("list")
    {'age': ['30-39', '30-39', '50-59'], 'sex': ['*', '*', '*']}
    """
    check_frame("frame", frame, allow_empty=True)
    check_type("hierarchies", hierarchies, Mapping, "a dict from column names to Hierarchy objects")
    check_type("levels", levels, Mapping, "a dict from column names to levels (int)")
    if levels:
        check_columns("levels", list(levels), frame, "frame")
    out = frame.copy()
    for column, level in levels.items():
        if column not in hierarchies:
            raise ValueError(
                f"levels names {column!r}, so hierarchies must have a key {column!r}; got {list(hierarchies)}"
            )
        hierarchy = check_type(f"hierarchies[{column!r}]", hierarchies[column], Hierarchy, "a Hierarchy")
        check_number(f"levels[{column!r}]", level, low=0, high=hierarchy.height, integer=True)
        out[column] = hierarchy.apply(frame[column], level)
    return out


def suppress_small_classes(frame: pd.DataFrame, quasi_identifiers: Sequence[str], *, k: int) -> pd.DataFrame:
    """Drop every record whose equivalence class has fewer than ``k`` records.

    What is left is k-anonymous on ``quasi_identifiers`` (or empty). The
    number of records removed, ``len(frame) - len(result)``, is part of the
    utility the release loses.

    Examples
    --------
    >>> table = pd.DataFrame({"age": ["30-39", "30-39", "50-59"], "sex": ["F", "F", "F"]})
    >>> suppress_small_classes(table, ["age", "sex"], k=2).index.tolist()
    [0, 1]
    """
    check_frame("frame", frame, allow_empty=True)
    check_columns("quasi_identifiers", quasi_identifiers, frame, "frame")
    check_number("k", k, low=1, integer=True)
    keep = class_sizes(frame, quasi_identifiers).to_numpy() >= k
    return frame[np.asarray(keep, dtype=bool)].copy()
