"""A DP-SGD training loop built from :mod:`ppml_lessons.dp.dpsgd`, with privacy accounting (lesson 04).

:func:`train_dp_sgd` follows Opacus's conventions, so the two can be run on
identical settings: with ``batch_size`` B and n examples, an epoch is
⌈n / B⌉ steps, the sample rate is q = 1 / ⌈n / B⌉, and the private gradient is
divided by the expected batch size q·n. The ε after each epoch comes from
:class:`ppml_lessons.dp.accounting.RDPAccountant`.

An exponential moving average (EMA) of the weights (De et al., 2022) is
optional: it is computed from the private iterates only, so it is
post-processing and costs no privacy.

The Gaussian noise comes from its own ``torch.Generator``, seeded from the
operating system's entropy unless ``noise_seed`` is given: noise that anyone can
regenerate from a published seed protects nothing (subtract it and the
gradients are in the clear). ``seed`` only drives the batch sampling.
"""

from __future__ import annotations

import copy
import math
import secrets
import time
from collections.abc import Callable

import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .._validation import check_bool, check_number, check_option, check_type
from ..environment import get_device
from ..training import evaluate
from .accounting import RDPAccountant, noise_multiplier_for_epsilon
from .dpsgd import CLIPPING_METHODS, check_delta, check_dp_model, dp_sgd_step, poisson_sample

__all__ = ["SETTINGS", "sampling_plan", "train_dp_sgd"]

#: DP-SGD settings for the tanh CNN on Fashion-MNIST (keyword arguments of :func:`train_dp_sgd`).
#: ``"tramer_boneh"`` are the settings of Tramèr & Boneh (2021), 40 epochs, run by
#: ``benchmarks/dpsgd_accuracy.py``. ``"lesson"`` is what lesson 04 trains live: a quarter of their epochs,
#: σ chosen for ε = 3, and a learning rate of 16 instead of 4, the best of the learning rates that
#: ``benchmarks/dpsgd_curves.py`` compares (in 10 epochs, larger steps matter more than less noise).
#: Both compute the clipped sums by book-keeping ghost clipping (:mod:`ppml_lessons.dp.ghost`): the same
#: result as per-sample gradients up to float rounding, without holding one gradient per example
#: (``benchmarks/dpsgd_speed.py`` measures time and memory). The lesson's run takes each batch in chunks of
#: 512 examples (``max_physical_batch_size``, the same step): measured on one thread, an epoch then needs a
#: third of the memory above the data (175 MB instead of 593 MB) and is a fifth faster.
SETTINGS: dict[str, dict] = {
    "lesson": {"epochs": 10, "batch_size": 2048, "max_grad_norm": 0.1, "target_epsilon": 3.0, "delta": 1e-5,
               "lr": 16.0, "momentum": 0.9, "clipping": "bookkeeping", "max_physical_batch_size": 512},
    "tramer_boneh": {"epochs": 40, "batch_size": 2048, "max_grad_norm": 0.1, "noise_multiplier": 2.15,
                     "delta": 1e-5, "lr": 4.0, "momentum": 0.9, "clipping": "bookkeeping"},
}


def sampling_plan(n: int, *, batch_size: int, epochs: int) -> dict[str, float]:
    """Steps per epoch, sample rate, expected batch size and total steps, as Opacus computes them.

    Examples
    --------
    >>> plan = sampling_plan(60_000, batch_size=2048, epochs=40)
    >>> plan["steps_per_epoch"], round(plan["sample_rate"], 5), plan["expected_batch_size"], plan["steps"]
    (30, 0.03333, 2000.0, 1200)
    """
    n = check_number("n", n, low=1, integer=True)
    batch_size = check_number("batch_size", batch_size, low=1, high=n, integer=True)
    epochs = check_number("epochs", epochs, low=1, integer=True)
    steps_per_epoch = math.ceil(n / batch_size)
    q = 1 / steps_per_epoch
    return {"steps_per_epoch": steps_per_epoch, "sample_rate": q, "expected_batch_size": q * n,
            "steps": steps_per_epoch * epochs}


def _tensors(data: tuple[torch.Tensor, torch.Tensor], name: str) -> tuple[torch.Tensor, torch.Tensor]:
    check_type(name, data, tuple, "a tuple (inputs, labels) of tensors")
    if len(data) != 2 or not all(isinstance(t, torch.Tensor) for t in data):
        raise TypeError(f"{name} must be a tuple (inputs, labels) of tensors; got {type(data).__name__}")
    if len(data[0]) != len(data[1]) or len(data[0]) == 0:
        raise ValueError(f"{name} must hold inputs and labels of equal, non-zero length; got {len(data[0])} "
                         f"and {len(data[1])}")
    return data


