"""Exercises of lesson 05 (membership inference): TPR at a low FPR from scores, the loss-threshold
attack, and reading the bound that differential privacy puts on any attack."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..attacks.membership import dp_tpr_bound, roc_auc, tpr_at_fpr
from .core import Exercise, Incorrect

__all__ = ["q1", "q2", "q3", "exercise_scores", "TprAtLowFpr", "LossThresholdAttack", "ReadTheDpBound"]


def exercise_scores() -> tuple[np.ndarray, np.ndarray]:
    """The attack scores and the truth of exercise 1: 1,000 members and 2,000 non-members (seeded).

    Examples
    --------
    >>> scores, is_member = exercise_scores()
    >>> scores.shape, int(is_member.sum())
    ((3000,), 1000)
    """
    rng = np.random.default_rng(5)
    members = np.r_[rng.normal(0.5, 1.0, 950), rng.normal(4.0, 0.5, 50)]  # most look ordinary, a few stand out
    non_members = rng.normal(0.0, 1.0, 2000)
    order = rng.permutation(3000)
    scores = np.r_[members, non_members][order]
    is_member = np.r_[np.ones(1000, bool), np.zeros(2000, bool)][order]
    return scores, is_member


class TprAtLowFpr(Exercise):
    """TPR at 1% FPR, from the scores, by hand."""

    variables = ("tpr_1pct",)
    prompt = (
        "Set `tpr_1pct` to the attack's true-positive rate at 1% false-positive rate: pick the threshold that "
        "lets through at most 1% of the non-members in `demo_scores`, and count the members above it."
    )
    hints = (
        "The threshold comes from the non-members only: with 2,000 non-members, at most 20 of them may score "
        "at or above it. `np.sort(demo_scores[~demo_is_member])` lists them.",
        "threshold = the 20th largest non-member score, nudged up a hair, or simply the 21st largest: "
        "`np.sort(demo_scores[~demo_is_member])[-21]`; then the share of members strictly above it: "
        "`np.mean(demo_scores[demo_is_member] > threshold)`.",
    )
    solution_code = """
        non_member_scores = np.sort(demo_scores[~demo_is_member])
        threshold = non_member_scores[-21]  # 20 non-members (1% of 2,000) lie strictly above it
        tpr_1pct = np.mean(demo_scores[demo_is_member] > threshold)
        # the same: tpr_at_fpr(demo_scores, demo_is_member, fpr=0.01)
    """

    def namespace(self) -> dict[str, Any]:
        scores, is_member = exercise_scores()
        return {"np": np, "demo_scores": scores, "demo_is_member": is_member}

    def check_answer(self, tpr_1pct: Any) -> None:
        value = self.as_number("tpr_1pct", tpr_1pct)
        scores, is_member = exercise_scores()
        expected = tpr_at_fpr(scores, is_member, fpr=0.01)
        if math.isclose(value, 0.01, abs_tol=1e-9):
            raise Incorrect("0.01 is the false-positive rate you were given; the exercise asks for the TPR there.")
        if math.isclose(value, roc_auc(scores, is_member), abs_tol=1e-6):
            raise Incorrect("that is the AUC, an average over all thresholds; the exercise asks about one threshold.")
        everyone_threshold = np.sort(scores)[-31]  # 1% of all 3,000 scores, members included
        if math.isclose(value, np.mean(scores[is_member] > everyone_threshold), abs_tol=1e-9):
            raise Incorrect("take the threshold from the non-members' scores only: the FPR counts non-members.")
        if math.isclose(value, expected * is_member.sum(), abs_tol=1e-9):
            raise Incorrect("that is a count of members; divide by the number of members.")
        if value > 1 or value < 0:
            raise Incorrect(f"a rate lies in [0, 1]; got {value:.4g}. Divide the count by the number of members.")
        self.assert_close("tpr_1pct", value, expected, tol=1.5 / is_member.sum())


def _attack_cases() -> list[tuple[np.ndarray, float]]:
    rng = np.random.default_rng(11)
    return [
        (np.array([0.01, 0.2, 0.5, 1.3, 2.0]), 0.5),
        (rng.exponential(0.7, size=50), 0.3),
        (rng.exponential(2.0, size=200), 1.0),
    ]


class LossThresholdAttack(Exercise):
    """Write the loss-threshold attack of Yeom et al. (2018)."""

    variables = ("loss_attack",)
    prompt = (
        "Complete `loss_attack(losses, threshold)` so that it returns a boolean array: True (\"member\") for "
        "each example whose loss is at most `threshold`."
    )
    hints = (
        "A model fits its training examples better than new ones: members tend to have a *low* loss.",
        "With NumPy, comparing an array to a number gives a boolean array: `np.asarray(losses) <= threshold`.",
    )
    solution_code = """
        def loss_attack(losses, threshold):
            return np.asarray(losses) <= threshold
    """

    def namespace(self) -> dict[str, Any]:
        return {"np": np}

    def check_answer(self, loss_attack: Any) -> None:
        if not callable(loss_attack):
            raise Incorrect(f"`loss_attack` should be a function; got {type(loss_attack).__name__}")
        for losses, threshold in _attack_cases():
            result = self.call(loss_attack, losses.copy(), threshold)
            guesses = np.asarray(result)
            expected = losses <= threshold
            if guesses.shape != expected.shape:
                raise Incorrect(f"return one guess per example: {len(losses)} losses should give an array of "
                                f"shape {expected.shape}; got shape {guesses.shape}")
            if guesses.dtype != bool and not np.all(np.isin(guesses, (0, 1))):
                raise Incorrect("return True/False guesses (member or not), not the losses themselves.")
            guesses = guesses.astype(bool)
            if np.array_equal(guesses, ~expected):
                raise Incorrect("the guesses are reversed: members have a *low* loss, so guess member when "
                                "the loss is at most the threshold.")
            if not np.array_equal(guesses, expected):
                wrong = int(np.sum(guesses != expected))
                raise Incorrect(f"for losses {np.round(losses[:5], 3).tolist()}... and threshold {threshold}, "
                                f"{wrong} of the {len(losses)} guesses are wrong.")


class ReadTheDpBound(Exercise):
    """The most any attack can achieve against a DP model, at one FPR."""

    variables = ("max_tpr",)
    prompt = (
        "A model was trained with (ε = 2, δ = 1e-5)-DP. Set `max_tpr` to the highest true-positive rate any "
        "membership attack can reach against it at a false-positive rate of 1%."
    )
    hints = (
        "(ε, δ)-DP bounds every attack: TPR ≤ e^ε · FPR + δ (and the symmetric bound, which is looser here).",
        "`np.exp(2) * 0.01 + 1e-5`, or read it off the bound line in the ROC figure at FPR = 10^-2.",
    )
    solution_code = """
        max_tpr = np.exp(2) * 0.01 + 1e-5
        # the same: float(dp_tpr_bound(0.01, epsilon=2, delta=1e-5))
    """

    def namespace(self) -> dict[str, Any]:
        return {"np": np}

    def check_answer(self, max_tpr: Any) -> None:
        value = self.as_number("max_tpr", max_tpr)
        expected = float(dp_tpr_bound(0.01, epsilon=2.0, delta=1e-5))
        if math.isclose(value, math.exp(2), rel_tol=1e-4) or math.isclose(value, math.exp(2) + 1e-5, rel_tol=1e-4):
            raise Incorrect("e^ε is the factor; multiply it by the FPR (0.01).")
        if math.isclose(value, 2 * 0.01 + 1e-5, rel_tol=1e-4) or math.isclose(value, 2 * 0.01, rel_tol=1e-4):
            raise Incorrect("the factor is e^ε, not ε.")
        if math.isclose(value, math.exp(2) * 0.01, rel_tol=1e-7):
            raise Incorrect("almost: add δ, the small probability with which the guarantee may fail.")
        if math.isclose(value, math.exp(2) * 0.001 + 1e-5, rel_tol=1e-4):
            raise Incorrect("1% is 0.01, not 0.001.")
        self.assert_close("max_tpr", value, expected, tol=1e-7)


q1 = TprAtLowFpr()
q2 = LossThresholdAttack()
q3 = ReadTheDpBound()
