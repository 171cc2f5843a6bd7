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


def _who(tprs: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """A who-pays table with only a TPR per group, as who_pays_table lays it out."""
    columns = pd.MultiIndex.from_tuples([("tpr", "Female"), ("tpr", "Male")], names=["metric", "sex"])
    return pd.DataFrame(list(tprs.values()), index=pd.Index(list(tprs), name="method"), columns=columns)


def test_gap_changes_tells_levelling_down_from_levelling_up_and_from_a_reversal():
    from ppml_lessons.fairness.tradeoff import gap_changes

    who = _who({"baseline": (0.55, 0.60), "down": (0.55, 0.55), "up": (0.60, 0.60), "reversed": (0.66, 0.53),
                "same": (0.552, 0.598)})
    changes = gap_changes(who, reference="baseline")
    assert changes.attrs["better_off"] == "Male" and changes.attrs["worse_off"] == "Female"
    assert list(changes.index) == ["down", "up", "reversed", "same"]
    assert changes.loc["down", "levelled_down"] and changes.loc["down", "narrowed"]
    assert changes.loc["up", "narrowed"] and not changes.loc["up", "levelled_down"]
    assert not changes.loc["reversed", "narrowed"]  # |−0.13| is wider than 0.05: the gap did not narrow
    assert not changes.loc["same", "narrowed"]  # within the margin
    assert changes.loc["down", "better_off_change"] == pytest.approx(-0.05)
    assert changes.loc["up", "worse_off_change"] == pytest.approx(0.05)
    assert changes.loc["reversed", "gap"] == pytest.approx(-0.13)


def test_gap_changes_agrees_with_who_pays_table_on_real_decisions():
    from ppml_lessons.fairness.tradeoff import gap_changes

    rng = np.random.default_rng(3)
    group = rng.choice(["a", "b"], 400)
    y = rng.binomial(1, 0.5, 400)
    base = np.where(group == "a", y, y * rng.binomial(1, 0.5, 400))  # a: TPR 1, b: about 0.5
    down = np.where(group == "a", y * rng.binomial(1, 0.5, 400), base)  # a brought down to b
    who = who_pays_table(y, {"base": base, "down": down}, sensitive_features=group)
    row = gap_changes(who, reference="base", metric="tpr").loc["down"]
    tpr = lambda d, g: d[(group == g) & (y == 1)].mean()
    assert row["better_off_change"] == pytest.approx(tpr(down, "a") - tpr(base, "a"))
    assert row["worse_off_change"] == pytest.approx(0.0)
    assert row["levelled_down"]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"reference": "nope"}, "reference must be a row"),
    ({"reference": "baseline", "metric": "ppv"}, "metric must be one of"),
    ({"reference": "baseline", "margin": 1.5}, "margin"),
])
def test_gap_changes_rejects_bad_arguments(kwargs, match):
    from ppml_lessons.fairness.tradeoff import gap_changes

    with pytest.raises(ValueError, match=match):
        gap_changes(_who({"baseline": (0.5, 0.6)}), **kwargs)
    with pytest.raises(TypeError, match="who_pays"):
        gap_changes([1, 2], reference="baseline")


def test_gap_changes_needs_two_groups():
    from ppml_lessons.fairness.tradeoff import gap_changes

    who = who_pays_table([1, 1, 1, 0], {"base": [1, 0, 1, 0]}, sensitive_features=list("abca"), metrics=["tpr"])
    with pytest.raises(ValueError, match="exactly two groups"):
        gap_changes(who, reference="base")
