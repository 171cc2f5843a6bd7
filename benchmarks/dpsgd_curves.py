#!/usr/bin/env python3
"""Precompute lesson 04's privacy-utility curves: accuracy against ε, and the effect of C, batch size, lr, tanh.

    .venv/bin/python benchmarks/dpsgd_curves.py                       # every run, about 1.5 hours on 2 CPU cores
    .venv/bin/python benchmarks/dpsgd_curves.py --only epsilon_lesson # rerun one experiment, keep the others
    .venv/bin/python benchmarks/dpsgd_curves.py --epochs 1 --output /tmp/smoke.csv   # a quick smoke run

Every run trains :class:`ppml_lessons.dp.models.DPCNN` with the package's DP-SGD
(:func:`ppml_lessons.dp.trainer.train_dp_sgd`) for 10 epochs at δ = 1e-5, seed 0.
Most start from Tramèr & Boneh's values for 10 epochs (``BASE``: batch 2048,
C = 0.1, learning rate 4, momentum 0.9, σ chosen for ε = 3) and change one thing:

- ``epsilon``: target ε in {0.5, 1, 2, 3, 8}; plus ``non-private`` (Adam, no
  clipping or noise) and ``clipping only`` (σ = 0: the cost of clipping alone);
- ``clipping``: C in {0.01, 0.1, 1} with the learning rate scaled to keep lr·C = 0.4
  (the longest step the optimizer can take), so that only the clipping changes;
- ``batch_size``: 512, 2048, 8192 (same epochs and ε: more, noisier steps or fewer, cleaner ones);
- ``lr``: 1, 4, 16 (scored on the test split, like every experiment above: these are curves to read,
  not a choice of settings);
- ``lr_validation``: the choice of lesson 04's learning rate, made without the test split. The lesson's
  settings are trained on 50,000 training images with learning rates 2 to 64 and scored on the other
  10,000 (a validation split drawn with the seed); the best is the lesson's. Its ε, like every ε
  here, covers one training run only: choosing among runs costs privacy too (Papernot & Steinke 2022),
  which this benchmark does not account for, as lesson 04 says;
- ``activation``: tanh against ReLU (Papernot et al., 2021);
- ``epsilon_lesson``: the ε sweep again with the lesson's settings
  (``SETTINGS["lesson"]``, learning rate 16), and its ``clipping only`` run;
- ``transfer_30000`` and ``transfer_3000``: end-to-end DP-SGD with the lesson's
  settings on the target task alone (classes 5-9: all 30,000 images, or 600 per
  class), at ε in {0.5, 1, 3}, with q = 1/30 (batch 1000 or 100), to compare with
  lesson 04's DP head on the frozen public encoder.

One row per run goes to benchmarks/results/dpsgd_curves.csv, written after each
run so that an interrupted job keeps what it finished; with ``--only``, the rows
of the other experiments already in the file are kept. Lesson 04 loads the file
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
from ppml_lessons.transfer import per_class_indices, task_data

RESULTS = Path(__file__).resolve().parent / "results" / "dpsgd_curves.csv"
BASE = {**{k: v for k, v in SETTINGS["tramer_boneh"].items() if k != "noise_multiplier"},
        "epochs": 10, "target_epsilon": 3.0}
DEFAULTS = {**BASE, "activation": "tanh", "task": "full", "per_class": None}
#: The learning rates ``lr_validation`` compares on the validation split, and its size.
VALIDATION_LRS = (2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
VALIDATION_SIZE = 10_000
LESSON = {k: v for k, v in SETTINGS["lesson"].items() if BASE.get(k) != v}  # what the lesson changes


def runs() -> list[tuple[str, str, dict]]:
    """(experiment, value, overrides of BASE) for every run."""
    epsilons = (0.5, 1.0, 2.0, 3.0, 8.0)
    plan = [("epsilon", str(eps), {"target_epsilon": eps}) for eps in epsilons]
    plan += [("epsilon", "non-private", {"non_private": True}),
             ("epsilon", "clipping only", {"noise_multiplier": 0.0, "target_epsilon": None})]
    plan += [("clipping", str(c), {"max_grad_norm": c, "lr": round(0.4 / c, 10)}) for c in (0.01, 0.1, 1.0)]
    plan += [("batch_size", str(b), {"batch_size": b}) for b in (512, 2048, 8192)]
    plan += [("lr", str(lr), {"lr": lr}) for lr in (1.0, 4.0, 16.0)]
    plan += [("activation", act, {"activation": act}) for act in ("tanh", "relu")]
    plan += [("lr_validation", str(lr), {**LESSON, "lr": lr, "task": "validation"}) for lr in VALIDATION_LRS]
    plan += [("epsilon_lesson", str(eps), {**LESSON, "target_epsilon": eps}) for eps in epsilons]
    plan += [("epsilon_lesson", "clipping only", {**LESSON, "noise_multiplier": 0.0, "target_epsilon": None})]
    for n, per_class, batch in [(30_000, None, 1000), (3_000, 600, 100)]:
        plan += [(f"transfer_{n}", str(eps), {**LESSON, "target_epsilon": eps, "task": "target",
                                               "per_class": per_class, "batch_size": batch})
                 for eps in (0.5, 1.0, 3.0)]
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
        if overrides.get("per_class"):
            keep = per_class_indices(y, overrides["per_class"], rng=seed)
            x, y = x[keep], y[keep]
        classes = 5
    elif overrides.get("task") == "validation":  # no test image is seen: the last VALIDATION_SIZE of a seeded shuffle
        images, labels = load_fashion_mnist(train=True).tensors()
        order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
        x, y = images[order[:-VALIDATION_SIZE]], labels[order[:-VALIDATION_SIZE]]
        xt, yt = images[order[-VALIDATION_SIZE:]], labels[order[-VALIDATION_SIZE:]]
        classes = 10
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
                "seconds": time.perf_counter() - start, "epochs": settings["epochs"], "n": len(y)}
    history = train_dp_sgd(model, (x, y), eval_data=(xt, yt), seed=seed, progress=False, **settings)
    last = history.iloc[-1]
    scored = "validation_accuracy" if overrides.get("task") == "validation" else "test_accuracy"
    return {"epsilon": float(last["epsilon"]), "noise_multiplier": history.attrs["noise_multiplier"],
            scored: float(last["eval_accuracy"]), "seconds": time.perf_counter() - start,
            "epochs": settings["epochs"], "n": len(y), "batch_size": settings["batch_size"],
            "max_grad_norm": settings["max_grad_norm"], "lr": settings["lr"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted({r[0] for r in runs()}), action="append",
                        help="run only this experiment (repeatable); the file keeps the other experiments' rows")
    parser.add_argument("--epochs", type=int, default=None, help="override the epochs (smoke runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clipping", choices=["vmap", "ghost", "bookkeeping"], default=None,
                        help="how the clipped sums are computed (the same result up to float rounding; vmap is "
                             "the fastest on a CPU)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.clipping:
        BASE["clipping"] = args.clipping
    kept = pd.DataFrame()
    if args.only and args.output.exists():
        kept = pd.read_csv(args.output, dtype={"value": str})
        kept = kept[~kept["experiment"].isin(args.only)]
    order = {name: i for i, name in enumerate(dict.fromkeys(r[0] for r in runs()))}
    rows: list[dict] = []
    done: dict[tuple, dict] = {}  # a setting that appears in several experiments is trained once
    for experiment, value, overrides in runs():
        if args.only and experiment not in args.only:
            continue
        key = tuple(sorted((k, str(v)) for k, v in overrides.items() if DEFAULTS.get(k, "unset") != v))
        if key not in done:
            done[key] = run_one(overrides, epochs=args.epochs, seed=args.seed)
        rows.append({"experiment": experiment, "value": value, **done[key]})
        scored = "validation" if "validation_accuracy" in rows[-1] else "test"
        print(f"{experiment:15s} {value:14s} {scored} accuracy {rows[-1].get(scored + '_accuracy'):.4f}  epsilon "
              f"{rows[-1]['epsilon']:.3f}  {rows[-1]['seconds']:.0f} s", flush=True)
        table = pd.concat([kept, pd.DataFrame(rows)], ignore_index=True)
        table = table.sort_values("experiment", key=lambda column: column.map(order), kind="stable")
        args.output.parent.mkdir(parents=True, exist_ok=True)
        table.round(5).to_csv(args.output, index=False)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
