"""Every exercise of every lesson, checked three ways: untouched, wrong, reference."""

import importlib
import pkgutil

import pytest

import ppml_lessons.exercises as exercises_package
from ppml_lessons.exercises import Exercise, ____


def _lesson_modules():
    for info in pkgutil.iter_modules(exercises_package.__path__):
        if info.name.startswith("lesson"):
            yield info.name, importlib.import_module(f"ppml_lessons.exercises.{info.name}")


EXERCISES = [
    pytest.param(module, name, value, id=f"{lesson}.{name}")
    for lesson, module in _lesson_modules()
    for name, value in vars(module).items()
    if isinstance(value, Exercise)
]


def test_there_are_exercises():
    assert len(EXERCISES) >= 2


@pytest.mark.parametrize(("module", "name", "exercise"), EXERCISES)
def test_untouched_is_not_attempted(module, name, exercise):
    result = exercise.evaluate(**{variable: ____ for variable in exercise.variables})
    assert result.status == "not attempted"
    assert exercise.hints and exercise.solution_code and exercise.prompt


@pytest.mark.parametrize(("module", "name", "exercise"), EXERCISES)
def test_reference_solution_is_accepted(module, name, exercise):
    result = exercise.evaluate(**exercise.reference_answers())
    assert result.correct, result.message


@pytest.mark.parametrize(("module", "name", "exercise"), EXERCISES)
def test_wrong_answers_are_rejected_with_a_message(module, name, exercise):
    lesson = module.__name__.rsplit(".", 1)[1]
    tests = importlib.import_module(f"tests.exercises.test_{lesson}")
    cases = tests.WRONG_ANSWERS.get(name)
    assert cases, f"tests/exercises/test_{lesson}.py must give wrong answers for {name}"
    for answers, expected_words in cases:
        result = exercise.evaluate(**answers)
        assert result.status == "incorrect", answers
        assert expected_words in result.message, result.message
