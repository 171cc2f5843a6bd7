"""The repository's conftest.py runs every exercise's solution in the kernel nbval has just run a lesson in."""

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest_plugins = ["pytester"]


@pytest.mark.slow
def test_a_solution_that_fails_in_the_notebook_fails_the_run(pytester):
    pytester.makeconftest((ROOT / "conftest.py").read_text())
    # a lesson-00 notebook whose namespace breaks both solutions: q1's runs but is graded wrong
    # (train_images is not Fashion-MNIST), q2's raises NameError (adult_train is never defined)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# 00 · probe"),
        nbformat.v4.new_code_cell(
            "import types\nimport torch\n"
            "train_images = types.SimpleNamespace(classes=['Sneaker'], targets=torch.zeros(5))"
        ),
    ]
    nbformat.write(notebook, pytester.path / "00_probe.ipynb")
    result = pytester.runpytest_subprocess("--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
                                           "00_probe.ipynb")
    result.assert_outcomes(passed=3, failed=1)  # the cell and the two figure-check items pass
    output = result.stdout.str()
    assert "00_probe.ipynb::exercise solutions" in output
    assert "q1: its solution was graded Incorrect: 5 is not the number of sneakers" in output
    assert "q2: its solution raised NameError: name 'adult_train' is not defined" in output


def test_a_partial_run_gets_no_solutions_item(pytester):
    pytester.makeconftest((ROOT / "conftest.py").read_text())
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("y = 2")]
    nbformat.write(notebook, pytester.path / "00_probe.ipynb")
    options = ("--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider", "--collect-only", "-q")
    result = pytester.runpytest(*options, "00_probe.ipynb::Cell 0")
    assert "exercise solutions" not in result.stdout.str()
    assert "figure check" not in result.stdout.str()
    result = pytester.runpytest(*options, "00_probe.ipynb")
    assert "00_probe.ipynb::exercise solutions" in result.stdout.str()


@pytest.mark.slow
def test_a_figure_without_labels_fails_the_figure_check(pytester):
    pytester.makeconftest((ROOT / "conftest.py").read_text())
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt"),
        nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nax.plot([0, 1], [1, 0])\nax.set_title('Loss')\nplt.show()"),
        nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nax.plot([0, 1], [0, 1])\n"
                                  "ax.set(title='Fine', xlabel='epoch', ylabel='loss')\nplt.show()"),
    ]
    nbformat.write(notebook, pytester.path / "00_probe.ipynb")
    result = pytester.runpytest_subprocess("--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
                                           "00_probe.ipynb")
    output = result.stdout.str()
    assert "00_probe.ipynb::figure check" in output
    assert "figure 'Loss': Axes 1 of 1 ('Loss'): the x axis has tick labels but no label" in output
    assert "'Fine'" not in output.split("figures that cannot be read")[-1]
