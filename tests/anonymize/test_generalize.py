import numpy as np
import pandas as pd
import pytest

from ppml_lessons.anonymize import (
    SUPPRESSED,
    Hierarchy,
    generalize,
    interval_hierarchy,
    mapping_hierarchy,
    smallest_k,
    suppress_small_classes,
)


def test_interval_hierarchy_bands_by_hand():
    ages = pd.Series([17, 20, 34, 39, 40, 90], index=list("abcdef"))
    hierarchy = interval_hierarchy([5, 10, 20])
    assert hierarchy.height == 4
    assert hierarchy.apply(ages, 0).tolist() == [17, 20, 34, 39, 40, 90]
    assert hierarchy.apply(ages, 1).tolist() == ["15-19", "20-24", "30-34", "35-39", "40-44", "90-94"]
    assert hierarchy.apply(ages, 2).tolist() == ["10-19", "20-29", "30-39", "30-39", "40-49", "90-99"]
    assert hierarchy.apply(ages, 3).tolist() == ["0-19", "20-39", "20-39", "20-39", "40-59", "80-99"]
    assert hierarchy.apply(ages, 4).tolist() == [SUPPRESSED] * 6
    assert hierarchy.apply(ages, 2).index.tolist() == list("abcdef")


def test_interval_bands_nest():
    # every 5-year band lies inside one 10-year band and one 20-year band
    ages = pd.Series(np.arange(0, 100))
    hierarchy = interval_hierarchy([5, 10, 20])
    for finer, coarser in [(1, 2), (2, 3)]:
        pairs = pd.DataFrame({"f": hierarchy.apply(ages, finer), "c": hierarchy.apply(ages, coarser)})
        assert pairs.groupby("f")["c"].nunique().max() == 1


def test_interval_hierarchy_keeps_missing_values():
    out = interval_hierarchy([10]).apply(pd.Series([31.0, np.nan]), 1)
    assert out[0] == "30-39" and pd.isna(out[1])


def test_mapping_hierarchy_chains_tables():
    to_region = {"Cuba": "Latin America", "Mexico": "Latin America", "India": "Asia"}
    to_world = {"Latin America": "Americas", "Asia": "Asia"}
    hierarchy = mapping_hierarchy(to_region, to_world)
    countries = pd.Series(["Cuba", None, "India", "Mexico"])
    assert hierarchy.height == 3
    assert hierarchy.apply(countries, 1).tolist()[::2] == ["Latin America", "Asia"]
    assert pd.isna(hierarchy.apply(countries, 1)[1])
    assert hierarchy.apply(countries, 2).tolist()[2:] == ["Asia", "Americas"]
    assert hierarchy.apply(countries, 3).tolist() == [SUPPRESSED] * 4


def test_mapping_hierarchy_refuses_unknown_values():
    with pytest.raises(ValueError, match=r"mappings\[0\].*'Peru'"):
        mapping_hierarchy({"Cuba": "Latin America"}).apply(pd.Series(["Cuba", "Peru"]), 1)


def test_generalize_reduces_uniqueness():
    table = pd.DataFrame({"age": [31, 33, 38, 52], "sex": ["F", "F", "M", "M"], "income": [1, 0, 0, 1]})
    hierarchies = {"age": interval_hierarchy([10, 20]), "sex": mapping_hierarchy()}
    assert smallest_k(table, ["age", "sex"]) == 1
    decades = generalize(table, hierarchies, {"age": 1})
    assert decades["age"].tolist() == ["30-39", "30-39", "30-39", "50-59"]
    assert decades["sex"].tolist() == ["F", "F", "M", "M"]  # not named in levels: unchanged
    assert decades["income"].tolist() == [1, 0, 0, 1]
    assert smallest_k(decades, ["age", "sex"]) == 1
    coarse = generalize(table, hierarchies, {"age": 2, "sex": 1})
    assert smallest_k(coarse, ["age", "sex"]) == 1  # 20-39 x3, 40-59 x1
    assert smallest_k(generalize(table, hierarchies, {"age": 3, "sex": 1}), ["age", "sex"]) == 4
    assert table["age"].tolist() == [31, 33, 38, 52]  # the input is not modified


def test_suppression_leaves_a_k_anonymous_table():
    table = pd.DataFrame({"zip": ["130", "130", "130", "148", "148", "149"]}, index=[5, 6, 7, 8, 9, 10])
    kept = suppress_small_classes(table, ["zip"], k=2)
    assert kept.index.tolist() == [5, 6, 7, 8, 9]
    assert smallest_k(kept, ["zip"]) == 2
    assert suppress_small_classes(table, ["zip"], k=3).index.tolist() == [5, 6, 7]
    assert suppress_small_classes(table, ["zip"], k=4).empty
    assert len(suppress_small_classes(table, ["zip"], k=1)) == 6


def test_custom_hierarchy():
    hierarchy = Hierarchy(steps=(lambda s: s.str[:3],), description="zip: 5 digits, 3 digits, *")
    assert hierarchy.apply(pd.Series(["13053", "14850"]), 1).tolist() == ["130", "148"]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: interval_hierarchy([5, 12]), ValueError, "widths"),
        (lambda: interval_hierarchy([1]), ValueError, "widths"),
        (lambda: interval_hierarchy(5), TypeError, "widths"),
        (lambda: interval_hierarchy([]), TypeError, "widths"),
        (lambda: mapping_hierarchy(["Cuba"]), TypeError, r"mappings\[0\]"),
        (lambda: interval_hierarchy([10]).apply(pd.Series([1]), 3), ValueError, "level"),
        (lambda: interval_hierarchy([10]).apply([1], 1), TypeError, "values"),
    ],
)
def test_bad_hierarchy_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    ("levels", "hierarchies", "error", "match"),
    [
        ({"age": 5}, None, ValueError, r"levels\['age'\]"),
        ({"height": 1}, None, ValueError, "levels"),
        ({"sex": 1}, None, ValueError, "hierarchies"),
        ({"age": 1}, {"age": "bands"}, TypeError, r"hierarchies\['age'\]"),
        ([("age", 1)], None, TypeError, "levels"),
    ],
)
def test_bad_generalize_arguments_are_named(levels, hierarchies, error, match):
    table = pd.DataFrame({"age": [31], "sex": ["F"]})
    hierarchies = hierarchies or {"age": interval_hierarchy([10])}
    with pytest.raises(error, match=match):
        generalize(table, hierarchies, levels)


def test_bad_suppression_arguments_are_named():
    table = pd.DataFrame({"zip": ["130"]})
    with pytest.raises(ValueError, match="k must be an integer"):
        suppress_small_classes(table, ["zip"], k=0)
    with pytest.raises(ValueError, match="quasi_identifiers"):
        suppress_small_classes(table, ["age"], k=2)
