import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

from ppml_lessons.fairness.tradeoff import plot_tradeoff, tradeoff_table, who_pays_table


def test_table_agrees_with_fairlearn():
    rng = np.random.default_rng(0)
    y, group = rng.integers(0, 2, 400), rng.choice(list("ab"), 400)
    decisions = {"m1": rng.integers(0, 2, 400), "m2": y.copy()}
    table = tradeoff_table(y, decisions, sensitive_features=group)
    for name, pred in decisions.items():
        assert table.loc[name, "accuracy"] == pytest.approx(np.mean(pred == y))
        assert table.loc[name, "dpd"] == pytest.approx(demographic_parity_difference(y, pred, sensitive_features=group))
        assert table.loc[name, "eod"] == pytest.approx(equalized_odds_difference(y, pred, sensitive_features=group))


def test_who_pays_table_agrees_with_fairlearn_for_every_method_and_group():
    rng = np.random.default_rng(1)
    y, group = rng.integers(0, 2, 500), rng.choice(["men", "women", "other"], 500)
    decisions = {"m1": rng.integers(0, 2, 500), "m2": (rng.random(500) < 0.3).astype(int)}
    table = who_pays_table(y, decisions, sensitive_features=pd.Series(group, name="sex"))
    assert list(table.index) == ["m1", "m2"] and table.columns.names == ["metric", "sex"]
    functions = {"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate}
    for name, pred in decisions.items():
        frame = MetricFrame(metrics=functions, y_true=y, y_pred=pred, sensitive_features=group).by_group
        for metric in functions:
            for g in ["men", "women", "other"]:
                assert table.loc[name, (metric, g)] == pytest.approx(frame.loc[g, metric], abs=1e-12)


def test_plot_draws_one_point_per_method_and_the_paths():
    table = pd.DataFrame({"accuracy": [0.8, 0.7, 0.75], "dpd": [0.2, 0.0, 0.1], "eod": [0.1, 0.2, 0.0]},
                         index=["a", "b", "c"])
    axes = plot_tradeoff(table, paths={"sweep": table.iloc[:2]})
    assert len(axes) == 2
    assert len(axes[0].collections) == 3 and len(axes[0].lines) == 1
    plt.close("all")


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="decisions"):
        tradeoff_table([1, 0], {}, sensitive_features=["a", "b"])
    with pytest.raises(TypeError, match="decisions"):
        tradeoff_table([1, 0], [[1, 0]], sensitive_features=["a", "b"])
    with pytest.raises(ValueError, match="decisions"):
        who_pays_table([1, 0], {}, sensitive_features=["a", "b"])
    with pytest.raises(ValueError, match="metrics"):
        who_pays_table([1, 0], {"m": [1, 0]}, sensitive_features=["a", "b"], metrics=["happiness"])
    with pytest.raises(ValueError, match="table must have columns"):
        plot_tradeoff(pd.DataFrame({"accuracy": [0.5]}))
