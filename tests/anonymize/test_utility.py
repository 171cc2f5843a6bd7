import pandas as pd
import pytest

from ppml_lessons.anonymize import generalize, information_loss, interval_hierarchy, mapping_hierarchy, suppressed_share


def test_information_loss_by_hand():
    # ages 31..48 (M = 4 distinct); bands merge {31, 32} and keep 47 alone; row 3 suppressed.
    # loss = (1/3 + 1/3 + 0 + 1) / 4 = 5/12. Sex "*" merges F and M (M = 2): every row loses 1.
    original = pd.DataFrame({"age": [31, 32, 47, 48], "sex": ["F", "M", "F", "M"]})
    released = pd.DataFrame({"age": ["30-39", "30-39", "40-49"], "sex": ["*", "*", "*"]}, index=[0, 1, 2])
    loss = information_loss(original, released, ["age", "sex"])
    assert loss["age"] == pytest.approx(5 / 12)
    assert loss["sex"] == pytest.approx(1.0)
    assert suppressed_share(original, released) == pytest.approx(0.25)


def test_no_generalization_loses_nothing_and_star_loses_everything():
    original = pd.DataFrame({"age": [20, 25, 30, 35, 40], "country": ["US", "US", "Cuba", None, "India"]})
    hierarchies = {"age": interval_hierarchy([10]), "country": mapping_hierarchy()}
    exact = generalize(original, hierarchies, {"age": 0, "country": 0})
    assert information_loss(original, exact, ["age", "country"]).tolist() == [0.0, 0.0]
    hidden = generalize(original, hierarchies, {"age": 2, "country": 1})
    assert information_loss(original, hidden, ["age", "country"]).tolist() == [1.0, 1.0]
    # decades: {20, 25}, {30, 35}, {40} out of M = 5 values: (1/4 * 4 + 0) / 5 = 0.2
    decades = generalize(original, hierarchies, {"age": 1})
    assert information_loss(original, decades, ["age"])["age"] == pytest.approx(0.2)


def test_loss_grows_with_the_level():
    original = pd.DataFrame({"age": list(range(17, 91))})
    hierarchy = {"age": interval_hierarchy([5, 10, 20])}
    releases = [generalize(original, hierarchy, {"age": level}) for level in range(5)]
    losses = [information_loss(original, released, ["age"])["age"] for released in releases]
    assert losses == sorted(losses) and losses[0] == 0 and losses[-1] == 1


def test_constant_column_and_empty_release():
    original = pd.DataFrame({"sex": ["F", "F"]})
    assert information_loss(original, original, ["sex"])["sex"] == 0.0
    assert information_loss(original, original.iloc[:0], ["sex"])["sex"] == 1.0
    assert suppressed_share(original, original.iloc[:0]) == 1.0


def test_bad_arguments_are_named():
    original = pd.DataFrame({"age": [1, 2]})
    with pytest.raises(ValueError, match="released"):
        information_loss(original, pd.DataFrame({"age": [1]}, index=[7]), ["age"])
    with pytest.raises(ValueError, match="columns"):
        information_loss(original, original, ["sex"])
    with pytest.raises(ValueError, match="released"):
        suppressed_share(original, pd.concat([original, original]))
