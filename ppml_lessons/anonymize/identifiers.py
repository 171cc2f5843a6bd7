"""Synthetic direct identifiers (name, SSN-like id, street address, zip code) for the rows of a table.

Adult, like most public research data, was released without names or
addresses. Lesson 02 plays the data owner *before* the release, so it needs a
table that still has them: :func:`attach_identifiers` invents them with Faker
(seeded) and NumPy. **Every identifier is synthetic**: the names, streets and
zip codes belong to no real respondent, the SSN-like ids use area numbers
900-999, which the US Social Security Administration never assigns, and the
home state is drawn at random, independently of everything else in the row.
Used by lesson 02.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from faker import Faker

from .._validation import check_number
from ..environment import make_rng
from ._checks import check_column, check_frame
from .generalize import Hierarchy, mapping_hierarchy

__all__ = ["STATE_REGIONS", "DIRECT_IDENTIFIERS", "attach_identifiers", "zip_code_hierarchy"]

#: The synthetic home states, two per US census region, and their region.
STATE_REGIONS: dict[str, str] = {
    "NY": "Northeast",
    "PA": "Northeast",
    "IL": "Midwest",
    "OH": "Midwest",
    "TX": "South",
    "FL": "South",
    "CA": "West",
    "WA": "West",
}

#: Columns that identify a person on their own; a release must drop them.
DIRECT_IDENTIFIERS: tuple[str, ...] = ("name", "ssn", "street_address")

_IDENTIFIER_COLUMNS = ["name", "ssn", "street_address", "state", "zip_code"]


def _pool(make: object, size: int) -> np.ndarray:
    return np.array([make() for _ in range(size)], dtype=object)  # type: ignore[operator]


def _zip_pools(fake: Faker, zips_per_state: int) -> dict[str, list[str]]:
    pools = {}
    for state in STATE_REGIONS:
        found: set[str] = set()
        while len(found) < zips_per_state:  # distinct zips, so the pool really has zips_per_state of them
            found.add(fake.zipcode_in_state(state))
        pools[state] = sorted(found)
    return pools


def attach_identifiers(
    frame: pd.DataFrame,
    *,
    rng: np.random.Generator | int | None = None,
    zips_per_state: int = 25,
    sex_column: str | None = "sex",
    pool_size: int = 1000,
) -> pd.DataFrame:
    """Return a copy of ``frame`` with five synthetic identifier columns in front.

    The columns are ``name``, ``ssn`` (``9XX-XX-XXXX``, unique per row),
    ``street_address``, ``state`` (drawn uniformly from :data:`STATE_REGIONS`)
    and ``zip_code`` (one of ``zips_per_state`` zip codes of that state,
    drawn uniformly). Faker, seeded from ``rng``, makes pools of first names,
    last names, street names and each state's zip codes; NumPy then draws
    every row from the pools: about half a second for Adult's 48,842 rows,
    against about fifteen seconds when Faker is called once per row and
    identifier (``benchmarks/attach_identifiers.py``). Same ``rng`` seed, same
    identifiers (with the same Faker version).

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows to identify; the index is kept.
    rng : numpy.random.Generator, int or None
        Seed or generator for every random choice (Faker is seeded from it).
    zips_per_state : int, default 25
        How many zip codes each state has in this synthetic world. With the
        default, 48,842 Adult rows get 200 zip codes, about 240 people each.
    sex_column : str or None, default "sex"
        A column holding ``"Female"``/``"Male"``: first names then follow it.
        ``None`` draws first names from both pools.
    pool_size : int, default 1000
        How many names Faker draws for each pool (names repeat, as in life).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> people = attach_identifiers(pd.DataFrame({"age": [34, 51], "sex": ["Female", "Male"]}), rng=0)
    >>> list(people.columns)
    ['name', 'ssn', 'street_address', 'state', 'zip_code', 'age', 'sex']
    >>> bool(people["ssn"].str.fullmatch(r"9\\d\\d-\\d\\d-\\d{4}").all())
    True
    """
    check_frame("frame", frame)
    clash = [c for c in _IDENTIFIER_COLUMNS if c in frame.columns]
    if clash:
        raise ValueError(f"frame must not already have the columns {_IDENTIFIER_COLUMNS}; got a frame with {clash}")
    check_number("zips_per_state", zips_per_state, low=1, high=1000, integer=True)
    check_number("pool_size", pool_size, low=1, integer=True)
    if sex_column is not None:
        check_column("sex_column", sex_column, frame, "frame")
        unknown = set(frame[sex_column].dropna().astype(str)) - {"Female", "Male"}
        if unknown:
            raise ValueError(f"sex_column must hold only 'Female' or 'Male'; got values {sorted(unknown)}")
    generator = make_rng(rng)
    fake = Faker("en_US")
    fake.seed_instance(int(generator.integers(2**32)))
    female, male = _pool(fake.first_name_female, pool_size), _pool(fake.first_name_male, pool_size)
    last, streets = _pool(fake.last_name, pool_size), _pool(fake.street_name, pool_size)
    zips = _zip_pools(fake, zips_per_state)

    n = len(frame)
    if sex_column is None:
        is_female = generator.random(n) < 0.5
    else:
        is_female = (frame[sex_column].astype(str) == "Female").to_numpy()
    female_pick, male_pick = generator.integers(pool_size, size=n), generator.integers(pool_size, size=n)
    first = np.where(is_female, female[female_pick], male[male_pick])
    names = first + " " + last[generator.integers(pool_size, size=n)]
    # 100 areas (900-999) x 99 groups (01-99) x 9,999 serials (0001-9999), drawn without replacement: unique ids
    number = generator.choice(100 * 99 * 9999, size=n, replace=False)
    area, rest = 900 + number // (99 * 9999), number % (99 * 9999)
    ssn = [f"{a}-{g:02d}-{s:04d}" for a, g, s in zip(area, 1 + rest // 9999, 1 + rest % 9999)]
    houses = generator.integers(1, 10000, size=n)
    addresses = [f"{h} {s}" for h, s in zip(houses, streets[generator.integers(pool_size, size=n)])]
    states = np.array(list(STATE_REGIONS), dtype=object)[generator.integers(len(STATE_REGIONS), size=n)]
    which = generator.integers(zips_per_state, size=n)
    zip_codes = [zips[state][i] for state, i in zip(states, which)]

    identifiers = pd.DataFrame(
        {"name": names, "ssn": ssn, "street_address": addresses, "state": states, "zip_code": zip_codes},
        index=frame.index,
    )
    return pd.concat([identifiers, frame], axis=1)


def zip_code_hierarchy(people: pd.DataFrame) -> Hierarchy:
    """The location hierarchy of lesson 02: zip code, then state, then census region, then ``"*"``.

    The zip-to-state table is read from ``people`` (as made by
    :func:`attach_identifiers`); the state-to-region table is :data:`STATE_REGIONS`.

    Examples
    --------
    >>> people = attach_identifiers(pd.DataFrame({"sex": ["Female"] * 3}), rng=0)
    >>> zip_code_hierarchy(people).apply(people["zip_code"], 1).equals(people["state"].astype(object))
    True
    """
    check_frame("people", people)
    for column in ("zip_code", "state"):
        if column not in people.columns:
            raise ValueError(
                f"people must have a {column!r} column (see attach_identifiers); got {list(people.columns)}"
            )
    pairs = people[["zip_code", "state"]].drop_duplicates()
    if pairs["zip_code"].duplicated().any():
        raise ValueError("people must give each zip_code one state; got a zip code in two states")
    to_state: Mapping[object, object] = dict(zip(pairs["zip_code"], pairs["state"]))
    return mapping_hierarchy(to_state, STATE_REGIONS, description="zip code: 5 digits, state, census region, *")
