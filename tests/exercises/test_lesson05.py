import math

import numpy as np

from ppml_lessons.attacks.membership import tpr_at_fpr
from ppml_lessons.exercises.lesson05 import exercise_scores, q1, q2, q3

SCORES, IS_MEMBER = exercise_scores()
TPR = tpr_at_fpr(SCORES, IS_MEMBER, fpr=0.01)


def _reversed(losses, threshold):
    return np.asarray(losses) > threshold


def _returns_losses(losses, threshold):
    return np.asarray(losses) * (np.asarray(losses) <= threshold)


def _mean_threshold(losses, threshold):
    return np.asarray(losses) <= np.mean(losses)


def _one_guess(losses, threshold):
    return bool(np.mean(losses) <= threshold)


# name -> [(answers, words the message must contain), ...]
WRONG_ANSWERS = {
    "q1": [
        ({"tpr_1pct": 0.01}, "false-positive rate you were given"),
        ({"tpr_1pct": float(np.mean(SCORES[IS_MEMBER] > np.sort(SCORES)[-31]))}, "non-members' scores only"),
        ({"tpr_1pct": TPR * 1000}, "count of members"),
        ({"tpr_1pct": TPR + 0.02}, "not right yet"),
        ({"tpr_1pct": "0.1"}, "should be one number"),
    ],
    "q2": [
        ({"loss_attack": _reversed}, "reversed"),
        ({"loss_attack": _returns_losses}, "True/False guesses"),
        ({"loss_attack": _mean_threshold}, "guesses are wrong"),
        ({"loss_attack": _one_guess}, "one guess per example"),
        ({"loss_attack": 0.5}, "should be a function"),
    ],
    "q3": [
        ({"max_tpr": math.exp(2)}, "multiply it by the FPR"),
        ({"max_tpr": 2 * 0.01 + 1e-5}, "not ε"),
        ({"max_tpr": math.exp(2) * 0.01}, "add δ"),
        ({"max_tpr": math.exp(2) * 0.001 + 1e-5}, "0.01, not 0.001"),
        ({"max_tpr": 0.05}, "not right yet"),
        ({"max_tpr": [0.0739]}, "should be one number"),
    ],
}


def test_reference_values_are_the_documented_ones():
    assert math.isclose(q3.reference_answers()["max_tpr"], math.exp(2) * 0.01 + 1e-5)
    assert q1.reference_answers()["tpr_1pct"] == TPR
    assert 0.05 < TPR < 0.2  # the few outstanding members are found, the ordinary ones hardly
    attack = q2.reference_answers()["loss_attack"]
    assert attack(np.array([0.1, 0.5, 0.9]), 0.5).tolist() == [True, True, False]


def test_exercise_scores_are_seeded():
    again = exercise_scores()
    assert np.array_equal(again[0], SCORES) and np.array_equal(again[1], IS_MEMBER)
