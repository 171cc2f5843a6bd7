import math

import numpy as np

from ppml_lessons.exercises.lesson06 import _mean_classes, _shards, _train_labels, q1, q2, q3, q4
from ppml_lessons.federated.fedavg import aggregate
from ppml_lessons.federated.partition import label_counts


def _plain_mean(results):
    return [sum(layers[i] for layers, _ in results) / len(results) for i in range(len(results[0][0]))]


def _weighted_sum(results):
    return [sum(layers[i] * n for layers, n in results) for i in range(len(results[0][0]))]


def _per_client_count(results):
    return [sum(layers[i] * n for layers, n in results) / len(results) for i in range(len(results[0][0]))]


def _flat(results):
    return np.concatenate([layers[0].ravel() for layers, _ in results])


_COUNTS = label_counts(_train_labels(), list(_shards()), num_classes=10)
_RIGHT_CLASSES = {a: v for a, v in _mean_classes().items()}

# name -> [(answers, words the message must contain), ...]
WRONG_ANSWERS = {
    "q1": [
        ({"weighted_average": _plain_mean}, "plain mean"),
        ({"weighted_average": _weighted_sum}, "divide the weighted sum"),
        ({"weighted_average": _per_client_count}, "not by the number of clients"),
        ({"weighted_average": _flat}, "one averaged array per layer"),
        ({"weighted_average": [1.0]}, "should be a function"),
    ],
    "q2": [
        ({"client_histogram": _COUNTS[7] / _COUNTS[7].sum()}, "shares"),
        ({"client_histogram": np.bincount(_train_labels())}, "whole training set"),
        ({"client_histogram": _COUNTS[8]}, "numbered from 0"),
        ({"client_histogram": np.trim_zeros(_COUNTS[7], "b")[:9]}, "10 in all"),
        ({"client_histogram": _COUNTS[7] + 1}, "add up to"),
        ({"client_histogram": "many"}, "10 counts"),
    ],
    "q3": [
        ({"most_skewed_alpha": 10.0, "mean_classes": _RIGHT_CLASSES}, "contradict your prediction"),
        ({"most_skewed_alpha": 0.5, "mean_classes": _RIGHT_CLASSES}, "one of 0.1, 1 or 10"),
        ({"most_skewed_alpha": 0.1, "mean_classes": {0.1: 1.0, 1.0: 2.0}}, "keys"),
        ({"most_skewed_alpha": 0.1, "mean_classes": [1, 2, 3]}, "should be a dict"),
        ({"most_skewed_alpha": 0.1, "mean_classes": {a: v / 10 for a, v in _RIGHT_CLASSES.items()}}, "share"),
        ({"most_skewed_alpha": 0.1, "mean_classes": {a: v + 1 for a, v in _RIGHT_CLASSES.items()}}, "counts > 0"),
    ],
    "q4": [
        ({"central_std": 1.7 * 0.5, "local_std": 1.7 * 0.5 / 10}, "divides it by the 100"),
        ({"central_std": (1.7 * 0.5) ** 2 / 100, "local_std": 0.085}, "variance"),
        ({"central_std": 1.7 * 0.5 / 100, "local_std": 1.7 * 0.5 / 100}, "linearly"),
        ({"central_std": 1.7 * 0.5 / 100, "local_std": 1.7 * 0.5 * 10}, "on the sum"),
        ({"central_std": 1.7 * 0.5 / 100, "local_std": 0.1}, "not right yet"),
        ({"central_std": "small", "local_std": 0.085}, "should be one number"),
    ],
}


def test_reference_answers_are_the_documented_ones():
    average = q1.reference_answers()["weighted_average"]
    results = [([np.array([0.0, 0.0])], 3), ([np.array([4.0, 8.0])], 1)]
    assert np.allclose(average(results)[0], aggregate(results)[0])
    assert q2.reference_answers()["client_histogram"].sum() == 600
    answers = q3.reference_answers()
    assert answers["most_skewed_alpha"] == 0.1
    means = answers["mean_classes"]
    assert means[0.1] < means[1.0] < means[10.0] <= 10
    answers = q4.reference_answers()
    assert math.isclose(answers["local_std"] / answers["central_std"], 10)
