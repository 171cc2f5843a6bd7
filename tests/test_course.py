"""Tests of course.py, the one-command entry point: the JupyterLab command it builds (no lab is started)."""

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def course():
    spec = importlib.util.spec_from_file_location("course", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_root_gets_allow_root(course):
    command = course.lab_command("/venv/bin/python", [], as_root=True)
    assert command[:4] == ["/venv/bin/python", "-m", "jupyter", "lab"]
    assert command.count("--allow-root") == 1


def test_other_users_do_not(course):
    command = course.lab_command("/venv/bin/python", ["--no-browser"], as_root=False)
    assert "--allow-root" not in command and command[-1] == "--no-browser"


def test_allow_root_given_by_hand_is_not_repeated(course):
    assert course.lab_command("py", ["--allow-root"], as_root=True).count("--allow-root") == 1


def test_root_is_detected_from_the_effective_user_id(course, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    assert course.running_as_root()
    assert "--allow-root" in course.lab_command("py", [])
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    assert not course.running_as_root()
    assert "--allow-root" not in course.lab_command("py", [])
    monkeypatch.delattr(os, "geteuid", raising=False)  # Windows has no geteuid
    assert not course.running_as_root()
