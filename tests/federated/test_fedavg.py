"""Tests of ppml_lessons.federated.fedavg: aggregation by hand and against Flower, vectorized local
training against a plain per-client loop, FedSGD as one full-batch gradient step, server momentum."""

import copy
import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from ppml_lessons.federated.fedavg import (
    aggregate,
    batch_schedule,
    client_sample,
    evaluate_parameters,
    local_train,
    rounds_to_accuracy,
    train_federated,
)
from ppml_lessons.federated.partition import iid_partition

CPU = torch.device("cpu")


def _data(n=120, d=6, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    y = (x[:, :classes].argmax(dim=1) + (torch.rand(n, generator=g) < 0.1).long()) % classes
    return x, y


def _model(d=6, classes=3, hidden=None, seed=0):
    torch.manual_seed(seed)
    if hidden is None:
        return nn.Linear(d, classes)
    return nn.Sequential(nn.Linear(d, hidden), nn.Tanh(), nn.Linear(hidden, classes))


def _params(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


# ----- aggregate ---------------------------------------------------------------------------
def test_aggregate_by_hand():
    a = [np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([10.0])]
    b = [np.array([[5.0, 6.0], [7.0, 8.0]]), np.array([20.0])]
    c = [np.array([[0.0, 0.0], [0.0, 0.0]]), np.array([40.0])]
    # weights 1, 2, 1 of 4: layer 0 = (a + 2b) / 4, layer 1 = (10 + 40 + 40) / 4
    out = aggregate([(a, 1), (b, 2), (c, 1)])
    assert np.array_equal(out[0], np.array([[11 / 4, 14 / 4], [17 / 4, 20 / 4]]))
    assert out[1].tolist() == [22.5]
    assert aggregate([(a, 5)])[0].tolist() == a[0].tolist()  # one client: its own parameters


def test_aggregate_keeps_torch_tensors():
    out = aggregate([([torch.tensor([0.0, 3.0])], 2), ([torch.tensor([3.0, 0.0])], 1)])
    assert isinstance(out[0], torch.Tensor) and torch.allclose(out[0], torch.tensor([1.0, 2.0]))


def test_aggregate_matches_flower():
    flwr_aggregate = pytest.importorskip("flwr.server.strategy.aggregate").aggregate
    rng = np.random.default_rng(0)
    results = [([rng.normal(size=(3, 4)), rng.normal(size=4)], int(rng.integers(1, 500))) for _ in range(7)]
    for ours, theirs in zip(aggregate(results), flwr_aggregate(results)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_aggregate_rejects_bad_input():
    with pytest.raises(ValueError, match="results"):
        aggregate([])
    with pytest.raises(ValueError, match="num_examples"):
        aggregate([([np.zeros(2)], 0)])
    with pytest.raises(TypeError, match="num_examples"):
        aggregate([([np.zeros(2)], 1.5)])
    with pytest.raises(ValueError, match=r"results\[1\]\[0\].*shapes"):
        aggregate([([np.zeros(2)], 1), ([np.zeros(3)], 1)])
    with pytest.raises(TypeError, match=r"results\[0\]"):
        aggregate([np.zeros(2)])


# ----- batch_schedule and client_sample ---------------------------------------------------
def test_batch_schedule_visits_every_example_once_per_epoch():
    clients = [np.arange(0, 7), np.arange(10, 30), np.arange(40, 43)]
    plan = batch_schedule(clients, epochs=3, batch_size=4, rng=0)
    assert plan.shape == (3, 3 * 5, 4)  # the largest client takes 3 * ceil(20 / 4) = 15 steps
    for k, indices in enumerate(clients):
        steps = 3 * math.ceil(len(indices) / min(4, len(indices)))
        assert (plan[k, steps:] == -1).all()
        per_epoch = plan[k, :steps].reshape(3, -1)
        for epoch in per_epoch:
            assert np.array_equal(np.sort(epoch[epoch >= 0]), indices)
    assert np.array_equal(plan, batch_schedule(clients, epochs=3, batch_size=4, rng=0))


def test_full_batch_schedule_is_one_step_per_epoch():
    plan = batch_schedule([np.arange(5), np.arange(5, 8)], epochs=1, batch_size=None, rng=0)
    assert plan.shape == (2, 1, 5)
    assert sorted(plan[1, 0][plan[1, 0] >= 0].tolist()) == [5, 6, 7]


def test_batch_schedule_rejects_bad_input():
    with pytest.raises(ValueError, match="client_indices"):
        batch_schedule([np.arange(3), np.array([], dtype=int)], epochs=1, batch_size=2)
    with pytest.raises(ValueError, match="epochs"):
        batch_schedule([np.arange(3)], epochs=0, batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        batch_schedule([np.arange(3)], epochs=1, batch_size=0)


def test_client_sample():
    fixed = client_sample(50, fraction=0.2, rng=0)
    assert len(fixed) == 10 and len(np.unique(fixed)) == 10
    assert len(client_sample(50, fraction=0.001, rng=0)) == 1  # at least one client
    # Poisson sampling: 2,000 rounds of 50 clients at rate 0.2 give 100,000 Bernoulli(0.2) draws;
    # their mean has standard error sqrt(0.2 * 0.8 / 100000) = 0.00126; allow 5 of them.
    rng = np.random.default_rng(1)
    counts = [len(client_sample(50, fraction=0.2, sampling="poisson", rng=rng)) for _ in range(2000)]
    assert abs(np.mean(counts) / 50 - 0.2) <= 5 * math.sqrt(0.2 * 0.8 / 100_000)
    with pytest.raises(ValueError, match="fraction"):
        client_sample(10, fraction=0.0)
    with pytest.raises(ValueError, match="sampling"):
        client_sample(10, fraction=0.5, sampling="uniform")


# ----- local training ---------------------------------------------------------------------
def _loop_local_train(model, global_params, x, y, plan, lr, prox_mu=0.0):
    """Reference: each client alone, an ordinary nn.Module and torch.optim.SGD, the same batches."""
    out = []
    for k in range(plan.shape[0]):
        client = _copy(model)
        client.load_state_dict(global_params)
        opt = torch.optim.SGD(client.parameters(), lr=lr)
        for step in plan[k]:
            ids = torch.from_numpy(step[step >= 0])
            if len(ids) == 0:
                continue
            loss = nn.functional.cross_entropy(client(x[ids]), y[ids])
            if prox_mu:
                loss = loss + prox_mu / 2 * sum(((p - global_params[n]) ** 2).sum() for n, p in client.named_parameters())
            opt.zero_grad()
            loss.backward()
            opt.step()
        out.append(_params(client))
    return out


def _copy(model):
    return copy.deepcopy(model)


@pytest.mark.parametrize(("hidden", "prox_mu"), [(None, 0.0), (5, 0.0), (5, 0.3)])
def test_vectorized_local_training_equals_a_loop_over_clients(hidden, prox_mu):
    x, y = _data()
    model = _model(hidden=hidden)
    start = _params(model)
    clients = [np.arange(0, 13), np.arange(13, 50), np.arange(50, 52), np.arange(52, 120)]
    plan = batch_schedule(clients, epochs=2, batch_size=8, rng=0)
    stacked = local_train(model, start, x, y, plan, lr=0.2, prox_mu=prox_mu)
    expected = _loop_local_train(model, start, x, y, plan, lr=0.2, prox_mu=prox_mu)
    for k, reference in enumerate(expected):
        for name, value in reference.items():
            torch.testing.assert_close(stacked[name][k], value, rtol=1e-5, atol=1e-6)
    assert all(torch.equal(p, start[n]) for n, p in model.named_parameters())  # the template is untouched


def test_local_train_rejects_bad_input():
    x, y = _data()
    model = _model()
    plan = batch_schedule([np.arange(10)], epochs=1, batch_size=5, rng=0)
    with pytest.raises(ValueError, match="lr"):
        local_train(model, _params(model), x, y, plan, lr=0.0)
    with pytest.raises(ValueError, match="prox_mu"):
        local_train(model, _params(model), x, y, plan, lr=0.1, prox_mu=-1.0)
    with pytest.raises(ValueError, match="schedule"):
        local_train(model, _params(model), x, y, plan + 1000, lr=0.1)
    with pytest.raises(ValueError, match="schedule"):
        local_train(model, _params(model), x, y, plan[0], lr=0.1)


# ----- the training loop ------------------------------------------------------------------
def _one_round(model, x, y, parts, **kwargs):
    run = train_federated(model, x, y, parts, rounds=1, eval_data=(x, y), fraction=1.0, rng=0, progress=False,
                          device=CPU, **kwargs)
    return _params(run.model)


def test_fedsgd_is_one_full_batch_gradient_step_on_all_the_data():
    x, y = _data()
    model = _model()
    parts = [np.arange(0, 10), np.arange(10, 45), np.arange(45, 120)]  # unequal clients
    after = _one_round(model, x, y, parts, local_epochs=1, batch_size=None, lr=0.5)
    central = _copy(model)
    nn.functional.cross_entropy(central(x), y).backward()  # the mean over all 120 examples
    for name, p in central.named_parameters():
        torch.testing.assert_close(after[name], p.detach() - 0.5 * p.grad, rtol=1e-5, atol=1e-6)


def test_fedavg_round_is_the_weighted_average_of_the_local_models():
    x, y = _data()
    model = _model()
    parts = [np.arange(0, 10), np.arange(10, 45), np.arange(45, 120)]
    after = _one_round(model, x, y, parts, local_epochs=3, batch_size=7, lr=0.3)
    # replay the same round by hand: the loop draws the clients, then the schedule, from one generator
    rng = np.random.default_rng(0)
    rng.integers(2**62)  # the seed of the noise generator
    chosen = client_sample(3, fraction=1.0, rng=rng)
    plan = batch_schedule([parts[k] for k in chosen], epochs=3, batch_size=7, rng=rng)
    locals_ = _loop_local_train(model, _params(model), x, y, plan, lr=0.3)
    names = list(after)
    expected = aggregate([([m[n] for n in names], len(parts[k])) for m, k in zip(locals_, chosen)])
    for name, value in zip(names, expected):
        torch.testing.assert_close(after[name], value, rtol=1e-5, atol=1e-6)


def test_server_learning_rate_and_momentum():
    x, y = _data()
    model = _model()
    parts = [np.arange(0, 60), np.arange(60, 120)]
    full = dict(local_epochs=1, batch_size=None, lr=0.5)  # deterministic: full batches, every client
    start = _params(model)
    plain = _one_round(model, x, y, parts, **full)
    half = _one_round(model, x, y, parts, server_lr=0.5, **full)
    for name in start:
        torch.testing.assert_close(half[name] - start[name], 0.5 * (plain[name] - start[name]))
    # two rounds with momentum 0.9: v1 = d1, w1 = w0 + d1; v2 = 0.9 d1 + d2(w1), w2 = w1 + v2
    run = train_federated(model, x, y, parts, rounds=2, eval_data=(x, y), fraction=1.0, server_momentum=0.9,
                          rng=0, progress=False, device=CPU, **full)
    d1 = {n: plain[n] - start[n] for n in start}
    w1 = _copy(model)
    w1.load_state_dict(plain)
    second = _one_round(w1, x, y, parts, **full)
    for name, p in run.model.named_parameters():
        expected = plain[name] + 0.9 * d1[name] + (second[name] - plain[name])
        torch.testing.assert_close(p.detach(), expected, rtol=1e-5, atol=1e-6)


def test_training_learns_and_reports_history():
    x, y = _data(n=600)
    parts = iid_partition(600, 20, rng=0)
    run = train_federated(_model(), x, y, parts, rounds=6, eval_data=(x, y), fraction=0.25, local_epochs=2,
                          batch_size=10, lr=0.3, eval_every=2, rng=0, progress=False, device=CPU)
    history = run.history
    assert history["round"].tolist() == [2, 4, 6]
    assert (history["clients"] == 5).all()
    n_params = 6 * 3 + 3
    assert history["bytes_up"].tolist() == [2 * 5 * 4 * n_params * k for k in (1, 2, 3)]
    assert run.participation.sum() == 30
    start = evaluate_parameters(_model(), _params(_model()), x, y)
    assert run.final_accuracy > start["accuracy"] + 0.2 and history["loss"].iloc[-1] < start["loss"]
    again = train_federated(_model(), x, y, parts, rounds=6, eval_data=(x, y), fraction=0.25, local_epochs=2,
                            batch_size=10, lr=0.3, eval_every=2, rng=0, progress=False, device=CPU)
    pd.testing.assert_frame_equal(history, again.history)  # same seed, same run


def test_dp_central_without_noise_is_the_clipped_unweighted_mean():
    x, y = _data()
    model = _model()
    parts = [np.arange(0, 10), np.arange(10, 45), np.arange(45, 120)]
    full = dict(local_epochs=1, batch_size=None, lr=0.5, sampling="poisson")
    weighted = _one_round(model, x, y, parts, **{**full, "sampling": "fixed"})
    unweighted = _one_round(model, x, y, parts, dp="central", clip_norm=1e6, noise_multiplier=0.0, **full)
    start = _params(model)
    g = {}
    for k, idx in enumerate(parts):  # each client's full-batch step, averaged with equal weights
        m = _copy(model)
        nn.functional.cross_entropy(m(x[idx]), y[idx]).backward()
        for name, p in m.named_parameters():
            g[name] = g.get(name, 0) - 0.5 * p.grad / 3
    for name in start:
        torch.testing.assert_close(unweighted[name], start[name] + g[name], rtol=1e-5, atol=1e-6)
        assert not torch.allclose(weighted[name], unweighted[name])


def test_dp_local_caps_participation():
    x, y = _data()
    parts = iid_partition(120, 6, rng=0)
    run = train_federated(_model(), x, y, parts, rounds=8, eval_data=(x, y), fraction=1.0, sampling="poisson",
                          dp="local", noise_multiplier=1.0, max_participations=3, rng=0, progress=False, device=CPU)
    assert run.participation.tolist() == [3] * 6
    assert run.history["clients"].tolist() == [6, 6, 6, 0, 0, 0, 0, 0]


def test_train_federated_rejects_bad_input():
    x, y = _data()
    parts = iid_partition(120, 6, rng=0)
    common = dict(rounds=1, eval_data=(x, y), progress=False, device=CPU)
    with pytest.raises(ValueError, match="sampling"):
        train_federated(_model(), x, y, parts, dp="central", noise_multiplier=1.0, **common)
    with pytest.raises(ValueError, match="dp"):
        train_federated(_model(), x, y, parts, dp="global", **common)
    with pytest.raises(ValueError, match="fraction"):
        train_federated(_model(), x, y, parts, fraction=1.5, **common)
    with pytest.raises(ValueError, match="server_momentum"):
        train_federated(_model(), x, y, parts, server_momentum=1.0, **common)
    with pytest.raises(ValueError, match="noise_multiplier"):
        train_federated(_model(), x, y, parts, dp="local", noise_multiplier=-1.0, **common)
    with pytest.raises(ValueError, match="partition"):
        train_federated(_model(), x, y, [np.arange(3), np.array([], dtype=int)], **common)
    with pytest.raises(ValueError, match="rounds"):
        train_federated(_model(), x, y, parts, **{**common, "rounds": 0})


def test_rounds_to_accuracy():
    history = pd.DataFrame({"round": [5, 10, 15], "accuracy": [0.4, 0.8, 0.7]})
    assert rounds_to_accuracy(history, 0.75) == 10
    assert math.isnan(rounds_to_accuracy(history, 0.9))
    with pytest.raises(ValueError, match="target"):
        rounds_to_accuracy(history, 1.5)
