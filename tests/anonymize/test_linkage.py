import numpy as np
import pandas as pd
import pytest

from ppml_lessons.anonymize import linkage_attack, sample_auxiliary
from ppml_lessons.exercises.lesson02 import released_table, voter_table

from .brute_force import brute_force_linkage


@pytest.fixture
def released():
    # ages, sexes and zips of six released rows; pid is who each row is (pids 1 and 2 share their values)
    return released_table()


@pytest.fixture
def voters():
    # Ann (pid 1), Ben (3), Cat (4), Eve (6) answered; Dan (99) and Fay (77) did not
    return voter_table().set_axis([10, 11, 12, 13, 14, 15])


def test_linkage_by_hand(released, voters):
    # Ann: 2 matches (pids 1 and 2), no claim. Ben, Cat, Eve: one match, their own: correct.
    # Dan (pid 99) is not in the release but matches pid 5 alone: a wrong claim. Fay: no match.
    result = linkage_attack(voters, released, on=["age", "sex", "zip"], id_column="pid")
    assert result.matches["n_matches"].tolist() == [2, 1, 1, 1, 1, 0]
    assert result.matches.index.tolist() == [10, 11, 12, 13, 14, 15]
    assert result.matches["claimed_id"].tolist()[1:5] == [3, 4, 5, 6]
    assert result.matches["correct"].tolist() == [False, True, True, False, True, False]
    assert (result.n_targets, result.n_unique, result.n_correct) == (6, 4, 3)
    assert result.rate == pytest.approx(3 / 6)
    assert result.precision == pytest.approx(3 / 4)
    assert "re-identification rate 0.500" in result.summary()


def test_coarser_release_stops_the_claims(released, voters):
    # on sex alone every class has 2 or more records: no unique match, precision undefined
    result = linkage_attack(voters, released, on=["sex"], id_column="pid")
    assert result.n_unique == 0 and result.rate == 0.0 and np.isnan(result.precision)


def test_ids_are_never_used_to_match(released, voters):
    shuffled = voters.assign(pid=voters["pid"].to_numpy()[::-1])
    result = linkage_attack(shuffled, released, on=["age", "sex", "zip"], id_column="pid")
    assert result.n_unique == 4  # same claims; only their scoring changes
    assert result.n_correct == 0


def test_categorical_and_missing_keys_join(released, voters):
    released = released.assign(zip=released["zip"].astype("category"))
    released.loc[5, "zip"] = np.nan
    voters = voters.copy()
    voters.loc[14, "zip"] = None
    result = linkage_attack(voters, released, on=["age", "sex", "zip"], id_column="pid")
    assert result.matches.loc[14, "correct"]  # NaN joins NaN: Eve still re-identified


def test_agrees_with_brute_force(random_table):
    rng = np.random.default_rng(3)
    released = random_table.assign(pid=np.arange(len(random_table)))
    # half the targets are in the release, half are outsiders with random quasi-identifiers
    inside = released.sample(60, random_state=1)[["age", "sex", "zip", "pid"]]
    outside = pd.DataFrame(
        {
            "age": rng.integers(18, 32, size=60),
            "sex": rng.choice(["F", "M"], size=60),
            "zip": rng.choice(["13053", "13068", "14850", "14853"], size=60),
            "pid": np.arange(1000, 1060),
        }
    )
    targets = pd.concat([inside, outside], ignore_index=True)
    for on in (["age", "sex", "zip"], ["age", "zip"], ["sex"]):
        result = linkage_attack(targets, released, on=on, id_column="pid")
        assert (result.n_unique, result.n_correct) == brute_force_linkage(targets, released, on, "pid")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"on": ["age", "height"]}, ValueError, "on"),
        ({"on": "age"}, TypeError, "on"),
        ({"id_column": "ssn"}, ValueError, "id_column"),
        ({"on": ["age", "pid"]}, ValueError, "id_column"),
    ],
)
def test_bad_arguments_are_named(released, voters, kwargs, error, match):
    arguments = {"on": ["age", "sex"], "id_column": "pid"} | kwargs
    with pytest.raises(error, match=match):
        linkage_attack(voters, released, **arguments)


def test_repeated_ids_are_refused(released, voters):
    with pytest.raises(ValueError, match="id_column"):
        linkage_attack(voters, released.assign(pid=1), on=["age"], id_column="pid")
    with pytest.raises(TypeError, match="auxiliary"):
        linkage_attack(voters.to_dict(), released, on=["age"], id_column="pid")


def test_sample_auxiliary_is_seeded_and_keeps_columns(released):
    first = sample_auxiliary(released, 4, columns=["age", "pid"], rng=5)
    again = sample_auxiliary(released, 4, columns=["age", "pid"], rng=5)
    assert first.equals(again)
    assert list(first.columns) == ["age", "pid"] and len(first) == 4 and first["pid"].is_unique
    assert first.index.is_monotonic_increasing
    with pytest.raises(ValueError, match="n must be an integer in"):
        sample_auxiliary(released, 7, columns=["age"], rng=0)
    with pytest.raises(ValueError, match="columns"):
        sample_auxiliary(released, 2, columns=["name"], rng=0)
