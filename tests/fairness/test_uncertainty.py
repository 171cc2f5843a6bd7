"""Bootstrap intervals are seeded, have the right spread and the nominal coverage; Wilson matches scipy."""

import numpy as np
import pytest
from scipy import stats

from ppml_lessons.fairness.metrics import GroupReport
from ppml_lessons.fairness.uncertainty import bootstrap_intervals, wilson_interval

# Cells (tn, fp, fn, tp): the true joint distribution of label and prediction in each synthetic group.
Y_OF_CELL, PRED_OF_CELL = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
GROUPS = {"A": (2000, [0.5, 0.1, 0.1, 0.3]), "B": (1000, [0.6, 0.1, 0.15, 0.15])}
# Known answers: selection rate = P(fp) + P(tp), TPR = P(tp) / (P(fn) + P(tp)).
TRUE_SELECTION = {"A": 0.4, "B": 0.25}
TRUE_TPR = {"A": 0.75, "B": 0.5}


def _sample(rng):
    labels, preds, groups = [], [], []
    for name, (n, cells) in GROUPS.items():
        counts = rng.multinomial(n, cells)
        labels.append(np.repeat(Y_OF_CELL, counts))
        preds.append(np.repeat(PRED_OF_CELL, counts))
        groups.append(np.full(n, name))
    return GroupReport(
        metrics=["selection_rate", "tpr"],
        y_true=np.concatenate(labels),
        y_pred=np.concatenate(preds),
        sensitive_features=np.concatenate(groups),
    )


def test_same_seed_same_intervals_and_other_seed_other_intervals():
    report = _sample(np.random.default_rng(0))
    first = bootstrap_intervals(report, n_boot=200, rng=7)
    second = bootstrap_intervals(report, n_boot=200, rng=np.random.default_rng(7))
    third = bootstrap_intervals(report, n_boot=200, rng=8)
    assert first.lower.equals(second.lower) and first.upper.equals(second.upper)
    assert not first.lower.equals(third.lower)


def test_replicates_have_the_binomial_spread():
    # Resampling n people, a group's selection rate has variance p(1-p)/n with p the observed rate.
    # The standard deviation of B replicates estimates it with relative standard error about
    # 1/sqrt(2(B-1)) = 1.1% for B = 4000; we allow 4 of those standard errors.
    report = _sample(np.random.default_rng(1))
    n_boot = 4000
    intervals = bootstrap_intervals(report, n_boot=n_boot, rng=2)
    for index, group in enumerate(report.by_group.index):
        p, n = report.by_group.loc[group, "selection_rate"], GROUPS[group][0]
        spread = intervals.replicates[:, index, 0].std(ddof=1)
        assert abs(spread / np.sqrt(p * (1 - p) / n) - 1) <= 4 / np.sqrt(2 * (n_boot - 1))
    assert (intervals.undefined.to_numpy() == 0).all()


def _holds(interval, value):
    return interval[0] <= value <= interval[1]


def test_coverage_matches_the_level_on_a_known_answer():
    # Draw R data sets from the known distribution above and count how often each 90% interval holds
    # the true value. That count is Binomial(R, c) with c the true coverage; for a correct bootstrap c is
    # the level, up to an approximation error of order 1/n (below 0.01 at these sizes). We allow 4
    # binomial standard deviations, sqrt(level (1 - level) / R) = 0.0134 for R = 500, i.e. 0.054:
    # intervals 25% too narrow (coverage ~0.78) or too wide (~0.96) fail.
    level, repetitions = 0.9, 500
    rng = np.random.default_rng(2024)
    hits = np.zeros(5)
    for _ in range(repetitions):
        intervals = bootstrap_intervals(_sample(rng), n_boot=500, level=level, rng=rng)
        gap = intervals.difference()
        lower, upper = intervals.lower, intervals.upper
        hits += [
            lower.loc["B", "selection_rate"] <= TRUE_SELECTION["B"] <= upper.loc["B", "selection_rate"],
            lower.loc["B", "tpr"] <= TRUE_TPR["B"] <= upper.loc["B", "tpr"],
            gap.loc["selection_rate", "lower"] <= TRUE_SELECTION["A"] - TRUE_SELECTION["B"]
            <= gap.loc["selection_rate", "upper"],
            gap.loc["tpr", "lower"] <= TRUE_TPR["A"] - TRUE_TPR["B"] <= gap.loc["tpr", "upper"],
            _holds(intervals.contrast("tpr", "B", "A"), TRUE_TPR["B"] - TRUE_TPR["A"]),
        ]
    tolerance = 4 * np.sqrt(level * (1 - level) / repetitions)
    np.testing.assert_array_less(np.abs(hits / repetitions - level), tolerance)


