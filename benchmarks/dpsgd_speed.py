#!/usr/bin/env python3
"""Per-epoch time and peak memory of non-private SGD, the package's DP-SGD and Opacus's, side by side.

    .venv/bin/python benchmarks/dpsgd_speed.py                 # a full epoch each, three rounds, 2 threads
    .venv/bin/python benchmarks/dpsgd_speed.py --rounds 1 --steps 5 --no-memory   # a quick smoke run

All methods train the same model (:class:`ppml_lessons.dp.models.DPCNN`,
tanh, 26,010 parameters) from the same initial weights on the same
Poisson-sampled batches of Fashion-MNIST (sample rate 1/30, about 2,000 images
a batch: an epoch of Tramèr & Boneh's settings), with SGD and momentum:

- ``non-private``: ``loss.backward()`` and ``SGD.step()`` on the batch;
- ``package vmap``: :func:`ppml_lessons.dp.dpsgd.dp_sgd_step` with ``clipping="vmap"``
  (per-sample gradients by ``vmap`` over ``grad``, clip, noise, step);
- ``package ghost``: the same with ``clipping="ghost"`` (norms from activations and
  output gradients, then a second backward pass of the reweighted loss;
  :mod:`ppml_lessons.dp.ghost`);
- ``package bookkeeping``: ``clipping="bookkeeping"`` (ghost norms, then the
  clipped sum formed from the stored activations instead of a second backward pass);
- ``opacus hooks``: Opacus's ``GradSampleModule`` (per-sample gradients from
  hooks) and ``DPOptimizer``, the pieces ``PrivacyEngine.make_private`` assembles;
- ``opacus ghost``: Opacus's fast gradient clipping, what ``make_private(...,
  grad_sample_mode="ghost")`` assembles: ``GradSampleModuleFastGradientClipping``,
  ``DPOptimizerFastGradientClipping`` and ``DPLossFastGradientClipping`` (two backward passes).

**Time.** In every round each method trains one epoch, and the methods take
turns *step by step* (one batch each, in turn), so that a change in the
machine's load hits them alike; the table reports each method's median epoch
time over the rounds and its ratio to non-private SGD.

**Memory.** Each method then runs a few steps alone in a fresh subprocess
(same data, model and batches, same imports). Just before the first step the
subprocess resets its peak resident set size to the current one (Linux's
``/proc/self/clear_refs``, so that loading the data does not count), then
reports the peak over its steps (``VmHWM``) and the increase over the resident
set size before the first step: the data, the model and the libraries are the
same in every subprocess, so the increase is what the method's steps need.

Results go to benchmarks/results/dpsgd_speed.json.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import platform
import statistics
import subprocess
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
METHODS = ["non-private", "package vmap", "package ghost", "package bookkeeping", "opacus hooks", "opacus ghost"]


def make_runners(model: nn.Module, plan: dict, device: torch.device) -> dict:
    """One function per method that trains its own copy of ``model`` on one batch."""
    from opacus import GradSampleModule
    from opacus.grad_sample import GradSampleModuleFastGradientClipping
    from opacus.optimizers import DPOptimizer, DPOptimizerFastGradientClipping
    from opacus.utils.fast_gradient_clipping_utils import DPLossFastGradientClipping

    def sgd(params):
        return torch.optim.SGD(params, lr=LR, momentum=0.9)

    plain = copy.deepcopy(model).to(device)
    plain_opt = sgd(plain.parameters())

    def non_private(x, y):
        plain_opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(plain(x), y).backward()
        plain_opt.step()

    def package(clipping):
        ours = copy.deepcopy(model).to(device)
        ours_opt = sgd(ours.parameters())
        generator = torch.Generator().manual_seed(1)

        def run(x, y):
            dp_sgd_step(ours, ours_opt, x, y, max_grad_norm=CLIP, noise_multiplier=SIGMA,
                        expected_batch_size=plan["expected_batch_size"], generator=generator, clipping=clipping)
        return run

    expected = int(plan["expected_batch_size"])
    hooked = GradSampleModule(copy.deepcopy(model).to(device))
    hooked_opt = DPOptimizer(sgd(hooked.parameters()), noise_multiplier=SIGMA, max_grad_norm=CLIP,
                             expected_batch_size=expected)

    def opacus_hooks(x, y):
        hooked_opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(hooked(x), y).backward()
        hooked_opt.step()

    ghost = GradSampleModuleFastGradientClipping(copy.deepcopy(model).to(device), max_grad_norm=CLIP,
                                                 use_ghost_clipping=True)
    ghost_opt = DPOptimizerFastGradientClipping(sgd(ghost.parameters()), noise_multiplier=SIGMA, max_grad_norm=CLIP,
                                                expected_batch_size=expected)
    criterion = DPLossFastGradientClipping(ghost, ghost_opt, nn.CrossEntropyLoss(), loss_reduction="mean")

    def opacus_ghost(x, y):
        ghost_opt.zero_grad(set_to_none=True)
        criterion(ghost(x), y).backward()  # both backward passes
        ghost_opt.step()

    return {"non-private": non_private, "package vmap": package("vmap"), "package ghost": package("ghost"),
            "package bookkeeping": package("bookkeeping"), "opacus hooks": opacus_hooks,
            "opacus ghost": opacus_ghost}


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def setup(args):
    warnings.filterwarnings("ignore", message="Full backward hook is firing")  # Opacus on the first layer
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    images, labels = load_fashion_mnist(train=True).tensors()
    images, labels = images.to(device), labels.to(device)
    plan = sampling_plan(len(labels), batch_size=args.batch_size, epochs=1)
    steps = args.steps or plan["steps_per_epoch"]
    generator = torch.Generator().manual_seed(0)
    batches = [poisson_sample(len(labels), sample_rate=plan["sample_rate"], generator=generator).to(device)
               for _ in range(steps)]
    torch.manual_seed(0)
    return device, images, labels, plan, batches, make_runners(DPCNN(), plan, device)


def status_mb(field: str) -> float:
    """``VmRSS`` (resident set size now) or ``VmHWM`` (its peak) of this process, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory_of(args) -> int:
    """In a subprocess: run one method for a few steps, print its peak RSS and the increase, as JSON."""
    device, images, labels, _, batches, runners = setup(args)
    run = runners[args.memory_of]
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS: setup's peak is gone
    before = status_mb("VmRSS")
    for batch in batches[:args.memory_steps]:
        run(images[batch], labels[batch])
    synchronize(device)
    peak = status_mb("VmHWM")
    print(json.dumps({"peak_rss_mb": peak, "rss_before_mb": before, "increase_mb": peak - before}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="epochs timed per method (median reported)")
    parser.add_argument("--steps", type=int, default=None, help="steps per timed epoch (default: a full epoch)")
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2, the learner's laptop)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--memory-steps", type=int, default=3, help="steps each memory subprocess runs")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--memory-of", choices=METHODS, help=argparse.SUPPRESS)  # the subprocess's job
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.memory_of:
        return memory_of(args)
    device, images, labels, plan, batches, runners = setup(args)
    for run in runners.values():  # warm-up: first calls allocate and pick kernels
        run(images[batches[0]], labels[batches[0]])
    times: dict[str, list[float]] = {name: [] for name in runners}
    for round_ in range(args.rounds):
        spent = dict.fromkeys(runners, 0.0)
        for batch in batches:
            x, y = images[batch], labels[batch]
            for name, run in runners.items():  # step by step, in turn
                synchronize(device)
                start = time.perf_counter()
                run(x, y)
                synchronize(device)
                spent[name] += time.perf_counter() - start
        for name in runners:
            times[name].append(spent[name])
        print(f"round {round_ + 1}: " + ", ".join(f"{name} {s:.2f} s" for name, s in spent.items()),
              file=sys.stderr, flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    ratios = {name: seconds / medians["non-private"] for name, seconds in medians.items()}
    memory = {}
    if not args.no_memory:
        for name in METHODS:
            command = [sys.executable, __file__, "--memory-of", name, "--steps", str(args.memory_steps),
                       "--batch-size", str(args.batch_size), "--threads", str(args.threads), "--device", args.device]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            memory[name] = json.loads(out.strip().splitlines()[-1])
    machine = (torch.cuda.get_device_name(0) if device.type == "cuda"
               else f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"\n{machine}; torch {torch.__version__}, {torch.get_num_threads()} threads; {len(batches)} steps of about "
          f"{plan['expected_batch_size']:.0f} images; median of {args.rounds} rounds")
    print(f"{'method':20s} {'s/epoch':>8s} {'x non-private':>14s} {'peak RSS MB':>12s} {'increase MB':>12s}")
    for name, seconds in medians.items():
        mem = memory.get(name, {})
        print(f"{name:20s} {seconds:8.2f} {ratios[name]:14.2f} {mem.get('peak_rss_mb', float('nan')):12.0f} "
              f"{mem.get('increase_mb', float('nan')):12.0f}")
    private = [name for name in METHODS if name != "non-private"]
    fastest_package = min((n for n in private if n.startswith("package")), key=medians.get)
    fastest_opacus = min((n for n in private if n.startswith("opacus")), key=medians.get)
    print(f"fastest package method: {fastest_package} ({ratios[fastest_package]:.2f}x non-private); "
          f"fastest Opacus mode: {fastest_opacus} ({ratios[fastest_opacus]:.2f}x); "
          f"ratio {medians[fastest_package] / medians[fastest_opacus]:.2f}")
    result = {"machine": machine, "device": device.type, "torch": torch.__version__,
              "opacus": __import__("opacus").__version__, "threads": torch.get_num_threads(),
              "steps": len(batches), "expected_batch_size": plan["expected_batch_size"], "rounds": args.rounds,
              "timing": "methods take turns step by step; median over rounds of each method's epoch time",
              "memory": ("each method alone in a fresh subprocess for "
                         f"{args.memory_steps} steps: peak RSS over the steps (VmHWM, reset just before the "
                         "first step) and its increase over the RSS just before the first step"),
              "seconds": times, "median_seconds": medians, "ratio_to_non_private": ratios,
              "peak_memory_mb": memory}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
