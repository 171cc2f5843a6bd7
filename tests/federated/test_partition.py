"""Tests of ppml_lessons.federated.partition: seeded, disjoint and covering, sizes, skew, and bad input."""

import numpy as np
import pytest
import torch

from ppml_lessons.federated.partition import dirichlet_partition, iid_partition, label_counts, shard_partition

LABELS = np.repeat(np.arange(10), 300)  # 3,000 examples, 300 per class
np.random.default_rng(0).shuffle(LABELS)

PARTITIONERS = {
    "iid": lambda rng: iid_partition(len(LABELS), 20, rng=rng),
    "dirichlet": lambda rng: dirichlet_partition(LABELS, 20, alpha=0.3, min_size=20, rng=rng),
    "shards": lambda rng: shard_partition(LABELS, 20, shards_per_client=2, rng=rng),
}


def assert_is_partition(parts, n):
    everything = np.concatenate(parts)
    assert len(everything) == n, "some example is missing or appears twice"
    assert np.array_equal(np.sort(everything), np.arange(n))
    assert all(np.array_equal(p, np.sort(p)) for p in parts)


@pytest.mark.parametrize("name", PARTITIONERS)
def test_disjoint_covering_and_seeded(name):
    make = PARTITIONERS[name]
    parts = make(7)
    assert len(parts) == 20
    assert_is_partition(parts, len(LABELS))
    again = make(7)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again))
    other = make(8)
    assert not all(np.array_equal(a, b) for a, b in zip(parts, other))


def test_iid_sizes_differ_by_at_most_one_and_match_the_global_label_mix():
    parts = iid_partition(1003, 10, rng=0)
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == 1003
    counts = label_counts(LABELS, iid_partition(len(LABELS), 10, rng=0))
    # Each client draws 300 of 3,000 examples without replacement: the count of one class is
    # hypergeometric with mean 30 and variance 300 * 0.1 * 0.9 * (2700 / 2999) = 24.3 (sd 4.9).
    # 100 cells, each within 5 sd with probability 1 - 5.7e-7.
    assert np.all(np.abs(counts - 30) <= 5 * np.sqrt(300 * 0.1 * 0.9 * 2700 / 2999))


def test_iid_min_size_is_enforced():
    with pytest.raises(ValueError, match="min_size"):
        iid_partition(100, 10, min_size=11)
    assert min(len(p) for p in iid_partition(100, 10, min_size=10, rng=0)) == 10


def test_dirichlet_min_size_is_reached_or_refused_clearly():
    parts = dirichlet_partition(LABELS, 30, alpha=0.1, min_size=15, rng=1)
    assert min(len(p) for p in parts) >= 15
    with pytest.raises(ValueError, match="min_size"):  # 30 * 101 > 3,000: impossible, refused before drawing
        dirichlet_partition(LABELS, 30, alpha=1.0, min_size=101)
    with pytest.raises(ValueError, match="min_size=90.*raise alpha"):  # possible in principle, never reached
        dirichlet_partition(LABELS, 30, alpha=0.01, min_size=90, max_tries=5, rng=0)


@pytest.mark.parametrize("alpha", [0, -1.0, float("nan"), float("inf")])
def test_dirichlet_rejects_a_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha"):
        dirichlet_partition(LABELS, 10, alpha=alpha)


def test_dirichlet_alpha_must_be_a_number():
    with pytest.raises(TypeError, match="alpha"):
        dirichlet_partition(LABELS, 10, alpha="small")


def _effective_classes(parts):
    counts = label_counts(LABELS, parts)
    shares = counts / counts.sum(axis=1, keepdims=True)
    return np.mean(1 / (shares**2).sum(axis=1))  # inverse Simpson index: 1 = one class, 10 = uniform


def test_smaller_alpha_means_more_skewed_clients():
    # With alpha -> 0 each class goes to one client (1 class per client at best); with alpha -> inf every
    # client gets every class in proportion (10 effective classes). Averaged over 5 seeds, the effective
    # number of classes must increase with alpha over two orders of magnitude each.
    means = [np.mean([_effective_classes(dirichlet_partition(LABELS, 20, alpha=a, min_size=10, rng=s))
                      for s in range(5)]) for a in (0.05, 5.0, 500.0)]
    assert means[0] < means[1] < means[2]
    assert means[0] < 3 and means[2] > 9.5


def test_shards_give_each_client_its_shards_only():
    labels = np.repeat(np.arange(10), 60)  # 600 examples; 50 shards of 12 never straddle two classes
    parts = shard_partition(labels, 25, shards_per_client=2, rng=3)
    assert_is_partition(parts, 600)
    assert all(len(p) == 24 for p in parts)
    assert all(len(np.unique(labels[p])) <= 2 for p in parts)
    with pytest.raises(ValueError, match="num_clients"):
        shard_partition(labels, 301, shards_per_client=2)
    with pytest.raises(ValueError, match="shards_per_client"):
        shard_partition(labels, 10, shards_per_client=0)


def test_partitioners_accept_torch_labels():
    torch_parts = dirichlet_partition(torch.from_numpy(LABELS), 10, alpha=1.0, rng=0)
    numpy_parts = dirichlet_partition(LABELS, 10, alpha=1.0, rng=0)
    assert all(np.array_equal(a, b) for a, b in zip(torch_parts, numpy_parts))


def test_bad_labels_and_client_counts():
    with pytest.raises(TypeError, match="labels"):
        dirichlet_partition(np.array([0.5, 1.5]), 2, alpha=1.0)
    with pytest.raises(TypeError, match="labels"):
        shard_partition(np.zeros((3, 2), dtype=int), 2)
    with pytest.raises(ValueError, match="labels"):
        dirichlet_partition(np.array([0, -1, 1]), 2, alpha=1.0, min_size=0)
    with pytest.raises(ValueError, match="num_clients"):
        iid_partition(10, 11)
    with pytest.raises(TypeError, match="num_clients"):
        dirichlet_partition(LABELS, 2.5, alpha=1.0)


def test_label_counts():
    labels = np.array([0, 1, 1, 2, 2, 2])
    counts = label_counts(labels, [np.array([0, 3]), np.array([1, 2, 4, 5])], num_classes=4)
    assert counts.tolist() == [[1, 0, 1, 0], [0, 2, 2, 0]]
    parts = PARTITIONERS["dirichlet"](0)
    counts = label_counts(LABELS, parts)
    assert counts.sum(axis=1).tolist() == [len(p) for p in parts]
    assert counts.sum(axis=0).tolist() == [300] * 10
    with pytest.raises(ValueError, match="num_classes"):
        label_counts(labels, [np.array([0])], num_classes=2)
    with pytest.raises(TypeError, match="partition"):
        label_counts(labels, np.array([0, 1]))
