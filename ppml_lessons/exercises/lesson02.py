"""Exercises of lesson 02 (anonymization and re-identification).

q1: the k of a small table; q2: the homogeneity attack on it; q3: a
re-identification rate from a small linkage; q4: the lowest generalization
level of the Adult release that k-anonymity by suppression leaves mostly intact.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..anonymize import (
    DIRECT_IDENTIFIERS,
    GENERALIZATION_LEVELS,
    QUASI_IDENTIFIERS,
    adult_hierarchies,
    attach_identifiers,
    generalize,
    linkage_attack,
    smallest_k,
    suppress_small_classes,
    suppressed_share,
)
from ..data import load_adult
from .core import Exercise, Incorrect

__all__ = ["q1", "q2", "q3", "q4", "clinic_table", "released_table", "voter_table"]

CLINIC_QUASI_IDENTIFIERS = ["age_band", "zip", "sex"]
LINKAGE_COLUMNS = ["age", "sex", "zip"]
SUPPRESSION_K = 5
MAX_SUPPRESSED = 0.05


def clinic_table() -> pd.DataFrame:
    """A small released clinic table: generalized age and zip, sex, and the condition treated."""
    return pd.DataFrame(
        {
            "age_band": ["20-29"] * 3 + ["30-39"] * 3 + ["40-49"] * 4,
            "zip": ["130**"] * 6 + ["148**"] * 4,
            "sex": ["F", "F", "F", "M", "M", "M", "F", "F", "M", "M"],
            "condition": ["flu", "asthma", "flu", "cancer", "cancer", "cancer", "diabetes", "flu",
                          "heart disease", "flu"],
        }
    )  # fmt: skip


def released_table() -> pd.DataFrame:
    """A small release; ``pid`` is the data owner's record of who each row is (the attacker never sees it)."""
    return pd.DataFrame(
        {
            "age": [34, 34, 45, 29, 51, 62],
            "sex": ["F", "F", "M", "F", "M", "F"],
            "zip": ["13053", "13053", "13068", "14850", "14853", "13053"],
            "income": [">50K", "<=50K", ">50K", "<=50K", ">50K", "<=50K"],
            "pid": [1, 2, 3, 4, 5, 6],
        }
    )


def voter_table() -> pd.DataFrame:
    """A small voter list: what the attacker knows, plus each voter's ``pid`` to score the attack."""
    return pd.DataFrame(
        {
            "name": ["Ann", "Ben", "Cat", "Dan", "Eve", "Fay"],
            "age": [34, 45, 29, 51, 62, 40],
            "sex": ["F", "M", "F", "M", "F", "F"],
            "zip": ["13053", "13068", "14850", "14853", "13053", "14850"],
            "pid": [1, 3, 4, 99, 6, 77],
        }
    )