@torch.no_grad()
def _update_ema(ema: nn.Module, model: nn.Module, decay: float) -> None:
    for average, current in zip(ema.parameters(), model.parameters()):
        average.mul_(decay).add_(current, alpha=1 - decay)


def train_dp_sgd(
    model: nn.Module,
    train_data: tuple[torch.Tensor, torch.Tensor],
    *,
    epochs: int,
    batch_size: int,
    max_grad_norm: float,
    noise_multiplier: float | None = None,
    target_epsilon: float | None = None,
    delta: float = 1e-5,
    lr: float = 1.0,
    momentum: float = 0.9,
    optimizer: str = "sgd",
    ema_decay: float | None = None,
    eval_data: tuple[torch.Tensor, torch.Tensor] | None = None,
    seed: int = 0,
    noise_seed: int | None = None,
    device: torch.device | None = None,
    max_physical_batch_size: int | None = None,
    clipping: str = "vmap",
    progress: bool = True,
    on_epoch: Callable[[dict], None] | None = None,
) -> pd.DataFrame:
    """Train a classifier with DP-SGD (Poisson sampling, per-sample clipping, Gaussian noise); return its history.

    Give either ``noise_multiplier`` σ, or ``target_epsilon`` to let
    :func:`~ppml_lessons.dp.accounting.noise_multiplier_for_epsilon` choose the
    smallest σ that reaches it after ``epochs``. The model is trained in place;
    with ``ema_decay`` it ends with the averaged weights. Used by lesson 04.

    Parameters
    ----------
    model : torch.nn.Module
        A classifier without BatchNorm (see :func:`~ppml_lessons.dp.dpsgd.check_dp_model`).
    train_data : (inputs, labels)
        The private training set, as two tensors.
    epochs : int
        In [1, inf).
    batch_size : int
        Sets the sample rate q = 1 / ⌈n / batch_size⌉ (see :func:`sampling_plan`).
    max_grad_norm : float
        Clipping norm C, in (0, inf).
    noise_multiplier : float, optional
        σ, in [0, inf).
    target_epsilon : float, optional
        Target ε, in (0, inf), instead of ``noise_multiplier``.
    delta : float, default 1e-5
        δ of the guarantee; warns unless below 1 / n.
    lr : float, default 1.0
    momentum : float, default 0.9
        For ``optimizer="sgd"``, in [0, 1).
    optimizer : {"sgd", "adam"}, default "sgd"
    ema_decay : float, optional
        Decay of the weights' moving average, in (0, 1), with the usual warm-up
        min(decay, (1 + t) / (10 + t)) at step t.
    eval_data : (inputs, labels), optional
        Evaluated after every epoch (public test data).
    seed : int, default 0
        Seeds the Poisson batch sampling only, for reproducible batches. The
        accountant's amplification by sampling assumes the batches stay secret:
        for a real release, keep this seed private too.
    noise_seed : int, optional
        ``None`` (the default): the noise generator is seeded from the
        operating system's entropy (``secrets.randbits(63)``), so the noise
        differs on every run and cannot be regenerated. An int, in [0, inf),
        makes the noise reproducible, and **the guarantee void** for anyone who
        knows it: for tests and reproducible figures only, never for a model
        that is released. (Floating-point Gaussian noise leaks too, Mironov
        2012; Opacus's ``secure_mode`` is the production mitigation.)
    device : torch.device, optional
        Defaults to :func:`ppml_lessons.environment.get_device`.
    max_physical_batch_size : int, optional
        Compute per-sample gradients in chunks of this size to save memory.
    clipping : {"vmap", "ghost", "bookkeeping"}, default "vmap"
        How each step's clipped sum is computed (see :func:`~ppml_lessons.dp.dpsgd.dp_sgd_step`):
        ``"vmap"`` materialises per-sample gradients and works for any model without BatchNorm;
        ``"ghost"`` and ``"bookkeeping"`` (ghost clipping, :mod:`ppml_lessons.dp.ghost`) give the same
        result faster and in less memory, for models whose trainable layers are Linear, Conv2d or GroupNorm.
    progress : bool, default True
        A tqdm bar over epochs.
    on_epoch : callable, optional
        Called with each epoch's row (a dict), e.g. to print progress in a script.

    Returns
    -------
    pandas.DataFrame
        One row per epoch: ``epoch``, ``steps``, ``epsilon`` (RDP, at ``delta``),
        with ``eval_data`` ``eval_loss`` and ``eval_accuracy``, and ``seconds``
        since the start. ``history.attrs`` holds ``noise_multiplier``,
        ``sample_rate``, ``expected_batch_size`` and ``delta``.

    Examples
    --------
    >>> x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    >>> y = (x[:, 0] > 0).long()
    >>> history = train_dp_sgd(nn.Linear(2, 2), (x, y), epochs=2, batch_size=50, max_grad_norm=1.0,
    ...                        noise_multiplier=1.0, delta=1e-3, eval_data=(x, y), progress=False)  # noise: OS entropy
    >>> history[["epoch", "steps"]].values.tolist(), round(float(history["epsilon"].iloc[-1]), 2)
    ([[1, 4], [2, 8]], 4.22)
    """
    check_dp_model(model)
    inputs, labels = _tensors(train_data, "train_data")
    if eval_data is not None:
        _tensors(eval_data, "eval_data")
    n = len(labels)
    plan = sampling_plan(n, batch_size=batch_size, epochs=epochs)
    delta = check_delta(delta, n)
    if (noise_multiplier is None) == (target_epsilon is None):
        raise ValueError("give exactly one of noise_multiplier and target_epsilon; got "
                         f"noise_multiplier={noise_multiplier!r} and target_epsilon={target_epsilon!r}")
    if target_epsilon is not None:
        noise_multiplier = noise_multiplier_for_epsilon(epsilon=target_epsilon, sample_rate=plan["sample_rate"],
                                                        steps=plan["steps"], delta=delta)
    sigma = check_number("noise_multiplier", noise_multiplier, low=0, high=math.inf, high_open=True)
    check_number("max_grad_norm", max_grad_norm, low=0, low_open=True, high=math.inf, high_open=True)
    check_number("lr", lr, low=0, low_open=True)
    check_number("momentum", momentum, low=0, high=1, high_open=True)
    check_option("optimizer", optimizer, ["sgd", "adam"])
    check_option("clipping", clipping, CLIPPING_METHODS)
    if ema_decay is not None:
        check_number("ema_decay", ema_decay, low=0, high=1, low_open=True, high_open=True)
    check_number("seed", seed, low=0, integer=True)
    if noise_seed is not None:
        check_number("noise_seed", noise_seed, low=0, integer=True)
    check_bool("progress", progress)
    if on_epoch is not None and not callable(on_epoch):
        raise TypeError(f"on_epoch must be a callable or None; got {on_epoch!r} of type {type(on_epoch).__name__}")

    device = device or get_device()
    model.to(device).train()
    inputs, labels = inputs.to(device), labels.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = (torch.optim.SGD(params, lr=lr, momentum=momentum) if optimizer == "sgd"
           else torch.optim.Adam(params, lr=lr))
    generator = torch.Generator().manual_seed(seed)  # the batches
    noise_generator = torch.Generator().manual_seed(secrets.randbits(63) if noise_seed is None else noise_seed)
    accountant = RDPAccountant()
    ema = copy.deepcopy(model) if ema_decay is not None else None
    rows, step, start = [], 0, time.perf_counter()
    bar = tqdm(range(1, epochs + 1), desc="DP-SGD", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        for _ in range(plan["steps_per_epoch"]):
            batch = poisson_sample(n, sample_rate=plan["sample_rate"], generator=generator).to(device)
            dp_sgd_step(model, opt, inputs[batch], labels[batch], max_grad_norm=max_grad_norm,
                        noise_multiplier=sigma, expected_batch_size=plan["expected_batch_size"],
                        generator=noise_generator, max_physical_batch_size=max_physical_batch_size,
                        clipping=clipping)
            accountant.step(noise_multiplier=sigma, sample_rate=plan["sample_rate"])
            step += 1
            if ema is not None:
                _update_ema(ema, model, min(ema_decay, (1 + step) / (10 + step)))
        row = {"epoch": epoch, "steps": step, "epsilon": accountant.get_epsilon(delta)}
        if eval_data is not None:
            scores = evaluate(ema if ema is not None else model, eval_data, device=device)
            row.update(eval_loss=scores["loss"], eval_accuracy=scores["accuracy"])
            bar.set_postfix(eps=f"{row['epsilon']:.2f}", acc=f"{scores['accuracy']:.3f}")
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
        if on_epoch is not None:
            on_epoch(row)
    if ema is not None:
        model.load_state_dict(ema.state_dict())
    history = pd.DataFrame(rows)
    history.attrs.update(noise_multiplier=sigma, sample_rate=plan["sample_rate"], delta=delta,
                         expected_batch_size=plan["expected_batch_size"])
    return history
