"""Tests of ppml_lessons.federated.fedavg: aggregation by hand and against Flower, batches and client
sampling, and vectorized local training against a plain per-client loop."""

import math

import numpy as np
import pytest
import torch
from flwr.server.strategy.aggregate import aggregate as flwr_aggregate

from ppml_lessons.federated.fedavg import aggregate, batch_schedule, client_sample, evaluate_parameters, local_train

from ._helpers import loop_local_train, make_data, make_model, parameters_of

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
@pytest.mark.parametrize(("hidden", "prox_mu"), [(None, 0.0), (5, 0.0), (5, 0.3)])
def test_vectorized_local_training_equals_a_loop_over_clients(hidden, prox_mu):
    x, y = make_data()
    model = make_model(hidden=hidden)
    start = parameters_of(model)
    clients = [np.arange(0, 13), np.arange(13, 50), np.arange(50, 52), np.arange(52, 120)]
    plan = batch_schedule(clients, epochs=2, batch_size=8, rng=0)
    stacked = local_train(model, start, x, y, plan, lr=0.2, prox_mu=prox_mu)
    expected = loop_local_train(model, start, x, y, plan, lr=0.2, prox_mu=prox_mu)
    for k, reference in enumerate(expected):
        for name, value in reference.items():
            torch.testing.assert_close(stacked[name][k], value, rtol=1e-5, atol=1e-6)
    assert all(torch.equal(p, start[n]) for n, p in model.named_parameters())  # the template is untouched


def test_local_train_rejects_bad_input():
    x, y = make_data()
    model = make_model()
    plan = batch_schedule([np.arange(10)], epochs=1, batch_size=5, rng=0)
    with pytest.raises(ValueError, match="lr"):
        local_train(model, parameters_of(model), x, y, plan, lr=0.0)
    with pytest.raises(ValueError, match="prox_mu"):
        local_train(model, parameters_of(model), x, y, plan, lr=0.1, prox_mu=-1.0)
    with pytest.raises(ValueError, match="schedule"):
        local_train(model, parameters_of(model), x, y, plan + 1000, lr=0.1)
    with pytest.raises(ValueError, match="schedule"):
        local_train(model, parameters_of(model), x, y, plan[0], lr=0.1)


def test_evaluate_parameters_matches_the_module():
    x, y = make_data()
    model = make_model()
    scores = evaluate_parameters(model, parameters_of(model), x, y, batch_size=7)
    logits = model(x)
    assert scores["accuracy"] == (logits.argmax(1) == y).sum().item() / len(y)
    assert math.isclose(scores["loss"], torch.nn.functional.cross_entropy(logits, y).item(), rel_tol=1e-5)
    with pytest.raises(TypeError, match="params"):
        evaluate_parameters(model, list(parameters_of(model).values()), x, y)
    with pytest.raises(ValueError, match="batch_size"):
        evaluate_parameters(model, parameters_of(model), x, y, batch_size=0)
