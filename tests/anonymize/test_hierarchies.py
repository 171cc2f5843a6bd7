import pandas as pd
import pytest

from ppml_lessons.anonymize import (
    ADULT_COUNTRY_REGIONS,
    GENERALIZATION_LEVELS,
    QUASI_IDENTIFIERS,
    RACE_GROUPS,
    adult_hierarchies,
    attach_identifiers,
    generalize,
    smallest_k,
)
from ppml_lessons.anonymize.hierarchies import LEVEL_LABELS
from ppml_lessons.data import load_adult


@pytest.fixture(scope="module")
def adult():
    train, test = load_adult()
    return pd.concat([train, test], ignore_index=True)


def test_every_adult_value_has_a_group(adult):
    assert set(adult["native_country"].cat.categories) == set(ADULT_COUNTRY_REGIONS)
    assert set(adult["race"].cat.categories) == set(RACE_GROUPS)


def test_levels_go_from_fine_to_coarse():
    assert len(LEVEL_LABELS) == len(GENERALIZATION_LEVELS)
    for levels in GENERALIZATION_LEVELS:
        assert sorted(levels) == sorted(QUASI_IDENTIFIERS)
    for finer, coarser in zip(GENERALIZATION_LEVELS, GENERALIZATION_LEVELS[1:]):
        assert all(coarser[c] >= finer[c] for c in QUASI_IDENTIFIERS) and coarser != finer
    assert all(level == 0 for level in GENERALIZATION_LEVELS[0].values())


def test_each_level_is_valid_and_k_never_shrinks(adult):
    sample = adult.sample(3000, random_state=0)
    people = attach_identifiers(sample, rng=0)
    hierarchies = adult_hierarchies(people)
    ks = []
    for levels in GENERALIZATION_LEVELS:
        released = generalize(people, hierarchies, levels)
        ks.append(smallest_k(released, QUASI_IDENTIFIERS))
    # coarser recoding merges classes, so the smallest class can only grow
    assert ks == sorted(ks)
    top = {c: hierarchies[c].height for c in QUASI_IDENTIFIERS}
    assert smallest_k(generalize(people, hierarchies, top), QUASI_IDENTIFIERS) == len(people)
