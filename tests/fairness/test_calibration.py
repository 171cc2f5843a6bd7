"""Calibration tables match scikit-learn's calibration_curve group by group; ECE is the weighted gap."""

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve

from ppml_lessons.fairness.calibration import (
    calibrated_ece_baseline,
    calibration_table,
    expected_calibration_error,
)


def _data(seed=0, n=4000):
    rng = np.random.default_rng(seed)
    group = pd.Series(rng.choice(["a", "b"], size=n, p=[0.7, 0.3]), name="g")
    score = rng.beta(2, 3, size=n)
    # group b's scores are overconfident: its true probability is score ** 1.5
    truth = np.where(group == "b", score**1.5, score)
    return (rng.random(n) < truth).astype(int), score, group


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_table_equals_calibration_curve_per_group(strategy):
    y_true, score, group = _data()
    table = calibration_table(y_true, score, sensitive_features=group, n_bins=8, strategy=strategy)
    for name, part in table.groupby("g", observed=True):
        member = (group == name).to_numpy()
        prob_true, prob_pred = calibration_curve(y_true[member], score[member], n_bins=8, strategy=strategy)
        np.testing.assert_allclose(part["observed_rate"], prob_true, rtol=0, atol=1e-12)
        np.testing.assert_allclose(part["mean_score"], prob_pred, rtol=0, atol=1e-12)
        assert part["count"].sum() == member.sum()
    assert (table["lower"] <= table["observed_rate"]).all() and (table["observed_rate"] <= table["upper"]).all()


def test_expected_calibration_error_is_the_count_weighted_gap():
    y_true, score, group = _data()
    ece = expected_calibration_error(y_true, score, sensitive_features=group, n_bins=10)
    for name in ["a", "b"]:
        member = (group == name).to_numpy()
        prob_true, prob_pred = calibration_curve(y_true[member], score[member], n_bins=10)
        counts, _ = np.histogram(score[member], bins=np.linspace(0, 1, 11))  # no score sits on an edge
        expected = np.sum(counts[counts > 0] * np.abs(prob_true - prob_pred)) / member.sum()
        assert abs(ece[name] - expected) <= 1e-12
    assert ece["b"] > ece["a"]  # the miscalibrated group is the one we made overconfident


def test_without_groups_there_is_one_group():
    table = calibration_table([0, 1, 1, 0], [0.1, 0.8, 0.6, 0.3], n_bins=2)
    assert table["group"].astype(str).unique().tolist() == ["everyone"]


