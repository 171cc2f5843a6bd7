import numpy as np
import torch
from torch import nn

from ppml_lessons.exercises.lesson10 import UPDATE_NORMS, q1, q2, q3
from ppml_lessons.federated.fedavg import batch_schedule, local_train


def _untrained(layers, x, y, rng):
    return layers, len(y)


def _two_epochs(layers, x, y, rng):
    params = {"weight": torch.as_tensor(layers[0]), "bias": torch.as_tensor(layers[1])}
    plan = batch_schedule([np.arange(len(y))], epochs=2, batch_size=10, rng=rng)
    out = local_train(nn.Linear(784, 10), params, x, y, plan, lr=0.1)
    return [out["weight"][0].detach().numpy(), out["bias"][0].detach().numpy()], len(y)


def _no_count(layers, x, y, rng):
    return _two_epochs(layers, x, y, rng)[0]


def _wrong_count(layers, x, y, rng):
    return _two_epochs(layers, x, y, rng)[0], 10


_MEDIAN = float(np.median(UPDATE_NORMS))

# name -> [(answers, words the message must contain), ...]
WRONG_ANSWERS = {
    "q1": [
        ({"fit": _untrained}, "did not change"),
        ({"fit": _two_epochs}, "differ from lesson 06"),
        ({"fit": _no_count}, "pair"),
        ({"fit": _wrong_count}, "number of examples"),
        ({"fit": 3}, "should be a function"),
    ],
    "q2": [
        ({"weight_of_a_before": 1 / 3, "weight_of_a_after": 0.5}, "equally"),
        ({"weight_of_a_before": 0.25, "weight_of_a_after": 0.25}, "does not keep"),
        ({"weight_of_a_before": 0.25, "weight_of_a_after": 0.375}, "recomputed"),
        ({"weight_of_a_before": 0.5, "weight_of_a_after": 0.5}, "not right yet"),
        ({"weight_of_a_before": "a quarter", "weight_of_a_after": 0.5}, "one number"),
    ],
    "q3": [
        ({"clip_norm": float(np.mean(UPDATE_NORMS)), "noise_std": 0.02}, "mean"),
        ({"clip_norm": max(UPDATE_NORMS), "noise_std": 0.02}, "clips nothing"),
        ({"clip_norm": _MEDIAN, "noise_std": _MEDIAN}, "divide by the 20"),
        ({"clip_norm": _MEDIAN, "noise_std": _MEDIAN / np.sqrt(20)}, "not by √20"),
        ({"clip_norm": _MEDIAN, "noise_std": 0.1}, "not right yet"),
    ],
}


def test_reference_answers_are_the_documented_ones():
    answers = q2.reference_answers()
    assert answers == {"weight_of_a_before": 0.25, "weight_of_a_after": 0.5}
    answers = q3.reference_answers()
    assert answers["clip_norm"] == _MEDIAN and np.isclose(answers["noise_std"], _MEDIAN / 20)
    assert callable(q1.reference_answers()["fit"])
