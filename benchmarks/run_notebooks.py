#!/usr/bin/env python3
"""Execute each lesson notebook and print a table: wall time and peak memory of its kernel.

    .venv/bin/python benchmarks/run_notebooks.py                 # every notebook
    .venv/bin/python benchmarks/run_notebooks.py notebooks/00_start_here.ipynb --save

Each notebook runs top to bottom in a fresh kernel of this environment, as a
learner would run it. Wall time counts from the kernel's start to the last
cell's end. Peak memory is the kernel process's maximum resident set size
(``ru_maxrss``), plus that of any child processes it waited for, read by one
extra cell appended after the lesson. ``--save`` also writes the table to
benchmarks/results/notebooks.md. The lessons' budget: a few minutes and
at most 2 GB each on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
import torch
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
MEASURE = """
import json, resource, sys
scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
usage = [resource.getrusage(who).ru_maxrss * scale for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
print(json.dumps({"self": usage[0], "children": usage[1]}))
"""


def measure(path: Path, *, timeout: int) -> dict:
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(MEASURE))
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    stream = next(o for o in notebook.cells[-1].outputs if o.get("output_type") == "stream")
    memory = json.loads(stream["text"].strip().splitlines()[-1])
    return {"notebook": path.name, "wall_s": wall, "peak_rss_mb": max(memory["self"], memory["children"]) / 2**20}


def table(rows: list[dict]) -> str:
    lines = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
        f"torch {torch.__version__}, {'CUDA' if torch.cuda.is_available() else 'no GPU'}",
        "",
        "| notebook | wall time (s) | peak memory (MB) |",
        "|---|---:|---:|",
    ]
    lines += [f"| {r['notebook']} | {r['wall_s']:.1f} | {r['peak_rss_mb']:.0f} |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in notebooks/")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell")
    parser.add_argument("--save", action="store_true", help="also write benchmarks/results/notebooks.md")
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    rows = []
    for path in paths:
        rows.append(measure(path.resolve(), timeout=args.timeout))
        print(f"{path.name}: {rows[-1]['wall_s']:.1f} s, {rows[-1]['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
    result = table(rows)
    print(result)
    if args.save:
        (ROOT / "benchmarks" / "results" / "notebooks.md").write_text(result + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