def _whole_number(name: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise Incorrect(f"`{name}` should be a whole number; got {value!r} of type {type(value).__name__}")
    return int(value)


class SmallestK(Exercise):
    """The k for which the clinic table is k-anonymous."""

    variables = ("k",)
    prompt = "Set `k` to the k for which `clinic` is k-anonymous on age_band, zip and sex."
    hints = (
        "Group the rows by the three quasi-identifiers and count each group: those are the equivalence classes.",
        "k is the size of the smallest class: `clinic.groupby([...]).size().min()`, or `smallest_k(clinic, [...])`.",
    )
    solution_code = """
        k = smallest_k(clinic, ["age_band", "zip", "sex"])
    """

    def namespace(self) -> dict[str, Any]:
        return {"clinic": clinic_table(), "smallest_k": smallest_k}

    def check_answer(self, k: Any) -> None:
        table = clinic_table()
        sizes = table.groupby(CLINIC_QUASI_IDENTIFIERS).size()
        value = _whole_number("k", k)
        if value == len(table):
            raise Incorrect("that is the number of rows; k is the size of the smallest equivalence class.")
        if value == len(sizes):
            raise Incorrect("that is the number of equivalence classes; k is the size of the smallest one.")
        if value == sizes.max():
            raise Incorrect("that is the size of the largest class; k is set by the smallest one.")
        if value != smallest_k(table, CLINIC_QUASI_IDENTIFIERS):
            raise Incorrect(f"{value} is not k; count the rows of each (age_band, zip, sex) class.")


class HomogeneityAttack(Exercise):
    """What the clinic table reveals about Tom."""

    variables = ("toms_condition",)
    prompt = (
        "Tom is a 34-year-old man who lives in zip code 13053 and was treated at the clinic. "
        "Set `toms_condition` to the condition the table reveals he has."
    )
    hints = (
        "Generalize what you know about Tom the way the table does: age 34 is in '30-39', zip 13053 in '130**'.",
        "Select the rows of Tom's class: `clinic[(clinic.age_band == '30-39') & (clinic.zip == '130**') & ...]`.",
    )
    solution_code = """
        toms_class = clinic[(clinic["age_band"] == "30-39") & (clinic["zip"] == "130**") & (clinic["sex"] == "M")]
        toms_condition = toms_class["condition"].unique()[0]  # one value only: the class is homogeneous
    """

    def namespace(self) -> dict[str, Any]:
        return {"clinic": clinic_table()}

    def check_answer(self, toms_condition: Any) -> None:
        table = clinic_table()
        if not isinstance(toms_condition, str):
            raise Incorrect(f"`toms_condition` should be a condition as text, e.g. 'flu'; got {toms_condition!r}")
        answer = toms_condition.strip().lower()
        toms = table[(table["age_band"] == "30-39") & (table["zip"] == "130**") & (table["sex"] == "M")]
        expected = toms["condition"].unique()
        if answer not in set(table["condition"]):
            conditions = sorted(set(table["condition"]))
            raise Incorrect(f"{toms_condition!r} is not a condition in the table; it has {conditions}.")
        if answer == table["condition"].mode()[0]:
            raise Incorrect("that is the most common condition in the whole table; look only at Tom's class.")
        if answer not in expected or len(expected) != 1:
            raise Incorrect(f"nobody in Tom's class (30-39, 130**, M) has {answer}; find the rows of his class.")


class ReidentificationRate(Exercise):
    """The re-identification rate of a small linkage attack."""

    variables = ("reid_rate",)
    prompt = (
        "Join `small_voters` to `small_release` on age, sex and zip. Set `reid_rate` to the share of the voters "
        "who are re-identified: exactly one released row matches them, and it is theirs (same `pid`)."
    )
    hints = (
        "For each voter, count the released rows with the same age, sex and zip. Only a count of 1 is a claim.",
        "A claim is correct when the matched row's `pid` equals the voter's. Divide the correct claims by "
        "the number of voters (6). `linkage_attack(small_voters, small_release, on=[...], id_column='pid')` "
        "does it all.",
    )
    solution_code = """
        attack = linkage_attack(small_voters, small_release, on=["age", "sex", "zip"], id_column="pid")
        reid_rate = attack.rate
    """

    def namespace(self) -> dict[str, Any]:
        return {"small_voters": voter_table(), "small_release": released_table(), "linkage_attack": linkage_attack}

    def check_answer(self, reid_rate: Any) -> None:
        attack = linkage_attack(voter_table(), released_table(), on=LINKAGE_COLUMNS, id_column="pid")
        try:
            value = float(reid_rate)
        except (TypeError, ValueError):
            raise Incorrect(f"`reid_rate` should be one number; got {type(reid_rate).__name__}") from None
        if value == attack.n_correct:
            raise Incorrect("that is a count of people; the rate divides it by the number of voters.")
        if abs(value - attack.precision) < 1e-9:
            raise Incorrect("that is the share of claims that are right; divide by all the voters instead.")
        if abs(value - attack.n_unique / attack.n_targets) < 1e-9:
            raise Incorrect("that counts every unique match, but one of them is the wrong person (check the pids).")
        self.assert_close("reid_rate", value, attack.rate, tol=1e-9)


@lru_cache(maxsize=1)
def _lesson_release() -> tuple[pd.DataFrame, dict]:
    """The respondents (names dropped) and hierarchies, built as in the notebook's setup (seed 0)."""
    train, test = load_adult()
    population = pd.concat([train, test], ignore_index=True)
    population.insert(0, "person_id", np.arange(len(population)))
    people = attach_identifiers(population, rng=0)
    respondents = people.iloc[: len(train)].drop(columns=[*DIRECT_IDENTIFIERS, "state"])
    return respondents, adult_hierarchies(people)


@lru_cache(maxsize=1)
def _suppressed_by_level() -> tuple[float, ...]:
    """Share of the respondents suppressed to reach k = 5, at each level."""
    respondents, hierarchies = _lesson_release()
    shares = []
    for levels in GENERALIZATION_LEVELS:
        generalized = generalize(respondents, hierarchies, levels)
        released = suppress_small_classes(generalized, QUASI_IDENTIFIERS, k=SUPPRESSION_K)
        shares.append(suppressed_share(respondents, released))
    return tuple(shares)


class LowestSafeLevel(Exercise):
    """The lowest generalization level where 5-anonymity costs at most 5% of the records."""

    variables = ("lowest_level",)
    prompt = (
        "Set `lowest_level` to the lowest level in GENERALIZATION_LEVELS at which suppressing every class "
        "smaller than 5 removes at most 5% of the records of `deidentified`."
    )
    hints = (
        "Loop over `enumerate(GENERALIZATION_LEVELS)`: generalize `deidentified`, then "
        "`suppress_small_classes(..., k=5)`.",
        "`suppressed_share(deidentified, kept)` is the share removed; stop at the first level where it is <= 0.05.",
    )
    solution_code = """
        for level, levels in enumerate(GENERALIZATION_LEVELS):
            kept = suppress_small_classes(generalize(deidentified, hierarchies, levels), QUASI_IDENTIFIERS, k=5)
            if suppressed_share(deidentified, kept) <= 0.05:
                lowest_level = level
                break
    """

    def namespace(self) -> dict[str, Any]:
        respondents, hierarchies = _lesson_release()
        return {
            "deidentified": respondents.copy(),
            "hierarchies": hierarchies,
            "GENERALIZATION_LEVELS": GENERALIZATION_LEVELS,
            "QUASI_IDENTIFIERS": QUASI_IDENTIFIERS,
            "generalize": generalize,
            "suppress_small_classes": suppress_small_classes,
            "suppressed_share": suppressed_share,
        }

    def check_answer(self, lowest_level: Any) -> None:
        value = _whole_number("lowest_level", lowest_level)
        shares = _suppressed_by_level()
        if not 0 <= value < len(shares):
            raise Incorrect(f"levels run from 0 to {len(shares) - 1}; got {value}.")
        expected = next(level for level, share in enumerate(shares) if share <= MAX_SUPPRESSED)
        if shares[value] > MAX_SUPPRESSED:
            raise Incorrect(f"at level {value}, 5-anonymity suppresses {shares[value]:.1%} of the records: over 5%.")
        if value != expected:
            raise Incorrect(f"level {value} works, but a lower level suppresses at most 5% too; find the lowest.")


q1 = SmallestK()
q2 = HomogeneityAttack()
q3 = ReidentificationRate()
q4 = LowestSafeLevel()
