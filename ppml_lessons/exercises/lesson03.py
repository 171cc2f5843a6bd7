"""Exercises of lesson 03 (differential privacy basics): a Laplace scale, de-biasing randomized
response, adding up a privacy budget, and the classic Gaussian σ."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..dp.mechanisms import gaussian_sigma, randomized_response_estimate
from .core import Exercise, Incorrect

__all__ = ["q1", "q2", "q3", "q4", "LaplaceScale", "DebiasRandomizedResponse", "BudgetSequence", "ClassicGaussianSigma"]




class LaplaceScale(Exercise):
    """The Laplace scale for a clipped sum."""

    variables = ("laplace_b",)
    prompt = (
        "Set `laplace_b` to the scale b of the Laplace noise that makes the sum of `hours_per_week`, "
        "each value clipped to [10, 80], ε-DP with ε = 0.25 (neighbours: add or remove one person)."
    )
    hints = (
        "b = sensitivity / ε. What is the most one person can change a sum of values clipped to [10, 80]?",
        "Adding or removing one person changes the sum by their clipped value, at most max(|10|, |80|) = 80.",
    )
    solution_code = """
        sensitivity = max(abs(10), abs(80))  # or clipped_sum_sensitivity(lower=10, upper=80)
        laplace_b = sensitivity / 0.25       # or laplace_scale(sensitivity=sensitivity, epsilon=0.25)
    """

    def check_answer(self, laplace_b: Any) -> None:
        value = self.as_number("laplace_b", laplace_b)
        expected = 80 / 0.25
        if math.isclose(value, (80 - 10) / 0.25):
            raise Incorrect(
                "(upper - lower) / ε is the sensitivity when one person is *replaced*; this course adds or "
                "removes a person, which changes the sum by up to max(|lower|, |upper|)."
            )
        if math.isclose(value, 80):
            raise Incorrect("80 is the sensitivity; the scale divides it by ε.")
        if math.isclose(value, 1 / 0.25):
            raise Incorrect("sensitivity 1 is for counts; for a sum it is the largest clipped value.")
        if math.isclose(value, 0.25 / 80):
            raise Incorrect("that is ε / sensitivity; the scale is sensitivity / ε.")
        if math.isclose(value, math.sqrt(2) * expected):
            raise Incorrect("that is the noise's standard deviation √2·b; the exercise asks for b itself.")
        self.assert_close("laplace_b", value, expected, tol=1e-6)


def _rr_cases() -> list[tuple[np.ndarray, float]]:
    rng = np.random.default_rng(3)
    cases = []
    for epsilon, n, share in [(math.log(3), 400, 0.3), (0.5, 1000, 0.6), (2.0, 250, 0.1), (1.0, 37, 0.9)]:
        reports = (rng.random(n) < share).astype(int)
        cases.append((reports, epsilon))
    return cases


class DebiasRandomizedResponse(Exercise):
    """Write the de-biased randomized-response estimator."""

    variables = ("rr_estimate",)
    prompt = (
        "Complete `rr_estimate(reports, epsilon)` so that it returns the unbiased estimate of the true share "
        "of 1s from randomized-response reports (truth told with probability p = e^ε / (1 + e^ε))."
    )
    hints = (
        "A report is 1 with probability λ = (1 - p) + π (2p - 1), where π is the true share. Solve for π.",
        "π̂ = (mean(reports) - (1 - p)) / (2p - 1), with p = np.exp(epsilon) / (1 + np.exp(epsilon)).",
    )
    solution_code = """
        def rr_estimate(reports, epsilon):
            p = np.exp(epsilon) / (1 + np.exp(epsilon))
            return (np.mean(reports) - (1 - p)) / (2 * p - 1)
    """

    def namespace(self) -> dict[str, Any]:
        return {"np": np}

    def check_answer(self, rr_estimate: Any) -> None:
        if not callable(rr_estimate):
            raise Incorrect(f"`rr_estimate` should be a function; got {type(rr_estimate).__name__}")
        for reports, epsilon in _rr_cases():
            value = self.as_number("rr_estimate(reports, epsilon)", self.call(rr_estimate, reports.copy(), epsilon))
            expected = randomized_response_estimate(reports, epsilon=epsilon)
            if math.isclose(value, reports.mean(), abs_tol=1e-9) and not math.isclose(value, expected, abs_tol=1e-9):
                raise Incorrect("that is the raw share of 1-reports; undo the flipping (solve λ for π).")
            p_three_quarters = (reports.mean() - 0.25) / 0.5
            if epsilon != math.log(3) and math.isclose(value, p_three_quarters, abs_tol=1e-9):
                raise Incorrect("p = 3/4 only when ε = ln 3; compute p from `epsilon`.")
            if not math.isclose(value, expected, abs_tol=1e-9):
                raise Incorrect(
                    f"for {len(reports)} reports with share {reports.mean():.3f} of 1s at ε = {epsilon:.3g}, "
                    f"the estimate should be {expected:.4f}; yours returns {value:.4f}."
                )


class BudgetSequence(Exercise):
    """Add up a sequence of queries with sequential and parallel composition."""

    variables = ("total_epsilon", "fits_budget")
    prompt = (
        "Set `total_epsilon` to the total ε the four queries spend, and `fits_budget` to True or False: "
        "do they fit in a budget of ε = 1?"
    )
    hints = (
        "Queries about the same people add up (sequential composition). Queries about disjoint groups of "
        "people cost the largest of their ε's, once (parallel composition).",
        "The two income counts (women, men) touch disjoint people: 0.2 in all. `private_mean(epsilon=0.4)` "
        "spends 0.4 in total (0.2 on its sum, 0.2 on its count).",
    )
    solution_code = """
        total_epsilon = 0.3 + 0.2 + 0.4 + 0.2  # women and men are disjoint: parallel composition charges 0.2 once
        fits_budget = total_epsilon <= 1.0
    """

    def check_answer(self, total_epsilon: Any, fits_budget: Any) -> None:
        value = self.as_number("total_epsilon", total_epsilon)
        expected = 0.3 + 0.2 + 0.4 + 0.2
        if math.isclose(value, expected + 0.2) or math.isclose(value, expected + 0.6):
            raise Incorrect(
                "women and men are disjoint groups: the two counts together cost 0.2, not 0.4 "
                "(parallel composition)."
            )
        if math.isclose(value, expected + 0.4):
            raise Incorrect("`private_mean(epsilon=0.4)` splits its 0.4 between the sum and the count: it costs 0.4.")
        self.assert_close("total_epsilon", value, expected, tol=1e-9)
        if not isinstance(fits_budget, (bool, np.bool_)):
            raise Incorrect(f"`fits_budget` should be True or False; got {fits_budget!r}")
        if bool(fits_budget):
            raise Incorrect(f"the queries spend {expected:.1f} > 1: the privacy filter would refuse the last one.")


class ClassicGaussianSigma(Exercise):
    """The classic Gaussian calibration, by its formula."""

    variables = ("sigma_classic",)
    prompt = (
        "A query has L2 sensitivity 2. Set `sigma_classic` to the σ of the classic Gaussian mechanism "
        "for ε = 0.5 and δ = 1e-6."
    )
    hints = (
        "σ = Δ √(2 ln(1.25 / δ)) / ε, valid for ε < 1.",
        "With Δ = 2, ε = 0.5, δ = 1e-6: 2 * np.sqrt(2 * np.log(1.25 / 1e-6)) / 0.5.",
    )
    solution_code = """
        sigma_classic = 2 * np.sqrt(2 * np.log(1.25 / 1e-6)) / 0.5
        # the same: gaussian_sigma(sensitivity=2, epsilon=0.5, delta=1e-6, calibration="classic")
    """

    def namespace(self) -> dict[str, Any]:
        return {"np": np}

    def check_answer(self, sigma_classic: Any) -> None:
        value = self.as_number("sigma_classic", sigma_classic)
        sensitivity, epsilon, delta = 2.0, 0.5, 1e-6
        expected = gaussian_sigma(sensitivity=sensitivity, epsilon=epsilon, delta=delta, calibration="classic")
        analytic = gaussian_sigma(sensitivity=sensitivity, epsilon=epsilon, delta=delta)
        if math.isclose(value, analytic, rel_tol=1e-4):
            raise Incorrect("that is the analytic σ (smaller, and exact); the exercise asks for the classic formula.")
        if math.isclose(value, sensitivity * 2 * math.log(1.25 / delta) / epsilon, rel_tol=1e-6):
            raise Incorrect("take the square root of 2 ln(1.25 / δ).")
        if math.isclose(value, sensitivity * math.sqrt(2 * math.log(1 / delta)) / epsilon, rel_tol=1e-6):
            raise Incorrect("the formula has ln(1.25 / δ), not ln(1 / δ).")
        if math.isclose(value, expected / sensitivity, rel_tol=1e-6):
            raise Incorrect("multiply by the sensitivity Δ = 2.")
        self.assert_close("sigma_classic", value, expected, tol=1e-6)


q1 = LaplaceScale()
q2 = DebiasRandomizedResponse()
q3 = BudgetSequence()
q4 = ClassicGaussianSigma()
