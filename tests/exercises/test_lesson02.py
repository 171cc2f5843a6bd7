from ppml_lessons.exercises.lesson02 import _suppressed_by_level, q1, q2, q3, q4

# name -> [(answers, words the message must contain), ...]
WRONG_ANSWERS = {
    "q1": [
        ({"k": 10}, "number of rows"),
        ({"k": 4}, "number of equivalence classes"),
        ({"k": 3}, "largest class"),
        ({"k": 1}, "is not k"),
        ({"k": 2.0}, "whole number"),
    ],
    "q2": [
        ({"toms_condition": "flu"}, "most common condition"),
        ({"toms_condition": "asthma"}, "Tom's class"),
        ({"toms_condition": "measles"}, "not a condition in the table"),
        ({"toms_condition": ["cancer"]}, "as text"),
    ],
    "q3": [
        ({"reid_rate": 3}, "count of people"),
        ({"reid_rate": 0.75}, "share of claims that are right"),
        ({"reid_rate": 4 / 6}, "wrong person"),
        ({"reid_rate": 0.4}, "not right yet"),
        ({"reid_rate": "half"}, "one number"),
    ],
    "q4": [
        ({"lowest_level": 2}, "over 5%"),
        ({"lowest_level": 0}, "over 5%"),
        ({"lowest_level": 5}, "find the lowest"),
        ({"lowest_level": 6}, "levels run from 0 to 5"),
        ({"lowest_level": 3.0}, "whole number"),
    ],
}


def test_reference_values_are_the_documented_ones():
    # worked out by hand in the notebook: classes of 3, 3, 2, 2 -> k = 2; Tom's class is all cancer;
    # 3 correct claims (Ben, Cat, Eve) out of 6 voters (Dan's unique match is someone else's row).
    assert q1.reference_answers()["k"] == 2
    assert q2.reference_answers()["toms_condition"] == "cancer"
    assert q3.reference_answers()["reid_rate"] == 0.5
    assert q4.reference_answers()["lowest_level"] == 3


def test_suppression_shrinks_with_generalization():
    shares = _suppressed_by_level()
    assert shares[2] > 0.05 >= shares[3]
    assert shares[0] > shares[1] > shares[2] > shares[3]


def test_q2_accepts_any_case_and_spaces():
    assert q2.evaluate(toms_condition="  Cancer ").correct