def test_intersections_keep_one_column_per_feature():
    y_true, score, group = _data()
    second = pd.Series(np.where(score > 0.5, "high", "low"), name="h")
    table = calibration_table(y_true, score, sensitive_features=pd.concat([group, second], axis=1), n_bins=4)
    assert list(table.columns[:3]) == ["g", "h", "bin"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y_score": [0.1, 1.2, 0.3, 0.4]}, ValueError, "y_score must hold probabilities in"),
        ({"y_score": [0.1, np.nan, 0.3, 0.4]}, ValueError, "y_score .*NaN"),
        ({"y_score": [0.1, 0.2]}, ValueError, "y_score must have the same length as y_true"),
        ({"y_score": ["a", "b", "c", "d"]}, TypeError, "y_score"),
        ({"y_true": [0, 2, 1, 0]}, ValueError, "y_true"),
        ({"n_bins": 0}, ValueError, "n_bins"),
        ({"strategy": "equal"}, ValueError, "strategy"),
        ({"level": 1.5}, ValueError, "level"),
        ({"sensitive_features": ["a", "b"]}, ValueError, "sensitive_features"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    arguments = {"y_true": [0, 1, 1, 0], "y_score": [0.1, 0.8, 0.6, 0.3], **kwargs}
    with pytest.raises(error, match=match):
        calibration_table(**arguments)


def test_chance_baseline_matches_the_normal_approximation():
    # For perfectly calibrated scores, bin b's positives minus its score sum has mean 0 and variance
    # v_b = sum of s(1-s) over the bin, so E|gap_b| ~ sqrt(2 v_b / pi) (normal approximation, accurate
    # for bins of hundreds of people) and E[ECE] ~ sum_b sqrt(2 v_b / pi) / n. The mean over D draws has
    # a Monte Carlo relative error of about cv / sqrt(D), with cv = sd(ECE) / E[ECE] estimated from the
    # draws themselves; we allow 4 of those plus 2% for the normal approximation.
    rng = np.random.default_rng(5)
    scores = rng.uniform(0.05, 0.95, size=6000)
    group = pd.Series(np.where(np.arange(6000) < 4800, "large", "small"), name="g")
    n_draws = 400
    baseline = calibrated_ece_baseline(scores, sensitive_features=group, n_bins=5, n_draws=n_draws, rng=0)
    for name in ["large", "small"]:
        s = scores[(group == name).to_numpy()]
        bins = np.searchsorted(np.linspace(0, 1, 6)[1:-1], s)
        v = np.bincount(bins, weights=s * (1 - s), minlength=5)
        expected = np.sum(np.sqrt(2 * v / np.pi)) / len(s)
        draws = (np.random.default_rng(1).random((n_draws, len(s))) < s).astype(float)
        sampled = [
            expected_calibration_error(d.astype(int), s, n_bins=5)["everyone"] for d in draws[:100]
        ]  # an independent estimate of the coefficient of variation
        cv = np.std(sampled) / np.mean(sampled)
        tolerance = 4 * cv / np.sqrt(n_draws) + 0.02
        assert abs(baseline.loc[name, "mean"] / expected - 1) <= tolerance
    assert baseline.loc["small", "mean"] > baseline.loc["large", "mean"]
    assert (baseline["upper"] > baseline["mean"]).all()


def test_chance_baseline_is_seeded_and_validated():
    scores = np.linspace(0.1, 0.9, 100)
    first = calibrated_ece_baseline(scores, n_draws=20, rng=3)
    assert first.equals(calibrated_ece_baseline(scores, n_draws=20, rng=3))
    with pytest.raises(ValueError, match="n_draws"):
        calibrated_ece_baseline(scores, n_draws=0)
    with pytest.raises(ValueError, match="y_score"):
        calibrated_ece_baseline(scores + 0.5)


@pytest.mark.parametrize(("strategy", "n_bins"), [("uniform", 10), ("quantile", 5), ("quantile", 10)])
def test_ece_read_off_the_diagram_table_uses_the_diagram_bins(strategy, n_bins):
    from ppml_lessons.fairness.calibration import ece_from_table

    rng = np.random.default_rng(2)
    group = pd.Series(rng.choice(["a", "b"], size=3000, p=[0.8, 0.2]), name="g")
    scores = rng.beta(2, 5, size=3000)
    y = (rng.random(3000) < np.clip(scores * np.where(group == "b", 1.4, 1.0), 0, 1)).astype(int)
    table = calibration_table(y, scores, sensitive_features=group, n_bins=n_bins, strategy=strategy)
    from_table = ece_from_table(table)
    direct = expected_calibration_error(y, scores, sensitive_features=group, n_bins=n_bins, strategy=strategy)
    np.testing.assert_allclose(from_table.loc[["a", "b"]].to_numpy(), direct.loc[["a", "b"]].to_numpy(), atol=1e-12)
    # a different binning gives a different number: the binning matters, so diagram and ECE must share it
    other = expected_calibration_error(y, scores, sensitive_features=group, n_bins=7,
                                       strategy="uniform" if strategy == "quantile" else "quantile")
    assert not np.allclose(other.loc[["a", "b"]].to_numpy(), direct.loc[["a", "b"]].to_numpy(), atol=1e-4)
    with pytest.raises(TypeError, match="table"):
        ece_from_table(table.drop(columns="count"))
