from functools import lru_cache

import numpy as np
import pytest
from fairlearn.postprocessing import ThresholdOptimizer

from ppml_lessons.data import load_adult
from ppml_lessons.data.features import ADULT_TARGET, adult_logistic_regression
from ppml_lessons.fairness.metrics import GroupReport
from ppml_lessons.fairness.postprocessing import (
    EqualizedOddsPostprocessor,
    ScoreColumn,
    expected_disparities,
    group_rates,
)


@lru_cache(maxsize=1)
def _adult_scores():
    train, test = load_adult()
    model = adult_logistic_regression().fit(train, train[ADULT_TARGET])
    return (
        model.predict_proba(train)[:, 1], train[ADULT_TARGET].to_numpy(), train["sex"].to_numpy(),
        model.predict_proba(test)[:, 1], test[ADULT_TARGET].to_numpy(), test["sex"].to_numpy(),
    )


def _synthetic(seed=0, n=4000):
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    y = rng.binomial(1, np.select([group == "a", group == "b"], [0.4, 0.2], 0.3))
    separation = np.select([group == "a", group == "b"], [2.0, 1.0], 0.5)
    return rng.normal(size=n) + separation * y, y, group


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_meets_equalized_odds_exactly_in_expectation_on_fit_data(seed):
    score, y, group = _synthetic(seed)
    post = EqualizedOddsPostprocessor().fit(score, y, sensitive_features=group)
    rates = group_rates(y, post.predict_proba(score, sensitive_features=group), sensitive_features=group)
    # the rule is built to hit the shared point exactly; only float rounding remains
    np.testing.assert_allclose(rates["fpr"], post.operating_point_[0], atol=1e-9)
    np.testing.assert_allclose(rates["tpr"], post.operating_point_[1], atol=1e-9)
    assert post.operating_point_[1] >= post.operating_point_[0]  # never worse than a coin


def test_sampled_decisions_meet_equalized_odds_within_sampling_error():
    score, y, group = _synthetic(0, n=20000)
    post = EqualizedOddsPostprocessor().fit(score, y, sensitive_features=group)
    # a seed other than the data's: the same stream would make the coins depend on the groups
    decisions = post.predict(score, sensitive_features=group, rng=12345)
    report = GroupReport(metrics=["tpr", "fpr"], y_true=y, y_pred=decisions, sensitive_features=group)
    # each sampled rate is a mean of independent coin flips around the exact one: sd <= sqrt(1/4 / n_cell);
    # the smallest cell (group c, positives) has ~20000*0.2*0.3 = 1200 rows -> sd <= 0.0145; a gap between two
    # groups has sd <= 0.0205, and 4 sd = 0.082
    assert report.difference().max() < 0.082
    np.testing.assert_array_equal(decisions, post.predict(score, sensitive_features=group, rng=12345))


def test_agrees_with_fairlearn_threshold_optimizer_on_adult():
    s_train, y_train, g_train, s_test, y_test, g_test = _adult_scores()
    ours = EqualizedOddsPostprocessor().fit(s_train, y_train, sensitive_features=g_train)
    theirs = ThresholdOptimizer(
        estimator=ScoreColumn().fit(None, None), constraints="equalized_odds", prefit=True, predict_method="predict"
    ).fit(s_train[:, None], y_train, sensitive_features=g_train)
    for score, y, group in ((s_train, y_train, g_train), (s_test, y_test, g_test)):
        p_ours = ours.predict_proba(score, sensitive_features=group)
        p_theirs = theirs._pmf_predict(score[:, None], sensitive_features=group)[:, 1]
        d_ours = expected_disparities(y, p_ours, sensitive_features=group)
        d_theirs = expected_disparities(y, p_theirs, sensitive_features=group)
        # the tolerance: disparities agree within 0.005 (fairlearn searches a 1000-point grid only)
        assert abs(d_ours["eod"] - d_theirs["eod"]) < 0.005
        assert abs(d_ours["dpd"] - d_theirs["dpd"]) < 0.005
        accuracy = [np.mean(np.where(y == 1, p, 1 - p)) for p in (p_ours, p_theirs)]
        assert accuracy[0] == pytest.approx(accuracy[1], abs=0.005)


def test_group_rates_agree_with_group_report_on_hard_decisions():
    rng = np.random.default_rng(0)
    y, pred, group = rng.integers(0, 2, 500), rng.integers(0, 2, 500), rng.choice(list("xyz"), 500)
    ours = group_rates(y, pred, sensitive_features=group)
    report = GroupReport(metrics=["selection_rate", "tpr", "fpr"], y_true=y, y_pred=pred, sensitive_features=group)
    np.testing.assert_allclose(ours.to_numpy(), report.by_group[["selection_rate", "tpr", "fpr"]].to_numpy())


def test_rejects_bad_arguments():
    score, y, group = _synthetic(0, n=200)
    with pytest.raises(ValueError, match="grid_size"):
        EqualizedOddsPostprocessor(grid_size=0)
    with pytest.raises(ValueError, match="y_score"):
        EqualizedOddsPostprocessor().fit(score[:10], y, sensitive_features=group)
    with pytest.raises(ValueError, match="y_score must hold finite"):
        EqualizedOddsPostprocessor().fit(np.where(y == 1, np.nan, score), y, sensitive_features=group)
    with pytest.raises(ValueError, match="both labels"):
        EqualizedOddsPostprocessor().fit(score, np.where(group == "a", 1, y), sensitive_features=group)
    with pytest.raises(RuntimeError, match="not fitted"):
        EqualizedOddsPostprocessor().predict_proba(score, sensitive_features=group)
    post = EqualizedOddsPostprocessor().fit(score, y, sensitive_features=group)
    with pytest.raises(ValueError, match="sensitive_features must hold groups seen"):
        post.predict_proba(score, sensitive_features=np.full(len(score), "zzz"))
    with pytest.raises(ValueError, match="p_positive"):
        group_rates(y, score, sensitive_features=group)
