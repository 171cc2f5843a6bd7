"""The shared Adult encoding: scaled numbers, one-hot categories, optional dropped columns, deterministic model."""

import numpy as np
import pytest

from ppml_lessons.data import load_adult
from ppml_lessons.data.features import (
    ADULT_CATEGORICAL,
    ADULT_FEATURE_SETS,
    ADULT_NUMERIC,
    ADULT_SENSITIVE,
    ADULT_TARGET,
    FAIRNESS_FEATURES,
    adult_feature_columns,
    adult_logistic_regression,
    adult_preprocessor,
    adult_validation_split,
    compas_decisions,
    encode_adult,
)


@pytest.fixture(scope="module")
def adult():
    return load_adult()


@pytest.fixture(scope="module")
def encoded(adult):
    return encode_adult(*adult)


def test_numeric_columns_are_standardized_on_the_training_split(adult, encoded):
    train, _ = adult
    x = encoded.x_train[:, : len(ADULT_NUMERIC)].astype(np.float64)
    np.testing.assert_allclose(x.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=0), 1, atol=1e-5)
    raw_age = train["age"].to_numpy(float)
    np.testing.assert_allclose(x[:, 0], (raw_age - raw_age.mean()) / raw_age.std(), atol=1e-5)


def test_every_categorical_column_is_one_hot(adult, encoded):
    train, test = adult
    one_hot = encoded.x_train[:, len(ADULT_NUMERIC) :]
    assert set(np.unique(one_hot)) == {0.0, 1.0}
    # one 1 per categorical column and row, a missing value counting as its own category
    assert (one_hot.sum(axis=1) == len(ADULT_CATEGORICAL)).all()
    expected_width = sum(train[c].nunique(dropna=False) for c in ADULT_CATEGORICAL)
    assert one_hot.shape[1] == expected_width
    assert encoded.x_test.shape == (len(test), encoded.x_train.shape[1]) == (len(test), len(encoded.feature_names))
    assert encoded.y_train.tolist() == train[ADULT_TARGET].tolist()
    assert not any("income" in name for name in encoded.feature_names)
    for array in (encoded.x_train, encoded.x_test, encoded.y_train, encoded.y_test):
        assert array.flags.writeable  # torch.from_numpy warns on read-only arrays


def test_drop_removes_the_sensitive_columns(adult):
    dropped = encode_adult(*adult, drop=list(ADULT_SENSITIVE))
    assert not any(name.startswith(("one_hot__sex_", "one_hot__race_")) for name in dropped.feature_names)
    assert dropped.x_train.shape[1] == 108 - 2 - 5


def test_reference_model_is_deterministic_and_has_the_documented_accuracy(adult):
    train, test = adult
    first = adult_logistic_regression().fit(train, train[ADULT_TARGET])
    second = adult_logistic_regression().fit(train, train[ADULT_TARGET])
    np.testing.assert_array_equal(first[-1].coef_, second[-1].coef_)
    accuracy = (first.predict(test) == test[ADULT_TARGET]).mean()
    assert round(float(accuracy), 3) == 0.853  # the reference value quoted in lessons 07-09


def test_education_is_the_text_twin_of_education_num(adult):
    train, _ = adult
    # one education_num per education and one education per education_num: the two columns carry the same information
    assert train.groupby("education", observed=True)["education_num"].nunique().max() == 1
    assert train.groupby("education_num")["education"].nunique().max() == 1


def test_feature_sets_leave_out_the_sampling_weight_the_duplicate_and_the_sensitive_columns(adult):
    train, test = adult
    numeric, categorical = adult_feature_columns()
    assert (numeric, categorical) == (list(ADULT_NUMERIC), list(ADULT_CATEGORICAL))  # "all": lesson 09's default
    personal = encode_adult(train, test, features="personal")
    assert not any(name.endswith("fnlwgt") or name.startswith("one_hot__education_") for name in personal.feature_names)
    assert "scale__education_num" in personal.feature_names
    assert personal.x_train.shape[1] == 108 - 1 - 16
    reference = encode_adult(train, test, features=FAIRNESS_FEATURES)
    assert not any(name.startswith(("one_hot__sex_", "one_hot__race_")) for name in reference.feature_names)
    assert reference.x_train.shape[1] == 108 - 1 - 16 - 2 - 5
    assert set(ADULT_FEATURE_SETS[FAIRNESS_FEATURES]) == {"fnlwgt", "education", "sex", "race"}
    # drop adds to the set, and a column the set already leaves out may be named again
    numeric, categorical = adult_feature_columns(features=FAIRNESS_FEATURES, drop=["sex", "relationship"])
    assert "relationship" not in categorical and "marital_status" in categorical and "fnlwgt" not in numeric
    model = adult_logistic_regression(features=FAIRNESS_FEATURES).fit(train, train[ADULT_TARGET])
    assert model[0].transform(test).shape[1] == reference.x_test.shape[1]


def test_validation_split_is_stratified_disjoint_and_seeded(adult):
    train, _ = adult
    fit, validation = adult_validation_split(train, fraction=0.25, rng=0)
    assert len(fit) + len(validation) == len(train) and not set(fit.index) & set(validation.index)
    cells = lambda frame: frame.groupby(["sex", ADULT_TARGET], observed=True).size()
    np.testing.assert_allclose(cells(validation) / cells(train), 0.25, atol=1e-3)
    again, _ = adult_validation_split(train, fraction=0.25, rng=0)
    other, _ = adult_validation_split(train, fraction=0.25, rng=1)
    assert fit.index.equals(again.index) and not fit.index.equals(other.index)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: adult_preprocessor(drop="sex"), TypeError, "drop"),
        (lambda: adult_preprocessor(drop=["income_over_50k"]), ValueError, "drop must hold Adult feature columns"),
        (lambda: adult_preprocessor(drop=[*ADULT_NUMERIC, *ADULT_CATEGORICAL]), ValueError, "at least one"),
        (lambda: encode_adult([1], [2]), TypeError, "train"),
        (lambda: adult_preprocessor(features="everything"), ValueError, "features must be one of 'all'"),
        (lambda: adult_logistic_regression(features=FAIRNESS_FEATURES, drop=["age", "education_num", "capital_gain",
         "capital_loss", "hours_per_week", *ADULT_CATEGORICAL]), ValueError, "at least one"),
        (lambda: adult_validation_split(load_adult()[0], fraction=1.0), ValueError, "fraction"),
        (lambda: adult_validation_split([1, 2]), TypeError, "train"),
    ],
)
def test_bad_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_encode_rejects_a_frame_without_the_columns(adult):
    train, test = adult
    with pytest.raises(ValueError, match="test must have Adult's columns"):
        encode_adult(train, test.drop(columns="sex"))


def test_compas_decisions_follow_propublica_cut():
    compas = compas_decisions()
    assert len(compas) == 6172
    assert (compas["high_risk"] == (compas["decile_score"] >= 5)).all()
    assert (compas.loc[compas["high_risk"] == 1, "score_text"].isin(["Medium", "High"])).all()
    two = compas_decisions(races=("African-American", "Caucasian"))
    assert two["race"].value_counts().to_dict() == {"African-American": 3175, "Caucasian": 2103}
    with pytest.raises(ValueError, match="races"):
        compas_decisions(races=["Martian"])
    with pytest.raises(TypeError, match="races"):
        compas_decisions(races="Caucasian")
