"""The exercise framework: small declarative classes with ``check()``, ``hint()`` and ``solution()``.

A lesson module declares one class per exercise and one instance of each
(``q1``, ``q2``, ...). In the notebook the learner replaces a placeholder and
calls ``q1.check()``, which reads the exercise's variables from the notebook
and prints one of three verdicts:

- *not attempted*: a variable still holds the placeholder ``____`` (or a
  function still returns it). This prints guidance and never raises, so a
  notebook with untouched exercises runs top to bottom in CI;
- *incorrect*: the answer is wrong, with a message saying what is wrong;
- *correct*.

``q1.hint()`` and ``q1.solution()`` are one call away. The solution is code,
and the tests execute exactly that code and check that it is accepted.
"""

from __future__ import annotations

import html
import importlib
import inspect
import math
import os
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

from .._validation import check_number

__all__ = ["____", "Placeholder", "Incorrect", "CheckResult", "Exercise", "lesson_exercises", "solution_failures",
           "assert_solutions_work"]


class Placeholder:
    """The value a learner replaces. ``____`` is its one instance."""

    _instance: ClassVar[Placeholder | None] = None

    def __new__(cls) -> Placeholder:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "____"


____ = Placeholder()


class Incorrect(Exception):
    """Raised inside :meth:`Exercise.check_answer` with a message for the learner."""


class _NotAttempted(Exception):
    """A placeholder was found where an answer should be."""


NOT_ATTEMPTED, INCORRECT, CORRECT = "not attempted", "incorrect", "correct"
_COLOURS = {NOT_ATTEMPTED: "#1f6fb2", INCORRECT: "#cc3333", CORRECT: "#2e8b57"}


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a check: ``status`` is "correct", "incorrect" or "not attempted"."""

    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def markdown(self) -> str:
        label = self.status.capitalize()
        return f'<span style="color:{_COLOURS[self.status]}"><b>{label}</b></span>: {html.escape(self.message)}'

    def __str__(self) -> str:
        return f"{self.status.capitalize()}: {self.message}"


def _show(markdown: str, plain: str) -> None:
    """Render Markdown in Jupyter, plain text elsewhere (terminal, tests)."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython ships with jupyterlab
        shell = None
    if shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell":
        display(Markdown(markdown))
    else:
        print(plain)


