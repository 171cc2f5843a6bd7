#!/usr/bin/env python3
"""Lesson 05's sweeps: membership-inference attacks against models trained at several ε, and for more and more epochs.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/membership_sweep.py            # both sweeps, ~10 min on one thread
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/membership_sweep.py --quick    # a smoke run, not saved

The setting is the lesson's (:mod:`ppml_lessons.attacks.experiment`): 2,000
Fashion-MNIST training images are the target's members, 2,000 more the
non-members, and shadow models train on 2,000 images each drawn from the
remaining 56,000 (offline LiRA: no shadow model ever sees a candidate).

- ``epsilon`` sweep: the non-private target (``epsilon`` = inf) and DP-SGD
  targets at ε = 8, 4, 2, 1 (δ = 1e-5), three training seeds each; the attacker's
  4 shadow models train with the same recipe as the target (the attacker knows
  the training algorithm, as DP assumes).
- ``epochs`` sweep: non-private targets trained for 1 to 60 epochs, with
  shadow models trained for as many epochs, to plot leakage against the
  train-test gap.

Each row is one (target, attack) pair: the target's train and test accuracy
(test = the 2,000 non-members) and the attack's AUC and TPR at the FPRs of
:data:`~ppml_lessons.attacks.experiment.FPR_GRID`. Writes
benchmarks/results/membership_sweep.csv, which lesson 05 reads. Measured run
time: 9.8 minutes with one thread on a 2-core CPU shared with other jobs (the
script prints its run time on its last line).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ppml_lessons.attacks.experiment import (
    RECIPES,
    SETUP,
    attack_summary,
    confidences_and_losses,
    membership_split,
    train_target,
)
from ppml_lessons.attacks.membership import lira_offline, shadow_splits
from ppml_lessons.data import load_fashion_mnist
from ppml_lessons.training import evaluate

RESULTS = Path(__file__).resolve().parent / "results" / "membership_sweep.csv"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny settings, nothing saved")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    start = time.perf_counter()
    device = torch.device("cpu")
    x, y = load_fashion_mnist(train=True).tensors()
    split = membership_split(len(y), n_members=SETUP["n_members"], rng=SETUP["seed"])
    members, non_members, pool = split["members"], split["non_members"], split["pool"]
    candidates = np.r_[members, non_members]
    is_member = np.r_[np.ones(len(members), bool), np.zeros(len(non_members), bool)]
    x_cand, y_cand = x[candidates], y[candidates]
    splits = shadow_splits(len(pool), n_shadows=SETUP["n_shadows"], n_train=SETUP["n_members"],
                           rng=SETUP["seed"] + 1)
    epsilons = [math.inf, 8.0, 4.0, 2.0, 1.0]
    target_seeds = [0, 1, 2]
    epoch_counts = [1, 2, 4, 8, 16, 60]  # and the recipe's 30, from the epsilon sweep
    if args.quick:
        epsilons, target_seeds, epoch_counts = [math.inf, 4.0], [0], [1, 2]

    def train(indices: np.ndarray, *, epsilon: float, epochs: int | None, seed: int):
        return train_target(x[indices], y[indices], epsilon=None if math.isinf(epsilon) else epsilon,
                            epochs=epochs, seed=seed, device=device)

    rows = []

    def attack(target, *, sweep: str, epsilon: float, epochs: int | None, seed: int, shadow_phi: np.ndarray) -> None:
        phi, loss = confidences_and_losses(target, x_cand, y_cand, device=device)
        train_acc = evaluate(target, (x[members], y[members]), device=device)["accuracy"]
        test_acc = evaluate(target, (x[non_members], y[non_members]), device=device)["accuracy"]
        base = {"sweep": sweep, "epsilon": epsilon, "epochs": epochs, "seed": seed, "train_accuracy": train_acc,
                "test_accuracy": test_acc, "gap": train_acc - test_acc}
        for name, scores in [("loss", -loss), ("lira", lira_offline(phi, shadow_phi, global_variance=True))]:
            rows.append({**base, "attack": name, **attack_summary(scores, is_member)})
        print(f"{time.perf_counter() - start:7.0f}s  {sweep:8s} ε={epsilon:<4g} epochs={epochs} seed={seed}  "
              f"train {train_acc:.3f} test {test_acc:.3f}  AUC loss {rows[-2]['auc']:.3f} lira {rows[-1]['auc']:.3f}  "
              f"TPR@0.1% lira {rows[-1]['tpr_at_0.001']:.4f}", flush=True)

    def shadows(*, epsilon: float, epochs: int | None) -> np.ndarray:
        return np.stack([confidences_and_losses(train(pool[s], epsilon=epsilon, epochs=epochs, seed=100 + k),
                                                x_cand, y_cand, device=device)[0]
                         for k, s in enumerate(splits)])

    for epsilon in epsilons:
        shadow_phi = shadows(epsilon=epsilon, epochs=None)
        for seed in target_seeds:
            target = train(members, epsilon=epsilon, epochs=None, seed=seed)
            attack(target, sweep="epsilon", epsilon=epsilon, epochs=None, seed=seed, shadow_phi=shadow_phi)
    for epochs in epoch_counts:
        shadow_phi = shadows(epsilon=math.inf, epochs=epochs)
        target = train(members, epsilon=math.inf, epochs=epochs, seed=0)
        attack(target, sweep="epochs", epsilon=math.inf, epochs=epochs, seed=0, shadow_phi=shadow_phi)
    recipe_rows = [r for r in rows if r["sweep"] == "epsilon" and math.isinf(r["epsilon"]) and r["seed"] == 0]
    rows += [{**r, "sweep": "epochs", "epochs": RECIPES["nonprivate"]["epochs"]} for r in recipe_rows]
    table = pd.DataFrame(rows)
    minutes = (time.perf_counter() - start) / 60
    if args.quick:
        print(table.round(4).to_string())
    else:
        table.round(6).to_csv(args.output, index=False)
        print(f"wrote {args.output}")
    print(f"run time: {minutes:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
