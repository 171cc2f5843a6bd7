"""Tests of ppml_lessons.federated.simulation: FedSGD as one full-batch gradient step, a FedAvg round as the
weighted average of the local models, server learning rate and momentum, DP-FedAvg's unweighted clipped
mean, local DP's participation cap, and bad input."""

import copy
import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from ppml_lessons.federated.fedavg import aggregate, batch_schedule, client_sample, evaluate_parameters
from ppml_lessons.federated.partition import iid_partition
from ppml_lessons.federated.simulation import rounds_to_accuracy, train_federated

from ._helpers import CPU, loop_local_train, make_data, make_model, parameters_of


def _one_round(model, x, y, parts, **kwargs):
    run = train_federated(model, x, y, parts, rounds=1, eval_data=(x, y), fraction=1.0, rng=0, progress=False,
                          device=CPU, **kwargs)
    return parameters_of(run.model)


def test_fedsgd_is_one_full_batch_gradient_step_on_all_themake_data():
    x, y = make_data()
    model = make_model()
    parts = [np.arange(0, 10), np.arange(10, 45), np.arange(45, 120)]  # unequal clients
    after = _one_round(model, x, y, parts, local_epochs=1, batch_size=None, lr=0.5)
    central = copy.deepcopy(model)
    nn.functional.cross_entropy(central(x), y).backward()  # the mean over all 120 examples
    for name, p in central.named_parameters():
        torch.testing.assert_close(after[name], p.detach() - 0.5 * p.grad, rtol=1e-5, atol=1e-6)


def test_fedavg_round_is_the_weighted_average_of_the_local_models():
    x, y = make_data()
    model = make_model()
    parts = [np.arange(0, 10), np.arange(10, 45), np.arange(45, 120)]
    after = _one_round(model, x, y, parts, local_epochs=3, batch_size=7, lr=0.3)
    # replay the same round by hand: the loop draws the clients, then the schedule, from one generator
    rng = np.random.default_rng(0)  # the DP noise does not come from this generator
    chosen = client_sample(3, fraction=1.0, rng=rng)
    plan = batch_schedule([parts[k] for k in chosen], epochs=3, batch_size=7, rng=rng)
    locals_ = loop_local_train(model, parameters_of(model), x, y, plan, lr=0.3)
    names = list(after)
    expected = aggregate([([m[n] for n in names], len(parts[k])) for m, k in zip(locals_, chosen)])
    for name, value in zip(names, expected):
        torch.testing.assert_close(after[name], value, rtol=1e-5, atol=1e-6)


def test_server_learning_rate_and_momentum():
    x, y = make_data()
    model = make_model()
    parts = [np.arange(0, 60), np.arange(60, 120)]
    full = dict(local_epochs=1, batch_size=None, lr=0.5)  # deterministic: full batches, every client
    start = parameters_of(model)
    plain = _one_round(model, x, y, parts, **full)
    half = _one_round(model, x, y, parts, server_lr=0.5, **full)
    for name in start:
        torch.testing.assert_close(half[name] - start[name], 0.5 * (plain[name] - start[name]))
    # two rounds with momentum 0.9: v1 = d1, w1 = w0 + d1; v2 = 0.9 d1 + d2(w1), w2 = w1 + v2
    run = train_federated(model, x, y, parts, rounds=2, eval_data=(x, y), fraction=1.0, server_momentum=0.9,
                          rng=0, progress=False, device=CPU, **full)
    d1 = {n: plain[n] - start[n] for n in start}
    w1 = copy.deepcopy(model)
    w1.load_state_dict(plain)
    second = _one_round(w1, x, y, parts, **full)
    for name, p in run.model.named_parameters():
        expected = plain[name] + 0.9 * d1[name] + (second[name] - plain[name])
        torch.testing.assert_close(p.detach(), expected, rtol=1e-5, atol=1e-6)


def test_training_learns_and_reports_history():
    x, y = make_data(n=600)
    parts = iid_partition(600, 20, rng=0)
    run = train_federated(make_model(), x, y, parts, rounds=6, eval_data=(x, y), fraction=0.25, local_epochs=2,
                          batch_size=10, lr=0.3, eval_every=2, rng=0, progress=False, device=CPU)
    history = run.history
    assert history["round"].tolist() == [2, 4, 6]
    assert (history["clients"] == 5).all()
    n_params = 6 * 3 + 3
    assert history["bytes_up"].tolist() == [2 * 5 * 4 * n_params * k for k in (1, 2, 3)]
    assert run.participation.sum() == 30
    start = evaluate_parameters(make_model(), parameters_of(make_model()), x, y)
    assert run.final_accuracy > start["accuracy"] + 0.2 and history["loss"].iloc[-1] < start["loss"]
    again = train_federated(make_model(), x, y, parts, rounds=6, eval_data=(x, y), fraction=0.25, local_epochs=2,
                            batch_size=10, lr=0.3, eval_every=2, rng=0, progress=False, device=CPU)
    pd.testing.assert_frame_equal(history, again.history)  # same seed, same run


