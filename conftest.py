"""Suite-wide hooks.

After nbval has run the last cell of a lesson notebook, one more item runs in the
same live kernel: every exercise's solution code of that lesson
(``ppml_lessons.exercises.lessonNN``) is executed in the notebook's namespace and
graded, and the item fails if a solution raises or is graded wrong. So a learner
who pastes ``qN.solution()`` into the notebook gets a working, accepted answer,
and the notebooks are still executed only once per run.

Two more items bracket every whole notebook: before its first cell,
:func:`ppml_lessons.figure_audit.start` begins checking each figure as it is drawn; after
the solutions, ``figure check`` fails if any figure lacked a title or an axis label
(:func:`ppml_lessons.figure_audit.report` names them).
"""

from __future__ import annotations

import importlib.util
import re
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

SOLUTIONS_ITEM = "exercise solutions"
FIGURES_START_ITEM = "figure check (start)"
FIGURES_ITEM = "figure check"
_FIGURES_START_CODE = "import ppml_lessons.figure_audit as _figure_audit\n_figure_audit.start()\n"
_FIGURES_CODE = "_figure_audit.report()\n"
_SOLUTIONS_CODE = """\
from ppml_lessons.exercises.core import assert_solutions_work as _assert_solutions_work
_assert_solutions_work({module!r}, globals())
"""


def _lesson_module(path: Path) -> str | None:
    match = re.match(r"(\d\d)_", path.name)
    if match is None:
        return None
    module = f"ppml_lessons.exercises.lesson{match[1]}"
    return module if importlib.util.find_spec(module) is not None else None


@pytest.hookimpl(trylast=True)  # after -k / -m deselection, so only whole notebooks get the extra item
def pytest_collection_modifyitems(session, config, items):
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # pragma: no cover - nbval is a test dependency
        return
    cells = defaultdict(list)
    for index, item in enumerate(items):
        if isinstance(item, IPyNbCell):
            cells[item.parent].append(index)
    for notebook, indices in sorted(cells.items(), key=lambda pair: -pair[1][-1]):
        module = _lesson_module(Path(str(notebook.path)))
        code_cells = sum(cell.cell_type == "code" for cell in notebook.nb.cells)
        if module is None or len(indices) != code_cells:  # a partial run: the namespace would be incomplete
            continue
        options = defaultdict(bool, check=False)

        def extra(name: str, code: str, number: int) -> IPyNbCell:
            cell = nbformat.v4.new_code_cell(code)
            return IPyNbCell.from_parent(notebook, name=name, cell_num=number, cell=cell, options=options)

        items.insert(indices[-1] + 1, extra(FIGURES_ITEM, _FIGURES_CODE, code_cells + 1))
        items.insert(indices[-1] + 1, extra(SOLUTIONS_ITEM, _SOLUTIONS_CODE.format(module=module), code_cells))
        items.insert(indices[0], extra(FIGURES_START_ITEM, _FIGURES_START_CODE, -1))
