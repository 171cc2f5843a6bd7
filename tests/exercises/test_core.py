import pytest

from ppml_lessons.exercises import Exercise, Incorrect, ____


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
