import math

import pytest

from ppml_lessons._validation import check_bool, check_number, check_option, check_type


def test_check_number_accepts_and_converts():
    assert check_number("epsilon", 1, low=0, low_open=True) == 1.0
    assert isinstance(check_number("epsilon", 1, low=0), float)
    assert check_number("n", 3, low=1, integer=True) == 3


@pytest.mark.parametrize(
    ("kwargs", "value", "message"),
    [
        ({"low": 0, "low_open": True}, -1.0, r"epsilon must be a float in \(0, inf\); got -1.0"),
        ({"low": 0, "low_open": True}, 0, r"epsilon must be a float in \(0, inf\); got 0"),
        ({"low": 0, "high": 1, "high_open": True}, 1.0, r"epsilon must be a float in \[0, 1\); got 1.0"),
        ({"low": 0}, math.nan, r"epsilon must be a float in \[0, inf\); got nan"),
    ],
)
def test_check_number_rejects_values_with_the_house_message(kwargs, value, message):
    with pytest.raises(ValueError, match=message):
        check_number("epsilon", value, **kwargs)


@pytest.mark.parametrize("value", ["1", None, True, [1]])
def test_check_number_rejects_non_numbers(value):
    with pytest.raises(TypeError, match="epsilon must be a float"):
        check_number("epsilon", value)


def test_check_number_integer_rejects_floats():
    with pytest.raises(TypeError, match=r"n must be an integer in \[1, inf\); got 2.5"):
        check_number("n", 2.5, low=1, integer=True)


def test_check_option_and_type_and_bool():
    assert check_option("mode", "a", ["a", "b"]) == "a"
    with pytest.raises(ValueError, match=r"mode must be one of 'a', 'b'; got 'c'"):
        check_option("mode", "c", ["a", "b"])
    with pytest.raises(TypeError, match="name must be a string; got 3 of type int"):
        check_type("name", 3, str, "a string")
    with pytest.raises(TypeError, match=r"flag must be a bool \(True or False\); got 1"):
        check_bool("flag", 1)
