"""The shared array checks of the fairness modules."""

import numpy as np
import pytest

from ppml_lessons.fairness._arrays import PROBABILITY_SLACK, probabilities
from ppml_lessons.fairness.calibration import expected_calibration_error
from ppml_lessons.fairness.postprocessing import group_rates


def test_probabilities_a_few_ulps_outside_the_unit_interval_are_clipped():
    # a mixture of rules whose weights sum to 1 can give 1.0000000000000022 (10 ulps above 1)
    mixture = 0.1 * 7 + 0.1 * 3
    values = [1.0000000000000022, -1e-17, 0.5, np.nextafter(1.0, 2.0), mixture]
    out = probabilities("y_score", values)
    assert out.tolist() == [1.0, 0.0, 0.5, 1.0, min(mixture, 1.0)]
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert 10 * np.finfo(float).eps < PROBABILITY_SLACK < 1e-12  # a few ulps, not a loosened range
    # callers see the clipped values: an expected rate stays a rate
    rates = group_rates([1, 0], [1.0000000000000022, 0.0], sensitive_features=["a", "a"])
    assert rates.loc["a", "tpr"] == 1.0
    assert expected_calibration_error([1, 0], [1.0000000000000022, 0.0]).iloc[0] == 0.0


@pytest.mark.parametrize("bad", [1 + 1e-9, -1e-9, 1.5, -0.2])
def test_probabilities_clearly_outside_the_unit_interval_are_rejected(bad):
    with pytest.raises(ValueError, match=r"y_score must hold probabilities in \[0, 1\]"):
        probabilities("y_score", [0.5, bad])


def test_probabilities_reject_nan_and_text():
    with pytest.raises(ValueError, match="NaN"):
        probabilities("y_score", [0.5, np.nan])
    with pytest.raises(TypeError, match="y_score must hold numbers"):
        probabilities("y_score", ["a", "b"])
