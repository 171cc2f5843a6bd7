"""The shared Adult encoding: scaled numbers, one-hot categories, optional dropped columns, deterministic model."""

import numpy as np
import pytest

from ppml_lessons.data import load_adult
from ppml_lessons.data.features import (
    ADULT_CATEGORICAL,
    ADULT_NUMERIC,
    ADULT_SENSITIVE,
    ADULT_TARGET,
    adult_logistic_regression,
    adult_preprocessor,
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


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: adult_preprocessor(drop="sex"), TypeError, "drop"),
        (lambda: adult_preprocessor(drop=["income_over_50k"]), ValueError, "drop must hold Adult feature columns"),
        (lambda: adult_preprocessor(drop=[*ADULT_NUMERIC, *ADULT_CATEGORICAL]), ValueError, "at least one"),
        (lambda: encode_adult([1], [2]), TypeError, "train"),
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
