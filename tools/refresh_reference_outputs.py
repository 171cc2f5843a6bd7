#!/usr/bin/env python3
"""Execute lesson notebooks and keep only the reference outputs nbval checks.

    .venv/bin/python tools/refresh_reference_outputs.py notebooks/00_start_here.ipynb [...]

Each notebook is executed top to bottom in a fresh kernel of this environment.
Afterwards every code cell loses its outputs and execution count, except the
cells whose source contains ``# NBVAL_CHECK_OUTPUT``: they keep both, and
become the reference that ``pytest --nbval-lax`` compares against. Run this
after changing a lesson, read the diff of the kept outputs, and commit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

MARK = "# NBVAL_CHECK_OUTPUT"


def refresh(path: Path, *, timeout: int) -> int:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    kept = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if MARK in cell.source:
            kept += 1
            cell.outputs = [o for o in cell.outputs if o.get("output_type") != "display_data"]
        else:
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    args = parser.parse_args()
    for path in args.notebooks:
        kept = refresh(path, timeout=args.timeout)
        print(f"{path}: executed; kept the outputs of {kept} {MARK} cells")
    return 0


if __name__ == "__main__":
    sys.exit(main())
