"""Exercises of lesson 07 (measuring bias): disparate impact by hand, the largest FPR,
equal accuracy with unequal odds, and the FPR that Chouldechova's identity forces."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..data import load_adult
from ..data.features import ADULT_TARGET, adult_logistic_regression, compas_decisions
from ..fairness.metrics import GroupReport
from .core import Exercise, Incorrect

__all__ = ["q1", "q2", "q3", "q4", "DisparateImpactByHand", "LargestFalsePositiveRate", "EqualAccuracyUnequalOdds",
           "ImpliedFalsePositiveRate"]

#: The two groups of lesson 07's impossibility section.
COMPAS_RACES = ("African-American", "Caucasian")


@lru_cache(maxsize=1)
def _adult() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The lesson's Adult test split, its labels and the reference logistic regression's decisions."""
    train, test = load_adult()
    model = adult_logistic_regression().fit(train, train[ADULT_TARGET])
    return test, test[ADULT_TARGET].to_numpy(), (model.predict_proba(test)[:, 1] >= 0.5).astype(int)


@lru_cache(maxsize=1)
def _compas_all() -> pd.DataFrame:
    return compas_decisions()


@lru_cache(maxsize=1)
def _compas_report() -> GroupReport:
    compas = compas_decisions(races=list(COMPAS_RACES))
    return GroupReport(
        metrics=["count", "base_rate", "selection_rate", "precision", "fpr", "fnr"],
        y_true=compas["two_year_recid"],
        y_pred=compas["high_risk"],
        sensitive_features=compas["race"],
    )