def test_dp_central_without_noise_is_the_clipped_unweighted_mean():
    x, y = make_data()
    model = make_model()
    parts = [np.arange(0, 10), np.arange(10, 45), np.arange(45, 120)]
    full = dict(local_epochs=1, batch_size=None, lr=0.5, sampling="poisson")
    weighted = _one_round(model, x, y, parts, **{**full, "sampling": "fixed"})
    unweighted = _one_round(model, x, y, parts, dp="central", clip_norm=1e6, noise_multiplier=0.0, **full)
    start = parameters_of(model)
    g = {}
    for k, idx in enumerate(parts):  # each client's full-batch step, averaged with equal weights
        m = copy.deepcopy(model)
        nn.functional.cross_entropy(m(x[idx]), y[idx]).backward()
        for name, p in m.named_parameters():
            g[name] = g.get(name, 0) - 0.5 * p.grad / 3
    for name in start:
        torch.testing.assert_close(unweighted[name], start[name] + g[name], rtol=1e-5, atol=1e-6)
        assert not torch.allclose(weighted[name], unweighted[name])


def test_dp_local_caps_participation():
    x, y = make_data()
    parts = iid_partition(120, 6, rng=0)
    run = train_federated(make_model(), x, y, parts, rounds=8, eval_data=(x, y), fraction=1.0, sampling="poisson",
                          dp="local", noise_multiplier=1.0, max_participations=3, rng=0, progress=False, device=CPU)
    assert run.participation.tolist() == [3] * 6
    assert run.history["clients"].tolist() == [6, 6, 6, 0, 0, 0, 0, 0]


@pytest.mark.parametrize("dp", ["central", "local"])
def test_dp_noise_is_secret_by_default_and_reproducible_only_on_request(dp):
    """The seed `rng` fixes sampling and batches; the noise comes from OS entropy unless noise_seed is given."""
    x, y = make_data()
    parts = iid_partition(120, 6, rng=0)
    settings = dict(rounds=3, eval_data=(x, y), fraction=0.5, sampling="poisson", dp=dp, noise_multiplier=1.0,
                    clip_norm=0.1, rng=0, progress=False, device=CPU)
    first, second = (train_federated(make_model(), x, y, parts, **settings) for _ in range(2))
    # the same seed gives the same clients in every round ...
    assert first.history["clients"].tolist() == second.history["clients"].tolist()
    assert np.array_equal(first.participation, second.participation)
    # ... but different noise: a public seed must not regenerate it
    weights = [parameters_of(run.model)["weight"] for run in (first, second)]
    assert not torch.allclose(*weights)
    # the explicit opt-in: the same noise_seed, the same run; another noise_seed, other noise
    pinned = [parameters_of(train_federated(make_model(), x, y, parts, noise_seed=s, **settings).model)["weight"]
              for s in (7, 7, 8)]
    torch.testing.assert_close(pinned[0], pinned[1], rtol=0, atol=0)
    assert not torch.allclose(pinned[0], pinned[2])


def test_train_federated_rejects_bad_input():
    x, y = make_data()
    parts = iid_partition(120, 6, rng=0)
    common = dict(rounds=1, eval_data=(x, y), progress=False, device=CPU)
    with pytest.raises(ValueError, match="sampling"):
        train_federated(make_model(), x, y, parts, dp="central", noise_multiplier=1.0, **common)
    with pytest.raises(ValueError, match="dp"):
        train_federated(make_model(), x, y, parts, dp="global", **common)
    with pytest.raises(ValueError, match="fraction"):
        train_federated(make_model(), x, y, parts, fraction=1.5, **common)
    with pytest.raises(ValueError, match="server_momentum"):
        train_federated(make_model(), x, y, parts, server_momentum=1.0, **common)
    with pytest.raises(ValueError, match="noise_multiplier"):
        train_federated(make_model(), x, y, parts, dp="local", noise_multiplier=-1.0, **common)
    with pytest.raises(ValueError, match="partition"):
        train_federated(make_model(), x, y, [np.arange(3), np.array([], dtype=int)], **common)
    with pytest.raises(ValueError, match="rounds"):
        train_federated(make_model(), x, y, parts, **{**common, "rounds": 0})
    with pytest.raises(ValueError, match="noise_seed"):
        train_federated(make_model(), x, y, parts, noise_seed=-1, **common)
    with pytest.raises(TypeError, match="noise_seed"):
        train_federated(make_model(), x, y, parts, noise_seed=1.5, **common)


def test_rounds_to_accuracy():
    history = pd.DataFrame({"round": [5, 10, 15], "accuracy": [0.4, 0.8, 0.7]})
    assert rounds_to_accuracy(history, 0.75) == 10
    assert math.isnan(rounds_to_accuracy(history, 0.9))
    with pytest.raises(ValueError, match="target"):
        rounds_to_accuracy(history, 1.5)
