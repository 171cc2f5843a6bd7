#!/usr/bin/env python3
"""Precompute lesson 04's privacy-utility curves: accuracy against ε, and the effect of C, batch size, lr, tanh.

    .venv/bin/python benchmarks/dpsgd_curves.py                     # every run, about 1-2 hours on 2 CPU cores
    .venv/bin/python benchmarks/dpsgd_curves.py --only epsilon      # one experiment
    .venv/bin/python benchmarks/dpsgd_curves.py --epochs 1 --output /tmp/smoke.csv   # a quick smoke run

Every run trains :class:`ppml_lessons.dp.models.DPCNN` on the full 10-class
Fashion-MNIST with the package's DP-SGD (:func:`ppml_lessons.dp.trainer.train_dp_sgd`),
starting from the lesson's settings (``SETTINGS["lesson"]``: 10 epochs, batch
2048, C = 0.1, learning rate 4, momentum 0.9, σ chosen for ε = 3, δ = 1e-5) and
changing one thing:

- ``epsilon``: target ε in {0.5, 1, 2, 3, 8}; plus ``non-private`` (Adam, no
  clipping or noise) and ``clipping only`` (σ = 0: the cost of clipping alone);
- ``clipping``: C in {0.01, 0.1, 1} with the learning rate scaled to keep lr·C = 0.4
  (the longest step the optimizer can take), so that only the clipping changes;
- ``batch_size``: 512, 2048, 8192 (same epochs and ε: more, noisier steps or fewer, cleaner ones);
- ``lr``: 1, 4, 16;
- ``activation``: tanh against ReLU (Papernot et al., 2021);
- ``transfer``: end-to-end DP-SGD on the target task alone (classes 5-9, 30,000
  images, batch 1000 so that q = 1/30 again) at ε = 1 and 3, to compare with
  lesson 04's DP head on the frozen public encoder.

One row per run goes to benchmarks/results/dpsgd_curves.csv (written after each
run, so an interrupted job keeps what it finished). Lesson 04 loads that file
and labels the figures as precomputed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
import torch

from ppml_lessons.data import load_fashion_mnist
from ppml_lessons.dp.models import DPCNN
from ppml_lessons.dp.trainer import SETTINGS, train_dp_sgd
from ppml_lessons.training import evaluate, fit
from ppml_lessons.transfer import task_data

RESULTS = Path(__file__).resolve().parent / "results" / "dpsgd_curves.csv"
BASE = SETTINGS["lesson"]
DEFAULTS = {**BASE, "activation": "tanh", "task": "full"}


def runs() -> list[tuple[str, str, dict]]:
    """(experiment, value, overrides of the lesson's settings) for every run."""
    plan = [("epsilon", str(eps), {"target_epsilon": eps}) for eps in (0.5, 1.0, 2.0, 3.0, 8.0)]
    plan += [("epsilon", "non-private", {"non_private": True}),
             ("epsilon", "clipping only", {"noise_multiplier": 0.0, "target_epsilon": None})]
    plan += [("clipping", str(c), {"max_grad_norm": c, "lr": round(0.4 / c, 10)}) for c in (0.01, 0.1, 1.0)]
    plan += [("batch_size", str(b), {"batch_size": b}) for b in (512, 2048, 8192)]
    plan += [("lr", str(lr), {"lr": lr}) for lr in (1.0, 4.0, 16.0)]
    plan += [("activation", act, {"activation": act}) for act in ("tanh", "relu")]
    plan += [("transfer", str(eps), {"target_epsilon": eps, "task": "target", "batch_size": 1000})
             for eps in (1.0, 3.0)]
    return plan


def run_one(overrides: dict, *, epochs: int | None, seed: int) -> dict:
    settings = {**BASE, **{k: v for k, v in overrides.items() if k in BASE or k == "noise_multiplier"}}
    if settings.get("target_epsilon") is None:
        settings.pop("target_epsilon", None)
    if epochs is not None:
        settings["epochs"] = epochs
    if overrides.get("task") == "target":
        x, y, _ = task_data("target", train=True)
        xt, yt, _ = task_data("target", train=False)
        classes = 5
    else:
        x, y = load_fashion_mnist(train=True).tensors()
        xt, yt = load_fashion_mnist(train=False).tensors()
        classes = 10
    torch.manual_seed(seed)
    model = DPCNN(classes, activation=overrides.get("activation", "tanh"))
    start = time.perf_counter()
    if overrides.get("non_private"):
        fit(model, (x, y), epochs=settings["epochs"], batch_size=128, lr=1e-3, seed=seed, progress=False)
        accuracy = evaluate(model, (xt, yt))["accuracy"]
        return {"epsilon": float("inf"), "noise_multiplier": 0.0, "test_accuracy": accuracy,
                "seconds": time.perf_counter() - start, "epochs": settings["epochs"]}
    history = train_dp_sgd(model, (x, y), eval_data=(xt, yt), seed=seed, progress=False, **settings)
    last = history.iloc[-1]
    return {"epsilon": float(last["epsilon"]), "noise_multiplier": history.attrs["noise_multiplier"],
            "test_accuracy": float(last["eval_accuracy"]), "seconds": time.perf_counter() - start,
            "epochs": settings["epochs"], "batch_size": settings["batch_size"],
            "max_grad_norm": settings["max_grad_norm"], "lr": settings["lr"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted({r[0] for r in runs()}), action="append",
                        help="run only this experiment (repeatable)")
    parser.add_argument("--epochs", type=int, default=None, help="override the epochs (smoke runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    rows: list[dict] = []
    done: dict[tuple, dict] = {}  # the base setting appears in several experiments: train it once
    for experiment, value, overrides in runs():
        if args.only and experiment not in args.only:
            continue
        key = tuple(sorted((k, str(v)) for k, v in overrides.items() if DEFAULTS.get(k, "unset") != v))
        if key not in done:
            done[key] = run_one(overrides, epochs=args.epochs, seed=args.seed)
        rows.append({"experiment": experiment, "value": value, **done[key]})
        print(f"{experiment:11s} {value:14s} accuracy {rows[-1]['test_accuracy']:.4f}  epsilon "
              f"{rows[-1]['epsilon']:.3f}  {rows[-1]['seconds']:.0f} s", flush=True)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).round(5).to_csv(args.output, index=False)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
