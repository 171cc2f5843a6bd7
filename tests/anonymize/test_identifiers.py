import pandas as pd
import pytest

from ppml_lessons.anonymize import DIRECT_IDENTIFIERS, STATE_REGIONS, attach_identifiers, zip_code_hierarchy
from ppml_lessons.anonymize.identifiers import _zip_pools


@pytest.fixture
def rows():
    return pd.DataFrame({"age": range(300), "sex": ["Female", "Male", "Female"] * 100}, index=range(100, 400))


def test_columns_and_index(rows):
    people = attach_identifiers(rows, rng=0)
    assert list(people.columns[:5]) == ["name", "ssn", "street_address", "state", "zip_code"]
    assert set(DIRECT_IDENTIFIERS) <= set(people.columns)
    assert people.index.equals(rows.index)
    assert people[["age", "sex"]].equals(rows)


def test_same_seed_same_identifiers(rows):
    assert attach_identifiers(rows, rng=3).equals(attach_identifiers(rows, rng=3))
    assert not attach_identifiers(rows, rng=3)["name"].equals(attach_identifiers(rows, rng=4)["name"])


def test_ssn_like_ids_are_unique_and_never_real(rows):
    ssn = attach_identifiers(rows, rng=0)["ssn"]
    assert ssn.is_unique
    assert ssn.str.fullmatch(r"9\d\d-\d\d-\d{4}").all()  # area 900-999 is never assigned by the SSA
    assert not ssn.str.contains(r"-00-|-0000$").any()


def test_zip_codes_belong_to_their_state(rows):
    people = attach_identifiers(rows, rng=1, zips_per_state=3)
    assert set(people["state"]) <= set(STATE_REGIONS)
    per_state = people.groupby("state")["zip_code"].nunique()
    assert per_state.max() <= 3
    assert people.groupby("zip_code")["state"].nunique().max() == 1  # no zip code in two states
    assert people["zip_code"].str.fullmatch(r"\d{5}").all()


def test_zip_pools_have_the_requested_size():
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(0)
    pools = _zip_pools(fake, 40)
    assert all(len(set(pool)) == 40 for pool in pools.values())


def test_first_names_follow_sex():
    from faker.providers.person.en_US import Provider

    rows = pd.DataFrame({"sex": ["Female"] * 150 + ["Male"] * 150})
    first = attach_identifiers(rows, rng=0)["name"].str.split().str[0]
    assert set(first[:150]) <= set(Provider.first_names_female)
    assert set(first[150:]) <= set(Provider.first_names_male)


def test_without_sex_column():
    people = attach_identifiers(pd.DataFrame({"age": [1, 2, 3]}), rng=0, sex_column=None)
    assert people["name"].str.contains(" ").all()


def test_zip_code_hierarchy_goes_zip_state_region(rows):
    people = attach_identifiers(rows, rng=2)
    hierarchy = zip_code_hierarchy(people)
    assert hierarchy.height == 3
    assert hierarchy.apply(people["zip_code"], 1).tolist() == people["state"].tolist()
    assert hierarchy.apply(people["zip_code"], 2).tolist() == people["state"].map(STATE_REGIONS).tolist()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"zips_per_state": 0}, ValueError, "zips_per_state"),
        ({"pool_size": 0}, ValueError, "pool_size"),
        ({"sex_column": "gender"}, ValueError, "sex_column"),
        ({"rng": "seed"}, TypeError, "rng"),
    ],
)
def test_bad_arguments_are_named(rows, kwargs, error, match):
    with pytest.raises(error, match=match):
        attach_identifiers(rows, **kwargs)


def test_bad_frames_are_refused(rows):
    with pytest.raises(ValueError, match="frame"):
        attach_identifiers(rows.assign(name="x"), rng=0)
    with pytest.raises(ValueError, match="sex_column"):
        attach_identifiers(pd.DataFrame({"sex": ["F"]}), rng=0)
    with pytest.raises(ValueError, match="people"):
        zip_code_hierarchy(rows)
