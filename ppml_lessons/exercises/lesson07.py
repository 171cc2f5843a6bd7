"""Exercises of lesson 07 (measuring bias): disparate impact by hand, the largest FPR,
equal accuracy with unequal odds, and the FPR that Chouldechova's identity forces."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..data import load_adult
from ..data.features import ADULT_TARGET, FAIRNESS_FEATURES, adult_logistic_regression, compas_decisions
from ..fairness.metrics import GroupReport
from ..fairness.uncertainty import wilson_interval
from .core import Exercise, Incorrect

__all__ = ["q1", "q2", "q3", "q4", "DisparateImpactByHand", "LargestFalsePositiveRate", "EqualAccuracyUnequalOdds",
           "ImpliedFalsePositiveRate"]

#: The two groups of lesson 07's impossibility section.
COMPAS_RACES = ("African-American", "Caucasian")
#: Exercise 2 compares FPRs only among groups with at least this many non-reoffenders.
MIN_NEGATIVES = 100


@lru_cache(maxsize=1)
def _adult() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The lesson's Adult test split, its labels and the reference model's decisions (no sex or race inputs)."""
    train, test = load_adult()
    model = adult_logistic_regression(features=FAIRNESS_FEATURES).fit(train, train[ADULT_TARGET])
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
        value = self.as_number("di_ratio", di_ratio)
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
    """The well-measured race group of COMPAS whose non-reoffenders are most often labelled high risk, and
    whether a six-person group's even larger FPR can be trusted."""

    variables = ("largest_fpr_group", "native_american_clearly_higher")
    prompt = (
        "Among the races in `compas_all` with at least `MIN_NEGATIVES` (100) non-reoffenders, set "
        "`largest_fpr_group` to the one (a string) with the largest false positive rate (decision `high_risk`, "
        "outcome `two_year_recid`). Then set `native_american_clearly_higher` to True or False: is the FPR of "
        "'Native American' clearly higher than that group's, given its 95% Wilson interval?"
    )
    hints = (
        "Build a GroupReport with metrics=['fpr'] and sensitive_features=compas_all['race']. Its `counts` "
        "table has the columns tn, fp, fn, tp: the non-reoffenders of a group are tn + fp.",
        "`report.by_group['fpr'][negatives >= MIN_NEGATIVES].idxmax()` gives the group. For the judgement, "
        "`wilson_interval(fp, tn + fp)` of 'Native American': is its lower end above the other group's FPR?",
    )
    solution_code = """
        report = GroupReport(metrics=["fpr"], y_true=compas_all["two_year_recid"], y_pred=compas_all["high_risk"],
                             sensitive_features=compas_all["race"])
        negatives = report.counts["tn"] + report.counts["fp"]
        largest_fpr_group = report.by_group["fpr"][negatives >= MIN_NEGATIVES].idxmax()
        low, high = wilson_interval(int(report.counts.loc["Native American", "fp"]), int(negatives["Native American"]))
        native_american_clearly_higher = bool(low > report.by_group.loc[largest_fpr_group, "fpr"])
    """

    def namespace(self) -> dict[str, Any]:
        return {"compas_all": _compas_all(), "GroupReport": GroupReport, "wilson_interval": wilson_interval,
                "MIN_NEGATIVES": MIN_NEGATIVES}

    def check_answer(self, largest_fpr_group: Any, native_american_clearly_higher: Any) -> None:
        compas = _compas_all()
        report = GroupReport(
            metrics=["fpr", "fnr", "count"], y_true=compas["two_year_recid"], y_pred=compas["high_risk"],
            sensitive_features=compas["race"],
        )
        by_group, counts = report.by_group, report.counts
        negatives = counts["tn"] + counts["fp"]
        groups = list(by_group.index)
        if not isinstance(largest_fpr_group, str):
            raise Incorrect(f"`largest_fpr_group` should be a race name (a string); got {largest_fpr_group!r}")
        if largest_fpr_group not in groups:
            raise Incorrect(f"{largest_fpr_group!r} is not a race in `compas_all`; choose from {groups}.")
        fpr = by_group["fpr"]
        if negatives[largest_fpr_group] < MIN_NEGATIVES:
            low, high = wilson_interval(int(counts.loc[largest_fpr_group, "fp"]), int(negatives[largest_fpr_group]))
            raise Incorrect(
                f"{largest_fpr_group}'s FPR ({fpr[largest_fpr_group]:.3f}) rests on only "
                f"{negatives[largest_fpr_group]} non-reoffenders (95% Wilson interval [{low:.2f}, {high:.2f}]); "
                f"the question asks among the groups with at least {MIN_NEGATIVES}."
            )
        large = fpr[negatives >= MIN_NEGATIVES]
        if largest_fpr_group == large.idxmin():
            raise Incorrect(f"{largest_fpr_group} has the smallest FPR of those groups ({large.min():.3f}); "
                            "find the largest.")
        if largest_fpr_group == by_group["fnr"][negatives >= MIN_NEGATIVES].idxmax() != large.idxmax():
            raise Incorrect(
                f"{largest_fpr_group} has the largest false *negative* rate; the FPR is FP / (FP + TN), "
                "the share of non-reoffenders labelled high risk."
            )
        if largest_fpr_group != large.idxmax():
            raise Incorrect(f"{largest_fpr_group}'s FPR is {fpr[largest_fpr_group]:.3f}; another group's is larger.")
        if not isinstance(native_american_clearly_higher, (bool, np.bool_)):
            raise Incorrect(
                f"`native_american_clearly_higher` should be True or False; got {native_american_clearly_higher!r}"
            )
        small = "Native American"
        low, high = wilson_interval(int(counts.loc[small, "fp"]), int(negatives[small]))
        clearly = bool(low > fpr[largest_fpr_group])
        if bool(native_american_clearly_higher) != clearly:
            raise Incorrect(
                f"`largest_fpr_group` is right, but the judgement is not: {small}'s FPR "
                f"{fpr[small]:.3f} rests on {negatives[small]} non-reoffenders, and its 95% Wilson interval "
                f"[{low:.2f}, {high:.2f}] {'lies above' if clearly else 'contains'} {largest_fpr_group}'s "
                f"{fpr[largest_fpr_group]:.3f}."
            )


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
        tpr, fpr = self.as_number("tpr_b", tpr_b), self.as_number("fpr_b", fpr_b)
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
        value = self.as_number("implied_fpr", implied_fpr)
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