def _number(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Incorrect(f"`{name}` should be one number; got {type(value).__name__}") from None
    if np.isnan(number):
        raise Incorrect(f"`{name}` is NaN; check for a division by zero")
    return number


class DisparateImpactByHand(Exercise):
    """Disparate impact of the logistic regression for women vs men, and the four-fifths rule."""

    variables = ("di_ratio", "passes_four_fifths")
    prompt = (
        "Set `di_ratio` to the women's selection rate divided by the men's (logistic regression `pred_lr` on "
        "`adult_test`), and `passes_four_fifths` to True or False."
    )
    hints = (
        "The selection rate is the share predicted positive: the mean of `pred_lr` over a group's rows. "
        "`(adult_test['sex'] == 'Female').to_numpy()` selects the women.",
        "The four-fifths rule passes when the ratio is at least 0.8.",
    )
    solution_code = """
        women = (adult_test["sex"] == "Female").to_numpy()
        di_ratio = pred_lr[women].mean() / pred_lr[~women].mean()
        passes_four_fifths = bool(di_ratio >= 0.8)
    """

    def namespace(self) -> dict[str, Any]:
        test, y_test, pred = _adult()
        return {"adult_test": test, "y_test": y_test, "pred_lr": pred}

    def check_answer(self, di_ratio: Any, passes_four_fifths: Any) -> None:
        test, y_test, pred = _adult()
        women = (test["sex"] == "Female").to_numpy()
        rate_w, rate_m = pred[women].mean(), pred[~women].mean()
        expected = rate_w / rate_m
        value = _number("di_ratio", di_ratio)
        if abs(value - 1 / expected) < 1e-3:
            raise Incorrect("that is the men's rate over the women's; divide the women's rate by the men's.")
        if abs(abs(value) - (rate_m - rate_w)) < 1e-3:
            raise Incorrect("that is a difference of selection rates (the DPD); disparate impact is their ratio.")
        if abs(value - y_test[women].mean() / y_test[~women].mean()) < 1e-3:
            raise Incorrect("that ratio uses the true labels (base rates); use the model's decisions `pred_lr`.")
        if min(abs(value - rate_w), abs(value - rate_m)) < 1e-3:
            raise Incorrect("that is one group's selection rate; divide the women's by the men's.")
        self.assert_close("di_ratio", value, expected, tol=1e-3)
        if not isinstance(passes_four_fifths, (bool, np.bool_)):
            raise Incorrect(f"`passes_four_fifths` should be True or False; got {passes_four_fifths!r}")
        if bool(passes_four_fifths) != bool(expected >= 0.8):
            raise Incorrect(
                f"`di_ratio` is right, but `passes_four_fifths` is not: the rule passes only if the ratio is "
                f"at least 0.8, and yours is {value:.3f}."
            )


class LargestFalsePositiveRate(Exercise):
    """The race group of COMPAS whose non-reoffenders are most often labelled high risk."""

    variables = ("largest_fpr_group",)
    prompt = (
        "Set `largest_fpr_group` to the race (a string) with the largest false positive rate in `compas_all` "
        "(decision `high_risk`, outcome `two_year_recid`)."
    )
    hints = (
        "Build a GroupReport with metrics=['fpr'] and sensitive_features=compas_all['race'].",
        "`report.by_group['fpr'].idxmax()` gives the group with the largest FPR. Look at every row, small ones too.",
    )
    solution_code = """
        report = GroupReport(metrics=["fpr"], y_true=compas_all["two_year_recid"], y_pred=compas_all["high_risk"],
                             sensitive_features=compas_all["race"])
        largest_fpr_group = report.by_group["fpr"].idxmax()
    """

    def namespace(self) -> dict[str, Any]:
        return {"compas_all": _compas_all(), "GroupReport": GroupReport}

    def check_answer(self, largest_fpr_group: Any) -> None:
        compas = _compas_all()
        by_group = GroupReport(
            metrics=["fpr", "fnr", "count"], y_true=compas["two_year_recid"], y_pred=compas["high_risk"],
            sensitive_features=compas["race"],
        ).by_group
        groups = list(by_group.index)
        if not isinstance(largest_fpr_group, str):
            raise Incorrect(f"`largest_fpr_group` should be a race name (a string); got {largest_fpr_group!r}")
        if largest_fpr_group not in groups:
            raise Incorrect(f"{largest_fpr_group!r} is not a race in `compas_all`; choose from {groups}.")
        fpr = by_group["fpr"]
        if largest_fpr_group == fpr.idxmin():
            raise Incorrect(f"{largest_fpr_group} has the smallest FPR ({fpr.min():.3f}); find the largest.")
        if largest_fpr_group == by_group["fnr"].idxmax():
            raise Incorrect(
                f"{largest_fpr_group} has the largest false *negative* rate; the FPR is FP / (FP + TN), "
                "the share of non-reoffenders labelled high risk."
            )
        large = by_group[by_group["count"] >= 100]
        if largest_fpr_group == large["fpr"].idxmax() != fpr.idxmax():
            raise Incorrect(
                f"{largest_fpr_group} has the largest FPR among the large groups; look at every row, "
                "however small the group."
            )
        if largest_fpr_group != fpr.idxmax():
            raise Incorrect(f"{largest_fpr_group}'s FPR is {fpr[largest_fpr_group]:.3f}; another group's is larger.")


class EqualAccuracyUnequalOdds(Exercise):
    """Two groups with the same accuracy that violate equalized odds."""

    variables = ("tpr_b", "fpr_b")
    prompt = (
        "Group A has base rate 0.5, TPR 0.9 and FPR 0.1 (accuracy 0.9). Group B has base rate 0.2. Choose "
        "`tpr_b` and `fpr_b` so that group B's accuracy is also 0.9 but the equalized odds difference is >= 0.2."
    )
    hints = (
        "Accuracy = base_rate * TPR + (1 - base_rate) * (1 - FPR). For group B: 0.2 * tpr_b + 0.8 * (1 - fpr_b).",
        "Try fpr_b = 0 and solve 0.2 * tpr_b + 0.8 = 0.9 for tpr_b.",
    )
    solution_code = """
        fpr_b = 0.0
        tpr_b = (0.9 - 0.8 * (1 - fpr_b)) / 0.2
    """

    def check_answer(self, tpr_b: Any, fpr_b: Any) -> None:
        tpr, fpr = _number("tpr_b", tpr_b), _number("fpr_b", fpr_b)
        for name, rate in (("tpr_b", tpr), ("fpr_b", fpr)):
            if not 0 <= rate <= 1:
                raise Incorrect(f"`{name}` = {rate:g} is not a rate: rates are shares between 0 and 1.")
        accuracy = 0.2 * tpr + 0.8 * (1 - fpr)
        if abs(accuracy - 0.9) > 1e-3:
            raise Incorrect(f"group B's accuracy is 0.2 * TPR + 0.8 * (1 - FPR) = {accuracy:.3f}, not 0.9.")
        gap = max(abs(0.9 - tpr), abs(0.1 - fpr))
        if gap < 0.2 - 1e-9:
            raise Incorrect(
                f"the accuracy is right, but the equalized odds difference max(|0.9 - TPR|, |0.1 - FPR|) is only "
                f"{gap:.3f}; move the TPR and FPR further from group A's."
            )


class ImpliedFalsePositiveRate(Exercise):
    """The FPR that equal PPV and FNR would force on white defendants in COMPAS."""

    variables = ("implied_fpr",)
    prompt = (
        "Suppose white defendants had the same PPV and FNR as Black defendants (`compas_report`). Using the white "
        "defendants' own base rate, set `implied_fpr` to the FPR that Chouldechova's identity forces."
    )
    hints = (
        "FPR = p / (1 - p) * (1 - PPV) / PPV * (1 - FNR), with p the base rate.",
        "Take p from `compas_report.by_group.loc['Caucasian', 'base_rate']` and PPV ('precision') and FNR from "
        "the 'African-American' row.",
    )
    solution_code = """
        black = compas_report.by_group.loc["African-American"]
        p = compas_report.by_group.loc["Caucasian", "base_rate"]
        implied_fpr = p / (1 - p) * (1 - black["precision"]) / black["precision"] * (1 - black["fnr"])
    """

    def namespace(self) -> dict[str, Any]:
        return {"compas_report": _compas_report()}

    def check_answer(self, implied_fpr: Any) -> None:
        rows = _compas_report().by_group
        black, white = rows.loc["African-American"], rows.loc["Caucasian"]
        factor = (1 - black["precision"]) / black["precision"] * (1 - black["fnr"])
        p = white["base_rate"]
        expected = p / (1 - p) * factor
        value = _number("implied_fpr", implied_fpr)
        if abs(value - black["fpr"]) < 1e-3:
            raise Incorrect("that is the Black defendants' own FPR: use the white defendants' base rate.")
        if abs(value - white["fpr"]) < 1e-3:
            raise Incorrect(
                "that is the white defendants' measured FPR; the question is what it would have to be if their PPV "
                "and FNR equalled the Black defendants'."
            )
        if abs(value - p * factor) < 1e-3:
            raise Incorrect("the identity uses the odds p / (1 - p), not the base rate p itself.")
        self.assert_close("implied_fpr", value, expected, tol=1e-3)


q1 = DisparateImpactByHand()
q2 = LargestFalsePositiveRate()
q3 = EqualAccuracyUnequalOdds()
q4 = ImpliedFalsePositiveRate()
