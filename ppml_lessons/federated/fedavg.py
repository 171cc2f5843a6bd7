"""Federated averaging (McMahan et al., 2017): aggregation, vectorized local training, and the training loop.

Lesson 06 simulates a hundred clients at once. The server's side is
:func:`aggregate`, a pure function of ``(parameters, num_examples)`` pairs in
the style of Flower's ``flwr.server.strategy.aggregate.aggregate``. The
clients' side is :func:`local_train`: every selected client runs ``epochs``
passes of minibatch SGD over its own data, all clients in lockstep, their
parameters stacked along a first axis and their gradients computed by
``torch.func.vmap`` over ``torch.func.grad``. :func:`train_federated` joins the
two into rounds; FedSGD is the special case ``local_epochs=1,
batch_size=None`` (one full-batch step per client), FedProx adds
``prox_mu``, FedAvgM adds ``server_momentum``, and ``dp="central"`` or
``dp="local"`` clip and noise the updates (:mod:`ppml_lessons.federated.privacy`).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.func import functional_call, grad, vmap
from tqdm.auto import tqdm

from .._validation import check_bool, check_number, check_option, check_type
from ..environment import get_device, make_rng
from .privacy import central_dp_mean, local_dp_updates

__all__ = [
    "aggregate",
    "batch_schedule",
    "client_sample",
    "local_train",
    "evaluate_parameters",
    "train_federated",
    "FederatedRun",
    "rounds_to_accuracy",
]

Params = dict[str, torch.Tensor]


def aggregate(results: Sequence[tuple[Sequence[Any], int]]) -> list[Any]:
    """Average the clients' parameters layer by layer, weighted by their numbers of examples.

    The server step of FedAvg: with client ``k`` holding ``n_k`` examples and
    returning layers ``w_k``, each layer becomes ``sum_k n_k w_k / sum_k n_k``.
    Written like Flower's ``aggregate`` (a pure function of
    ``(parameters, num_examples)`` pairs); the layers may be numpy arrays or
    torch tensors and keep their type. Used by lesson 06.

    Parameters
    ----------
    results : sequence of (list of arrays, int)
        One pair per client: its layers (the same shapes for every client) and
        its number of examples, an int in [1, inf).

    Returns
    -------
    list
        The averaged layers.

    Examples
    --------
    >>> a = [np.array([0.0, 0.0]), np.array([1.0])]
    >>> b = [np.array([4.0, 8.0]), np.array([5.0])]
    >>> aggregate([(a, 3), (b, 1)])
    [array([1., 2.]), array([2.])]
    """
    check_type("results", results, (list, tuple), "a list of (parameters, num_examples) pairs")
    if not results:
        raise ValueError("results must hold at least one (parameters, num_examples) pair; got an empty list")
    shapes = None
    for i, pair in enumerate(results):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"results[{i}] must be a (parameters, num_examples) pair; got {pair!r:.80}")
        layers, count = pair
        check_type(f"results[{i}][0]", layers, (list, tuple), "a list of arrays (the layers)")
        check_number(f"results[{i}][1] (num_examples)", count, low=1, integer=True)
        layer_shapes = [tuple(layer.shape) for layer in layers]
        if shapes is None:
            shapes = layer_shapes
        elif layer_shapes != shapes:
            raise ValueError(f"results[{i}][0] must have the layer shapes of results[0][0], {shapes}; got {layer_shapes}")
    total = sum(int(count) for _, count in results)
    weighted = [[layer * int(count) for layer in layers] for layers, count in results]
    return [_sum(layer_updates) / total for layer_updates in zip(*weighted)]


def _sum(values: Sequence[Any]) -> Any:
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


def batch_schedule(
    client_indices: Sequence[np.ndarray],
    *,
    epochs: int,
    batch_size: int | None,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """The minibatches every client visits, padded with -1 so that all clients fit one array.

    Client ``k`` with ``n_k`` examples shuffles them at every epoch and cuts
    them into ``ceil(n_k / batch_size)`` batches (the last one may be smaller),
    i.e. ``u_k = epochs * ceil(n_k / B)`` local steps, as in McMahan et al.
    (2017). ``batch_size=None`` means one full batch per epoch (FedSGD).

    Parameters
    ----------
    client_indices : sequence of int arrays
        The example indices of each selected client.
    epochs : int
        In [1, inf).
    batch_size : int or None
        In [1, inf); ``None`` for full batches.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    numpy.ndarray of int64, shape (clients, max_k u_k, max batch)
        Example indices; -1 marks padding (a step or a slot the client does not have).

    Examples
    --------
    >>> batch_schedule([np.arange(3), np.arange(10, 15)], epochs=1, batch_size=2, rng=0).shape
    (2, 3, 2)
    """
    check_type("client_indices", client_indices, (list, tuple), "a list of index arrays, one per client")
    if not client_indices:
        raise ValueError("client_indices must name at least one client; got an empty list")
    epochs = check_number("epochs", epochs, low=1, integer=True)
    if batch_size is not None:
        batch_size = check_number("batch_size", batch_size, low=1, integer=True)
    generator = make_rng(rng)
    sizes = [len(ix) for ix in client_indices]
    if min(sizes) == 0:
        raise ValueError(f"client_indices must hold at least one example per client; got sizes {sizes}")
    widths = [size if batch_size is None else min(batch_size, size) for size in sizes]
    steps = [epochs * math.ceil(size / width) for size, width in zip(sizes, widths)]
    schedule = np.full((len(sizes), max(steps), max(widths)), -1, dtype=np.int64)
    for k, (indices, width, n_steps) in enumerate(zip(client_indices, widths, steps)):
        per_epoch = n_steps // epochs
        for epoch in range(epochs):
            padded = np.full(per_epoch * width, -1, dtype=np.int64)
            padded[: len(indices)] = generator.permutation(np.asarray(indices, dtype=np.int64))
            schedule[k, epoch * per_epoch : (epoch + 1) * per_epoch, :width] = padded.reshape(per_epoch, width)
    return schedule


def client_sample(
    num_clients: int, *, fraction: float, sampling: str = "fixed", rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """Choose the clients of one round: a fixed number, or each client independently (Poisson).

    ``"fixed"`` picks ``max(round(fraction * num_clients), 1)`` clients without
    replacement (McMahan et al., 2017); ``"poisson"`` keeps each client with
    probability ``fraction``, the subsampling that DP-FedAvg's privacy accounting
    assumes (McMahan et al., 2018), so a round may have no client at all.

    Examples
    --------
    >>> client_sample(100, fraction=0.1, rng=0).shape
    (10,)
    """
    num_clients = check_number("num_clients", num_clients, low=1, integer=True)
    fraction = check_number("fraction", fraction, low=0, high=1, low_open=True)
    check_option("sampling", sampling, ["fixed", "poisson"])
    generator = make_rng(rng)
    if sampling == "poisson":
        return np.flatnonzero(generator.random(num_clients) < fraction)
    size = max(round(fraction * num_clients), 1)
    return np.sort(generator.choice(num_clients, size=size, replace=False))


def _parameters(model: nn.Module, device: torch.device) -> Params:
    return {name: p.detach().to(device).clone() for name, p in model.named_parameters()}


def local_train(
    model: nn.Module,
    global_params: Params,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    schedule: np.ndarray,
    *,
    lr: float,
    prox_mu: float = 0.0,
) -> Params:
    """Run every selected client's local SGD at once and return their parameters, stacked.

    Each client starts from ``global_params`` and takes one SGD step per row of
    its ``schedule`` (see :func:`batch_schedule`) on the mean cross-entropy of
    the batch, plus FedProx's proximal term ``prox_mu / 2 * ||w - w_global||^2``
    (Li et al., 2020). The clients are vectorized with ``torch.func``: a
    client's loss is ``functional_call(model, its_parameters, batch)``, and
    ``vmap(grad(loss))`` gives all clients' gradients in one call. ``model``
    is only the template (its own parameters are not touched); it must have no
    buffers that training changes (no BatchNorm). Used by lesson 06.

    Parameters
    ----------
    model : torch.nn.Module
        The architecture; maps a batch of ``inputs`` to logits.
    global_params : dict of str to tensor
        The global model's parameters, by name.
    inputs, labels : torch.Tensor
        The whole training set; the schedule indexes into it.
    schedule : numpy.ndarray of int, shape (clients, steps, batch)
        Example indices, -1 for padding.
    lr : float
        Local learning rate, in (0, inf).
    prox_mu : float, default 0.0
        FedProx's μ, in [0, inf); 0 is plain FedAvg.

    Returns
    -------
    dict of str to tensor
        Each parameter with a leading client axis, shape ``(clients, *shape)``.

    Examples
    --------
    >>> model = nn.Linear(2, 2)
    >>> x, y = torch.randn(6, 2), torch.tensor([0, 1, 0, 1, 0, 1])
    >>> plan = batch_schedule([np.arange(3), np.arange(3, 6)], epochs=2, batch_size=2, rng=0)
    >>> out = local_train(model, dict(model.named_parameters()), x, y, plan, lr=0.1)
    >>> tuple(out["weight"].shape)
    (2, 2, 2)
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_type("global_params", global_params, dict, "a dict of parameter tensors by name")
    check_type("inputs", inputs, torch.Tensor, "a torch.Tensor")
    check_type("labels", labels, torch.Tensor, "a torch.Tensor of class labels")
    check_type("schedule", schedule, np.ndarray, "an int array (clients, steps, batch) from batch_schedule")
    if schedule.ndim != 3 or not np.issubdtype(schedule.dtype, np.integer):
        raise ValueError(f"schedule must be an int array of shape (clients, steps, batch); got {schedule.shape}")
    if schedule.max() >= len(inputs):
        raise ValueError(f"schedule must index rows of inputs, [0, {len(inputs)}); got index {schedule.max()}")
    lr = check_number("lr", lr, low=0, low_open=True)
    prox_mu = check_number("prox_mu", prox_mu, low=0)
    anchor = {name: p.detach() for name, p in global_params.items()}
    plan = torch.as_tensor(schedule, device=inputs.device)
    num_clients = plan.shape[0]

    def loss_fn(params: Params, xb: torch.Tensor, yb: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        per_example = nn.functional.cross_entropy(functional_call(model, params, (xb,)), yb, reduction="none")
        loss = (per_example * weight).sum() / weight.sum().clamp(min=1.0)
        if prox_mu > 0:
            loss = loss + prox_mu / 2 * sum(((params[n] - anchor[n]) ** 2).sum() for n in params)
        return loss

    gradients = vmap(grad(loss_fn))
    params = {name: p.unsqueeze(0).repeat(num_clients, *([1] * p.dim())) for name, p in anchor.items()}
    for step in range(plan.shape[1]):
        ids = plan[:, step]
        weight = (ids >= 0).to(inputs.dtype)
        safe = ids.clamp(min=0).flatten()  # index_select is much faster than fancy indexing on the CPU
        xb = inputs.index_select(0, safe).view(*ids.shape, *inputs.shape[1:])
        yb = labels.index_select(0, safe).view(ids.shape)
        grads = gradients(params, xb, yb, weight)
        active = (weight.sum(dim=1) > 0).to(inputs.dtype)  # clients that still have a step to take
        for name, g in grads.items():
            params[name] = params[name] - lr * active.view(-1, *([1] * (g.dim() - 1))) * g
    return params


@torch.no_grad()
def evaluate_parameters(
    model: nn.Module, params: Params, inputs: torch.Tensor, labels: torch.Tensor, *, batch_size: int = 4096
) -> dict[str, float]:
    """Mean cross-entropy and accuracy of ``model`` with the given parameters (``functional_call``).

    Examples
    --------
    >>> model = nn.Linear(2, 2)
    >>> sorted(evaluate_parameters(model, dict(model.named_parameters()), torch.zeros(3, 2), torch.zeros(3).long()))
    ['accuracy', 'loss']
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_number("batch_size", batch_size, low=1, integer=True)
    loss, correct = 0.0, 0
    for xb, yb in zip(inputs.split(batch_size), labels.split(batch_size)):
        logits = functional_call(model, params, (xb,))
        loss += nn.functional.cross_entropy(logits, yb, reduction="sum").item()
        correct += (logits.argmax(dim=1) == yb).sum().item()
    if len(labels) == 0:
        raise ValueError("inputs must hold at least one example; got none")
    return {"loss": loss / len(labels), "accuracy": correct / len(labels)}


@dataclass
class FederatedRun:
    """What :func:`train_federated` returns.

    Attributes
    ----------
    history : pandas.DataFrame
        One row per evaluated round: ``round``, ``clients`` (that took part in
        the round), ``accuracy`` and ``loss`` on the evaluation data, and the
        cumulative ``bytes_up`` (clients to server) and ``bytes_down``.
    model : torch.nn.Module
        A copy of the template holding the final global parameters.
    participation : numpy.ndarray
        How many rounds each client took part in.
    """

    history: pd.DataFrame
    model: nn.Module
    participation: np.ndarray

    @property
    def final_accuracy(self) -> float:
        """Accuracy after the last evaluated round."""
        return float(self.history["accuracy"].iloc[-1])


def train_federated(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    partition: Sequence[np.ndarray],
    *,
    rounds: int,
    eval_data: tuple[torch.Tensor, torch.Tensor],
    fraction: float = 0.1,
    sampling: str = "fixed",
    local_epochs: int = 1,
    batch_size: int | None = 50,
    lr: float = 0.1,
    prox_mu: float = 0.0,
    server_lr: float = 1.0,
    server_momentum: float = 0.0,
    dp: str | None = None,
    clip_norm: float = 1.0,
    noise_multiplier: float = 0.0,
    max_participations: int | None = None,
    eval_every: int = 1,
    rng: np.random.Generator | int | None = None,
    device: torch.device | None = None,
    progress: bool = True,
) -> FederatedRun:
    """Simulate federated training: each round, sampled clients train locally and the server averages.

    One round: the server samples clients (:func:`client_sample`) and sends
    them the global parameters; each runs ``local_epochs`` epochs of SGD with
    batch size ``batch_size`` on its own examples (:func:`local_train`) and
    returns its parameters; the server averages them weighted by example counts
    (:func:`aggregate`) and, with server momentum β (FedAvgM, Hsu et al., 2019),
    moves by ``server_lr * v`` where ``v = β v + (average - global)``.

    With ``dp="central"`` (DP-FedAvg, McMahan et al., 2018) each client's update
    ``w_k - w_global`` is clipped to L2 norm ``clip_norm``, the server sums the
    clipped updates, adds Gaussian noise of standard deviation
    ``noise_multiplier * clip_norm`` and divides by the expected number of
    clients ``fraction * len(partition)`` (unweighted, so that one client's
    influence is bounded). It needs ``sampling="poisson"``, the subsampling the
    accountant assumes. With ``dp="local"`` each client clips and adds that
    noise to its own update before sending; it stops taking part after
    ``max_participations`` rounds, so that its privacy budget is never
    exceeded. Used by lesson 06.

    Parameters
    ----------
    model : torch.nn.Module
        Template with the initial global parameters (not modified).
    inputs, labels : torch.Tensor
        The training set of all clients together; ``partition`` indexes it.
    partition : sequence of int arrays
        The examples of each client (see :mod:`ppml_lessons.federated.partition`).
    rounds : int
        Communication rounds, in [1, inf).
    eval_data : (inputs, labels)
        Test data for the global model.
    fraction : float, default 0.1
        Share of clients per round, in (0, 1] (C in McMahan et al., 2017).
    sampling : {"fixed", "poisson"}, default "fixed"
    local_epochs : int, default 1
        E, in [1, inf).
    batch_size : int or None, default 50
        B; ``None`` means full-batch (``local_epochs=1, batch_size=None`` is FedSGD).
    lr : float, default 0.1
        Clients' SGD learning rate.
    prox_mu : float, default 0.0
        FedProx's proximal weight μ (0: plain FedAvg).
    server_lr : float, default 1.0
    server_momentum : float, default 0.0
        β in [0, 1).
    dp : {None, "central", "local"}, default None
    clip_norm : float, default 1.0
        S, used when ``dp`` is set.
    noise_multiplier : float, default 0.0
        z, in [0, inf); the noise standard deviation is ``z * S``.
    max_participations : int, optional
        With ``dp="local"``: most rounds one client takes part in.
    eval_every : int, default 1
        Evaluate every this many rounds (and after the last).
    rng : numpy.random.Generator, int or None
        Seeds client sampling, batches and noise.
    device : torch.device, optional
        Defaults to :func:`ppml_lessons.environment.get_device`.
    progress : bool, default True
        Show a progress bar over rounds.

    Returns
    -------
    FederatedRun

    Examples
    --------
    >>> x = torch.randn(200, 4, generator=torch.Generator().manual_seed(0))
    >>> y = (x[:, 0] > 0).long()
    >>> parts = [np.arange(i, 200, 10) for i in range(10)]
    >>> _ = torch.manual_seed(0)
    >>> run = train_federated(nn.Linear(4, 2), x, y, parts, rounds=3, eval_data=(x, y), fraction=0.5,
    ...                       local_epochs=5, batch_size=5, lr=0.5, rng=0, progress=False, device=torch.device("cpu"))
    >>> list(run.history["round"]), bool(run.final_accuracy > 0.9)
    ([1, 2, 3], True)
    """
    check_type("model", model, nn.Module, "a torch.nn.Module")
    check_type("inputs", inputs, torch.Tensor, "a torch.Tensor")
    check_type("labels", labels, torch.Tensor, "a torch.Tensor of class labels")
    check_type("partition", partition, (list, tuple), "a list of index arrays, one per client")
    if not partition or min(len(p) for p in partition) == 0:
        raise ValueError("partition must give every client at least one example; got an empty client")
    check_type("eval_data", eval_data, tuple, "a tuple (inputs, labels) of tensors")
    rounds = check_number("rounds", rounds, low=1, integer=True)
    fraction = check_number("fraction", fraction, low=0, high=1, low_open=True)
    check_option("sampling", sampling, ["fixed", "poisson"])
    local_epochs = check_number("local_epochs", local_epochs, low=1, integer=True)
    lr = check_number("lr", lr, low=0, low_open=True)
    check_number("prox_mu", prox_mu, low=0)
    server_lr = check_number("server_lr", server_lr, low=0, low_open=True)
    server_momentum = check_number("server_momentum", server_momentum, low=0, high=1, high_open=True)
    check_option("dp", dp, [None, "central", "local"])
    clip_norm = check_number("clip_norm", clip_norm, low=0, low_open=True)
    noise_multiplier = check_number("noise_multiplier", noise_multiplier, low=0)
    if dp == "central" and sampling != "poisson":
        raise ValueError("sampling must be 'poisson' with dp='central' (the accountant assumes it); got 'fixed'")
    if max_participations is not None:
        max_participations = check_number("max_participations", max_participations, low=1, integer=True)
    eval_every = check_number("eval_every", eval_every, low=1, integer=True)
    check_bool("progress", progress)
    device = device or get_device()
    generator = make_rng(rng)
    noise_generator = torch.Generator(device=device).manual_seed(int(generator.integers(2**62)))

    x, y = inputs.to(device), labels.to(device)
    x_eval, y_eval = eval_data[0].to(device), eval_data[1].to(device)
    template = copy.deepcopy(model).to(device)
    global_params = _parameters(template, device)
    velocity = {name: torch.zeros_like(p) for name, p in global_params.items()}
    num_clients = len(partition)
    sizes = np.array([len(p) for p in partition])
    model_bytes = sum(p.numel() * p.element_size() for p in global_params.values())
    participation = np.zeros(num_clients, dtype=np.int64)
    rows, bytes_up, bytes_down = [], 0, 0
    for round_number in tqdm(range(1, rounds + 1), desc="rounds", disable=not progress, leave=False):
        chosen = client_sample(num_clients, fraction=fraction, sampling=sampling, rng=generator)
        if dp == "local" and max_participations is not None:
            chosen = chosen[participation[chosen] < max_participations]
        participation[chosen] += 1
        bytes_down += len(chosen) * model_bytes
        bytes_up += len(chosen) * model_bytes
        if len(chosen) or dp == "central":
            step = _round_update(
                template, global_params, x, y, [partition[k] for k in chosen], sizes[chosen],
                local_epochs=local_epochs, batch_size=batch_size, lr=lr, prox_mu=prox_mu, dp=dp,
                clip_norm=clip_norm, noise_multiplier=noise_multiplier,
                expected_clients=fraction * num_clients, rng=generator, noise_generator=noise_generator,
            )
            for name in global_params:
                velocity[name] = server_momentum * velocity[name] + step[name]
                global_params[name] = global_params[name] + server_lr * velocity[name]
        if round_number % eval_every == 0 or round_number == rounds:
            scores = evaluate_parameters(template, global_params, x_eval, y_eval)
            rows.append({"round": round_number, "clients": len(chosen), **scores,
                         "bytes_up": bytes_up, "bytes_down": bytes_down})
    with torch.no_grad():
        for name, parameter in template.named_parameters():
            parameter.copy_(global_params[name])
    return FederatedRun(history=pd.DataFrame(rows), model=template, participation=participation)


def _round_update(
    template: nn.Module,
    global_params: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    client_indices: list[np.ndarray],
    client_sizes: np.ndarray,
    *,
    local_epochs: int,
    batch_size: int | None,
    lr: float,
    prox_mu: float,
    dp: str | None,
    clip_norm: float,
    noise_multiplier: float,
    expected_clients: float,
    rng: np.random.Generator,
    noise_generator: torch.Generator,
) -> Params:
    """The server's step for one round: the aggregated update (new global minus old global)."""
    names = list(global_params)
    if client_indices:
        schedule = batch_schedule(client_indices, epochs=local_epochs, batch_size=batch_size, rng=rng)
        local = local_train(template, global_params, x, y, schedule, lr=lr, prox_mu=prox_mu)
        updates = {name: local[name] - global_params[name] for name in names}
    else:
        updates = {name: p.unsqueeze(0)[:0] for name, p in global_params.items()}
    if dp is None:
        averaged = aggregate([([updates[n][k] for n in names], int(size)) for k, size in enumerate(client_sizes)])
        return dict(zip(names, averaged))
    if dp == "central":
        return central_dp_mean(updates, clip_norm=clip_norm, noise_multiplier=noise_multiplier,
                               expected_clients=expected_clients, generator=noise_generator)
    noisy = local_dp_updates(updates, clip_norm=clip_norm, noise_multiplier=noise_multiplier,
                             generator=noise_generator)
    return {name: noisy[name].sum(dim=0) / expected_clients for name in names}


def rounds_to_accuracy(history: pd.DataFrame, target: float) -> float:
    """The first round whose accuracy reaches ``target``, or NaN if none does.

    Examples
    --------
    >>> rounds_to_accuracy(pd.DataFrame({"round": [1, 2, 3], "accuracy": [0.5, 0.7, 0.8]}), 0.7)
    2.0
    """
    check_type("history", history, pd.DataFrame, "a DataFrame with columns 'round' and 'accuracy'")
    check_number("target", target, low=0, high=1)
    reached = history.loc[history["accuracy"] >= target, "round"]
    return float(reached.iloc[0]) if len(reached) else math.nan
