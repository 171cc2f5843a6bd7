"""Exercises of lesson 09 (explainability): Shapley values by hand, efficiency on a SHAP output, the proxy."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..data import load_adult
from ..explain.shapley import exact_shapley_values
from ..explain.tabular import ADULT_TREE_FEATURES, adult_gradient_boosting, attribution_gap, encode_adult_ordinal
from .core import Exercise, Incorrect

__all__ = ["q1", "q2", "q3", "ShapleyByHand", "ProbabilityFromShap", "FindTheProxy", "toy_function"]

#: The instance and baseline of q1.
TOY_X = (2.0, 1.0, 3.0)

#: The setup cell of lesson 09: its seed, and the sizes of the background and of the explained sample.
SEED, N_BACKGROUND, N_EXPLAIN = 0, 50, 500


def toy_function(x1: float, x2: float, x3: float) -> float:
    """q1's model: ``f(x1, x2, x3) = x1 + 2 * x2 * x3``."""
    return x1 + 2 * x2 * x3


@lru_cache(maxsize=2)
def _tree_audit(with_sex: bool) -> tuple[pd.DataFrame, np.ndarray, float, np.ndarray]:
    """Interventional Tree SHAP (log-odds) of lesson 09's boosted model, with or without sex, as the notebook has it.

    The notebook's first two draws from its generator ``seed_everything(SEED)`` pick the background
    (``N_BACKGROUND`` training rows) and the ``N_EXPLAIN`` explained test people; the same draws here
    give the same people, so that q2 and q3 grade the values the learner sees (``tree_shap``,
    ``shap_no_sex``). The test suite runs each solution in the executed notebook to keep the two equal.
    """
    import shap

    train, test = load_adult()
    split = encode_adult_ordinal(train, test)
    rng = np.random.default_rng(SEED)
    background = split.x_train[rng.choice(len(split.x_train), N_BACKGROUND, replace=False)]
    rows = rng.choice(len(split.x_test), N_EXPLAIN, replace=False)
    columns = [c for c in ADULT_TREE_FEATURES if with_sex or c != "sex"]
    if not with_sex:
        background = background[:, [split.feature_names.index(c) for c in columns]]
        split = encode_adult_ordinal(train, test, columns=columns)
    model = adult_gradient_boosting(rng=SEED).fit(split.x_train, split.y_train)
    explainer = shap.TreeExplainer(model, data=background, feature_perturbation="interventional")
    values = pd.DataFrame(explainer.shap_values(split.x_test[rows]), columns=columns)
    is_woman = test["sex"].to_numpy()[rows] == "Female"
    probability = model.predict_proba(split.x_test[rows])[:, 1]
    return values, is_woman, float(np.ravel(explainer.expected_value)[0]), probability


def _numbers(name: str, value: Any, size: int) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float).ravel()
    except (TypeError, ValueError):
        raise Incorrect(f"`{name}` should be {size} numbers; got {value!r}") from None
    if array.size != size:
        raise Incorrect(f"`{name}` should hold {size} numbers; got {array.size}")
    return array


class ShapleyByHand(Exercise):
    """Shapley values of a three-feature toy function, worked out from the coalitions."""

    variables = ("phi",)
    prompt = (
        "The model is f(x1, x2, x3) = x1 + 2*x2*x3. Explain the instance x = (2, 1, 3) against the baseline "
        "(0, 0, 0): a feature outside a coalition takes its baseline value. Set `phi` to the list "
        "[phi1, phi2, phi3] of the three Shapley values, worked out by hand (or with a few lines of code)."
    )
    hints = (
        "List the 8 coalitions and their values v(S) = f(x_S, 0 elsewhere): v({}) = 0, v({1}) = 2, "
        "v({2, 3}) = 6, v({1, 2, 3}) = 8, ...",
        "x1 enters additively, so it always adds 2. x2 and x3 play symmetric roles in the product 2*x2*x3, "
        "which is non-zero only when both are present: they split it equally.",
    )
    solution_code = """
        phi = [2.0, 3.0, 3.0]
    """

    def namespace(self) -> dict[str, Any]:
        return {"toy_function": toy_function}

    def check_answer(self, phi: Any) -> None:
        values = _numbers("phi", phi, 3)
        expected = exact_shapley_values(
            lambda z: toy_function(z[:, 0], z[:, 1], z[:, 2]), np.array(TOY_X), background=np.zeros((1, 3))
        ).values[0]
        total = toy_function(*TOY_X) - toy_function(0, 0, 0)
        leave_one_out = [total - toy_function(*[0.0 if j == i else v for j, v in enumerate(TOY_X)]) for i in range(3)]
        alone = [toy_function(*[v if j == i else 0.0 for j, v in enumerate(TOY_X)]) for i in range(3)]
        if np.allclose(values, expected, atol=1e-6):
            return
        if np.allclose(values, leave_one_out):
            raise Incorrect(
                "those are leave-one-out effects: x2 and x3 each claim the whole product, so they add up to "
                f"{sum(leave_one_out):g}, not f(x) - f(0) = {total:g}. Average over the orders of joining."
            )
        if np.allclose(values, alone):
            raise Incorrect(
                "those are the effects of each feature joining first, alone; the product needs both x2 and x3."
            )
        if not np.isclose(values.sum(), total):
            raise Incorrect(f"your values add up to {values.sum():g}; efficiency says they must sum to {total:g}.")
        raise Incorrect("the sum is right but the split is not: x1 enters additively; x2 and x3 are symmetric.")


