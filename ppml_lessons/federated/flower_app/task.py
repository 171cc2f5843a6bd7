"""What the Flower app computes, built from lesson 06's pieces: the model, the clients' data and local training.

Nothing here imports Flower: these are the functions that lesson 06 ran in one
process, cut at the place where a network message goes. The ``ServerApp`` and
``ClientApp`` (:mod:`.server_app`, :mod:`.client_app`) only move their inputs
and outputs around. Used by lesson 10.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np
import torch
from torch import nn

from ..._validation import check_number, check_option
from ...data import load_fashion_mnist
from ..fedavg import batch_schedule, evaluate_parameters, local_train
from ..partition import dirichlet_partition, iid_partition

__all__ = ["Settings", "new_model", "client_partition", "client_data", "test_data", "train_client", "evaluate_arrays"]

#: The parameter names of lesson 06's model, in the order the arrays travel.
PARAMETER_NAMES = ("weight", "bias")


@dataclass(frozen=True)
class Settings:
    """Everything the server and the clients must agree on; a Flower run config carries it as flat keys.

    The defaults are lesson 06's: softmax regression on 784 pixels, 100 IID
    clients, 10 of them per round, one local epoch with batches of 50 and a
    learning rate of 0.1, 50 rounds, seed 0. ``mode`` chooses the server's
    aggregation: ``"fedavg"``, ``"central-dp"`` (Flower's server-side fixed
    clipping) or ``"secagg"`` (the SecAgg+ workflow).

    Examples
    --------
    >>> s = Settings(rounds=3)
    >>> Settings.from_config(s.to_config()) == s
    True
    """

    num_partitions: int = 100
    partitioner: str = "iid"
    alpha: float = 0.5
    seed: int = 0
    rounds: int = 50
    clients_per_round: int = 10
    local_epochs: int = 1
    batch_size: int = 50
    lr: float = 0.1
    mode: str = "fedavg"
    clip_norm: float = 0.5
    noise_multiplier: float = 0.0
    secagg_shares: int = 3
    secagg_threshold: int = 2
    round_timeout: float = 600.0
    results_path: str = ""
    record_updates: bool = False

    def __post_init__(self) -> None:
        check_number("num_partitions", self.num_partitions, low=1, integer=True)
        check_option("partitioner", self.partitioner, ["iid", "dirichlet"])
        check_number("alpha", self.alpha, low=0, low_open=True)
        check_number("seed", self.seed, low=0, integer=True)
        check_number("rounds", self.rounds, low=1, integer=True)
        check_number("clients_per_round", self.clients_per_round, low=1, high=self.num_partitions, integer=True)
        check_number("local_epochs", self.local_epochs, low=1, integer=True)
        check_number("batch_size", self.batch_size, low=1, integer=True)
        check_number("lr", self.lr, low=0, low_open=True)
        check_option("mode", self.mode, ["fedavg", "central-dp", "secagg"])
        check_number("clip_norm", self.clip_norm, low=0, low_open=True)
        check_number("noise_multiplier", self.noise_multiplier, low=0)
        check_number("secagg_shares", self.secagg_shares, low=2, integer=True)
        check_number("secagg_threshold", self.secagg_threshold, low=1, high=self.secagg_shares, integer=True)
        check_number("round_timeout", self.round_timeout, low=0, low_open=True)

    def to_config(self) -> dict[str, Any]:
        """The settings as a Flower run config: keys with dashes, values str, int, float or bool."""
        return {name.replace("_", "-"): value for name, value in asdict(self).items()}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Read the settings back from a run config; unknown keys are ignored, missing ones take the default."""
        values = {}
        for field in fields(cls):
            key = field.name.replace("_", "-")
            if key in config:
                default = getattr(cls, field.name)
                value = config[key]
                values[field.name] = type(default)(value) if not isinstance(default, bool) else bool(value)
        return cls(**values)


