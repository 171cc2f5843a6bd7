"""Exercises of lesson 08 (mitigating bias): Kamiran–Calders weights by hand, a women's threshold that
equalizes the true positive rate on the validation split, and how many rows oversampling must add.

Like the lesson, they split Adult's training split into the part the models are trained on and a
validation split (:func:`~ppml_lessons.data.features.adult_validation_split`, seed 0); thresholds are
chosen on the validation split, never on the test split."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..data import load_adult
from ..data.features import ADULT_TARGET, FAIRNESS_FEATURES, adult_logistic_regression, adult_validation_split
from .core import Exercise, Incorrect

__all__ = ["q1", "q2", "q3", "ReweighingByHand", "EqualOpportunityThreshold", "OversamplingCount"]

#: The small table of q1: people by sex and label (1 = income over $50K).
TOY_COUNTS = pd.DataFrame({"label 0": [80, 90], "label 1": [20, 60]}, index=pd.Index(["Female", "Male"], name="sex"))


#: The lesson's seed and validation share.
SEED, VALIDATION_FRACTION = 0, 0.25


@lru_cache(maxsize=1)
def _splits() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The part of Adult's training split the lesson trains on, and its validation split."""
    parts = adult_validation_split(load_adult()[0], fraction=VALIDATION_FRACTION, rng=SEED)
    return parts[0].reset_index(drop=True), parts[1].reset_index(drop=True)


@lru_cache(maxsize=1)
def _scores() -> dict[str, tuple[pd.Series, np.ndarray, np.ndarray]]:
    """Split name -> (sex, labels, the baseline's scores) for the validation and the test split."""
    train, validation = _splits()
    test = load_adult()[1]
    model = adult_logistic_regression(features=FAIRNESS_FEATURES).fit(train, train[ADULT_TARGET])
    return {
        name: (frame["sex"], frame[ADULT_TARGET].to_numpy(), model.predict_proba(frame)[:, 1])
        for name, frame in (("validation", validation), ("test", test))
    }


def _tpr_gap(split: str, threshold: float) -> tuple[float, float]:
    """Women's TPR at ``threshold`` and men's at 0.5 on a split."""
    sex, y, score = _scores()[split]
    women = (sex == "Female").to_numpy()
    return float((score[women & (y == 1)] >= threshold).mean()), float((score[~women & (y == 1)] >= 0.5).mean())


class ReweighingByHand(Exercise):
    """Kamiran–Calders weights of the two positive cells of a small table."""

    variables = ("w_female_pos", "w_male_pos")
    prompt = (
        "`toy_counts` counts people by sex and label. Set `w_female_pos` and `w_male_pos` to the Kamiran–Calders "
        "weights of a woman and of a man with label 1: P(group) P(label) / P(group, label)."
    )
    hints = (
        "Divide the counts by their total (250) to get probabilities. P(Female) is the row total over 250, "
        "P(label 1) the column total over 250.",
        "For women with label 1: (100/250) * (80/250) / (20/250).",
    )
    solution_code = """
        n = toy_counts.to_numpy().sum()
        p_group = toy_counts.sum(axis=1) / n
        p_label = toy_counts.sum(axis=0) / n
        w_female_pos = p_group["Female"] * p_label["label 1"] / (toy_counts.loc["Female", "label 1"] / n)
        w_male_pos = p_group["Male"] * p_label["label 1"] / (toy_counts.loc["Male", "label 1"] / n)
    """

    def namespace(self) -> dict[str, Any]:
        return {"toy_counts": TOY_COUNTS.copy()}

    def check_answer(self, w_female_pos: Any, w_male_pos: Any) -> None:
        counts = TOY_COUNTS.to_numpy().astype(float)
        n = counts.sum()
        expected = np.outer(counts.sum(1), counts.sum(0)) / n / counts  # rows Female, Male; columns label 0, 1
        values = {name: self.as_number(name, value) for name, value in (("w_female_pos", w_female_pos),
                                                                   ("w_male_pos", w_male_pos))}
        for name, row in (("w_female_pos", 0), ("w_male_pos", 1)):
            value = values[name]
            if abs(value - 1 / expected[row, 1]) < 1e-3 and abs(expected[row, 1] - 1) > 1e-3:
                raise Incorrect(f"`{name}` is upside down: P(group) P(label) goes on top, P(group, label) below.")
            if abs(value - expected[row, 0]) < 1e-3:
                raise Incorrect(f"`{name}` is the weight of label 0; the question asks for label 1.")
        if (values["w_female_pos"], values["w_male_pos"]) in {(1.5, 0.5), (0.5, 1.5)}:
            raise Incorrect("those are hand-picked weights per sex; compute them from the table's counts.")
        self.assert_close("w_female_pos", values["w_female_pos"], expected[0, 1], tol=1e-3)
        self.assert_close("w_male_pos", values["w_male_pos"], expected[1, 1], tol=1e-3)


