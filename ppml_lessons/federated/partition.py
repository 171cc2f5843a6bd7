"""Split one dataset among simulated clients: IID, Dirichlet over labels, and pathological shards.

Lesson 06 uses these partitioners to give 100 simulated phones their own slice
of Fashion-MNIST. Every partitioner is seeded (same ``rng``, same split) and
returns a list with one sorted array of example indices per client; the
arrays are disjoint and together cover every example exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_number, check_type
from ..environment import make_rng

__all__ = ["iid_partition", "dirichlet_partition", "shard_partition", "label_counts"]


def _labels_array(labels: Any) -> np.ndarray:
    """Labels as a 1-D int64 numpy array (accepts numpy arrays, torch tensors and sequences)."""
    if hasattr(labels, "detach"):  # a torch tensor
        labels = labels.detach().cpu().numpy()
    array = np.asarray(labels)
    if array.ndim != 1 or len(array) == 0 or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(
            f"labels must be a non-empty 1-D array of integer class labels; got shape {array.shape} "
            f"and dtype {array.dtype}"
        )
    if array.min() < 0:
        raise ValueError(f"labels must be integers in [0, inf); got a label {int(array.min())}")
    return array.astype(np.int64, copy=False)


def _check_clients(num_clients: Any, num_examples: int) -> int:
    return check_number("num_clients", num_clients, low=1, high=num_examples, integer=True)


def iid_partition(
    num_examples: int, num_clients: int, *, min_size: int = 1, rng: np.random.Generator | int | None = None
) -> list[np.ndarray]:
    """Shuffle the examples and deal them out in equal parts (sizes differ by at most one).

    The IID baseline of lesson 06: every client's data looks like the whole dataset.

    Parameters
    ----------
    num_examples : int
        Size of the dataset, in [1, inf).
    num_clients : int
        In [1, num_examples].
    min_size : int, default 1
        Smallest number of examples a client may receive; a ``ValueError`` says so
        when ``num_examples // num_clients`` is smaller.
    rng : numpy.random.Generator, int or None
        Seeds the shuffle.

    Returns
    -------
    list of numpy.ndarray
        ``num_clients`` sorted index arrays, disjoint, covering ``range(num_examples)``.

    Examples
    --------
    >>> parts = iid_partition(10, 3, rng=0)
    >>> [len(p) for p in parts]
    [4, 3, 3]
    >>> sorted(np.concatenate(parts).tolist()) == list(range(10))
    True
    """
    num_examples = check_number("num_examples", num_examples, low=1, integer=True)
    num_clients = _check_clients(num_clients, num_examples)
    min_size = check_number("min_size", min_size, low=1, integer=True)
    if num_examples // num_clients < min_size:
        raise ValueError(
            f"min_size must be at most num_examples // num_clients = {num_examples // num_clients} for an IID "
            f"split of {num_examples} examples among {num_clients} clients; got {min_size}"
        )
    order = make_rng(rng).permutation(num_examples)
    return [np.sort(part) for part in np.array_split(order, num_clients)]


def dirichlet_partition(
    labels: Any,
    num_clients: int,
    *,
    alpha: float,
    min_size: int = 10,
    max_tries: int = 100,
    rng: np.random.Generator | int | None = None,
) -> list[np.ndarray]:
    """Give each class to the clients in proportions drawn from a Dirichlet(α) distribution.

    For every class, a vector of shares ``p ~ Dirichlet(α, ..., α)`` over the
    clients says which fraction of that class's examples each client receives.
    Small α (0.1) gives each client a few dominant classes; large α (100)
    approaches the IID split. As in the code of Yurochkin et al. (2019), reused
    by NIID-Bench (Li et al., 2022) and Flower's ``DirichletPartitioner`` with
    ``self_balancing=True``, a client that already holds more than its fair
    share ``num_examples / num_clients`` gets no more examples, which keeps the
    client sizes within a reasonable range. Draws are repeated until every
    client has ``min_size`` examples. Used by lesson 06.

    Parameters
    ----------
    labels : array-like of int, shape (N,)
        Class label of each example (a numpy array or a torch tensor).
    num_clients : int
        In [1, N].
    alpha : float
        Concentration of the Dirichlet distribution, in (0, inf).
    min_size : int, default 10
        Smallest number of examples any client may end up with, in [0, N // num_clients].
    max_tries : int, default 100
        How many times to redraw before giving up with a ``ValueError``.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    list of numpy.ndarray
        ``num_clients`` sorted index arrays, disjoint, covering ``range(N)``.

    Raises
    ------
    ValueError
        If α is not positive, if ``min_size * num_clients > N``, or if no draw in
        ``max_tries`` gives every client ``min_size`` examples (the message says
        what to change).

    Examples
    --------
    >>> labels = np.repeat(np.arange(4), 50)
    >>> parts = dirichlet_partition(labels, 4, alpha=0.1, min_size=5, rng=0)
    >>> sum(len(p) for p in parts), min(len(p) for p in parts) >= 5
    (200, True)
    """
    labels = _labels_array(labels)
    n = len(labels)
    num_clients = _check_clients(num_clients, n)
    alpha = check_number("alpha", alpha, low=0, low_open=True)
    if not np.isfinite(alpha):
        raise ValueError(f"alpha must be a float in (0, inf); got {alpha!r}")
    min_size = check_number("min_size", min_size, low=0, integer=True)
    max_tries = check_number("max_tries", max_tries, low=1, integer=True)
    if min_size * num_clients > n:
        raise ValueError(
            f"min_size must be at most N // num_clients = {n // num_clients} ({n} examples among {num_clients} "
            f"clients); got {min_size}"
        )
    generator = make_rng(rng)
    by_class = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    fair_share = n / num_clients
    smallest = 0
    for _ in range(max_tries):
        parts: list[list[np.ndarray]] = [[] for _ in range(num_clients)]
        sizes = np.zeros(num_clients, dtype=np.int64)
        for members in by_class:
            members = generator.permutation(members)
            shares = generator.dirichlet(np.full(num_clients, alpha))
            shares = shares * (sizes < fair_share)  # full clients take no more
            total = shares.sum()
            shares = shares / total if total > 0 else (sizes < fair_share) / (sizes < fair_share).sum()
            cuts = (np.cumsum(shares) * len(members)).astype(np.int64)[:-1]
            for client, piece in enumerate(np.split(members, cuts)):
                parts[client].append(piece)
                sizes[client] += len(piece)
        smallest = int(sizes.min())
        if smallest >= min_size:
            return [np.sort(np.concatenate(p)) for p in parts]
    raise ValueError(
        f"dirichlet_partition could not give every one of {num_clients} clients min_size={min_size} examples in "
        f"max_tries={max_tries} draws with alpha={alpha!r} (the smallest client of the last draw had {smallest}); "
        "lower min_size, raise alpha, use fewer clients or allow more tries"
    )


def shard_partition(
    labels: Any,
    num_clients: int,
    *,
    shards_per_client: int = 2,
    rng: np.random.Generator | int | None = None,
) -> list[np.ndarray]:
    """The pathological non-IID split of McMahan et al. (2017): sort by label, cut into shards, deal them out.

    The examples are sorted by label (ties in random order) and cut into
    ``num_clients * shards_per_client`` shards of equal size (up to one
    example); each client receives ``shards_per_client`` shards at random. With
    Fashion-MNIST, 100 clients and 2 shards of 300 images each, most clients see
    only two classes (some one, when both shards share a class). Used by lesson 06.

    Parameters
    ----------
    labels : array-like of int, shape (N,)
    num_clients : int
        In [1, N // shards_per_client].
    shards_per_client : int, default 2
        In [1, inf).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    list of numpy.ndarray
        ``num_clients`` sorted index arrays, disjoint, covering ``range(N)``.

    Examples
    --------
    >>> labels = np.repeat(np.arange(5), 20)
    >>> parts = shard_partition(labels, 5, shards_per_client=2, rng=0)
    >>> [len(np.unique(labels[p])) <= 2 for p in parts]
    [True, True, True, True, True]
    """
    labels = _labels_array(labels)
    n = len(labels)
    shards_per_client = check_number("shards_per_client", shards_per_client, low=1, integer=True)
    num_clients = check_number("num_clients", num_clients, low=1, integer=True)
    if num_clients * shards_per_client > n:
        raise ValueError(
            f"num_clients must be in [1, N // shards_per_client] = [1, {n // shards_per_client}] so that every "
            f"shard holds at least one example; got {num_clients}"
        )
    generator = make_rng(rng)
    shuffled = generator.permutation(n)
    by_label = shuffled[np.argsort(labels[shuffled], kind="stable")]
    shards = np.array_split(by_label, num_clients * shards_per_client)
    order = generator.permutation(len(shards)).reshape(num_clients, shards_per_client)
    return [np.sort(np.concatenate([shards[s] for s in row])) for row in order]


def label_counts(labels: Any, partition: Sequence[np.ndarray], *, num_classes: int | None = None) -> np.ndarray:
    """How many examples of each class every client holds: an array of shape (clients, classes).

    Lesson 06 plots it to show how skewed each partition is.

    Parameters
    ----------
    labels : array-like of int, shape (N,)
    partition : sequence of index arrays
        One array of example indices per client, as returned by the partitioners.
    num_classes : int, optional
        Number of columns; by default ``max(labels) + 1``.

    Returns
    -------
    numpy.ndarray of int64, shape (len(partition), num_classes)

    Examples
    --------
    >>> label_counts(np.array([0, 1, 1, 2]), [np.array([0, 1]), np.array([2, 3])])
    array([[1, 1, 0],
           [0, 1, 1]])
    """
    labels = _labels_array(labels)
    check_type("partition", partition, (list, tuple), "a list of index arrays, one per client")
    if num_classes is None:
        num_classes = int(labels.max()) + 1
    num_classes = check_number("num_classes", num_classes, low=int(labels.max()) + 1, integer=True)
    counts = np.zeros((len(partition), num_classes), dtype=np.int64)
    for client, indices in enumerate(partition):
        indices = np.asarray(indices)
        if indices.ndim != 1 or (len(indices) and not np.issubdtype(indices.dtype, np.integer)):
            raise TypeError(f"partition[{client}] must be a 1-D array of integer indices; got {indices.dtype}")
        counts[client] = np.bincount(labels[indices], minlength=num_classes)
    return counts
