"""Federated averaging (McMahan et al., 2017): the server's aggregation and the clients' local training.

Lesson 06 simulates many clients at once. The server's side is
:func:`aggregate`, a pure function of ``(parameters, num_examples)`` pairs in
the style of Flower's ``flwr.server.strategy.aggregate.aggregate``. The
clients' side is :func:`local_train`: every selected client runs ``epochs``
passes of minibatch SGD over its own data (FedProx adds a proximal term), all
clients in lockstep, their parameters stacked along a first axis and their
gradients computed by ``torch.func.vmap`` over ``torch.func.grad``.
:func:`ppml_lessons.federated.simulation.train_federated` joins the two into
rounds; FedSGD is the special case of one full-batch step per client.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from .._validation import check_number, check_option, check_type
from ..environment import make_rng

__all__ = ["aggregate", "batch_schedule", "client_sample", "local_train", "evaluate_parameters"]

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
            raise ValueError(
                f"results[{i}][0] must have the layer shapes of results[0][0], {shapes}; got {layer_shapes}"
            )
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
    check_type("params", params, dict, "a dict of parameter tensors by name")
    check_type("inputs", inputs, torch.Tensor, "a torch.Tensor")
    check_type("labels", labels, torch.Tensor, "a torch.Tensor of class labels")
    check_number("batch_size", batch_size, low=1, integer=True)
    loss, correct = 0.0, 0
    for xb, yb in zip(inputs.split(batch_size), labels.split(batch_size)):
        logits = functional_call(model, params, (xb,))
        loss += nn.functional.cross_entropy(logits, yb, reduction="sum").item()
        correct += (logits.argmax(dim=1) == yb).sum().item()
    if len(labels) == 0:
        raise ValueError("inputs must hold at least one example; got none")
    return {"loss": loss / len(labels), "accuracy": correct / len(labels)}
