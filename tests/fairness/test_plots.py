import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ppml_lessons.fairness.calibration import calibration_table  # noqa: E402
from ppml_lessons.fairness.metrics import GroupReport  # noqa: E402
from ppml_lessons.fairness.plots import group_label, group_metric_bars, reliability_diagram  # noqa: E402
from ppml_lessons.fairness.uncertainty import bootstrap_intervals  # noqa: E402


def teardown_function():
    plt.close("all")


@pytest.fixture(scope="module")
def report():
    rng = np.random.default_rng(0)
    n = 600
    features = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "race": rng.choice(["x", "y", "z"], n)})
    y_true = rng.integers(0, 2, n)
    y_pred = np.where(rng.random(n) < 0.8, y_true, 1 - y_true)
    return GroupReport(y_true=y_true, y_pred=y_pred, sensitive_features=features)


def test_group_metric_bars_draws_one_panel_per_metric_with_intervals(report):
    intervals = bootstrap_intervals(report, n_boot=100, rng=0)
    fig = group_metric_bars(report, metrics=["count", "tpr", "fpr", "accuracy"], intervals=intervals, ncols=3)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 4
    tpr_axis = visible[1]
    assert [p.get_width() for p in tpr_axis.patches] == pytest.approx(report.by_group["tpr"].tolist())
    fig.canvas.draw()
    assert visible[0].get_yticklabels()[0].get_text() == "F & x"
    assert tpr_axis.get_title() == "true positive rate"
    assert "90%" not in fig._suptitle.get_text() and "95%" in fig._suptitle.get_text()
    assert visible[0].get_xscale() == "log" and tpr_axis.get_xlim()[0] == 0


def test_group_label_joins_intersections():
    assert group_label(("F", "x")) == "F & x" and group_label("F") == "F"


def test_reliability_diagram_draws_one_curve_per_group():
    rng = np.random.default_rng(1)
    score = rng.random(500)
    group = pd.Series(rng.choice(["a", "b"], 500), name="g")
    table = calibration_table((rng.random(500) < score).astype(int), score, sensitive_features=group, n_bins=5)
    ax = reliability_diagram(table, title="t")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["calibrated", "a", "b"]
    assert ax.get_title() == "t"


def test_bad_arguments_are_named(report):
    other = GroupReport(metrics=["tpr"], y_true=[0, 1], y_pred=[0, 1], sensitive_features=["a", "a"])
    with pytest.raises(ValueError, match="metrics"):
        group_metric_bars(report, metrics=["recall"])
    with pytest.raises(ValueError, match="intervals"):
        group_metric_bars(report, intervals=bootstrap_intervals(other, n_boot=10, rng=0))
    with pytest.raises(TypeError, match="report"):
        group_metric_bars(report.by_group)
    with pytest.raises(ValueError, match="table"):
        reliability_diagram(pd.DataFrame({"bin": [0]}))
