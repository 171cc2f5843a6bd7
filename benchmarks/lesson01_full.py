#!/usr/bin/env python3
"""Lesson 01's main figure with the full settings: up to all 6,000 labels per class, three seeds, ten times the budget.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/lesson01_full.py            # all seeds of SETTINGS["full"]
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/lesson01_full.py --seeds 0 --sizes 500 6000 --output /tmp/part.csv

Every method gets the same labelled images, the same training/validation
split and, for scratch training and fine-tuning, the same early-stopping
budget (``SETTINGS["full"]``; see ``ppml_lessons.transfer_curve``). Runs go
seed by seed, largest size first; after each (seed, size) the finished runs
are written to benchmarks/results/lesson01_full.csv, so an interrupted run
leaves complete (seed, size) cells only. Prints target test accuracy (mean and standard deviation over
seeds) for each method and number of labelled images per class, the steps
early stopping kept, and the run time of each seed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from ppml_lessons.pretrained import load_encoder
from ppml_lessons.transfer import SETTINGS, per_class_indices, task_data
from ppml_lessons.transfer_curve import learning_curve

RESULTS = Path(__file__).resolve().parent / "results" / "lesson01_full.csv"


def main(argv: list[str] | None = None) -> int:
    settings = SETTINGS["full"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(settings["seeds"]))
    parser.add_argument("--sizes", type=int, nargs="+", default=list(settings["sizes"]))
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    target_x, target_y, _ = task_data("target", train=True)
    test_x, test_y, _ = task_data("target", train=False)
    idx = per_class_indices(test_y, settings["test_per_class"], rng=0)
    encoder = load_encoder("source").features
    parts = []
    start = time.perf_counter()
    for seed in args.seeds:
        for size in sorted(args.sizes, reverse=True):
            begun = time.perf_counter()
            parts.append(learning_curve(
                encoder, (target_x, target_y), (test_x[idx], test_y[idx]), sizes=[size], seeds=[seed],
                **settings["budget"], val_max_per_class=settings["val_max_per_class"], progress=False,
            ))
            curve = pd.concat(parts, ignore_index=True).sort_values(["seed", "per_class"], kind="stable")
            curve.to_csv(args.output, index=False)
            print(f"seed {seed}, {size} per class: {(time.perf_counter() - begun) / 60:.1f} minutes", flush=True)
    elapsed = time.perf_counter() - start
    table = curve.pivot_table(index="per_class", columns="method", values="accuracy", aggfunc=["mean", "std"])
    print(table.round(3).to_string())
    steps = curve[curve["method"] != "linear probe"].pivot_table(index="per_class", columns="method",
                                                                 values=["best_step", "steps"], aggfunc="median")
    print("\nmedian optimizer steps kept (best_step) and run (steps) by early stopping:")
    print(steps.to_string())
    print(f"\n{len(curve)} runs ({len(args.seeds)} seeds) in {elapsed / 60:.1f} minutes; written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
