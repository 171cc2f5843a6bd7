import math

import numpy as np

from ppml_lessons.dp.mechanisms import gaussian_sigma
from ppml_lessons.exercises.lesson03 import q1, q2, q3, q4


def _raw_share(reports, epsilon):
    return np.mean(reports)


def _fixed_p(reports, epsilon):
    return (np.mean(reports) - 0.25) / 0.5


def _sign_error(reports, epsilon):
    p = np.exp(epsilon) / (1 + np.exp(epsilon))
    return (np.mean(reports) - p) / (2 * p - 1)


def _per_report(reports, epsilon):
    p = np.exp(epsilon) / (1 + np.exp(epsilon))
    return (np.asarray(reports) - (1 - p)) / (2 * p - 1)


# name -> [(answers, words the message must contain), ...]
WRONG_ANSWERS = {
    "q1": [
        ({"laplace_b": 280.0}, "replaced"),
        ({"laplace_b": 80}, "divides it by ε"),
        ({"laplace_b": 4.0}, "counts"),
        ({"laplace_b": 0.25 / 80}, "ε / sensitivity"),
        ({"laplace_b": math.sqrt(2) * 320}, "standard deviation"),
        ({"laplace_b": 300.0}, "not right yet"),
        ({"laplace_b": "320"}, "should be one number"),
        ({"laplace_b": [320]}, "should be one number"),
    ],
    "q2": [
        ({"rr_estimate": _raw_share}, "raw share"),
        ({"rr_estimate": _fixed_p}, "p = 3/4 only when ε = ln 3"),
        ({"rr_estimate": _sign_error}, "the estimate should be"),
        ({"rr_estimate": _per_report}, "should be one number"),
        ({"rr_estimate": 0.24}, "should be a function"),
    ],
    "q3": [
        ({"total_epsilon": 1.3, "fits_budget": False}, "disjoint"),
        ({"total_epsilon": 1.5, "fits_budget": False}, "splits its 0.4"),
        ({"total_epsilon": 0.9, "fits_budget": True}, "not right yet"),
        ({"total_epsilon": 1.1, "fits_budget": True}, "refuse"),
        ({"total_epsilon": 1.1, "fits_budget": "no"}, "True or False"),
    ],
    "q4": [
        ({"sigma_classic": gaussian_sigma(sensitivity=2, epsilon=0.5, delta=1e-6)}, "analytic"),
        ({"sigma_classic": 2 * 2 * math.log(1.25e6) / 0.5}, "square root"),
        ({"sigma_classic": 2 * math.sqrt(2 * math.log(1e6)) / 0.5}, "ln(1.25 / δ)"),
        ({"sigma_classic": math.sqrt(2 * math.log(1.25e6)) / 0.5}, "sensitivity"),
        ({"sigma_classic": 20.0}, "not right yet"),
    ],
}


def test_reference_values_are_the_documented_ones():
    assert q1.reference_answers()["laplace_b"] == 320
    answers = q3.reference_answers()
    assert math.isclose(answers["total_epsilon"], 1.1) and answers["fits_budget"] is False
    assert math.isclose(q4.reference_answers()["sigma_classic"], 4 * math.sqrt(2 * math.log(1.25e6)))
    estimate = q2.reference_answers()["rr_estimate"]
    assert math.isclose(estimate(np.array([1, 0, 0, 0]), math.log(3)), 0.0, abs_tol=1e-12)
