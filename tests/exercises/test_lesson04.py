import math

import torch

from ppml_lessons.dp.accounting import epsilon, noise_multiplier_for_epsilon
from ppml_lessons.exercises.lesson04 import q1, q2, q3, q4


def _coordinates(grads, C):
    return grads.clamp(-C, C)


def _always_to_c(grads, C):
    return grads * C / grads.norm(dim=1, keepdim=True)


def _whole_batch(grads, C):
    return grads * min(1.0, C / float(grads.norm()))


def _nan_on_zero(grads, C):
    norms = grads.norm(dim=1, keepdim=True)
    return grads / norms * torch.clamp(norms, max=C)  # right, except 0 / 0 for a row of zeros


def _flattens(grads, C):
    return (grads * torch.clamp(C / grads.norm(dim=1, keepdim=True), max=1.0)).flatten()


def _returns_list(grads, C):
    return (grads * torch.clamp(C / grads.norm(dim=1, keepdim=True), max=1.0)).tolist()


def _half_norm(grads, C):
    return grads * torch.clamp(C / (2 * grads.norm(dim=1, keepdim=True)), max=1.0)


_before = epsilon(noise_multiplier=1.0, sample_rate=0.01, steps=1000, delta=1e-5)
_after = epsilon(noise_multiplier=1.0, sample_rate=0.02, steps=500, delta=1e-5)
_sigma = noise_multiplier_for_epsilon(epsilon=1.0, sample_rate=1 / 30, steps=600, delta=1e-5)

# name -> [(answers, words the message must contain), ...]
WRONG_ANSWERS = {
    "q1": [
        ({"clip_gradients": _coordinates}, "each coordinate"),
        ({"clip_gradients": _always_to_c}, "must stay unchanged"),
        ({"clip_gradients": _whole_batch}, "whole batch by one factor"),
        ({"clip_gradients": _nan_on_zero}, "NaN or inf"),
        ({"clip_gradients": _flattens}, "keep the shape"),
        ({"clip_gradients": _returns_list}, "should return a tensor"),
        ({"clip_gradients": _half_norm}, "norm exactly C"),
        ({"clip_gradients": 0.1}, "should be a function"),
    ],
    "q2": [
        ({"noise_std": 0.11}, "noise on the sum"),
        ({"noise_std": 1.1 / 2000}, "not σ"),
        ({"noise_std": 0.11 / math.sqrt(2000)}, "not √B"),
        ({"noise_std": (0.11 / 2000) ** 2}, "variance"),
        ({"noise_std": 1e-4}, "not right yet"),
        ({"noise_std": "5.5e-5"}, "should be a number"),
        ({"noise_std": torch.ones(2)}, "single number"),
    ],
    "q3": [
        ({"epsilon_doubled": epsilon(noise_multiplier=1.0, sample_rate=0.02, steps=1000, delta=1e-5),
          "epsilon_grows": True}, "half as many steps"),
        ({"epsilon_doubled": epsilon(noise_multiplier=1.0, sample_rate=0.01, steps=500, delta=1e-5),
          "epsilon_grows": False}, "doubles the sample rate"),
        ({"epsilon_doubled": _before, "epsilon_grows": False}, "before the change"),
        ({"epsilon_doubled": _after, "epsilon_grows": False}, "it grows"),
        ({"epsilon_doubled": _after, "epsilon_grows": "yes"}, "True or False"),
        ({"epsilon_doubled": 1.0, "epsilon_grows": True}, "not right yet"),
    ],
    "q4": [
        ({"sigma_needed": noise_multiplier_for_epsilon(epsilon=1.0, sample_rate=1 / 30, steps=20, delta=1e-5)},
         "not epochs"),
        ({"sigma_needed": noise_multiplier_for_epsilon(epsilon=1.0, sample_rate=1 / 30, steps=600,
                                                       delta=1 / 30_000)}, "well below 1/n"),
        ({"sigma_needed": 0.9 * _sigma}, "more noise is needed"),
        ({"sigma_needed": 1.2 * _sigma}, "more noise than needed"),
        ({"sigma_needed": -1.0}, "positive"),
        ({"sigma_needed": None}, "should be a number"),
    ],
}


def test_reference_values_are_the_documented_ones():
    clip = q1.reference_answers()["clip_gradients"]
    torch.testing.assert_close(clip(torch.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]]), 1.0),
                               torch.tensor([[0.6, 0.8], [0.3, 0.4], [0.0, 0.0]]))
    assert math.isclose(q2.reference_answers()["noise_std"], 5.5e-5)
    answers = q3.reference_answers()
    assert answers["epsilon_grows"] and math.isclose(answers["epsilon_doubled"], _after) and _after > _before
    assert math.isclose(q4.reference_answers()["sigma_needed"], _sigma)