def new_model(seed: int = 0) -> nn.Linear:
    """Lesson 06's model: softmax regression on the 784 pixels, initialized from ``seed``.

    The global random state is left as it was (``torch.random.fork_rng``), and
    the weights are those of lesson 06's ``new_model()`` for the same seed.

    Examples
    --------
    >>> torch.equal(new_model(0).weight, new_model(0).weight)
    True
    """
    check_number("seed", seed, low=0, integer=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Linear(784, 10)


@lru_cache(maxsize=4)
def _partition(num_partitions: int, partitioner: str, alpha: float, seed: int) -> tuple[np.ndarray, ...]:
    labels = load_fashion_mnist(train=True).targets.numpy()
    if partitioner == "iid":
        return tuple(iid_partition(len(labels), num_partitions, rng=seed))
    return tuple(dirichlet_partition(labels, num_partitions, alpha=alpha, rng=seed))


def client_partition(settings: Settings) -> list[np.ndarray]:
    """Every client's example indices: lesson 06's partitioner with the settings' seed.

    Examples
    --------
    >>> parts = client_partition(Settings(num_partitions=100))
    >>> len(parts), sum(map(len, parts))
    (100, 60000)
    """
    return list(_partition(settings.num_partitions, settings.partitioner, settings.alpha, settings.seed))


def client_data(partition_id: int, settings: Settings) -> tuple[torch.Tensor, torch.Tensor]:
    """The training images (flattened, in [0, 1]) and labels of one client, from the committed Fashion-MNIST.

    Only this client's images are converted to floats, so a client process
    holds its own few hundred images, not the whole training set.

    Examples
    --------
    >>> x, y = client_data(3, Settings())
    >>> tuple(x.shape), x.dtype
    ((600, 784), torch.float32)
    """
    check_number("partition_id", partition_id, low=0, high=settings.num_partitions - 1, integer=True)
    indices = torch.as_tensor(client_partition(settings)[partition_id])
    dataset = load_fashion_mnist(train=True)
    images = dataset.data.index_select(0, indices).flatten(1).float().div_(255.0)
    return images, dataset.targets.index_select(0, indices)


@lru_cache(maxsize=1)
def test_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The 10,000 test images (flattened) and labels, on which the server evaluates the global model."""
    x, y = load_fashion_mnist(train=False).tensors()
    return x.flatten(1), y


def _as_params(arrays: Sequence[np.ndarray]) -> dict[str, torch.Tensor]:
    if len(arrays) != len(PARAMETER_NAMES):
        raise ValueError(f"arrays must hold {len(PARAMETER_NAMES)} layers {PARAMETER_NAMES}; got {len(arrays)}")
    return {name: torch.as_tensor(np.asarray(a, dtype=np.float32)) for name, a in zip(PARAMETER_NAMES, arrays)}


def train_client(
    arrays: Sequence[np.ndarray],
    partition_id: int,
    settings: Settings,
    *,
    server_round: int,
) -> tuple[list[np.ndarray], int]:
    """One client's work in one round: lesson 06's ``local_train`` from the global ``arrays`` on its own data.

    The client's batches are shuffled by a generator seeded with
    ``(seed, server_round, partition_id)``, so a run is reproducible whichever
    process the client lands in.

    Returns
    -------
    (list of numpy arrays, int)
        The client's new parameters and its number of examples: one
        ``(parameters, num_examples)`` pair of lesson 06's ``aggregate``.

    Examples
    --------
    >>> start = [p.detach().numpy() for p in new_model().parameters()]
    >>> layers, n = train_client(start, 0, Settings(), server_round=1)
    >>> [a.shape for a in layers], n
    ([(10, 784), (10,)], 600)
    """
    check_number("server_round", server_round, low=1, integer=True)
    x, y = client_data(partition_id, settings)
    schedule = batch_schedule(
        [np.arange(len(y))], epochs=settings.local_epochs, batch_size=settings.batch_size,
        rng=np.random.default_rng([settings.seed, server_round, partition_id]),
    )
    trained = local_train(new_model(), _as_params(arrays), x, y, schedule, lr=settings.lr)
    return [trained[name][0].detach().numpy() for name in PARAMETER_NAMES], len(y)


def evaluate_arrays(arrays: Sequence[np.ndarray]) -> dict[str, float]:
    """Test loss and accuracy of the global model with these parameters (lesson 06's ``evaluate_parameters``).

    Examples
    --------
    >>> scores = evaluate_arrays([p.detach().numpy() for p in new_model().parameters()])
    >>> sorted(scores)
    ['accuracy', 'loss']
    """
    x, y = test_data()
    return evaluate_parameters(new_model(), _as_params(arrays), x, y)
