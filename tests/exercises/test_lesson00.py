import numpy as np
import torch

from ppml_lessons.exercises.lesson00 import q1, q2

# name -> [(answers, words the message must contain), ...]
WRONG_ANSWERS = {
    "q1": [
        ({"sneaker_count": 60000}, "whole training set"),
        ({"sneaker_count": 10}, "number of classes"),
        ({"sneaker_count": 5999}, "not the number of sneakers"),
        ({"sneaker_count": "6000"}, "whole number"),
        ({"sneaker_count": 6000.9}, "should be a whole number; got 6000.9"),
        ({"sneaker_count": np.float64(6000.9)}, "should be a whole number; got 6000.9"),
        ({"sneaker_count": torch.tensor(6000.5)}, "should be a whole number; got 6000.5"),
        ({"sneaker_count": torch.tensor([6000, 6000])}, "one whole number"),
        ({"sneaker_count": True}, "whole number"),
    ],
    "q2": [
        ({"rate_ratio": 1 / q2.reference_answers()["rate_ratio"]}, "men over women"),
        ({"rate_ratio": -0.19627}, "difference"),
        ({"rate_ratio": 0.5}, "not right yet"),
        ({"rate_ratio": [0.1, 0.3]}, "one number"),
    ],
}


def test_reference_values_are_the_documented_ones():
    assert q1.reference_answers()["sneaker_count"] == 6000
    assert round(float(q2.reference_answers()["rate_ratio"]), 3) == 0.358


def test_a_count_is_accepted_in_any_integral_form():
    for answer in [6000, np.int64(6000), torch.tensor(6000), np.array(6000), 6000.0]:
        assert q1.evaluate(sneaker_count=answer).correct, answer
