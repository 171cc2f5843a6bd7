"""The generalization hierarchies lesson 02 uses for Adult's quasi-identifiers.

- age: exact, 5-, 10-, 20-year bands, ``*``;
- sex: exact, ``*``;
- race: exact, White / non-White, ``*``;
- native country: exact, world region, ``*``;
- zip code (synthetic, see :mod:`.identifiers`): 5 digits, state, census region, ``*``.

:data:`GENERALIZATION_LEVELS` is the ladder of releases the lesson compares,
from "drop the names only" to "keep sex only".
"""

from __future__ import annotations

import pandas as pd

from .generalize import Hierarchy, interval_hierarchy, mapping_hierarchy
from .identifiers import zip_code_hierarchy

__all__ = [
    "ADULT_COUNTRY_REGIONS",
    "RACE_GROUPS",
    "QUASI_IDENTIFIERS",
    "GENERALIZATION_LEVELS",
    "LEVEL_LABELS",
    "adult_hierarchies",
]

_REGIONS = {
    "North America": ["United-States", "Canada", "Outlying-US(Guam-USVI-etc)"],
    "Latin America and Caribbean": [
        "Mexico", "Puerto-Rico", "El-Salvador", "Cuba", "Jamaica", "Dominican-Republic", "Guatemala",
        "Columbia", "Haiti", "Nicaragua", "Peru", "Ecuador", "Trinadad&Tobago", "Honduras",
    ],
    # "South" is read as South Korea, as most analyses of Adult do; "Hong" is Hong Kong.
    "Asia": ["Philippines", "India", "South", "China", "Vietnam", "Japan", "Taiwan", "Iran", "Hong", "Cambodia",
             "Laos", "Thailand"],
    "Europe": ["Germany", "England", "Italy", "Poland", "Portugal", "France", "Greece", "Ireland", "Yugoslavia",
               "Hungary", "Scotland", "Holand-Netherlands"],
}  # fmt: skip

#: Adult's ``native_country`` values (spelled as in the data) -> world region.
ADULT_COUNTRY_REGIONS: dict[str, str] = {country: region for region, names in _REGIONS.items() for country in names}

#: Adult's ``race`` values -> the coarser grouping of level 1.
RACE_GROUPS: dict[str, str] = {
    "White": "White",
    "Black": "non-White",
    "Asian-Pac-Islander": "non-White",
    "Amer-Indian-Eskimo": "non-White",
    "Other": "non-White",
}

#: The columns the data owner of lesson 02 treats as quasi-identifiers.
QUASI_IDENTIFIERS: list[str] = ["age", "sex", "race", "native_country", "zip_code"]

#: The releases lesson 02 compares, from finest (level 0) to coarsest: one level per quasi-identifier.
GENERALIZATION_LEVELS: list[dict[str, int]] = [
    {"age": 0, "sex": 0, "race": 0, "native_country": 0, "zip_code": 0},
    {"age": 1, "sex": 0, "race": 0, "native_country": 1, "zip_code": 0},
    {"age": 1, "sex": 0, "race": 0, "native_country": 1, "zip_code": 1},
    {"age": 2, "sex": 0, "race": 1, "native_country": 1, "zip_code": 2},
    {"age": 3, "sex": 0, "race": 1, "native_country": 2, "zip_code": 2},
    {"age": 4, "sex": 0, "race": 2, "native_country": 2, "zip_code": 3},
]

#: Short names of :data:`GENERALIZATION_LEVELS`, for tables and figure axes.
LEVEL_LABELS: list[str] = [
    "0: names dropped",
    "1: age 5y, country region",
    "2: + zip to state",
    "3: age 10y, race 2, zip region",
    "4: age 20y, country *",
    "5: sex only",
]


def adult_hierarchies(people: pd.DataFrame) -> dict[str, Hierarchy]:
    """The hierarchies of :data:`QUASI_IDENTIFIERS`, for Adult rows with synthetic identifiers.

    Parameters
    ----------
    people : pandas.DataFrame
        Adult rows after :func:`.attach_identifiers` (the zip-to-state table is read from it).

    Returns
    -------
    dict of str to Hierarchy

    Examples
    --------
    >>> from ppml_lessons.anonymize import attach_identifiers
    >>> people = attach_identifiers(pd.DataFrame({"age": [34], "sex": ["Female"]}), rng=0)
    >>> hierarchies = adult_hierarchies(people)
    >>> sorted(hierarchies) == sorted(QUASI_IDENTIFIERS)
    True
    >>> hierarchies["age"].apply(people["age"], 2).tolist()
    ['30-39']
    """
    return {
        "age": interval_hierarchy([5, 10, 20], unit="age"),
        "sex": mapping_hierarchy(description="sex: exact, *"),
        "race": mapping_hierarchy(RACE_GROUPS, description="race: exact, White / non-White, *"),
        "native_country": mapping_hierarchy(ADULT_COUNTRY_REGIONS, description="native country: exact, region, *"),
        "zip_code": zip_code_hierarchy(people),
    }