class EqualOpportunityThreshold(Exercise):
    """A threshold for women whose TPR matches the men's at threshold 0.5, chosen on the validation split."""

    variables = ("threshold_female",)
    prompt = (
        "Men keep the threshold 0.5 on the baseline's scores. Using the validation split (`score_val`, `y_val`, "
        "`sex_val`), set `threshold_female` so that women's true positive rate is within 0.01 of the men's."
    )
    hints = (
        "The TPR of a group at threshold t is the share of its positives (y_val == 1) with score >= t.",
        "Try `np.linspace(0.05, 0.95, 181)` and keep the threshold whose women's TPR is closest to the men's. "
        "Choose it on the validation split: the test split only scores.",
    )
    solution_code = """
        women = (sex_val == "Female").to_numpy()
        tpr_men = (score_val[~women & (y_val == 1)] >= 0.5).mean()
        positives_women = score_val[women & (y_val == 1)]
        grid = np.linspace(0.05, 0.95, 181)
        gaps = [abs((positives_women >= t).mean() - tpr_men) for t in grid]
        threshold_female = float(grid[int(np.argmin(gaps))])
    """

    def namespace(self) -> dict[str, Any]:
        sex, y, score = _scores()["validation"]
        return {"np": np, "score_val": score, "y_val": y, "sex_val": sex}

    def check_answer(self, threshold_female: Any) -> None:
        value = self.as_number("threshold_female", threshold_female)
        if not 0 <= value <= 1:
            raise Incorrect(f"`threshold_female` = {value:.3g} is not a probability threshold; pick one in [0, 1].")
        tpr_women, tpr_men = _tpr_gap("validation", value)
        if abs(tpr_women - tpr_men) <= 0.01:
            return
        test_women, test_men = _tpr_gap("test", value)
        if abs(test_women - test_men) <= 0.01:
            raise Incorrect(
                "that threshold equalizes the TPRs on the *test* split; choose it on the validation split "
                f"(`score_val`, `y_val`, `sex_val`), where women's TPR at {value:.3f} is {tpr_women:.3f} and "
                f"men's {tpr_men:.3f}. A threshold tuned on the test split makes the test score optimistic."
            )
        sex, y, score = _scores()["validation"]
        women = (sex == "Female").to_numpy()
        if abs((score[women] >= value).mean() - (score[~women] >= 0.5).mean()) <= 0.01:
            raise Incorrect(
                "with that threshold women are *selected* as often as men (demographic parity); the question asks "
                "for equal true positive rates: compare the shares among people with y_val == 1 only."
            )
        direction = "lower" if tpr_women < tpr_men else "higher"
        raise Incorrect(
            f"at {value:.3f} women's TPR is {tpr_women:.3f}, men's is {tpr_men:.3f} (validation split): "
            f"the threshold for women must be {direction}."
        )


class OversamplingCount(Exercise):
    """How many extra women with label 1 give women Adult's overall base rate."""

    variables = ("n_added",)
    prompt = (
        "In `adult_train` (the rows the lesson trains on), women have a lower base rate than the data as a whole. "
        "How many copies of women with label 1 must random oversampling add so that women's base rate equals the "
        "overall base rate p of `adult_train`? Round to the nearest integer."
    )
    hints = (
        "With n_f women, of whom n_f1 have label 1, adding a positives gives the rate (n_f1 + a) / (n_f + a).",
        "Solve (n_f1 + a) / (n_f + a) = p for a: a = (p n_f - n_f1) / (1 - p).",
    )
    solution_code = """
        p = adult_train["income_over_50k"].mean()
        women = adult_train[adult_train["sex"] == "Female"]
        n_f, n_f1 = len(women), women["income_over_50k"].sum()
        n_added = round((p * n_f - n_f1) / (1 - p))
    """

    def namespace(self) -> dict[str, Any]:
        return {"adult_train": _splits()[0]}

    def check_answer(self, n_added: Any) -> None:
        train = _splits()[0]
        p = train[ADULT_TARGET].mean()
        women = train[train["sex"] == "Female"]
        n_f, n_f1 = len(women), int(women[ADULT_TARGET].sum())
        expected = (p * n_f - n_f1) / (1 - p)
        value = self.as_number("n_added", n_added)
        if abs(value - (p * n_f - n_f1)) < 1:
            raise Incorrect(
                "that many positives would be right if the added rows did not also enlarge the group; "
                "each added row increases the denominator n_f too: solve (n_f1 + a) / (n_f + a) = p."
            )
        if abs(value - (n_f1 / p - n_f)) < 1 or value < 0:
            raise Incorrect("women need more *positives* (label 1), not more negatives; their base rate is below p.")
        self.assert_close("n_added", value, expected, tol=0.5 + 1e-9)


q1 = ReweighingByHand()
q2 = EqualOpportunityThreshold()
q3 = OversamplingCount()
