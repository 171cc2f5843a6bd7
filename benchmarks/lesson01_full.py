#!/usr/bin/env python3
"""Lesson 01's main figure with the full settings: all labels, five seeds, more training steps.

    .venv/bin/python benchmarks/lesson01_full.py          # about 30 minutes on a 2-core CPU

Prints target test accuracy (mean and standard deviation over seeds) for
training from scratch, the linear probe and fine-tuning at each number of
labelled images per class, the run time, and writes every run to
benchmarks/results/lesson01_full.csv. The lesson's default settings are the
"default" entry of ``ppml_lessons.transfer.SETTINGS``; these are "full".
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ppml_lessons.pretrained import load_encoder
from ppml_lessons.transfer import SETTINGS, learning_curve, per_class_indices, task_data

RESULTS = Path(__file__).resolve().parent / "results" / "lesson01_full.csv"


def main() -> int:
    settings = SETTINGS["full"]
    target_x, target_y, _ = task_data("target", train=True)
    test_x, test_y, _ = task_data("target", train=False)
    idx = per_class_indices(test_y, settings["test_per_class"], rng=0)
    start = time.perf_counter()
    curve = learning_curve(
        load_encoder("source").features,
        (target_x, target_y),
        (test_x[idx], test_y[idx]),
        sizes=settings["sizes"],
        seeds=settings["seeds"],
        max_steps=settings["max_steps"],
        finetune_steps=settings["finetune_steps"],
    )
    elapsed = time.perf_counter() - start
    curve.to_csv(RESULTS, index=False)
    table = curve.pivot_table(index="per_class", columns="method", values="accuracy", aggfunc=["mean", "std"])
    print(table.round(3).to_string())
    print(f"\n{len(curve)} runs in {elapsed / 60:.1f} minutes; written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