class Exercise:
    """Base class of every exercise.

    Subclasses set the class attributes and implement :meth:`check_answer`.

    Attributes
    ----------
    variables : tuple of str
        Names the learner assigns in the notebook, e.g. ``("sneaker_count",)``.
    prompt : str
        One sentence saying what to compute, shown when not attempted.
    hints : tuple of str
        Shown one at a time by :meth:`hint`.
    solution_code : str
        Reference code that assigns every name in ``variables``; shown by
        :meth:`solution` and executed by the tests.
    context : tuple of str
        Names the checker also reads from the notebook without the learner
        assigning them (e.g. lesson 01's model, whose frozen layers are
        inspected); they reach :meth:`evaluate` as keyword arguments.

    Examples
    --------
    >>> class Double(Exercise):
    ...     variables = ("doubled",)
    ...     prompt = "Set `doubled` to 2 * 21."
    ...     hints = ("Multiply.",)
    ...     solution_code = "doubled = 2 * 21"
    ...     def check_answer(self, doubled):
    ...         if doubled != 42:
    ...             raise Incorrect(f"expected twice 21; got {doubled}")
    >>> Double().evaluate(doubled=____).status
    'not attempted'
    >>> Double().evaluate(doubled=41).status
    'incorrect'
    >>> Double().evaluate(**Double().reference_answers()).status
    'correct'
    """

    variables: ClassVar[tuple[str, ...]] = ()
    prompt: ClassVar[str] = ""
    hints: ClassVar[tuple[str, ...]] = ()
    solution_code: ClassVar[str] = ""
    context: ClassVar[tuple[str, ...]] = ()

    # ----- what subclasses provide -------------------------------------------------
    def check_answer(self, **answers: Any) -> None:  # pragma: no cover - abstract
        """Raise :class:`Incorrect` with a helpful message if the answer is wrong."""
        raise NotImplementedError

    def namespace(self) -> dict[str, Any]:
        """Names the notebook has defined before this exercise (used to run the solution)."""
        return {}

    # ----- helpers for check_answer -------------------------------------------------
    @staticmethod
    def call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a learner's function; a returned placeholder means "not attempted"."""
        result = function(*args, **kwargs)
        if isinstance(result, Placeholder):
            raise _NotAttempted
        return result

    @staticmethod
    def as_number(name: str, value: Any) -> float:
        """Return ``value`` as a float, or raise :class:`Incorrect` if it is not one number (text and bools are not)."""
        if isinstance(value, (bool, str, bytes)):
            raise Incorrect(f"`{name}` should be one number; got {value!r} of type {type(value).__name__}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise Incorrect(f"`{name}` should be one number; got {value!r} of type {type(value).__name__}") from None
        if math.isnan(number):
            raise Incorrect(f"`{name}` is NaN; check for a division by zero or a missing value")
        return number

    @classmethod
    def assert_close(cls, name: str, value: Any, expected: float, *, tol: float) -> float:
        """Raise :class:`Incorrect` unless ``value`` is a number within ``tol`` of ``expected``."""
        number = cls.as_number(name, value)
        if not abs(number - expected) <= tol:
            raise Incorrect(f"`{name}` = {number:.4g} is not right yet (allowed error {tol:g}).")
        return number

    # ----- the learner's API --------------------------------------------------------
    def evaluate(self, **answers: Any) -> CheckResult:
        """Judge an answer given as keyword arguments named after :attr:`variables`."""
        missing = [name for name in self.variables if name not in answers]
        if missing:
            raise TypeError(f"answers must name every variable of this exercise {self.variables}; missing {missing}")
        names = ", ".join(f"`{v}`" for v in self.variables)
        guidance = f"{self.prompt} Replace `____` in {names}, then run `.check()` again. Stuck? Try `.hint()`."
        if any(isinstance(answers[v], Placeholder) for v in self.variables):
            return CheckResult(NOT_ATTEMPTED, guidance)
        try:
            self.check_answer(**{v: answers[v] for v in self.variables})
        except _NotAttempted:
            return CheckResult(NOT_ATTEMPTED, guidance)
        except Incorrect as wrong:
            return CheckResult(INCORRECT, str(wrong))
        except Exception as error:  # the learner's own code failed inside the check
            return CheckResult(INCORRECT, f"your answer raised {type(error).__name__}: {error}")
        return CheckResult(CORRECT, "well done.")

    def check(self) -> None:
        """Check the answer held by the notebook's variables and print the verdict.

        Reads :attr:`variables` from the caller's global namespace (the
        notebook). Never raises for a missing or untouched answer; tests and
        scripts use :meth:`evaluate`, which returns the verdict instead.
        """
        caller = inspect.currentframe()
        scope = caller.f_back.f_globals if caller is not None and caller.f_back is not None else {}
        answers = {name: scope.get(name, ____) for name in self.variables}
        result = self.evaluate(**answers)
        _show(result.markdown(), str(result))

    def hint(self, n: int = 1) -> None:
        """Print hint number ``n`` (1-based)."""
        check_number("n", n, low=1, high=max(len(self.hints), 1), integer=True)
        text = self.hints[n - 1] if self.hints else "No hint for this one: try `.solution()`."
        more = f" (hint {n} of {len(self.hints)}; `.hint({n + 1})` for the next)" if n < len(self.hints) else ""
        _show(f"**Hint:** {text}{more}", f"Hint: {text}{more}")

    def solution(self) -> None:
        """Print the reference solution (code a learner can paste).

        For an assessed lab a teacher sets ``PPML_HIDE_SOLUTIONS=1`` before starting JupyterLab;
        ``solution()`` then says that solutions are hidden (hints stay available).
        """
        if os.environ.get("PPML_HIDE_SOLUTIONS", "0") not in ("", "0"):
            text = "Solutions are hidden for this lab (PPML_HIDE_SOLUTIONS is set); `.hint()` still works."
            _show(f"**{text}**", text)
            return
        code = textwrap.dedent(self.solution_code).strip()
        _show(f"**Solution:**\n```python\n{code}\n```", f"Solution:\n{code}")

    def reference_answers(self) -> dict[str, Any]:
        """Run :attr:`solution_code` in :meth:`namespace` and return the variables it sets."""
        scope = dict(self.namespace())
        exec(textwrap.dedent(self.solution_code), scope)  # noqa: S102 - the course's own reference code
        return {name: scope[name] for name in self.variables}

    def __repr__(self) -> str:
        return f"<exercise {type(self).__name__}: {self.prompt}>"


def lesson_exercises(module: str | ModuleType) -> dict[str, Exercise]:
    """The exercises a lesson module declares (``q1``, ``q2``, ...), by name.

    Examples
    --------
    >>> sorted(lesson_exercises("ppml_lessons.exercises.lesson00"))
    ['q1', 'q2']
    """
    if isinstance(module, str):
        module = importlib.import_module(module)
    if not isinstance(module, ModuleType):
        raise TypeError(f"module must be a module or its dotted name; got {module!r}")
    return {name: value for name, value in vars(module).items() if isinstance(value, Exercise)}


def solution_failures(module: str | ModuleType, namespace: Mapping[str, Any]) -> list[str]:
    """Run every exercise's solution code in ``namespace`` (a notebook's globals) and grade it.

    This is what a learner gets who pastes ``qN.solution()`` into the notebook
    after running the cells above it: the code must run there and be graded
    correct. Each solution runs in its own shallow copy of ``namespace``, so the
    notebook's variables are left alone. Returns one message per exercise whose
    solution raised or was not graded correct (an empty list when all pass).
    The test suite calls it, through :func:`assert_solutions_work`, in the
    kernel nbval has just run each lesson in (see the repository's
    ``conftest.py``).

    Examples
    --------
    >>> failures = solution_failures("ppml_lessons.exercises.lesson00", {})  # nothing defined: NameError
    >>> [message.split(":")[0] for message in failures]
    ['q1', 'q2']
    """
    if not isinstance(namespace, Mapping):
        raise TypeError(f"namespace must be a mapping of names (a notebook's globals()); got {namespace!r}")
    failures = []
    for name, exercise in lesson_exercises(module).items():
        scope = dict(namespace)
        try:
            exec(textwrap.dedent(exercise.solution_code), scope)  # noqa: S102 - the course's own reference code
            answers = {variable: scope[variable] for variable in exercise.variables}
            answers.update({name: scope.get(name) for name in exercise.context})
        except Exception as error:
            failures.append(f"{name}: its solution raised {type(error).__name__}: {error}")
            continue
        result = exercise.evaluate(**answers)
        if not result.correct:
            failures.append(f"{name}: its solution was graded {result}")
    return failures


def assert_solutions_work(module: str | ModuleType, namespace: Mapping[str, Any]) -> None:
    """Raise ``AssertionError`` listing every exercise whose solution fails in ``namespace``.

    See :func:`solution_failures`.
    """
    failures = solution_failures(module, namespace)
    if failures:
        raise AssertionError("exercise solutions that fail in this notebook:\n- " + "\n- ".join(failures))
