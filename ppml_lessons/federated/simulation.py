"""The federated training loop of lesson 06: rounds of client sampling, local training and aggregation.

:func:`train_federated` simulates FedAvg (McMahan et al., 2017) and its
variants on one machine: FedSGD (one full-batch step per client), FedProx
(``prox_mu``, Li et al., 2020), FedAvgM (``server_momentum``, Hsu et al., 2019),
and client-level differential privacy with the noise at the server
(DP-FedAvg, McMahan et al., 2018) or on each client
(:mod:`ppml_lessons.federated.privacy`). It records accuracy and the bytes
sent after every round.

Randomness has two sources. ``rng`` seeds the clients' sampling and their
minibatches, so that a lesson's figures are reproducible. The DP noise is a
secret: anyone who can regenerate it subtracts it and the guarantee is gone
(ε = ∞). So by default it comes from a ``torch.Generator`` seeded with 63 bits
of operating-system entropy (:func:`secrets.randbits`), independent of
``rng``; ``noise_seed=<int>`` is the explicit opt-in to reproducible noise, for
tests and reproducible figures only, and is *not private*. The accountant's
amplification by subsampling assumes that the sampling is secret too: with a
known ``rng`` seed an observer knows who took part in each round, and each
participation costs a full Gaussian mechanism. A deployment passes
``rng=None`` (operating-system entropy) as well. (A seeded PyTorch generator
is unpredictable without its seed but is not a cryptographically secure
generator: this is for teaching.)
"""

from __future__ import annotations

import copy
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .._validation import check_bool, check_number, check_option, check_type
from ..environment import get_device, make_rng
from .fedavg import aggregate, batch_schedule, client_sample, evaluate_parameters, local_train
from .privacy import central_dp_mean, local_dp_updates

__all__ = ["FederatedRun", "train_federated", "rounds_to_accuracy"]

Params = dict[str, torch.Tensor]


def _parameters(model: nn.Module, device: torch.device) -> Params:
    return {name: p.detach().to(device).clone() for name, p in model.named_parameters()}


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
    noise_seed: int | None = None,
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
        Seeds client sampling and the clients' batches, not the DP noise. Privacy
        amplification by sampling assumes the sampling is secret: ``None`` in a deployment.
    noise_seed : int or None, default None
        ``None``: the DP noise comes from a generator seeded with operating-system
        entropy, different in every call, as privacy requires. An int in
        [0, 2**63) makes the noise reproducible: insecure (whoever knows the seed
        removes the noise), for tests and reproducible figures only.
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
    if noise_seed is None:
        noise_seed = secrets.randbits(63)  # OS entropy: the noise must not follow from a public seed
    else:
        noise_seed = check_number("noise_seed", noise_seed, low=0, high=2**63 - 1, integer=True)
    noise_generator = torch.Generator(device=device).manual_seed(noise_seed)

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
