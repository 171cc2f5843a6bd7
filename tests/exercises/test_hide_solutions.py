"""PPML_HIDE_SOLUTIONS hides `solution()` for an assessed lab; hints and checks are unaffected."""

from __future__ import annotations

import pytest

from ppml_lessons.exercises.lesson00 import q1


def test_solution_is_shown_by_default(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PPML_HIDE_SOLUTIONS", raising=False)
    q1.solution()
    out = capsys.readouterr().out
    assert out.startswith("Solution:\n") and q1.solution_code.strip().splitlines()[0] in out


@pytest.mark.parametrize("value", ["0", ""])
def test_zero_or_empty_keeps_solutions(value: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("PPML_HIDE_SOLUTIONS", value)
    q1.solution()
    assert capsys.readouterr().out.startswith("Solution:\n")


def test_solution_is_hidden_when_set(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PPML_HIDE_SOLUTIONS", "1")
    q1.solution()
    out = capsys.readouterr().out
    assert "hidden" in out and q1.solution_code.strip().splitlines()[0] not in out
    q1.hint()
    assert capsys.readouterr().out.startswith("Hint: ")
    assert q1.evaluate(**q1.reference_answers()).correct  # the checker still accepts the reference
