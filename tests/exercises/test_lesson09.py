import numpy as np

from ppml_lessons.exercises.lesson09 import TOY_X, q1, q2, q3, toy_function

_q2 = q2.namespace()
_log_odds = _q2["base_value"] + _q2["tree_shap"].iloc[0].sum()
_sigmoid = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
_q3 = q3.namespace()
_gap = (_q3["shap_no_sex"][_q3["is_woman"]].mean() - _q3["shap_no_sex"][~_q3["is_woman"]].mean()).abs()
_second = _gap.drop(_gap.idxmax()).idxmax()

# name -> [(answers, words the message must contain), ...]
WRONG_ANSWERS = {
    "q1": [
        ({"phi": [2.0, 6.0, 6.0]}, "leave-one-out"),
        ({"phi": [2.0, 0.0, 0.0]}, "joining first"),
        ({"phi": [1.0, 1.0, 1.0]}, "must sum to 8"),
        ({"phi": [4.0, 2.0, 2.0]}, "split is not"),
        ({"phi": [2.0, 3.0]}, "3 numbers"),
        ({"phi": "two, three, three"}, "3 numbers"),
    ],
    "q2": [
        ({"p_from_shap": _log_odds}, "sigmoid"),
        ({"p_from_shap": _sigmoid(_q2["tree_shap"].iloc[0].sum())}, "left out `base_value`"),
        ({"p_from_shap": _sigmoid(_q2["base_value"])}, "average prediction"),
        ({"p_from_shap": _sigmoid(_q2["base_value"] + _q2["tree_shap"].iloc[1].sum())}, "row 0"),
        ({"p_from_shap": -3.0}, "not a probability"),
        ({"p_from_shap": "high"}, "one number"),
        ({"p_from_shap": float("nan")}, "NaN"),
    ],
    "q3": [
        ({"proxy": "sex"}, "no sex column"),
        ({"proxy": "income"}, "not a feature"),
        ({"proxy": _second}, "another feature's"),
        ({"proxy": 4}, "a string"),
    ],
}


def test_reference_values_agree_with_the_lesson():
    phi = q1.reference_answers()["phi"]
    assert np.isclose(sum(phi), toy_function(*TOY_X) - toy_function(0, 0, 0))  # efficiency
    assert 0 < q2.reference_answers()["p_from_shap"] < 1
    # lesson 07 found relationship and marital status standing in for sex; the gap concentrates in one of them
    assert q3.reference_answers()["proxy"] in {"relationship", "marital_status"}