def test_undefined_replicates_are_counted_and_skipped():
    # Group "b" has a single positive: every resample without it has an undefined TPR,
    # which happens with probability (1 - 1/5)^5 = 0.328 per replicate.
    report = GroupReport(metrics=["tpr"], y_true=[1, 1, 0, 0, 1, 0, 0, 0, 0], y_pred=[1, 0, 0, 1, 1, 0, 1, 0, 0],
                         sensitive_features=list("aaaabbbbb"))
    n_boot = 4000
    intervals = bootstrap_intervals(report, n_boot=n_boot, rng=0)
    share = intervals.undefined.loc["b", "tpr"]
    assert abs(share - 0.8**5) <= 4 * np.sqrt(0.8**5 * (1 - 0.8**5) / n_boot)
    assert intervals.lower.loc["b", "tpr"] == intervals.upper.loc["b", "tpr"] == 1.0


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (40, 50), (1, 1000), (500, 1000)])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_wilson_interval_equals_scipy(k, n, level):
    low, high = wilson_interval(k, n, level=level)
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    assert abs(low - expected.low) <= 1e-12 and abs(high - expected.high) <= 1e-12


def test_wilson_interval_is_vectorized():
    low, high = wilson_interval(np.array([1, 5]), np.array([10, 10]))
    assert low.shape == high.shape == (2,) and (low < high).all()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda r: bootstrap_intervals(r, n_boot=0), ValueError, "n_boot"),
        (lambda r: bootstrap_intervals(r, level=1.0), ValueError, "level"),
        (lambda r: bootstrap_intervals(r, rng="seed"), TypeError, "rng"),
        (lambda r: bootstrap_intervals("report"), TypeError, "report"),
        (
            lambda r: bootstrap_intervals(
                GroupReport(
                    metrics={"share": lambda t, p: p.mean()},
                    y_true=[0, 1],
                    y_pred=[1, 1],
                    sensitive_features=["a", "a"],
                )
            ),
            ValueError,
            "report must use built-in metrics",
        ),
        (lambda r: bootstrap_intervals(r).difference("pairwise"), ValueError, "method"),
        (lambda r: bootstrap_intervals(r).contrast("tpr", "a", "b"), ValueError, "metric"),
        (lambda r: bootstrap_intervals(r).contrast("accuracy", "a", "z"), ValueError, "second"),
        (lambda r: wilson_interval(3, 0), ValueError, "trials"),
        (lambda r: wilson_interval(11, 10), ValueError, "successes"),
        (lambda r: wilson_interval(0.5, 10), TypeError, "successes"),
        (lambda r: wilson_interval(1, 10, level=0), ValueError, "level"),
    ],
)
def test_bad_arguments_are_named(call, error, match):
    report = GroupReport(
        metrics=["accuracy"], y_true=[0, 1, 1, 0], y_pred=[0, 1, 0, 0], sensitive_features=list("aabb")
    )
    with pytest.raises(error, match=match):
        call(report)


def test_pairwise_intervals_hold_simultaneously_when_no_group_differs():
    # 8 groups of 100 with the same true TPR: any "clear" pair is a false discovery. Simultaneous 95% intervals
    # make one in at most ~5% of studies; unadjusted 95% intervals (critical value 1.96) in far more.
    rng = np.random.default_rng(12)
    n_studies, any_clear, any_clear_unadjusted, critical = 200, 0, 0, []
    groups = np.repeat(list("abcdefgh"), 100)
    for _ in range(n_studies):
        y_pred = (rng.random(len(groups)) < 0.3).astype(int)
        report = GroupReport(metrics=["tpr"], y_true=np.ones(len(groups), int), y_pred=y_pred,
                             sensitive_features=groups)
        pairs = bootstrap_intervals(report, n_boot=400, rng=rng).pairwise("tpr")
        assert len(pairs) == 28 and (pairs["gap"] >= 0).all()
        any_clear += bool(pairs["clear"].any())
        any_clear_unadjusted += bool((pairs["gap"] - 1.96 * pairs["se"] > 0).any())
        critical.append(pairs.attrs["critical_value"])
    # family-wise error: at most 0.05 plus three binomial standard deviations of 200 studies
    assert any_clear / n_studies <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / n_studies)
    assert any_clear_unadjusted / n_studies > 0.2
    assert 2.5 < np.mean(critical) < 3.6  # wider than a single 95% interval, about a Bonferroni z for 28 pairs


def test_pairwise_finds_a_real_gap_and_names_bad_metrics():
    rng = np.random.default_rng(3)
    groups = np.repeat(list("abc"), 400)
    y_pred = (rng.random(1200) < np.select([groups == "a"], [0.6], 0.3)).astype(int)
    report = GroupReport(metrics=["selection_rate"], y_true=np.ones(1200, int), y_pred=y_pred,
                         sensitive_features=groups)
    intervals = bootstrap_intervals(report, n_boot=1000, rng=0)
    pairs = intervals.pairwise("selection_rate").set_index(["first", "second"])
    assert pairs.loc[("a", "b"), "clear"] and pairs.loc[("a", "c"), "clear"]  # a real gap of 0.3
    # simultaneous intervals are wider than the single-pair percentile interval of the same gap
    low, high = intervals.contrast("selection_rate", "a", "b")
    assert pairs.loc[("a", "b"), "lower"] < low and pairs.loc[("a", "b"), "upper"] > high
    # (whether b and c look different is chance; the simulation above checks how often that happens)
    with pytest.raises(ValueError, match="metric must be one of"):
        bootstrap_intervals(report, n_boot=10, rng=0).pairwise("tpr")
