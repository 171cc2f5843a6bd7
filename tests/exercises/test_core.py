import types

import pytest

from ppml_lessons.exercises import Exercise, Incorrect, ____
from ppml_lessons.exercises.core import assert_solutions_work, lesson_exercises, solution_failures


class Double(Exercise):
    variables = ("doubled",)
    prompt = "Set `doubled` to 2 * 21."
    hints = ("Multiply.", "2 * 21.")
    solution_code = "doubled = 2 * 21"

    def check_answer(self, doubled):
        if doubled != 42:
            raise Incorrect(f"expected twice 21; got {doubled}")


class WriteSquare(Exercise):
    variables = ("square",)
    prompt = "Write `square(x)`."
    hints = ("x * x",)
    solution_code = "def square(x):\n    return x * x"

    def check_answer(self, square):
        if self.call(square, 3) != 9:
            raise Incorrect("square(3) should be 9")


def test_three_verdicts():
    q = Double()
    assert q.evaluate(doubled=____).status == "not attempted"
    wrong = q.evaluate(doubled=41)
    assert wrong.status == "incorrect" and "got 41" in wrong.message
    assert q.evaluate(**q.reference_answers()).correct


def test_function_answers():
    q = WriteSquare()

    def untouched(x):
        return ____

    def crashes(x):
        raise ZeroDivisionError("oops")

    assert q.evaluate(square=untouched).status == "not attempted"
    crashed = q.evaluate(square=crashes)
    assert crashed.status == "incorrect" and "ZeroDivisionError" in crashed.message
    assert q.evaluate(square=lambda x: x + x).status == "incorrect"
    assert q.evaluate(**q.reference_answers()).correct


doubled = ____  # what check() reads from this module's globals, like a notebook's


def test_check_reads_the_callers_globals_and_never_raises(capsys):
    global doubled
    q = Double()
    q.check()
    assert "Not attempted" in capsys.readouterr().out
    doubled = 40
    q.check()
    assert "Incorrect: expected twice 21; got 40" in capsys.readouterr().out
    doubled = 42
    q.check()
    assert "Correct" in capsys.readouterr().out
    doubled = ____


def test_hint_and_solution_print(capsys):
    q = Double()
    q.hint()
    assert "Multiply." in capsys.readouterr().out
    q.hint(2)
    assert "2 * 21." in capsys.readouterr().out
    q.solution()
    assert "doubled = 2 * 21" in capsys.readouterr().out
    with pytest.raises(ValueError, match=r"n must be an integer in \[1, 2\]; got 3"):
        q.hint(3)


def test_evaluate_needs_every_variable():
    with pytest.raises(TypeError, match="missing"):
        Double().evaluate()


def _lesson(**exercises):
    module = types.ModuleType("fake_lesson")
    vars(module).update(exercises)
    return module


class NeedsBase(Exercise):
    variables = ("doubled",)
    prompt = "Set `doubled` to twice `base`."
    hints = ("2 * base",)
    solution_code = "doubled = 2 * base"

    def check_answer(self, doubled):
        if doubled != 42:
            raise Incorrect(f"expected 42; got {doubled}")


def test_solution_failures_runs_each_solution_in_the_given_namespace():
    lesson = _lesson(q1=Double(), q2=NeedsBase())
    assert solution_failures(lesson, {"base": 21}) == []
    assert solution_failures(lesson, {}) == ["q2: its solution raised NameError: name 'base' is not defined"]
    wrong = solution_failures(lesson, {"base": 20})  # runs, but the notebook's value makes it wrong
    assert wrong == ["q2: its solution was graded Incorrect: expected 42; got 40"]
    namespace = {"base": 21}
    solution_failures(lesson, namespace)
    assert namespace == {"base": 21}  # the notebook's variables are left alone


def test_assert_solutions_work_lists_every_failure():
    with pytest.raises(AssertionError, match=r"(?s)fail in this notebook.*q2: its solution raised NameError"):
        assert_solutions_work(_lesson(q1=Double(), q2=NeedsBase()), {})
    assert_solutions_work(_lesson(q1=Double(), q2=NeedsBase()), {"base": 21})
    with pytest.raises(TypeError, match="namespace must be a mapping"):
        solution_failures(_lesson(q1=Double()), ["base"])
    with pytest.raises(TypeError, match="module must be a module"):
        lesson_exercises(3)


def test_solutions_get_the_context_names_they_inspect():
    """Lesson 01's q1 inspects the notebook's model: the solution check passes it, as q1.check() does."""
    from ppml_lessons.exercises import lesson01
    from ppml_lessons.exercises.core import solution_failures

    notebook = dict(lesson01.q1.namespace())  # the model as the lesson's cell makes it, not yet frozen
    assert not [m for m in solution_failures(lesson01, notebook) if m.startswith("q1:")]
    del notebook["exercise_model"]
    assert any(message.startswith("q1:") for message in solution_failures(lesson01, notebook))
