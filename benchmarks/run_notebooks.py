#!/usr/bin/env python3
"""Execute each lesson notebook and print a table: wall time and peak memory of its kernel.

    .venv/bin/python benchmarks/run_notebooks.py                 # every notebook
    .venv/bin/python benchmarks/run_notebooks.py notebooks/00_start_here.ipynb --save

Each notebook runs top to bottom in a fresh kernel of this environment, as a
learner would run it. Wall time counts from the kernel's start to the last
cell's end. Peak memory is the kernel process's maximum resident set size
(``ru_maxrss``), plus that of any child processes it waited for, read by one
extra cell appended after the lesson. With ``--tree``, a thread also samples the
whole process tree every half second (the kernel and every process it starts,
e.g. lesson 10's SuperLink, SuperNodes and their apps) and reports the peak of
the sum of their proportional set sizes (PSS: shared pages split among the
processes that share them, so the sum is what they use together) and of their
resident set sizes (RSS, which counts shared libraries once per process).
``--save`` also writes the table to
benchmarks/results/notebooks.md, followed by each lesson's slowest code cells (those taking at
least ``SLOW_CELL_S`` seconds, from the kernel's own busy/idle timestamps), which
``tools/sync_run_times.py`` copies into the instructor guide. The lessons' budget: a few minutes and
at most 2 GB each on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path

import threading

import nbformat
import psutil
import torch
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("cell_times", ROOT / "tools" / "cell_times.py")
_cell_times = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cell_times)
#: A code cell that takes at least this long (seconds) is listed as slow.
SLOW_CELL_S = 2.0
#: At most this many slow cells are listed per lesson, slowest first.
SLOW_CELLS_SHOWN = 3
MEASURE = """
import json, resource, sys
scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
usage = [resource.getrusage(who).ru_maxrss * scale for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
print(json.dumps({"self": usage[0], "children": usage[1]}))
"""


class TreeSampler(threading.Thread):
    """Sample the memory of every descendant of this process until stopped; keep the peaks."""

    def __init__(self, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.interval, self.stopped = interval, threading.Event()
        self.peak_pss = self.peak_rss = 0
        self.most_processes = 0

    def run(self) -> None:
        me = psutil.Process()
        while not self.stopped.is_set():
            pss = rss = 0
            processes = me.children(recursive=True)
            for process in processes:
                try:
                    info = process.memory_full_info()
                except psutil.Error:  # ended meanwhile
                    continue
                pss, rss = pss + info.pss, rss + info.rss
            self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)
            self.most_processes = max(self.most_processes, len(processes))
            self.stopped.wait(self.interval)


def measure(path: Path, *, timeout: int, tree: bool = False, audit: bool = False) -> dict:
    notebook = nbformat.read(path, as_version=4)
    if audit:  # ppml_lessons.figure_audit, as the test suite runs it
        notebook.cells.insert(0, nbformat.v4.new_code_cell("import ppml_lessons.figure_audit as _fa\n_fa.start()"))
        notebook.cells.append(nbformat.v4.new_code_cell("print('FIGURES', _fa.stop())"))
    notebook.cells.append(nbformat.v4.new_code_cell(MEASURE))
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    sampler = TreeSampler()
    if tree:
        sampler.start()
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        sampler.stopped.set()
    wall = time.perf_counter() - start
    stream = next(o for o in notebook.cells[-1].outputs if o.get("output_type") == "stream")
    lesson_cells = notebook.cells[1:-2] if audit else notebook.cells[:-1]
    slow = sorted(cell_seconds(lesson_cells), key=lambda pair: -pair[0])
    if audit:
        figures = "".join(o.get("text", "") for o in notebook.cells[-2].outputs)
        print(f"{path.name}: {figures.strip()}", file=sys.stderr, flush=True)
    memory = json.loads(stream["text"].strip().splitlines()[-1])
    row = {"notebook": path.name, "wall_s": wall, "peak_rss_mb": max(memory["self"], memory["children"]) / 2**20,
           "slow_cells": [(seconds, first) for seconds, first in slow if seconds >= SLOW_CELL_S][:SLOW_CELLS_SHOWN]}
    if tree:
        row |= {"tree_pss_mb": sampler.peak_pss / 2**20, "tree_rss_mb": sampler.peak_rss / 2**20,
                "tree_processes": sampler.most_processes}
    return row


def cell_seconds(cells: list) -> list[tuple[float, str]]:
    """(seconds, first line of code) of every executed code cell (``tools/cell_times.py`` reads the timings)."""
    return [(seconds, first) for _, seconds, first in _cell_times.executed_cell_times(cells)]


def table(rows: list[dict]) -> str:
    lines = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
        f"torch {torch.__version__}, {'CUDA' if torch.cuda.is_available() else 'no GPU'}",
        "",
        "| notebook | wall time (s) | peak memory (MB) |",
        "|---|---:|---:|",
    ]
    lines += [f"| {r['notebook']} | {r['wall_s']:.1f} | {r['peak_rss_mb']:.0f} |" for r in rows]
    if any("tree_pss_mb" in r for r in rows):
        lines += ["", "Process tree (kernel and every process it started), sampled every 0.5 s:", "",
                  "| notebook | peak sum of PSS (MB) | peak sum of RSS (MB) | most processes at once |",
                  "|---|---:|---:|---:|"]
        lines += [f"| {r['notebook']} | {r['tree_pss_mb']:.0f} | {r['tree_rss_mb']:.0f} | {r['tree_processes']} |"
                  for r in rows if "tree_pss_mb" in r]
    if any("slow_cells" in r for r in rows):
        lines += ["", f"Slowest code cells (at least {SLOW_CELL_S:g} s; at most {SLOW_CELLS_SHOWN} per notebook), "
                      "by their first line of code:", "",
                  "| notebook | seconds | first line of the cell |", "|---|---:|---|"]
        for r in rows:
            for seconds, first in r.get("slow_cells", []):
                shown = first if len(first) <= 60 else first[:57] + "..."
                lines.append(f"| {r['notebook']} | {seconds:.1f} | `{shown.replace('|', '/').replace('`', '')}` |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in notebooks/")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell")
    parser.add_argument("--save", action="store_true", help="also write benchmarks/results/notebooks.md")
    parser.add_argument("--tree", action="store_true", help="also sample the memory of the whole process tree")
    parser.add_argument("--audit-figures", action="store_true",
                        help="also list figures without a title or axis label (ppml_lessons.figure_audit)")
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    rows = []
    for path in paths:
        rows.append(measure(path.resolve(), timeout=args.timeout, tree=args.tree, audit=args.audit_figures))
        print(f"{path.name}: {rows[-1]['wall_s']:.1f} s, {rows[-1]['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
    result = table(rows)
    print(result)
    if args.save:
        (ROOT / "benchmarks" / "results" / "notebooks.md").write_text(result + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
