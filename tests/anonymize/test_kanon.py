import numpy as np
import pandas as pd
import pytest

from ppml_lessons.anonymize import (
    class_ids,
    class_sizes,
    equivalence_classes,
    homogeneous_classes,
    l_diversity,
    share_homogeneous,
    share_unique,
    smallest_k,
    smallest_l,
)

from .brute_force import brute_force_class_sizes, brute_force_distinct

QI = ["zip", "age", "nationality"]


def test_inpatient_table_is_4_anonymous_and_1_diverse(inpatients):
    # Machanavajjhala et al. (2007), Table 4: three classes of 4, the last one all "Cancer".
    assert smallest_k(inpatients, QI) == 4
    assert class_sizes(inpatients, QI).tolist() == [4] * 12
    assert smallest_l(inpatients, QI, "condition") == 1
    assert share_unique(inpatients, QI) == 0.0
    assert share_homogeneous(inpatients, QI, "condition") == pytest.approx(4 / 12)


def test_l_diversity_per_class(inpatients):
    table = l_diversity(inpatients, QI, "condition").set_index(["zip", "age"])
    assert table.loc[("130**", "<30"), "l"] == 2  # heart disease, viral infection
    assert table.loc[("1485*", ">=40"), "l"] == 3  # cancer, heart disease, viral infection
    assert table.loc[("130**", "3*"), "l"] == 1  # cancer only
    assert table["k"].tolist() == [4, 4, 4]


def test_homogeneity_attack_finds_the_cancer_class(inpatients):
    # Bob is 31 and lives in 13053: his class is (130**, 3*), so he has cancer.
    found = homogeneous_classes(inpatients, QI, "condition")
    assert found.to_dict("records") == [
        {"zip": "130**", "age": "3*", "nationality": "*", "k": 4, "condition": "Cancer"}
    ]
    assert homogeneous_classes(inpatients, QI, "condition", min_k=5).empty


def test_small_hand_made_table():
    # classes: (30, F) x2, (30, M) x1, (40, M) x3  ->  k = 1, one unique record out of six
    table = pd.DataFrame({"age": [30, 40, 30, 40, 30, 40], "sex": ["F", "M", "F", "M", "M", "M"]})
    assert class_sizes(table, ["age", "sex"]).tolist() == [2, 3, 2, 3, 1, 3]
    assert smallest_k(table, ["age", "sex"]) == 1
    assert share_unique(table, ["age", "sex"]) == pytest.approx(1 / 6)
    assert smallest_k(table, ["age"]) == 3
    classes = equivalence_classes(table, ["age", "sex"])
    assert classes.to_dict("records") == [
        {"age": 40, "sex": "M", "k": 3},
        {"age": 30, "sex": "F", "k": 2},
        {"age": 30, "sex": "M", "k": 1},
    ]
    assert class_ids(table, ["age", "sex"]).tolist() == [0, 2, 0, 2, 1, 2]


def test_missing_values_form_their_own_class():
    table = pd.DataFrame({"country": ["US", None, None, "US", "Cuba"], "income": [0, 1, 1, 1, 0]})
    assert class_sizes(table, ["country"]).tolist() == [2, 2, 2, 2, 1]
    assert smallest_l(table, ["country"], "income") == 1
    assert share_homogeneous(table, ["country"], "income") == pytest.approx(3 / 5)


def test_class_sizes_keep_the_index():
    table = pd.DataFrame({"a": [1, 1, 2]}, index=[10, 20, 30])
    assert class_sizes(table, ["a"]).index.tolist() == [10, 20, 30]


def test_agrees_with_brute_force_on_a_random_table(random_table):
    columns = ["age", "sex", "zip"]
    expected, keys = brute_force_class_sizes(random_table, columns)
    got = class_sizes(random_table, columns).to_numpy()
    assert np.array_equal(got, expected)
    assert smallest_k(random_table, columns) == expected.min()
    assert share_unique(random_table, columns) == pytest.approx(np.mean(expected == 1))
    assert len(equivalence_classes(random_table, columns)) == len(set(keys))
    distinct = brute_force_distinct(random_table, columns, "income")
    assert smallest_l(random_table, columns, "income") == distinct.min()
    assert share_homogeneous(random_table, columns, "income") == pytest.approx(np.mean(distinct == 1))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda t: smallest_k(t, "age"), TypeError, "quasi_identifiers"),
        (lambda t: smallest_k(t, ["height"]), ValueError, "quasi_identifiers"),
        (lambda t: smallest_k(t, []), ValueError, "quasi_identifiers"),
        (lambda t: smallest_k(t, ["age", "age"]), ValueError, "quasi_identifiers"),
        (lambda t: smallest_k(t.iloc[:0], ["age"]), ValueError, "frame"),
        (lambda t: smallest_k(t.to_numpy(), ["age"]), TypeError, "frame"),
        (lambda t: smallest_l(t, ["age"], "salary"), ValueError, "sensitive"),
        (lambda t: smallest_l(t, ["age"], "age"), ValueError, "sensitive"),
        (lambda t: homogeneous_classes(t, ["age"], "income", min_k=0), ValueError, "min_k"),
    ],
)
def test_bad_arguments_are_named(call, error, match):
    table = pd.DataFrame({"age": [30, 30], "income": [0, 1]})
    with pytest.raises(error, match=match):
        call(table)


def test_columns_may_be_a_pandas_index():
    table = pd.DataFrame({"age": [30, 30], "sex": ["F", "F"]})
    assert smallest_k(table, table.columns) == 2
