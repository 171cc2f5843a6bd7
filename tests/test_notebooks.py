"""Rules every lesson notebook follows, and a guard that the suite executes them all."""

import importlib
import re
from pathlib import Path

import nbformat
import pytest

from ppml_lessons.exercises import Exercise

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
MARK = "# NBVAL_CHECK_OUTPUT"


def _ids(paths):
    return [p.stem for p in paths]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no lesson"


def _covers_notebooks(config) -> bool:
    for arg in config.args:
        target = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if target == NOTEBOOKS_DIR or target in NOTEBOOKS_DIR.parents:
            return True
    return False


def test_every_notebook_is_executed_by_the_suite(request):
    """Fails when a notebook in notebooks/ is left out of the run (ignored, deselected, not collected)."""
    config = request.config
    if not (config.getoption("nbval_lax", False) or config.getoption("nbval", False)) or not _covers_notebooks(config):
        pytest.skip("this run does not include notebooks/ with --nbval-lax (the README's test command does)")
    executed = {Path(str(item.path)).resolve() for item in request.session.items if item.path.suffix == ".ipynb"}
    missing = [p.name for p in NOTEBOOKS if p.resolve() not in executed]
    assert not missing, f"notebooks not executed by this run: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_only_reference_outputs_are_stored(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if MARK in cell.source:
            assert cell.outputs, f"cell {index} is marked {MARK} but has no reference output"
            assert cell.execution_count is not None, f"cell {index} has no execution count"
        else:
            assert not cell.outputs, f"cell {index} stores outputs; clear them (tools/refresh_reference_outputs.py)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_lesson_template(path):
    assert re.fullmatch(r"\d\d_[a-z0-9_]+", path.stem), "name notebooks NN_topic.ipynb"
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {path.stem[:2]} ·")
    for words in ["In this lesson", "Prerequisites", "Run time"]:
        assert words in first.source, f"the title cell must state {words!r}"
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "## Summary" in markdown and "## Further reading" in markdown
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "seed_everything(" in code, "the setup cell seeds everything once"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_every_exercise_of_the_lesson_is_in_its_notebook(path):
    try:
        module = importlib.import_module(f"ppml_lessons.exercises.lesson{path.stem[:2]}")
    except ModuleNotFoundError:
        pytest.fail(f"lesson {path.stem[:2]} has no ppml_lessons.exercises.lesson{path.stem[:2]} module")
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    names = [name for name, value in vars(module).items() if isinstance(value, Exercise)]
    assert len(names) >= 2
    for name in names:
        exercise = getattr(module, name)
        assert f"{name}.check()" in code, f"{name} is never checked in {path.name}"
        for variable in exercise.variables:
            assert re.search(rf"^{variable}\s*=\s*____", code, re.M) or re.search(
                rf"^def {variable}\(", code, re.M
            ), f"{path.name} has no placeholder for {variable}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_markdown_holds_no_control_characters(path):
    """A TAB or other control character in markdown breaks LaTeX: "\\text" pasted as TAB + "ext"."""
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        bad = sorted({repr(ch) for ch in cell.source if ord(ch) < 32 and ch != "\n"})
        assert not bad, f"{path.name} cell {index} holds control characters {bad}"
