"""The counting core: metrics from counts of any shape, and NaN-skipping aggregations that match pandas."""

import numpy as np
import pandas as pd
import pytest

from ppml_lessons.fairness.counts import (
    METRICS,
    aggregate_difference,
    aggregate_ratio,
    confusion_counts,
    metric_from_counts,
)


def test_confusion_counts_match_a_crosstab():
    rng = np.random.default_rng(0)
    y_true, y_pred, codes = rng.integers(0, 2, 500), rng.integers(0, 2, 500), rng.integers(0, 3, 500)
    counts = confusion_counts(y_true, y_pred, codes, 3)
    for g in range(3):
        table = pd.crosstab(y_true[codes == g], y_pred[codes == g]).to_numpy().ravel()  # tn, fp, fn, tp
        assert counts[g].tolist() == table.tolist()


@pytest.mark.parametrize("name", list(METRICS))
def test_metrics_work_on_stacked_counts(name):
    counts = np.random.default_rng(1).integers(1, 50, size=(7, 3, 4))  # replicates x groups x cells
    stacked = metric_from_counts(name, counts)
    assert stacked.shape == (7, 3)
    for r in range(7):
        np.testing.assert_array_equal(stacked[r], metric_from_counts(name, counts[r]))


def test_undefined_metrics_are_nan_and_unknown_names_rejected():
    assert np.isnan(metric_from_counts("precision", np.array([3, 0, 2, 0])))
    with pytest.raises(ValueError, match="name"):
        metric_from_counts("recall", np.array([1, 1, 1, 1]))


def test_aggregations_match_pandas_and_skip_nan():
    by_group = pd.DataFrame({"m": [0.2, np.nan, 0.5], "k": [0.4, 0.8, 0.6]})
    overall = pd.Series({"m": 0.3, "k": 0.5})
    between = aggregate_difference(by_group.to_numpy(), overall.to_numpy(), "between_groups")
    np.testing.assert_allclose(between, (by_group.max() - by_group.min()).to_numpy())
    to_overall = aggregate_difference(by_group.to_numpy(), overall.to_numpy(), "to_overall")
    np.testing.assert_allclose(to_overall, (by_group - overall).abs().max().to_numpy())
    ratio = aggregate_ratio(by_group.to_numpy(), overall.to_numpy(), "to_overall")
    ratios = by_group / overall
    np.testing.assert_allclose(ratio, ratios.where(ratios <= 1, 1 / ratios).min().to_numpy())  # m: 0.3/0.5
    assert ratio[0] == pytest.approx(0.6)
    all_nan = aggregate_difference(np.full((2, 1), np.nan), np.array([0.1]), "between_groups")
    assert np.isnan(all_nan).all()
    with pytest.raises(ValueError, match="method"):
        aggregate_ratio(by_group.to_numpy(), overall.to_numpy(), "pairwise")
