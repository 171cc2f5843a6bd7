import numpy as np

from ppml_lessons.exercises.lesson08 import _scores, q2, q3

_train = q3.namespace()["adult_train"]  # the rows lesson 08 trains on (the validation split held out)
_p = _train["income_over_50k"].mean()
_women = _train[_train["sex"] == "Female"]
_n_f, _n_f1 = len(_women), int(_women["income_over_50k"].sum())
_q2 = q2.namespace()
_female = (_q2["sex_val"] == "Female").to_numpy()
_grid = np.arange(1000) / 1000
# a women's threshold that equalizes selection rates instead of TPRs (validation split)
_sel_men = (_q2["score_val"][~_female] >= 0.5).mean()
_dp_threshold = _grid[np.argmin([abs((_q2["score_val"][_female] >= t).mean() - _sel_men) for t in _grid])]


def _tpr_gaps(split):
    sex, y, score = _scores()[split]
    women = (sex == "Female").to_numpy()
    tpr_men = (score[~women & (y == 1)] >= 0.5).mean()
    return np.array([abs((score[women & (y == 1)] >= t).mean() - tpr_men) for t in _grid])


# a threshold tuned on the test split that misses on the validation split (the leak the exercise must refuse)
_validation_gaps, _test_gaps = _tpr_gaps("validation"), _tpr_gaps("test")
_tuned_on_test = _grid[np.flatnonzero((_test_gaps <= 0.01) & (_validation_gaps > 0.01))[0]]

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
        ({"threshold_female": _tuned_on_test}, "*test* split"),
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


def test_q2_is_graded_on_the_validation_split():
    threshold = q2.reference_answers()["threshold_female"]
    assert _validation_gaps[int(round(threshold * 1000))] <= 0.01
    # the reference is tuned without the test split, and the lesson's scores are the validation split's
    sex, y, score = _scores()["validation"]
    assert len(score) == len(_q2["score_val"]) == 8141
    np.testing.assert_array_equal(score, _q2["score_val"])


def test_q3_counts_on_the_rows_the_lesson_trains_on():
    assert len(_train) == 24420
    assert q3.reference_answers()["n_added"] == round((_p * _n_f - _n_f1) / (1 - _p))
