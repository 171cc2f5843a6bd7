"""The linkage attack: join an attacker's auxiliary table to a release on the quasi-identifiers.

Sweeney (2002) re-identified the Governor of Massachusetts by joining a
"de-identified" hospital release to the Cambridge voter list on zip code,
birth date and sex. :func:`linkage_attack` plays that attacker: for each
person in the auxiliary table, find the released records with the same
quasi-identifier values; when there is exactly one, claim it is theirs. A
claim is *correct* when the record really is that person's, which only the
data owner can check, through an id column the attacker never uses.
Used by lesson 02.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import check_number
from ..environment import make_rng
from ._checks import check_column, check_columns, check_frame

__all__ = ["LinkageResult", "linkage_attack", "sample_auxiliary"]


@dataclass(frozen=True)
class LinkageResult:
    """What a linkage attack achieved.

    Attributes
    ----------
    matches : pandas.DataFrame
        One row per auxiliary record (same index): ``n_matches`` (released
        records with its quasi-identifier values), ``claimed_id`` (the id of
        the one match when ``n_matches == 1``, else missing) and ``correct``.
    """

    matches: pd.DataFrame

    @property
    def n_targets(self) -> int:
        """People in the auxiliary table."""
        return len(self.matches)

    @property
    def n_unique(self) -> int:
        """People with exactly one matching released record (the attacker claims a match)."""
        return int((self.matches["n_matches"] == 1).sum())

    @property
    def n_correct(self) -> int:
        """Claims that are right: the one match is the person's own record."""
        return int(self.matches["correct"].sum())

    @property
    def rate(self) -> float:
        """The re-identification rate: correct unique matches per person in the auxiliary table."""
        return self.n_correct / self.n_targets

    @property
    def precision(self) -> float:
        """The share of the attacker's claims that are correct (NaN when there are none)."""
        return self.n_correct / self.n_unique if self.n_unique else float("nan")

    def summary(self) -> str:
        """One line with the counts and rates."""
        return (
            f"{self.n_targets:,} targets, {self.n_unique:,} unique matches, {self.n_correct:,} correct: "
            f"re-identification rate {self.rate:.3f}, precision {self.precision:.3f}"
        )


def _keys(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    # Object dtype on both sides, so a categorical column joins an object one and NaN joins NaN.
    return frame[columns].astype(object)


def linkage_attack(
    auxiliary: pd.DataFrame, released: pd.DataFrame, *, on: Sequence[str], id_column: str
) -> LinkageResult:
    """Join ``auxiliary`` to ``released`` on the columns ``on`` and score the unique matches.

    Both tables must describe the quasi-identifiers at the same level: an
    attacker who sees 5-year age bands in the release puts the ages of the
    auxiliary table into the same bands first (:func:`.generalize`).

    Parameters
    ----------
    auxiliary : pandas.DataFrame
        What the attacker holds (e.g. a voter list), with the columns ``on``
        and ``id_column``.
    released : pandas.DataFrame
        The release, with the columns ``on`` and ``id_column``.
    on : list of str
        The quasi-identifiers the attacker joins on.
    id_column : str
        The true identity of each row in both tables. It is used only to
        score the claims, never to find them.

    Returns
    -------
    LinkageResult

    Examples
    --------
    >>> released = pd.DataFrame({"age": [30, 30, 41], "sex": ["F", "M", "M"], "pid": [1, 2, 3]})
    >>> voters = pd.DataFrame({"age": [30, 41, 41], "sex": ["F", "M", "M"], "pid": [1, 3, 9]})
    >>> result = linkage_attack(voters, released, on=["age", "sex"], id_column="pid")
    >>> result.n_unique, result.n_correct, round(result.rate, 3), round(result.precision, 3)
    (3, 2, 0.667, 0.667)
    """
    check_frame("auxiliary", auxiliary)
    check_frame("released", released, allow_empty=True)
    columns = check_columns("on", on, auxiliary, "auxiliary")
    check_columns("on", columns, released, "released")
    check_column("id_column", id_column, auxiliary, "auxiliary")
    check_column("id_column", id_column, released, "released")
    if id_column in columns:
        raise ValueError(f"id_column must not be one of the join columns on={columns}; got {id_column!r}")
    if released[id_column].isna().any() or released[id_column].duplicated().any():
        raise ValueError(
            f"id_column must hold a distinct, non-missing id per released row; got repeats or gaps in {id_column!r}"
        )

    keyed = _keys(released, columns)
    keyed["_id"] = released[id_column].to_numpy()
    per_key = keyed.groupby(columns, dropna=False, sort=False)["_id"].agg(n_matches="size", only_id="first")
    targets = _keys(auxiliary, columns)
    targets["_row"] = np.arange(len(auxiliary))
    joined = targets.merge(per_key.reset_index(), on=columns, how="left").sort_values("_row")
    n_matches = joined["n_matches"].fillna(0).astype("int64").to_numpy()
    claimed = pd.Series(joined["only_id"].to_numpy(), index=auxiliary.index).where(n_matches == 1)
    correct = (n_matches == 1) & (claimed.to_numpy() == auxiliary[id_column].to_numpy())
    matches = pd.DataFrame(
        {"n_matches": n_matches, "claimed_id": claimed, "correct": correct.astype(bool)}, index=auxiliary.index
    )
    return LinkageResult(matches=matches)


def sample_auxiliary(
    population: pd.DataFrame, n: int, *, columns: Sequence[str], rng: np.random.Generator | int | None = None
) -> pd.DataFrame:
    """What an attacker might hold: ``n`` people drawn at random from ``population``, a few columns each.

    For a "voter list": name, age, sex, race and zip code of a sample of the
    population, some of whom are in the release and some not.

    Examples
    --------
    >>> people = pd.DataFrame({"name": list("abcde"), "age": [30, 31, 32, 33, 34], "income": [0, 1, 0, 1, 1]})
    >>> voters = sample_auxiliary(people, 3, columns=["name", "age"], rng=0)
    >>> voters.shape
    (3, 2)
    """
    check_frame("population", population)
    check_number("n", n, low=1, high=len(population), integer=True)
    chosen = check_columns("columns", columns, population, "population")
    rows = make_rng(rng).choice(len(population), size=n, replace=False)
    return population.iloc[np.sort(rows)][chosen].copy()
