"""Tests of ppml_lessons.federated.flower_app: the Flower app computes lesson 06's FedAvg, clipping and sums.

The app runs on the in-process grid here (Flower's strategies, ClientApp, mods and messages, without
processes); tests/federated/test_flower_local.py runs it as real processes."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from flwr.app import Context, RecordDict
from flwr.clientapp import ClientApp

from ppml_lessons.federated.fedavg import aggregate
from ppml_lessons.federated.flower_app.client_app import make_client_app, partition_of
from ppml_lessons.federated.flower_app.inprocess import InProcessGrid
from ppml_lessons.federated.flower_app.server_app import run_server
from ppml_lessons.federated.flower_app.simulation import backend_config, simulate
from ppml_lessons.federated.flower_app.task import Settings, client_data, client_partition, new_model, train_client
from ppml_lessons.federated.privacy import central_dp_mean, update_norms

SMALL = Settings(num_partitions=4, clients_per_round=4, rounds=1, seed=0, batch_size=1000)  # 15 steps per client


def _initial():
    return [p.detach().numpy() for p in new_model(SMALL.seed).parameters()]


def _run_one_round(settings, tmp_path):
    settings = replace(settings, results_path=str(tmp_path / "run.json"), record_updates=True)
    run_server(InProcessGrid(make_client_app(settings), num_nodes=settings.num_partitions),
               Context(run_id=1, node_id=0, node_config={}, state=RecordDict(), run_config={}), settings)
    saved = np.load(tmp_path / "run.npz")
    clients = sorted({key.split("_")[0] for key in saved.files if key.startswith("client")})
    received = [([saved[f"{c}_weight"], saved[f"{c}_bias"]], int(saved[f"{c}_num_examples"])) for c in clients]
    return received, [saved["aggregate_weight"], saved["aggregate_bias"]]


def test_settings_travel_as_a_run_config():
    settings = Settings(rounds=7, mode="central-dp", noise_multiplier=0.8, record_updates=True)
    config = settings.to_config()
    assert config["noise-multiplier"] == 0.8 and config["record-updates"] is True
    assert Settings.from_config(config) == settings
    assert Settings.from_config({"rounds": "3", "unknown-key": 1}).rounds == 3


def test_settings_reject_bad_values():
    with pytest.raises(ValueError, match="mode"):
        Settings(mode="fedprox")
    with pytest.raises(ValueError, match="clients_per_round"):
        Settings(num_partitions=3, clients_per_round=4)
    with pytest.raises(ValueError, match="secagg_threshold"):
        Settings(secagg_shares=3, secagg_threshold=4)


def test_new_model_is_lesson_06s_and_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    model = new_model(0)
    assert torch.equal(torch.rand(1), before)
    torch.manual_seed(0)
    assert torch.equal(model.weight, torch.nn.Linear(784, 10).weight)


def test_clients_hold_lesson_06s_partition():
    parts = client_partition(SMALL)
    assert sorted(np.concatenate(parts).tolist()) == list(range(60000))
    x, y = client_data(2, SMALL)
    assert x.shape == (len(parts[2]), 784) and 0 <= float(x.min()) and float(x.max()) <= 1
    with pytest.raises(ValueError, match="partition_id"):
        client_data(4, SMALL)


def test_train_client_is_reproducible_and_differs_by_round():
    first = train_client(_initial(), 1, SMALL, server_round=1)
    again = train_client(_initial(), 1, SMALL, server_round=1)
    other = train_client(_initial(), 1, SMALL, server_round=2)
    assert first[1] == 15000 and all(np.array_equal(a, b) for a, b in zip(first[0], again[0]))
    assert not np.array_equal(first[0][0], other[0][0])


def test_one_round_of_the_app_is_lesson_06s_aggregate(tmp_path):
    received, result = _run_one_round(SMALL, tmp_path)
    assert len(received) == 4
    # the replies are the clients' own training, and the server's result is lesson 06's weighted average
    mine = {train_client(_initial(), k, SMALL, server_round=1)[0][1].tobytes() for k in range(4)}
    assert {layers[1].tobytes() for layers, _ in received} == mine
    for ours, flowers in zip(aggregate(received), result):
        np.testing.assert_allclose(flowers, ours, rtol=0, atol=1e-6)


def test_central_dp_without_noise_is_lesson_06s_clipped_mean(tmp_path):
    settings = replace(SMALL, mode="central-dp", clip_norm=0.05, noise_multiplier=0.0)
    received, result = _run_one_round(settings, tmp_path)  # what FedAvg got from Flower's DP wrapper
    start = _initial()
    raw = [train_client(start, k, settings, server_round=1)[0] for k in range(4)]  # the clients' own updates
    updates = {name: torch.stack([torch.as_tensor(layers[i] - start[i]) for layers in raw])
               for i, name in enumerate(["weight", "bias"])}
    assert float(update_norms(updates).min()) > 0.05  # every update is clipped
    clipped = {name: torch.stack([torch.as_tensor(layers[i] - start[i]) for layers, _ in received])
               for i, name in enumerate(["weight", "bias"])}
    np.testing.assert_allclose(update_norms(clipped).numpy(), 0.05, rtol=1e-5)
    mean = central_dp_mean(updates, clip_norm=0.05, noise_multiplier=0.0, expected_clients=4)
    for name, layer, flowers in zip(["weight", "bias"], start, result):
        np.testing.assert_allclose(flowers, layer + mean[name].numpy(), rtol=0, atol=1e-6)


def test_secaggplus_gives_the_average_and_hides_the_updates():
    settings = replace(SMALL, mode="secagg", secagg_shares=3, secagg_threshold=2)
    seen = simulate(settings)["secagg"]
    assert seen["clients"] == 4 and seen["plain_arrays_received"] == 0
    masked = np.array(seen["masked_vector_first_client"])
    assert masked.min() >= 0 and masked.max() < seen["modulus"] and masked.std() > seen["modulus"] / 4
    truth = np.concatenate([a.ravel() for a in aggregate(
        [train_client(_initial(), k, settings, server_round=1) for k in range(4)])])
    # SecAgg+ quantizes to 2^22 levels over [-8, 8]: each client's value moves by at most 16 / 2^22
    assert np.abs(np.array(seen["aggregate"]) - truth).max() < 4 * 16 / 2**22


def test_in_process_grid_and_client_app_reject_bad_input():
    with pytest.raises(TypeError, match="client_app"):
        InProcessGrid(object(), num_nodes=2)
    with pytest.raises(ValueError, match="num_nodes"):
        InProcessGrid(ClientApp(), num_nodes=0)
    with pytest.raises(ValueError, match="partition-id"):
        partition_of(Context(run_id=1, node_id=1, node_config={}, state=RecordDict(), run_config={}))
    with pytest.raises(ValueError, match="engine"):
        simulate(SMALL, engine="threads")


def test_ray_backend_is_sized_by_its_cpus():
    config = backend_config(num_cpus=2, cpus_per_client=1)
    assert config["client_resources"]["num_cpus"] == 1 and config["init_args"]["num_cpus"] == 2
    assert config["init_args"]["include_dashboard"] is False
    with pytest.raises(ValueError, match="cpus_per_client"):
        backend_config(num_cpus=2, cpus_per_client=3)
