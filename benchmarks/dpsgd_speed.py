#!/usr/bin/env python3
"""Per-epoch time of non-private SGD, the package's DP-SGD (torch.func) and Opacus (hooks), side by side.

    .venv/bin/python benchmarks/dpsgd_speed.py                 # one epoch each, three rounds
    .venv/bin/python benchmarks/dpsgd_speed.py --rounds 1 --steps 5 --device cuda

All three train the same model (:class:`ppml_lessons.dp.models.DPCNN`, tanh,
26,010 parameters) from the same initial weights on the same Poisson-sampled
batches of Fashion-MNIST (sample rate 1/30, about 2,000 images a batch: an
epoch of Tramèr & Boneh's settings):

- ``non-private``: ``loss.backward()`` and ``SGD.step()`` on the batch;
- ``package``: :func:`ppml_lessons.dp.dpsgd.dp_sgd_step` (vmap over grad, clip, noise, step);
- ``opacus``: Opacus's ``GradSampleModule`` (per-sample gradients from hooks)
  and ``DPOptimizer`` (clip, noise, step), the pieces ``PrivacyEngine.make_private`` assembles.

The methods take turns, one epoch each per round, so that a change in the
machine's load hits them alike; the table reports the median over rounds and
the ratio to non-private SGD. Results go to benchmarks/results/dpsgd_speed.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch
from torch import nn

from ppml_lessons.data import load_fashion_mnist
from ppml_lessons.dp.dpsgd import dp_sgd_step, poisson_sample
from ppml_lessons.dp.models import DPCNN
from ppml_lessons.dp.trainer import sampling_plan

RESULTS = Path(__file__).resolve().parent / "results" / "dpsgd_speed.json"
SIGMA, CLIP, LR = 2.15, 0.1, 4.0


def make_runners(model: nn.Module, plan: dict, device: torch.device) -> dict:
    """One function per method that trains its own copy of ``model`` on one batch."""
    from opacus import GradSampleModule
    from opacus.optimizers import DPOptimizer

    plain = copy.deepcopy(model).to(device)
    plain_opt = torch.optim.SGD(plain.parameters(), lr=LR, momentum=0.9)

    def non_private(x, y):
        plain_opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(plain(x), y).backward()
        plain_opt.step()

    ours = copy.deepcopy(model).to(device)
    ours_opt = torch.optim.SGD(ours.parameters(), lr=LR, momentum=0.9)
    generator = torch.Generator().manual_seed(1)

    def package(x, y):
        dp_sgd_step(ours, ours_opt, x, y, max_grad_norm=CLIP, noise_multiplier=SIGMA,
                    expected_batch_size=plan["expected_batch_size"], generator=generator)

    hooked = GradSampleModule(copy.deepcopy(model).to(device))
    hooked_opt = DPOptimizer(torch.optim.SGD(hooked.parameters(), lr=LR, momentum=0.9), noise_multiplier=SIGMA,
                             max_grad_norm=CLIP, expected_batch_size=int(plan["expected_batch_size"]))

    def opacus(x, y):
        hooked_opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(hooked(x), y).backward()
        hooked_opt.step()

    return {"non-private": non_private, "package": package, "opacus": opacus}


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="epochs timed per method (median reported)")
    parser.add_argument("--steps", type=int, default=None, help="steps per timed epoch (default: a full epoch)")
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="Full backward hook is firing")  # Opacus on the first layer
    device = torch.device(args.device)
    images, labels = load_fashion_mnist(train=True).tensors()
    images, labels = images.to(device), labels.to(device)
    plan = sampling_plan(len(labels), batch_size=args.batch_size, epochs=1)
    steps = args.steps or plan["steps_per_epoch"]
    generator = torch.Generator().manual_seed(0)
    batches = [poisson_sample(len(labels), sample_rate=plan["sample_rate"], generator=generator).to(device)
               for _ in range(steps)]
    torch.manual_seed(0)
    runners = make_runners(DPCNN(), plan, device)
    for run in runners.values():  # warm-up: first calls allocate and pick kernels
        run(images[batches[0]], labels[batches[0]])
    times: dict[str, list[float]] = {name: [] for name in runners}
    for round_ in range(args.rounds):
        for name, run in runners.items():
            synchronize(device)
            start = time.perf_counter()
            for batch in batches:
                run(images[batch], labels[batch])
            synchronize(device)
            times[name].append(time.perf_counter() - start)
            print(f"round {round_ + 1}: {name:12s} {times[name][-1]:7.2f} s", file=sys.stderr, flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    machine = (torch.cuda.get_device_name(0) if device.type == "cuda"
               else f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"\n{machine}; torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{steps} steps of about {plan['expected_batch_size']:.0f} images; median of {args.rounds} rounds")
    print(f"{'method':12s} {'s/epoch':>9s} {'x non-private':>14s}")
    for name, seconds in medians.items():
        print(f"{name:12s} {seconds:9.2f} {seconds / medians['non-private']:14.2f}")
    print(f"package / opacus: {medians['package'] / medians['opacus']:.2f}")
    result = {"machine": machine, "device": device.type, "torch": torch.__version__,
              "threads": torch.get_num_threads(), "steps": steps, "expected_batch_size": plan["expected_batch_size"],
              "seconds": times, "median_seconds": medians,
              "ratio_to_non_private": {k: v / medians["non-private"] for k, v in medians.items()}}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
