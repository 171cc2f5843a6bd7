import numpy as np

from ppml_lessons.exercises.lesson07 import q1, q2, q3, q4

_q1 = q1.namespace()
_women = (_q1["adult_test"]["sex"] == "Female").to_numpy()
_rate_w, _rate_m = _q1["pred_lr"][_women].mean(), _q1["pred_lr"][~_women].mean()
_base_ratio = _q1["y_test"][_women].mean() / _q1["y_test"][~_women].mean()
_q4 = q4.namespace()["compas_report"].by_group
_black = _q4.loc["African-American"]
_p_instead_of_odds = _q4.loc["Caucasian", "base_rate"] * (1 - _black["precision"]) / _black["precision"] * (
    1 - _black["fnr"]
)

# name -> [(answers, words the message must contain), ...]
WRONG_ANSWERS = {
    "q1": [
        ({"di_ratio": _rate_m / _rate_w, "passes_four_fifths": False}, "men's rate over the women's"),
        ({"di_ratio": _rate_m - _rate_w, "passes_four_fifths": False}, "difference"),
        ({"di_ratio": _base_ratio, "passes_four_fifths": False}, "true labels"),
        ({"di_ratio": _rate_w, "passes_four_fifths": False}, "one group's"),
        ({"di_ratio": 0.5, "passes_four_fifths": False}, "not right yet"),
        ({"di_ratio": "about a third", "passes_four_fifths": False}, "one number"),
        ({"di_ratio": [0.3, 0.1], "passes_four_fifths": False}, "one number"),
        ({"di_ratio": _rate_w / _rate_m, "passes_four_fifths": True}, "at least 0.8"),
        ({"di_ratio": _rate_w / _rate_m, "passes_four_fifths": "no"}, "True or False"),
    ],
    "q2": [
        ({"largest_fpr_group": "Native American", "native_american_clearly_higher": False}, "rests on only 6"),
        ({"largest_fpr_group": "Asian", "native_american_clearly_higher": False}, "at least 100"),
        ({"largest_fpr_group": "Other", "native_american_clearly_higher": False}, "smallest FPR"),
        ({"largest_fpr_group": "Hispanic", "native_american_clearly_higher": False}, "another group's is larger"),
        ({"largest_fpr_group": "Caucasian", "native_american_clearly_higher": False}, "another group's is larger"),
        ({"largest_fpr_group": "African-American", "native_american_clearly_higher": True}, "contains"),
        ({"largest_fpr_group": "African-American", "native_american_clearly_higher": "yes"}, "True or False"),
        ({"largest_fpr_group": "Black", "native_american_clearly_higher": False}, "not a race"),
        ({"largest_fpr_group": 3, "native_american_clearly_higher": False}, "a string"),
    ],
    "q3": [
        ({"tpr_b": 0.9, "fpr_b": 0.1}, "only 0.000"),
        ({"tpr_b": 0.5, "fpr_b": 0.1}, "not 0.9"),
        ({"tpr_b": 1.5, "fpr_b": 0.0}, "not a rate"),
        ({"tpr_b": "high", "fpr_b": 0.0}, "one number"),
    ],
    "q4": [
        ({"implied_fpr": _q4.loc["African-American", "fpr"]}, "Black defendants' own FPR"),
        ({"implied_fpr": _q4.loc["Caucasian", "fpr"]}, "measured FPR"),
        ({"implied_fpr": _p_instead_of_odds}, "odds"),
        ({"implied_fpr": 0.5}, "not right yet"),
    ],
}


def test_reference_values_agree_with_the_lesson():
    answers = q1.reference_answers()
    assert 0.2 < answers["di_ratio"] < 0.4 and answers["passes_four_fifths"] is False
    # the well-measured group, not "Native American" (3 of its 6 non-reoffenders, Wilson [0.19, 0.81])
    assert q2.reference_answers() == {"largest_fpr_group": "African-American", "native_american_clearly_higher": False}
    tpr, fpr = q3.reference_answers().values()
    assert np.isclose(0.2 * tpr + 0.8 * (1 - fpr), 0.9)
    black, white = _q4.loc["African-American"], _q4.loc["Caucasian"]
    # the identity applied to the Black defendants' own base rate gives back their measured FPR
    p = black["base_rate"]
    assert np.isclose(p / (1 - p) * (1 - black["precision"]) / black["precision"] * (1 - black["fnr"]), black["fpr"])
    assert white["fpr"] < q4.reference_answers()["implied_fpr"] < black["fpr"]