class ProbabilityFromShap(Exercise):
    """Rebuild the model's probability from a TreeExplainer output: efficiency on the log-odds scale."""

    variables = ("p_from_shap",)
    prompt = (
        "`tree_shap` holds section 2's interventional Tree SHAP values (log-odds scale) of the boosted model for "
        "the 500 explained test people, and `base_value` is E[f] on that scale. Set `p_from_shap` to the model's "
        "predicted probability for the first person (row 0, the waterfall's person), computed only from "
        "`tree_shap` and `base_value`."
    )
    hints = (
        "Efficiency: base_value + the sum of the row's SHAP values equals the model's output f(x).",
        "The output is on the log-odds scale; the probability is 1 / (1 + exp(-f(x))).",
    )
    solution_code = """
        log_odds = base_value + tree_shap.iloc[0].sum()
        p_from_shap = 1 / (1 + np.exp(-log_odds))
    """

    def namespace(self) -> dict[str, Any]:
        values, _, base, _ = _tree_audit(True)
        return {"tree_shap": values.copy(), "base_value": base, "np": np}

    def check_answer(self, p_from_shap: Any) -> None:
        values, _, base, probability = _tree_audit(True)
        value = self.as_number("p_from_shap", p_from_shap)
        total = float(values.iloc[0].sum())
        expected = float(probability[0])
        sigmoid = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
        if abs(value - expected) <= 1e-6:
            return
        if abs(value - (base + total)) < 1e-6:
            raise Incorrect("that is f(x) on the log-odds scale; turn it into a probability with the sigmoid.")
        if abs(value - sigmoid(total)) < 1e-6:
            raise Incorrect("you left out `base_value`: efficiency is base_value + sum of SHAP values = f(x).")
        if abs(value - sigmoid(base)) < 1e-6:
            raise Incorrect("that is the average prediction (from `base_value` alone); add the person's SHAP values.")
        if not 0 <= value <= 1:
            raise Incorrect(f"{value:.4g} is not a probability; the sigmoid maps log-odds into (0, 1).")
        raise Incorrect(f"{value:.4g} is not the model's probability for row 0; use row 0 of `tree_shap`.")



class FindTheProxy(Exercise):
    """Which feature carries the gap between women and men once sex is removed from the model?"""

    variables = ("proxy",)
    prompt = (
        "`shap_no_sex` holds Tree SHAP values (log-odds) of the boosted model retrained WITHOUT sex, for 500 test "
        "people; `is_woman` marks the women. Set `proxy` to the name of the feature whose attributions differ "
        "most between women and men (largest absolute gap of mean SHAP value): the model's main proxy for sex."
    )
    hints = (
        "For each column, compare `shap_no_sex[is_woman].mean()` with `shap_no_sex[~is_woman].mean()`.",
        "Take the absolute difference and its `idxmax()`.",
    )
    solution_code = """
        gap = shap_no_sex[is_woman].mean() - shap_no_sex[~is_woman].mean()
        proxy = gap.abs().idxmax()
    """

    def namespace(self) -> dict[str, Any]:
        values, is_woman, _, _ = _tree_audit(False)
        return {"shap_no_sex": values.copy(), "is_woman": is_woman.copy()}

    def check_answer(self, proxy: Any) -> None:
        values, is_woman, _, _ = _tree_audit(False)
        gap = attribution_gap(values.to_numpy(), list(values.columns), in_group=is_woman).abs()
        if not isinstance(proxy, str):
            raise Incorrect(f"`proxy` should be a feature name (a string); got {proxy!r}")
        if proxy == "sex":
            raise Incorrect("this model has no sex column; which feature stands in for it?")
        if proxy not in gap.index:
            raise Incorrect(f"{proxy!r} is not a feature of the model; choose from {list(gap.index)}.")
        if proxy == gap.idxmax():
            return
        raise Incorrect(
            f"{proxy}'s mean SHAP value differs by {gap[proxy]:.3f} between women and men; another feature's "
            f"differs by {gap.max():.3f}."
        )


q1 = ShapleyByHand()
q2 = ProbabilityFromShap()
q3 = FindTheProxy()
