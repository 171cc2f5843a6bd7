"""Chouldechova's identity holds exactly on any confusion counts."""

import numpy as np
import pytest

from ppml_lessons.fairness.impossibility import implied_false_positive_rate
from ppml_lessons.fairness.metrics import GroupReport


def test_identity_holds_on_random_classifiers():
    rng = np.random.default_rng(0)
    n = 5000
    group = rng.choice(["a", "b", "c"], size=n)
    y_true = (rng.random(n) < np.where(group == "a", 0.5, 0.3)).astype(int)
    y_pred = (rng.random(n) < np.where(y_true == 1, 0.6, 0.2)).astype(int)
    by_group = GroupReport(
        metrics=["base_rate", "precision", "fnr", "fpr"], y_true=y_true, y_pred=y_pred, sensitive_features=group
    ).by_group
    implied = implied_false_positive_rate(
        by_group["base_rate"].to_numpy(), ppv=by_group["precision"].iloc[0], fnr=by_group["fnr"].iloc[0]
    )
    assert abs(implied[0] - by_group["fpr"].iloc[0]) <= 1e-12
    for _, row in by_group.iterrows():
        value = implied_false_positive_rate(row["base_rate"], ppv=row["precision"], fnr=row["fnr"])
        assert abs(value - row["fpr"]) <= 1e-12


def test_equal_ppv_and_fnr_force_fpr_to_grow_with_the_base_rate():
    rates = np.array([0.2, 0.4, 0.6])
    fpr = implied_false_positive_rate(rates, ppv=0.7, fnr=0.3)
    assert np.all(np.diff(fpr) > 0)
    # the ratio of FPRs is the ratio of the odds of the base rates
    assert fpr[2] / fpr[0] == pytest.approx((0.6 / 0.4) / (0.2 / 0.8), rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"base_rate": 1.0}, ValueError, "base_rate"),
        ({"base_rate": np.array([0.2, 0.0])}, ValueError, "base_rate"),
        ({"base_rate": "0.3"}, TypeError, "base_rate"),
        ({"ppv": 0.0}, ValueError, "ppv"),
        ({"fnr": 1.5}, ValueError, "fnr"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    arguments = {"base_rate": 0.3, "ppv": 0.6, "fnr": 0.3, **kwargs}
    base_rate = arguments.pop("base_rate")
    with pytest.raises(error, match=match):
        implied_false_positive_rate(base_rate, **arguments)
