"""Suite-wide hooks.

After nbval has run the last cell of a lesson notebook, one more item runs in the
same live kernel: every exercise's solution code of that lesson
(``ppml_lessons.exercises.lessonNN``) is executed in the notebook's namespace and
graded, and the item fails if a solution raises or is graded wrong. So a learner
who pastes ``qN.solution()`` into the notebook gets a working, accepted answer,
and the notebooks are still executed only once per run.
"""

from __future__ import annotations

import importlib.util
import re
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

SOLUTIONS_ITEM = "exercise solutions"
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
        cell = nbformat.v4.new_code_cell(_SOLUTIONS_CODE.format(module=module))
        options = defaultdict(bool, check=False)
        item = IPyNbCell.from_parent(notebook, name=SOLUTIONS_ITEM, cell_num=code_cells, cell=cell, options=options)
        items.insert(indices[-1] + 1, item)
