import gzip

import pandas as pd
import pytest

from ppml_lessons.data import data_path, load_adult, load_compas, load_german


@pytest.fixture(scope="module")
def adult():
    return load_adult()


def _raw_lines(name):
    text = gzip.decompress(data_path(name).read_bytes()).decode()
    return [line for line in text.splitlines() if line.strip() and not line.startswith("|")]


def test_adult_row_counts_match_the_source(adult):
    train, test = adult
    assert (len(train), len(test)) == (32561, 16281)
    assert len(_raw_lines("adult/adult.data.gz")) == 32561
    assert len(_raw_lines("adult/adult.test.gz")) == 16281


def test_adult_target_counts_match_the_raw_labels(adult):
    train, test = adult
    assert train["income_over_50k"].sum() == sum(line.endswith(">50K") for line in _raw_lines("adult/adult.data.gz"))
    assert test["income_over_50k"].sum() == sum(line.endswith(">50K.") for line in _raw_lines("adult/adult.test.gz"))
    assert set(train["income_over_50k"]) == set(test["income_over_50k"]) == {0, 1}


def test_adult_missing_values_and_categories(adult):
    train, test = adult
    raw_missing = sum(", ?," in line for line in _raw_lines("adult/adult.data.gz"))
    assert train.isna().any(axis=1).sum() == raw_missing == 32561 - 30162
    for column in ["workclass", "race", "sex", "native_country"]:
        assert isinstance(train[column].dtype, pd.CategoricalDtype)
        assert train[column].dtype == test[column].dtype
    assert "?" not in train["workclass"].cat.categories
    assert set(train["sex"].cat.categories) == {"Female", "Male"}


def test_adult_drop_missing():
    train, test = load_adult(drop_missing=True)
    assert (len(train), len(test)) == (30162, 15060)
    assert not train.isna().any().any() and not test.isna().any().any()


def test_adult_rejects_non_bool():
    with pytest.raises(TypeError, match="drop_missing"):
        load_adult(drop_missing="yes")


def test_german_is_decoded():
    german = load_german()
    assert german.shape[0] == 1000
    assert german["good_credit"].sum() == 700
    text_columns = german.select_dtypes("category")
    for column in text_columns:
        assert not german[column].astype(str).str.fullmatch(r"A\d+").any(), column
    assert german["telephone"].dtype == bool


def test_german_derives_no_sex_column():
    """Attribute 9's UCI labels are wrong (Groemping 2019): A92 also holds single men, A94 single women."""
    german = load_german()
    assert not any("sex" == column or column.startswith("sex") for column in german.columns)
    raw = data_path("german/german.data").read_text().split()
    codes = {code: sum(token == code for token in raw) for code in ["A91", "A92", "A93", "A94", "A95"]}
    assert codes == {"A91": 50, "A92": 310, "A93": 548, "A94": 92, "A95": 0}
    counts = german["personal_status_sex"].value_counts()
    assert counts["female : divorced/separated/married"] == codes["A92"]  # the UCI label, kept as documented


def test_compas_filter_follows_propublica():
    full = load_compas(propublica_filter=False)
    kept = load_compas()
    assert (len(full), len(kept)) == (7214, 6172)
    assert kept["days_b_screening_arrest"].between(-30, 30).all()
    assert (kept["is_recid"] != -1).all()
    assert (kept["c_charge_degree"] != "O").all()
    assert (kept["score_text"] != "N/A").all()
    assert not any(column.endswith(".1") for column in kept.columns)
    with pytest.raises(TypeError, match="propublica_filter"):
        load_compas(propublica_filter=None)


def test_adult_domain_is_the_documented_public_domain():
    from ppml_lessons.data.tabular import adult_domain

    assert adult_domain("sex") == ["Female", "Male"]
    assert len(adult_domain("education")) == 16 and "Doctorate" in adult_domain("education")
    countries = adult_domain("native_country")
    assert len(countries) == 41 and countries[0] == "United-States" and countries[-1] == "Holand-Netherlands"
    train, test = load_adult()
    for column in ["workclass", "education", "marital_status", "occupation", "relationship", "race", "sex",
                   "native_country"]:
        observed = set(train[column].dropna().astype(str)) | set(test[column].dropna().astype(str))
        assert observed <= set(adult_domain(column)), column  # the records never leave the documented domain
    with pytest.raises(ValueError, match="column"):
        adult_domain("age")
