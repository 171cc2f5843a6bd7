"""Tests of ppml_lessons.federated.flower_app.local: a real SuperLink and SuperNodes on 127.0.0.1.

Slow (each test starts Flower's processes), but they run in CI: the federation trains two rounds and
stops, a port in use and an unreachable SuperLink give clear errors, and no process is left behind."""

import socket

import numpy as np
import psutil
import pytest

from ppml_lessons.federated.fedavg import aggregate
from ppml_lessons.federated.flower_app.local import FederationError, LocalFederation, free_port

pytestmark = pytest.mark.slow


def _alive(processes):
    alive = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def _everything(federation):
    return [psutil.Process(pid) for pid in federation.process_ids()] + federation.descendants()


def test_two_rounds_on_real_processes_then_nothing_runs(tmp_path):
    results = tmp_path / "run.json"
    with LocalFederation(num_supernodes=3, startup_timeout=300) as federation:
        assert len(federation.online_nodes()) == 3
        run_id = federation.run({"num-partitions": 3, "clients-per-round": 3, "rounds": 2,
                                 "results-path": str(results), "record-updates": True})
        status = federation.wait(run_id, timeout=800)
        log = federation.logs(run_id)
        started = _everything(federation)
    assert status["status"] == "finished:completed", status
    assert "[ROUND 2/2]" in log
    import json

    history = json.loads(results.read_text())["history"]
    assert [row["round"] for row in history] == [1, 2] and all(row["clients"] == 3 for row in history)
    saved = np.load(results.with_suffix(".npz"))
    received = [([saved[f"client{k}_weight"], saved[f"client{k}_bias"]], int(saved[f"client{k}_num_examples"]))
                for k in range(3)]
    assert sorted(n for _, n in received) == [20000, 20000, 20000]
    for ours, flowers in zip(aggregate(received), [saved["aggregate_weight"], saved["aggregate_bias"]]):
        np.testing.assert_allclose(flowers, ours, rtol=0, atol=1e-6)
    assert len(started) >= 4 and not _alive(started)


def test_a_port_in_use_is_refused_clearly():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        federation = LocalFederation(num_supernodes=1, superlink_port=port)
        with pytest.raises(FederationError, match=f"127.0.0.1:{port}: the port is already in use"):
            with federation:
                pass
    assert federation.process_ids() == []


def test_a_supernode_that_cannot_reach_the_superlink_is_reported_and_stopped():
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there
    federation = LocalFederation(num_supernodes=1, superlink_address=nowhere, startup_timeout=90)
    with pytest.raises(FederationError, match=f"could not reach the SuperLink at {nowhere}"):
        with federation:
            pass
    assert federation.process_ids() == []


def test_only_this_machine_is_a_target():
    with pytest.raises(ValueError, match="superlink_address must be '127.0.0.1:PORT'"):
        LocalFederation(superlink_address="10.0.0.5:8000")
    with pytest.raises(ValueError, match="num_supernodes"):
        LocalFederation(num_supernodes=0)
    with pytest.raises(ValueError, match="superlink_port"):
        LocalFederation(superlink_port=80)
