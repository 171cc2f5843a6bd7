import numpy as np
import pandas as pd
import pytest

from ppml_lessons.data import load_adult
from ppml_lessons.data.features import adult_preprocessor
from ppml_lessons.explain.tabular import (
    ADULT_TREE_FEATURES,
    adult_gradient_boosting,
    attribution_gap,
    encode_adult_ordinal,
    mean_abs_importance,
    one_hot_groups,
    sum_by_group,
    time_per_explanation,
)


@pytest.fixture(scope="module")
def adult():
    return load_adult()


def test_ordinal_codes_decode_back_to_the_categories(adult):
    train, test = adult
    split = encode_adult_ordinal(train, test)
    assert split.x_train.shape == (len(train), 10) and split.x_test.shape == (len(test), 10)
    for j, column in enumerate(ADULT_TREE_FEATURES):
        if column in split.categories:
            codes = split.x_test[:, j].astype(int)
            known = codes >= 0
            decoded = np.array(split.categories[column], dtype=object)[codes[known]]
            assert (decoded == test[column].astype(str).to_numpy()[known]).all()
            assert test[column].isna().to_numpy()[~known].all()  # -1 only for missing values
        else:
            np.testing.assert_array_equal(split.x_test[:, j], test[column].to_numpy())
    np.testing.assert_array_equal(split.y_test, test["income_over_50k"].to_numpy())


def test_ordinal_columns_can_leave_out_sex(adult):
    columns = [c for c in ADULT_TREE_FEATURES if c != "sex"]
    split = encode_adult_ordinal(*adult, columns=columns)
    assert split.feature_names == columns and "sex" not in split.categories


def test_one_hot_groups_follow_the_preprocessor(adult):
    preprocessor = adult_preprocessor().fit(adult[0])
    groups = one_hot_groups(preprocessor)
    assert len(groups) == preprocessor.transform(adult[0][:2]).shape[1]
    names = preprocessor.get_feature_names_out()
    for group, name in zip(groups, names):  # e.g. "one_hot__sex_Female" belongs to "sex"
        assert name.split("__", 1)[1] == group or name.split("__", 1)[1].startswith(group + "_")
    assert groups.count("sex") == 2


def test_sum_by_group_keeps_row_sums_and_order():
    values = np.arange(12.0).reshape(3, 4)
    summed = sum_by_group(values, ["b", "a", "b", "a"])
    assert list(summed.columns) == ["b", "a"]
    np.testing.assert_allclose(summed.sum(axis=1), values.sum(axis=1))
    np.testing.assert_allclose(summed["b"], values[:, 0] + values[:, 2])


def test_attribution_gap_adds_up_to_the_gap_in_totals():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(50, 4))
    group = np.arange(50) < 20
    gap = attribution_gap(values, list("abcd"), in_group=group)
    totals = values.sum(axis=1)
    assert gap.sum() == pytest.approx(totals[group].mean() - totals[~group].mean())


def test_importance_and_timing():
    importance = mean_abs_importance(np.array([[0.0, -2.0, 1.0]]), ["a", "b", "c"])
    assert list(importance.index) == ["b", "c", "a"]
    assert time_per_explanation(lambda x: None, np.ones((5, 2)), repeat=2) >= 0.0


def test_model_is_seeded():
    assert adult_gradient_boosting(rng=3).random_state == adult_gradient_boosting(rng=3).random_state


def test_bad_arguments_are_named(adult):
    with pytest.raises(ValueError, match="columns"):
        encode_adult_ordinal(*adult, columns=[])
    with pytest.raises(ValueError, match="train must have the columns"):
        encode_adult_ordinal(adult[0].drop(columns="sex"), adult[1])
    with pytest.raises(ValueError, match="groups must have one entry"):
        sum_by_group(np.ones((2, 3)), ["a"])
    with pytest.raises(ValueError, match="in_group"):
        attribution_gap(np.ones((2, 3)), list("abc"), in_group=[True, True])
    with pytest.raises(ValueError, match="feature_names"):
        mean_abs_importance(np.ones((2, 3)), ["a"])
    with pytest.raises(ValueError, match="preprocessor must be fitted"):
        one_hot_groups(adult_preprocessor())
    with pytest.raises(ValueError, match="repeat"):
        time_per_explanation(lambda x: x, np.ones((2, 2)), repeat=0)
    with pytest.raises(ValueError, match="values must have shape"):
        mean_abs_importance(np.ones(3), ["a", "b", "c"])
    assert isinstance(sum_by_group([[1.0]], ["a"]), pd.DataFrame)
