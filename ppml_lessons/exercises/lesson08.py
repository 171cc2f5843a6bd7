"""Exercises of lesson 08 (mitigating bias): Kamiran–Calders weights by hand, a women's threshold that
equalizes the true positive rate (chosen on the validation split, never on the test split), and how
many rows oversampling must add."""

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


@lru_cache(maxsize=1)
def _validation_scores() -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Lesson 08's baseline (no sex or race inputs, fitted on the fit part of Adult's training split):
    the validation split's sex, labels and scores."""
    fit_part, validation = adult_validation_split(load_adult()[0], rng=0)
    model = adult_logistic_regression(features=FAIRNESS_FEATURES).fit(fit_part, fit_part[ADULT_TARGET])
    return validation["sex"], validation[ADULT_TARGET].to_numpy(), model.predict_proba(validation)[:, 1]


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
    """A threshold for women whose validation TPR matches the men's at threshold 0.5."""

    variables = ("threshold_female",)
    prompt = (
        "Men keep the threshold 0.5 on `score_val` (the baseline's probability on the validation split). Set "
        "`threshold_female` so that women's true positive rate on the validation split is as close as possible to "
        "the men's (within 0.01). The test split is only for scoring the rule afterwards."
    )
    hints = (
        "The TPR of a group at threshold t is the share of its positives (y_val == 1) with score >= t.",
        "Try `np.linspace(0.05, 0.95, 181)` and keep the threshold whose women's TPR is closest to the men's.",
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
        sex, y, score = _validation_scores()
        return {"np": np, "score_val": score, "y_val": y, "sex_val": sex}

    def check_answer(self, threshold_female: Any) -> None:
        sex, y, score = _validation_scores()
        value = self.as_number("threshold_female", threshold_female)
        if not 0 <= value <= 1:
            raise Incorrect(f"`threshold_female` = {value:.3g} is not a probability threshold; pick one in [0, 1].")
        women = (sex == "Female").to_numpy()
        tpr_men = (score[~women & (y == 1)] >= 0.5).mean()
        tpr_women = (score[women & (y == 1)] >= value).mean()
        if abs(tpr_women - tpr_men) <= 0.01:
            return
        sel_men = (score[~women] >= 0.5).mean()
        if abs((score[women] >= value).mean() - sel_men) <= 0.01:
            raise Incorrect(
                "with that threshold women are *selected* as often as men (demographic parity); the question asks "
                "for equal true positive rates: compare the shares among people with y_val == 1 only."
            )
        direction = "lower" if tpr_women < tpr_men else "higher"
        raise Incorrect(
            f"at {value:.3f} women's validation TPR is {tpr_women:.3f}, men's is {tpr_men:.3f}: "
            f"the threshold for women must be {direction}."
        )


class OversamplingCount(Exercise):
    """How many extra women with label 1 give women Adult's overall base rate."""

    variables = ("n_added",)
    prompt = (
        "In `adult_train`, women have a lower base rate than the data as a whole. How many copies of women with "
        "label 1 must random oversampling add so that women's base rate equals the overall base rate p of the "
        "original data? Round to the nearest integer."
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
        return {"adult_train": load_adult()[0]}

    def check_answer(self, n_added: Any) -> None:
        train = load_adult()[0]
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
