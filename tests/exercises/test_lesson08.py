from ppml_lessons.data import load_adult
from ppml_lessons.exercises.lesson08 import q2

_train = load_adult()[0]
_p = _train["income_over_50k"].mean()
_women = _train[_train["sex"] == "Female"]
_n_f, _n_f1 = len(_women), int(_women["income_over_50k"].sum())
_q2 = q2.namespace()
_female = (_q2["sex_val"] == "Female").to_numpy()
# a women's threshold that equalizes selection rates instead of TPRs
_sel_men = (_q2["score_val"][~_female] >= 0.5).mean()
_dp_threshold = min((abs((_q2["score_val"][_female] >= t / 1000).mean() - _sel_men), t / 1000) for t in range(1000))[1]

# name -> [(answers, words the message must contain), ...]
WRONG_ANSWERS = {
    "q1": [
        ({"w_female_pos": 1 / 1.6, "w_male_pos": 0.8}, "upside down"),
        ({"w_female_pos": 0.85, "w_male_pos": 0.8}, "label 0"),
        ({"w_female_pos": 1.5, "w_male_pos": 0.5}, "hand-picked"),
        ({"w_female_pos": 1.6, "w_male_pos": 0.7}, "not right yet"),
        ({"w_female_pos": "1.6?", "w_male_pos": 0.8}, "one number"),
    ],
    "q2": [
        ({"threshold_female": 0.5}, "must be lower"),
        ({"threshold_female": 0.05}, "must be higher"),
        ({"threshold_female": _dp_threshold}, "demographic parity"),
        ({"threshold_female": 3.0}, "not a probability threshold"),
        ({"threshold_female": None}, "one number"),
    ],
    "q3": [
        ({"n_added": round(_p * _n_f - _n_f1)}, "denominator"),
        ({"n_added": round(_n_f1 / _p - _n_f)}, "positives"),
        ({"n_added": round((_p * _n_f - _n_f1) / (1 - _p)) + 3}, "not right yet"),
        ({"n_added": "many"}, "one number"),
    ],
}


def test_q2_is_graded_on_the_validation_split_of_a_baseline_without_sex_or_race() -> None:
    """Issue 18: the threshold is chosen on held-out training rows, never on the test split."""
    from ppml_lessons.data.features import adult_validation_split

    validation = adult_validation_split(_train, rng=0)[1]
    assert set(_q2) == {"np", "score_val", "y_val", "sex_val"}
    assert len(_q2["score_val"]) == len(validation) == 8141
    assert (_q2["sex_val"].index == validation.index).all()
    # the solution's threshold is accepted, and the men's threshold 0.5 is not (women's TPR is lower there)
    women = (_q2["sex_val"] == "Female").to_numpy()
    tpr = lambda t, w: (_q2["score_val"][(women == w) & (_q2["y_val"] == 1)] >= t).mean()
    assert tpr(0.5, True) < tpr(0.5, False) - 0.01
