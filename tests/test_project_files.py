"""The set-up files agree with each other: README, CI, pyproject, constraints and Binder."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[_name(name)] = version
    return pins


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_ci_calls_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = "python3 course.py test"
    assert command in readme and "python3 course.py lab" in readme
    assert command in (ROOT / ".ci" / "run").read_text()


def test_every_dependency_is_pinned_exactly():
    pins = _pins()
    project = _pyproject()
    for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
        assert _name(requirement) in pins, f"{requirement} has no pin in constraints.txt"


def test_binder_installs_the_runtime_dependencies_with_the_same_pins():
    lines = [
        line.strip()
        for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "-c ../constraints.txt" in lines
    names = {_name(line) for line in lines if not line.startswith("-")}
    assert names == {_name(r) for r in _pyproject()["dependencies"]}
    pins = _pins()
    for torch_line in [line for line in lines if line.startswith("torch")]:
        name, version = torch_line.split("==")
        assert version == pins[name] + "+cpu", "Binder's CPU build must match the pinned version"
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
