"""GroupReport and the named metrics agree with fairlearn and scikit-learn to 1e-12, and reject bad input."""

import warnings

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
import torch

from ppml_lessons.fairness import metrics as pm
from ppml_lessons.fairness.metrics import METRICS, GroupReport

TOL = 1e-12

# Independent implementations of every built-in metric: fairlearn's and scikit-learn's.
REFERENCE = {
    "count": flm.count,
    "base_rate": lambda y_true, y_pred: flm.selection_rate(y_true, y_true),  # share of true positives labels
    "selection_rate": flm.selection_rate,
    "tpr": flm.true_positive_rate,
    "fpr": flm.false_positive_rate,
    "fnr": flm.false_negative_rate,
    "tnr": flm.true_negative_rate,
    "precision": lambda y_true, y_pred: skm.precision_score(y_true, y_pred, zero_division=np.nan),
    "accuracy": skm.accuracy_score,
}


def _data(seed=0, n=3000):
    """Three groups of unequal size and base rate; predictions that depend on the label and the group."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.3, 0.1])
    second = rng.choice(["x", "y"], size=n)
    base = pd.Series(group).map({"a": 0.4, "b": 0.2, "c": 0.3}).to_numpy()
    y_true = (rng.random(n) < base).astype(int)
    y_pred = (rng.random(n) < np.where(y_true == 1, 0.7, 0.15) + (group == "b") * 0.1).astype(int)
    return y_true, y_pred, pd.DataFrame({"g": group, "h": second})


@pytest.fixture(scope="module")
def data():
    return _data()


def test_metrics_catalogue_is_covered_by_the_references():
    assert set(REFERENCE) == set(METRICS)


@pytest.mark.parametrize("columns", [["g"], ["g", "h"]], ids=["one feature", "intersection"])
def test_report_equals_fairlearn_metric_frame(data, columns):
    y_true, y_pred, features = data
    sensitive = features[columns] if len(columns) > 1 else features[columns[0]]
    ours = GroupReport(metrics=list(METRICS), y_true=y_true, y_pred=y_pred, sensitive_features=sensitive)
    theirs = flm.MetricFrame(metrics=REFERENCE, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive)
    assert list(ours.by_group.index) == list(theirs.by_group.index)
    np.testing.assert_allclose(ours.by_group.to_numpy(float), theirs.by_group.to_numpy(float), rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.overall.to_numpy(), theirs.overall.to_numpy(float), rtol=0, atol=TOL)
    for method in ["between_groups", "to_overall"]:
        np.testing.assert_allclose(ours.difference(method), theirs.difference(method=method).astype(float), atol=TOL)
        np.testing.assert_allclose(ours.ratio(method), theirs.ratio(method=method).astype(float), atol=TOL)
    np.testing.assert_allclose(ours.group_min(), theirs.group_min().astype(float), atol=TOL)
    np.testing.assert_allclose(ours.group_max(), theirs.group_max().astype(float), atol=TOL)


def test_counts_and_overall_equal_scikit_learn_confusion_matrix(data):
    y_true, y_pred, features = data
    report = GroupReport(y_true=y_true, y_pred=y_pred, sensitive_features=features["g"])
    for group, row in report.counts.iterrows():
        member = (features["g"] == group).to_numpy()
        assert row.tolist() == skm.confusion_matrix(y_true[member], y_pred[member], labels=[0, 1]).ravel().tolist()
    tn, fp, fn, tp = skm.confusion_matrix(y_true, y_pred).ravel()
    expected = {
        pm.selection_rate: (tp + fp) / len(y_true),
        pm.true_positive_rate: skm.recall_score(y_true, y_pred),
        pm.false_positive_rate: fp / (fp + tn),
        pm.false_negative_rate: fn / (fn + tp),
        pm.precision: skm.precision_score(y_true, y_pred),
        pm.accuracy: skm.accuracy_score(y_true, y_pred),
    }
    for function, value in expected.items():
        assert abs(function(y_true, y_pred) - value) <= TOL, function.__name__


@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
def test_named_fairness_metrics_equal_fairlearn(data, method):
    y_true, y_pred, features = data
    for sensitive in [features["g"], features[["g", "h"]]]:
        kwargs = {"sensitive_features": sensitive, "method": method}
        pairs = [
            (pm.demographic_parity_difference, flm.demographic_parity_difference),
            (pm.demographic_parity_ratio, flm.demographic_parity_ratio),
            (pm.equal_opportunity_difference, flm.equal_opportunity_difference),
        ]
        for ours, theirs in pairs:
            assert abs(ours(y_true, y_pred, **kwargs) - theirs(y_true, y_pred, **kwargs)) <= TOL, ours.__name__
        for agg in ["worst_case", "mean"]:
            ours = pm.equalized_odds_difference(y_true, y_pred, agg=agg, **kwargs)
            assert abs(ours - flm.equalized_odds_difference(y_true, y_pred, agg=agg, **kwargs)) <= TOL


def test_disparate_impact_and_the_four_fifths_rule(data):
    y_true, y_pred, features = data
    rates = features.assign(pred=y_pred).groupby("g")["pred"].mean()
    ratios = pm.disparate_impact(y_true, y_pred, sensitive_features=features["g"])
    np.testing.assert_allclose(ratios, rates / rates.max(), atol=TOL)
    assert abs(ratios.min() - flm.demographic_parity_ratio(y_true, y_pred, sensitive_features=features["g"])) <= TOL
    to_a = pm.disparate_impact(y_true, y_pred, sensitive_features=features["g"], reference="a")
    np.testing.assert_allclose(to_a, rates / rates["a"], atol=TOL)
    # Hand-made: 10 of 20 men and 7 of 20 women selected -> ratio 0.7, below four fifths.
    y_pred_hand = [1] * 10 + [0] * 10 + [1] * 7 + [0] * 13
    rule = pm.four_fifths_rule([0] * 40, y_pred_hand, sensitive_features=["m"] * 20 + ["w"] * 20)
    assert rule["impact_ratio"].tolist() == pytest.approx([1.0, 0.7])
    assert rule["passes"].tolist() == [True, False]
    assert pm.four_fifths_rule([0] * 40, y_pred_hand, sensitive_features=["m"] * 20 + ["w"] * 20, threshold=0.6)[
        "passes"
    ].all()


def test_callable_metrics_and_dict_names(data):
    y_true, y_pred, features = data
    report = GroupReport(
        metrics={"recall": skm.recall_score, "tpr": "tpr"},
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=features["g"],
    )
    np.testing.assert_allclose(report.by_group["recall"], report.by_group["tpr"], atol=TOL)
    assert list(report.by_group.columns) == ["recall", "tpr"]


def test_inputs_are_matched_by_position_not_by_index(data):
    y_true, y_pred, features = data
    shuffled = pd.Series(y_true, index=np.random.default_rng(1).permutation(len(y_true)))
    plain = GroupReport(y_true=y_true, y_pred=y_pred, sensitive_features=features["g"])
    as_series = GroupReport(y_true=shuffled, y_pred=torch.tensor(y_pred), sensitive_features=features["g"].to_numpy())
    pd.testing.assert_frame_equal(plain.by_group, as_series.by_group, check_names=False)


def test_undefined_metric_is_nan_with_a_warning():
    # group "b" has no positive label: its TPR is 0/0
    with pytest.warns(RuntimeWarning, match="tpr is undefined.*'b'"):
        report = GroupReport(metrics=["tpr", "fpr"], y_true=[1, 0, 0, 0], y_pred=[1, 0, 1, 0],
                             sensitive_features=["a", "a", "b", "b"])
    assert np.isnan(report.by_group.loc["b", "tpr"])
    assert report.difference()["tpr"] == 0.0  # skips the undefined group, as fairlearn does


def test_a_defined_report_does_not_warn(data):
    y_true, y_pred, features = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GroupReport(y_true=y_true, y_pred=y_pred, sensitive_features=features)


GOOD = {"y_true": [0, 1, 1, 0], "y_pred": [0, 1, 1, 0], "sensitive_features": ["a", "a", "b", "b"]}


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"y_pred": [0, 1, 0]}, ValueError, r"y_pred must have the same length as y_true \(4\); got 3"),
        ({"sensitive_features": ["a", "b"]}, ValueError, r"sensitive_features must have the same length as y_true"),
        ({"y_true": [0, 1, 2, 0]}, ValueError, r"y_true must hold binary labels 0/1.*got values \[0, 1, 2\]"),
        ({"y_pred": [0.2, 0.9, 0.4, 0.1]}, ValueError, r"y_pred must hold binary labels.*Threshold"),
        ({"y_true": ["no", "yes", "yes", "no"]}, ValueError, r"y_true must hold binary labels"),
        ({"y_true": [0, 1, np.nan, 0]}, ValueError, r"y_true must hold binary labels 0/1 without NaN; got 1 NaN"),
        ({"y_pred": [0, None, 1, 0]}, ValueError, r"y_pred .*NaN"),
        ({"sensitive_features": ["a", None, "b", "b"]}, ValueError, r"sensitive_features must not contain missing"),
        (
            {"sensitive_features": pd.Categorical(["a", "a", "b", "b"], categories=["a", "b", "c"])},
            ValueError,
            r"sensitive_features must give every group at least one row; got 0 rows for \['c'\]",
        ),
        ({"y_true": [[0, 1], [1, 0]]}, ValueError, r"y_true must be one-dimensional"),
        ({"y_true": [], "y_pred": [], "sensitive_features": []}, ValueError, r"y_true must hold at least one value"),
        ({"y_true": "0110"}, TypeError, r"y_true must be a 1-D array-like"),
        ({"metrics": "recall"}, ValueError, r"metrics must be a metric name"),
        ({"metrics": []}, ValueError, r"metrics must be .*empty"),
        ({"metrics": 3}, TypeError, r"metrics must be"),
    ],
)
def test_report_rejects_bad_input_naming_the_argument(changes, error, match):
    arguments = {**GOOD, **changes}
    with pytest.raises(error, match=match):
        GroupReport(**arguments)


def test_named_metrics_reject_bad_options():
    args = (GOOD["y_true"], GOOD["y_pred"])
    with pytest.raises(ValueError, match="method"):
        pm.demographic_parity_difference(*args, sensitive_features=GOOD["sensitive_features"], method="largest")
    with pytest.raises(ValueError, match="agg"):
        pm.equalized_odds_difference(*args, sensitive_features=GOOD["sensitive_features"], agg="max")
    with pytest.raises(ValueError, match="threshold"):
        pm.four_fifths_rule(*args, sensitive_features=GOOD["sensitive_features"], threshold=1.5)
    with pytest.raises(ValueError, match="reference"):
        pm.disparate_impact(*args, sensitive_features=GOOD["sensitive_features"], reference="z")
    with pytest.raises(ValueError, match="reference"):
        pm.disparate_impact([0, 0, 0, 0], [1, 1, 0, 0], sensitive_features=GOOD["sensitive_features"], reference="b")
    with pytest.raises(ValueError, match="y_pred"):
        pm.true_positive_rate([1, 0], [1, 0, 1])
    report = GroupReport(**GOOD)
    with pytest.raises(ValueError, match="method"):
        report.ratio("pairwise")
