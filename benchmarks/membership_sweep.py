#!/usr/bin/env python3
"""Lesson 05's sweeps: membership inference against models trained at several ε, for more and more epochs,
non-private baselines matched on accuracy, and one-run canary audits.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/membership_sweep.py            # everything (see run time below)
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/membership_sweep.py --quick    # a smoke run, not saved

The setting is the lesson's (:mod:`ppml_lessons.attacks.experiment`): 2,000
Fashion-MNIST training images are the target's members, 2,000 more the
non-members, and shadow models train on 2,000 images each drawn from the
remaining 56,000 (offline LiRA: no shadow model ever sees a candidate).

- ``epsilon`` sweep: the non-private target (``epsilon`` = inf, Adam) and DP-SGD
  targets at ε = 8, 4, 2, 1 (δ = 1e-5), three training seeds each; the attacker's
  4 shadow models train with the same recipe as the target (the attacker knows
  the training algorithm, as DP assumes).
- ``matched`` sweep: the DP-SGD recipe with σ = 0 (same sampling, clipping and
  learning rate; ``recipe`` = ``dp-sgd``, ``epsilon`` = inf) for 20 epochs,
  three seeds: a non-private baseline whose accuracy matches the private
  models', so that leakage is compared at equal accuracy.
- ``epochs`` sweep: non-private (Adam) targets trained for 1 to 60 epochs, three
  seeds each, with shadow models trained for as many epochs, to plot leakage
  against the train-test accuracy and loss gaps.

Each row of ``membership_sweep.csv`` is one (target, attack) pair: the target's
train and test accuracy and mean loss (test = the 2,000 non-members) and the
attack's AUC, TPR at the FPRs of :data:`~ppml_lessons.attacks.experiment.FPR_GRID`
and the FPR realised there.

- ``membership_canaries.csv``: one-run audits (Steinke, Nasr & Jagielski, 2023;
  :mod:`ppml_lessons.attacks.audit`). 1,000 test-split images with wrong labels
  are canaries, each added to the 2,000 members with probability 1/2; one model
  per recipe (Adam for 30, 4 and 2 epochs; DP-SGD with σ = 0 for 20 epochs;
  DP-SGD at ε = 8, 4, 2, 1). One row per (model, canary): whether it was
  included and its score, the model's logit-scaled confidence in the canary's
  (wrong) label. Lesson 05 turns the scores into guesses and ε lower bounds.

DP-SGD's noise comes from the operating system's entropy (the trainer's
default), so the private rows differ from run to run. ``--parts`` runs a subset
(e.g. ``--parts canaries --canary-share 0/2`` and ``1/2`` in two processes);
rows are written as they are produced, keeping the other rows in the files.

State of the committed files: ``membership_sweep.csv`` holds the ``epsilon``
and ``epochs`` sweeps of the previous version of this script (one seed per
epoch count; no loss or realised-FPR columns) and no ``matched`` rows yet;
``membership_canaries.csv`` holds 5 of the 8 canary models (Adam 30 and 4
epochs, σ = 0 20 epochs, ε = 8 and ε = 1). On a 2-core machine shared with many
other jobs (about 5% of a core per process), each canary model took 12 to 28
minutes; the full run needs an idle machine. Rerun everything with no
arguments to fill in the rest.
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
    SETUP,
    attack_summary,
    confidences_and_losses,
    membership_split,
    train_target,
)
from ppml_lessons.attacks.audit import draw_canaries
from ppml_lessons.attacks.membership import lira_offline, logit_confidence, model_logits, shadow_splits
from ppml_lessons.data import load_fashion_mnist
from ppml_lessons.training import evaluate

RESULTS = Path(__file__).resolve().parent / "results" / "membership_sweep.csv"
CANARY_RESULTS = RESULTS.with_name("membership_canaries.csv")
#: The canary audit: how many canaries, and the seed of the canaries, their wrong labels and their coins.
CANARIES = {"n_canaries": 1000, "seed": 7}
PARTS = ("epsilon", "matched", "epochs", "canaries")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny settings, nothing saved")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated subset of {','.join(PARTS)} (default: all); rows of the other sweeps "
                             "already in the output file are kept, so parts can run as separate processes")
    parser.add_argument("--canary-share", default="0/1",
                        help="i/n: run every n-th canary model starting at the i-th (to split them across processes)")
    args = parser.parse_args()
    parts = [part for part in args.parts.split(",") if part]
    share, shares = (int(v) for v in args.canary_share.split("/"))
    if not parts or any(part not in PARTS for part in parts):
        parser.error(f"--parts must be a comma-separated subset of {','.join(PARTS)}; got {args.parts!r}")
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
    matched_epochs = [20]  # the DP-SGD recipe (20 epochs) with σ = 0
    canary_runs = [("adam", None, 30), ("dp-sgd", 8.0, 20), ("dp-sgd", math.inf, 20), ("dp-sgd", 1.0, 20),
                   ("adam", None, 4), ("dp-sgd", 4.0, 20), ("adam", None, 2), ("dp-sgd", 2.0, 20)]
    n_canaries = CANARIES["n_canaries"]
    if args.quick:
        epsilons, target_seeds, epoch_counts, matched_epochs = [math.inf, 4.0], [0], [1, 2], [2]
        canary_runs, n_canaries = [("adam", None, 2), ("dp-sgd", 4.0, 2)], 100

    def train(indices: np.ndarray, *, epsilon: float | None, epochs: int | None, seed: int):
        """epsilon None: Adam; inf: DP-SGD with σ = 0; a number: DP-SGD at that ε."""
        return train_target(x[indices], y[indices], epsilon=epsilon, epochs=epochs, seed=seed, device=device)

    rows = []

    def save_rows() -> None:
        """Write the rows so far, keeping the rows of other sweeps (or other runs) already in the file."""
        if args.quick or not rows:
            return
        table = pd.DataFrame(rows)
        if args.output.exists():
            kept = pd.read_csv(args.output)
            done = set(zip(table["sweep"], table["recipe"], table["epsilon"], table["epochs"].fillna(-1), table["seed"]))
            if "recipe" in kept:
                keys = zip(kept["sweep"], kept["recipe"], kept["epsilon"], kept["epochs"].fillna(-1), kept["seed"])
                kept = kept[[key not in done for key in keys]]
            table = pd.concat([kept, table], ignore_index=True)
        table.round(6).to_csv(args.output, index=False)

    def attack(target, *, sweep: str, recipe: str, epsilon: float, epochs: int | None, seed: int,
               shadow_phi: np.ndarray) -> None:
        phi, loss = confidences_and_losses(target, x_cand, y_cand, device=device)
        train_acc = evaluate(target, (x[members], y[members]), device=device)["accuracy"]
        test_acc = evaluate(target, (x[non_members], y[non_members]), device=device)["accuracy"]
        train_loss, test_loss = float(loss[is_member].mean()), float(loss[~is_member].mean())
        base = {"sweep": sweep, "recipe": recipe, "epsilon": epsilon, "epochs": epochs, "seed": seed,
                "train_accuracy": train_acc, "test_accuracy": test_acc, "gap": train_acc - test_acc,
                "train_loss": train_loss, "test_loss": test_loss, "loss_gap": test_loss - train_loss}
        for name, scores in [("loss", -loss), ("lira", lira_offline(phi, shadow_phi, global_variance=True))]:
            rows.append({**base, "attack": name, **attack_summary(scores, is_member)})
        print(f"{time.perf_counter() - start:7.0f}s  {sweep:8s} {recipe:6s} ε={epsilon:<4g} epochs={epochs} "
              f"seed={seed}  train {train_acc:.3f} test {test_acc:.3f}  loss gap {test_loss - train_loss:.3f}  "
              f"AUC loss {rows[-2]['auc']:.3f} lira {rows[-1]['auc']:.3f}  "
              f"TPR@0.1% lira {rows[-1]['tpr_at_0.001']:.4f}", flush=True)
        save_rows()

    def shadows(*, epsilon: float | None, epochs: int | None) -> np.ndarray:
        return np.stack([confidences_and_losses(train(pool[s], epsilon=epsilon, epochs=epochs, seed=100 + k),
                                                x_cand, y_cand, device=device)[0]
                         for k, s in enumerate(splits)])

    for epsilon in epsilons if "epsilon" in parts else []:
        recipe_epsilon = None if math.isinf(epsilon) else epsilon
        shadow_phi = shadows(epsilon=recipe_epsilon, epochs=None)
        for seed in target_seeds:
            target = train(members, epsilon=recipe_epsilon, epochs=None, seed=seed)
            attack(target, sweep="epsilon", recipe="adam" if recipe_epsilon is None else "dp-sgd", epsilon=epsilon,
                   epochs=None, seed=seed, shadow_phi=shadow_phi)
    for epochs in matched_epochs if "matched" in parts else []:
        shadow_phi = shadows(epsilon=math.inf, epochs=epochs)
        for seed in target_seeds:
            target = train(members, epsilon=math.inf, epochs=epochs, seed=seed)
            attack(target, sweep="matched", recipe="dp-sgd", epsilon=math.inf, epochs=epochs, seed=seed,
                   shadow_phi=shadow_phi)
    for epochs in epoch_counts if "epochs" in parts else []:
        shadow_phi = shadows(epsilon=None, epochs=epochs)
        for seed in target_seeds:
            target = train(members, epsilon=None, epochs=epochs, seed=seed)
            attack(target, sweep="epochs", recipe="adam", epsilon=math.inf, epochs=epochs, seed=seed,
                   shadow_phi=shadow_phi)
    table = pd.DataFrame(rows)  # the epochs sweep's 30 epochs are the epsilon sweep's non-private rows

    # one-run canary audits: mislabelled test-split images, each in the training set with probability 1/2
    x_test, y_test = load_fashion_mnist(train=False).tensors()
    canaries = draw_canaries(y_test.numpy(), n_canaries=n_canaries, rng=CANARIES["seed"])
    x_canary = x_test[canaries["index"]]
    y_canary = torch.as_tensor(canaries["label"])
    inside = np.flatnonzero(canaries["included"])
    x_train = torch.cat([x[members], x_canary[inside]])
    y_train = torch.cat([y[members], y_canary[inside]])
    canary_rows = []
    def save_canaries() -> None:
        if args.quick or not canary_rows:
            return
        table = pd.DataFrame(canary_rows)
        if CANARY_RESULTS.exists():
            kept = pd.read_csv(CANARY_RESULTS)
            done = set(zip(table["recipe"], table["epsilon"], table["epochs"], table["seed"]))
            kept = kept[[key not in done for key in zip(kept["recipe"], kept["epsilon"], kept["epochs"], kept["seed"])]]
            table = pd.concat([kept, table], ignore_index=True)
        table.round(6).to_csv(CANARY_RESULTS, index=False)

    for recipe, epsilon, epochs in canary_runs[share::shares] if "canaries" in parts else []:
        model = train_target(x_train, y_train, epsilon=epsilon, epochs=epochs, seed=0, device=device)
        score = logit_confidence(model_logits(model, x_canary, device=device), y_canary)
        test_acc = evaluate(model, (x[non_members], y[non_members]), device=device)["accuracy"]
        eps = math.inf if epsilon is None else epsilon
        canary_rows += [{"recipe": recipe, "epsilon": eps, "epochs": epochs, "seed": 0, "test_accuracy": test_acc,
                         "canary": i, "included": bool(canaries["included"][i]), "score": float(score[i])}
                        for i in range(n_canaries)]
        order = np.argsort(-score)
        top = canaries["included"][order[:100]].mean()
        print(f"{time.perf_counter() - start:7.0f}s  canaries {recipe:6s} ε={eps:<4g} epochs={epochs}  "
              f"test {test_acc:.3f}  included among the top 100 scores: {top:.2f}", flush=True)
        save_canaries()
    canary_table = pd.DataFrame(canary_rows)
    minutes = (time.perf_counter() - start) / 60
    if args.quick:
        print(table.round(4).to_string())
        print(canary_table.groupby(["recipe", "epsilon", "epochs", "included"])["score"].mean())
    else:
        print(f"wrote {args.output} and {CANARY_RESULTS} (row by row)")
    print(f"run time: {minutes:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
