#!/usr/bin/env python3
"""Execute lessons once with nbclient and print their slowest cells, for the instructor guide.

    python tools/cell_times.py notebooks/04_dp_sgd.ipynb [--top 5]

Times are wall-clock seconds from the kernel's own timestamps (busy to idle); on a shared or busy
machine they are inflated, so compare them within one run. The lesson file is not modified.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def executed_cell_times(cells: list) -> list[tuple[int, float, str]]:
    """(code cell number, seconds, first line of code) of every code cell that nbclient timed, in order.

    Shared with ``benchmarks/run_notebooks.py``, which lists each lesson's slowest cells.
    """
    rows, number = [], 0
    for cell in cells:
        if cell.cell_type != "code":
            continue
        number += 1
        timing = cell.metadata.get("execution", {})
        start, end = timing.get("iopub.status.busy"), timing.get("iopub.status.idle")
        if start and end:
            seconds = (datetime.fromisoformat(end.rstrip("Z")) - datetime.fromisoformat(start.rstrip("Z"))).total_seconds()
            first = next((line.strip() for line in cell.source.splitlines()
                          if line.strip() and not line.lstrip().startswith("#")), "")
            rows.append((number, seconds, first[:70]))
    return rows


def cell_times(path: Path, *, timeout: int = 900) -> list[tuple[int, float, str]]:
    """(code cell number, seconds, first line) for every code cell of the lesson, in order."""
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=timeout, record_timing=True, resources={"metadata": {"path": str(path.parent)}}).execute()
    return executed_cell_times(notebook.cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=5, help="how many of the slowest cells to print (default 5)")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        rows = cell_times(path)
        total = sum(seconds for _, seconds, _ in rows)
        print(f"{path.name}: {total:.1f} s in {len(rows)} code cells; slowest:")
        for number, seconds, first in sorted(rows, key=lambda r: -r[1])[: args.top]:
            print(f"  cell {number:3d}  {seconds:7.1f} s  {first}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
