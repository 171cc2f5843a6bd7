#!/usr/bin/env python3
"""How fast lesson 06 simulates clients: client updates per second, vectorized (torch.func) against a loop.

    .venv/bin/python benchmarks/federated_speed.py [--clients 10 100] [--epochs 1] [--repeats 3] [--rounds 50]

Lesson 06's setting: softmax regression on Fashion-MNIST's 784 pixels, the 60,000
training images dealt IID to 100 clients (600 each), local SGD with batch size 50.
One *client update* is one client running its ``--epochs`` local epochs.

- ``local_train`` trains all selected clients at once: their parameters are
  stacked and ``vmap(grad(loss))`` over ``functional_call`` gives every client's
  gradient in one call;
- the baseline trains them one after another, each with its own ``nn.Linear``
  and ``torch.optim.SGD``, on exactly the same batches (the tests check that
  both give the same models).

Both are timed on the same clients (best of ``--repeats``), and the script prints
client updates per second and the speed-up. It then times a whole simulation
with ``train_federated`` (100 clients, all of them every round, ``--rounds``
rounds, evaluation included), the lesson's end-to-end rate. Timings depend on
the machine and on its load: compare ratios, measured side by side.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import time

import numpy as np
import torch
from torch import nn

from ppml_lessons.data import load_fashion_mnist
from ppml_lessons.federated.fedavg import batch_schedule, local_train
from ppml_lessons.federated.partition import iid_partition
from ppml_lessons.federated.simulation import train_federated


def loop_local_train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, plan: np.ndarray, lr: float) -> list:
    """The baseline: one client after another, an ordinary module and optimizer each."""
    models = []
    for k in range(plan.shape[0]):
        client = copy.deepcopy(model)
        optimizer = torch.optim.SGD(client.parameters(), lr=lr)
        for step in plan[k]:
            ids = torch.from_numpy(step[step >= 0])
            if len(ids) == 0:
                continue
            loss = nn.functional.cross_entropy(client(x.index_select(0, ids)), y.index_select(0, ids))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        models.append(client)
    return models


def best_time(function, repeats: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 100], help="clients trained at once")
    parser.add_argument("--epochs", type=int, default=1, help="local epochs E")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=50, help="rounds of the end-to-end simulation (0 skips it)")
    args = parser.parse_args()

    x, y = load_fashion_mnist(train=True).tensors()
    x = x.flatten(1)
    x_test, y_test = load_fashion_mnist(train=False).tensors()
    partition = iid_partition(len(x), 100, rng=0)
    torch.manual_seed(0)
    model = nn.Linear(784, 10)
    start = {name: p.detach().clone() for name, p in model.named_parameters()}
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
          f"torch {torch.__version__} with {torch.get_num_threads()} threads")
    print(f"softmax regression on Fashion-MNIST pixels; 600 images per client, E = {args.epochs}, B = 50\n")
    print("| clients at once | loop (updates/s) | torch.func vmap (updates/s) | speed-up |")
    print("|---:|---:|---:|---:|")
    for clients in args.clients:
        plan = batch_schedule(partition[:clients], epochs=args.epochs, batch_size=50, rng=0)
        vectorized = best_time(lambda: local_train(model, start, x, y, plan, lr=0.1), args.repeats)
        loop = best_time(lambda: loop_local_train(model, x, y, plan, lr=0.1), args.repeats)
        print(f"| {clients} | {clients / loop:.0f} | {clients / vectorized:.0f} | {loop / vectorized:.1f}x |")

    if args.rounds:
        begin = time.perf_counter()
        run = train_federated(model, x, y, partition, rounds=args.rounds, eval_data=(x_test.flatten(1), y_test),
                              fraction=1.0, local_epochs=args.epochs, batch_size=50, lr=0.1, rng=0,
                              device=torch.device("cpu"), progress=False)
        seconds = time.perf_counter() - begin
        updates = int(run.participation.sum())
        print(f"\nend to end: train_federated, 100 clients every round, {args.rounds} rounds: {updates:,} client "
              f"updates in {seconds:.1f} s = {updates / seconds:.0f} client updates per second "
              f"(test accuracy {run.final_accuracy:.3f})")


if __name__ == "__main__":
    main()
