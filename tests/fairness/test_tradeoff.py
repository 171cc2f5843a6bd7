import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

from ppml_lessons.fairness.tradeoff import plot_tradeoff, tradeoff_table


def test_table_agrees_with_fairlearn():
    rng = np.random.default_rng(0)
    y, group = rng.integers(0, 2, 400), rng.choice(list("ab"), 400)
    decisions = {"m1": rng.integers(0, 2, 400), "m2": y.copy()}
    table = tradeoff_table(y, decisions, sensitive_features=group)
    for name, pred in decisions.items():
        assert table.loc[name, "accuracy"] == pytest.approx(np.mean(pred == y))
        assert table.loc[name, "dpd"] == pytest.approx(demographic_parity_difference(y, pred, sensitive_features=group))
        assert table.loc[name, "eod"] == pytest.approx(equalized_odds_difference(y, pred, sensitive_features=group))


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
    with pytest.raises(ValueError, match="table must have columns"):
        plot_tradeoff(pd.DataFrame({"accuracy": [0.5]}))
