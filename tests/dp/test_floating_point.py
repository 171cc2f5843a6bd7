import math

import numpy as np
import pytest

from ppml_lessons.dp.floating_point import laplace_can_output
from ppml_lessons.dp.mechanisms import laplace_mechanism


@pytest.mark.parametrize(("value", "scale"), [(0.0, 1.0), (0.0, 0.01), (1000.0, 3.0), (-5.0, 100.0)])
def test_every_released_answer_is_possible_from_its_true_value(value, scale):
    """The search mirrors NumPy's sampler exactly: otherwise some real outputs would be declared impossible."""
    outputs = laplace_mechanism(np.full(1000, value), sensitivity=scale, epsilon=1.0, rng=11)
    assert all(laplace_can_output(y, value=value, scale=scale) for y in outputs)


def test_most_answers_near_zero_rule_out_the_neighbouring_value():
    # Mironov's effect: about 80% of outputs for a true count of 0 cannot come from a count of 1.
    # With 2,000 draws the binomial standard error of that share is about 0.01, so a share
    # below 0.5 would mean the search (or NumPy's sampler) changed, not bad luck.
    outputs = laplace_mechanism(np.zeros(2000), sensitivity=1, epsilon=1.0, rng=12)
    impossible = np.mean([not laplace_can_output(y, value=1.0, scale=1.0) for y in outputs])
    assert impossible > 0.5


def test_gaps_in_the_tail_and_outputs_beyond_the_largest_noise():
    # the two most negative noises are log(2/2**53) = -36.04 and log(4/2**53) = -35.35: nothing in between
    assert laplace_can_output(math.log(4 / 2**53), value=0.0, scale=1.0)
    assert not laplace_can_output(-35.5, value=0.0, scale=1.0)
    assert not laplace_can_output(1e6, value=0.0, scale=1.0)
    assert not laplace_can_output(-40.0, value=0.0, scale=1.0)


def test_laplace_can_output_validates():
    with pytest.raises(ValueError, match="scale must be a float in"):
        laplace_can_output(0.5, value=0.0, scale=0)
    with pytest.raises(TypeError, match="output must be a float"):
        laplace_can_output("0.5", value=0.0, scale=1.0)
    with pytest.raises(ValueError, match="output and value must be finite"):
        laplace_can_output(math.inf, value=0.0, scale=1.0)
